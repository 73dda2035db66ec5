import Foundation
import NIfTI

/// Generated cohorts and the Python reference runner shared by the Stats tests.
public enum StatsFixtures {
    /// The patsy spelling of the group column with control as reference (statsmodels references).
    public static let groupColumn = "C(group, Treatment('control'))"

    /// A cohort of `n` participants: group (control/pain/recovered or two levels), age (one n/a),
    /// sex, mean_fd; deterministic for a seed.
    public static func participants(n: Int, seed: UInt64, groups: [String] = ["control", "pain", "recovered"],
                             missingAge: Bool = true) -> TSVTable {
        var rng = SeededRandom(seed: seed)
        var rows: [[String]] = []
        for i in 0..<n {
            let group = groups[i % groups.count]
            let age = missingAge && i == 5 ? "n/a" : String(format: "%.1f", 30 + 12 * rng.normal())
            let sex = (i / 3) % 2 == 0 ? "F" : "M"
            let fd = String(format: "%.4f", 0.15 + 0.05 * abs(rng.normal()))
            rows.append([String(format: "sub-%03d", i + 1), group, age, sex, fd])
        }
        return TSVTable(columns: ["participant_id", "group", "age", "sex", "mean_fd"], rows: rows)
    }

    /// participants × measures responses with a group effect on the first third of the measures
    /// and an age effect on every measure.
    public static func responses(_ table: TSVTable, measures: Int, seed: UInt64, effect: Double = 0.8) -> [[Double]] {
        var rng = SeededRandom(seed: seed)
        let groups = try! table.column("group")
        let ages = try! table.numericColumn("age")
        return table.rows.indices.map { r in
            (0..<measures).map { j in
                let shift = groups[r] == "pain" && j < measures / 3 ? effect : 0
                return 10 + shift + 0.03 * ((ages[r] ?? 30) - 30) + rng.normal() * (1 + 0.1 * Double(j % 5))
            }
        }
    }

    /// The rows of `rows` for `participants`, flattened row-major.
    public static func select(_ rows: [[Double]], table: TSVTable, participants: [String]) -> [Double] {
        let ids = try! table.column("participant_id")
        return participants.flatMap { rows[ids.firstIndex(of: $0)!] }
    }

    /// Runs `stats_reference.py COMMAND` with `spec` written to a JSON file; returns the parsed output.
    public static func python(_ command: String, _ spec: [String: Any]) throws -> [String: Any] {
        let folder = try Reference.temporaryFolder()
        let path = folder + "/spec.json"
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: path))
        return try Reference.json(try Reference.runPython("stats_reference.py", [command, path]))
    }

    /// Writes float64 values to a new temporary file.
    public static func writeDoubles(_ values: [Double]) throws -> String {
        let path = try Reference.temporaryFolder() + "/values.f64"
        try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        return path
    }

    public static func doubles(_ any: Any?) -> [Double] { (any as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }

    /// |a − b| ≤ tolerance · max(|b|, floor).
    public static func relativeError(_ a: Double, _ b: Double, floor: Double = 1) -> Double {
        abs(a - b) / max(abs(b), floor)
    }
}
