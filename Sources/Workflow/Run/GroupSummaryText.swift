import Foundation

/// The group level's closing text: who was included, who was not and why, and each model's findings.
public enum GroupSummaryText {
    public static func render(_ report: GroupReport) -> String {
        var lines = ["\(report.included.count) participant(s) included, \(report.excluded.count) excluded"]
        for exclusion in report.excluded { lines.append("  sub-\(exclusion.participant): \(exclusion.reason)") }
        lines += report.quality
        for model in report.models {
            let state: String
            switch model.outcome {
            case .ran(let seconds, _): state = "done in \(String(format: "%.1f", seconds)) s"
            case .upToDate: state = "up to date"
            case .failed(let reason): state = "failed: \(reason)"
            case .notRun(let reason): state = "not run: \(reason)"
            case .skipped(let reason): state = "skipped (\(reason))"
            }
            lines.append("model \(model.name): \(state)")
            for finding in model.findings { lines.append("  \(finding)") }
        }
        return lines.joined(separator: "\n")
    }
}
