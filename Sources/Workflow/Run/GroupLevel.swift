import Foundation
import Kernels
import NIfTI
import Pipeline
import Stats

/// One participant left out of the group level, and why.
public struct Exclusion: Sendable, Equatable {
    public let participant: String
    public let reason: String
}

/// One group model's result, for the summary.
public struct ModelReport: Sendable {
    public let name: String
    public let outcome: JobOutcome
    /// One line per contrast: what survived and which way it goes.
    public let findings: [String]
}

/// What the group level did.
public struct GroupReport: Sendable {
    public let included: [String]
    public let excluded: [Exclusion]
    public let models: [ModelReport]
    /// Motion by group and QC-FC lines for the summary.
    public let quality: [String]
    public let logPath: String?

    public var anyFailed: Bool { models.contains { $0.outcome.isFailure } }
}

/// `cohortex run BIDS_DIR OUTPUT_DIR group`: the group models on what the participant level produced.
/// Participants whose participant-level outputs are missing, stale or failed QC are excluded and listed
/// (`group/participants_excluded.tsv`); the design table adds `mean_fd` (from the QC tables) and `tiv_mm3`
/// (from the GM sidecars) to participants.tsv.
public enum GroupLevel {
    public static func run(_ request: CohortRunRequest, print: (String) -> Void) throws -> GroupReport {
        let context = try CohortRun.prepare(request)
        let plan = context.plan, spec = plan.spec
        guard let group = spec.group, !group.models.isEmpty else { throw GroupLevelError.noModels(pipeline: spec.name) }
        guard let table = context.roster.table, let tablePath = context.roster.path else {
            throw GroupLevelError.noParticipantsTable(root: context.dataset)
        }
        let session = try groupSession(plan: plan, selected: request.selection.sessions)
        let output = context.output + "/group"

        // 1. Who has complete, current participant-level outputs for the session.
        var excluded: [Exclusion] = plan.problems.map { Exclusion(participant: $0.participant, reason: $0.reason) }
        var included: [String] = []
        var jobsByParticipant: [String: [Job]] = [:]
        for label in plan.participants where !excluded.contains(where: { $0.participant == label }) {
            // A participant without session labels has one session: it takes part whichever session is named.
            let jobs = plan.jobs.filter { $0.participant == label && ($0.session == session || $0.session == nil) }
            guard !jobs.isEmpty else {
                excluded.append(Exclusion(participant: label, reason: "no outputs for session \(session ?? "(none)")"))
                continue
            }
            if let stale = jobs.lazy.compactMap({ job -> String? in
                guard let fingerprint = try? JobFingerprint(job: job, verifyInputs: request.verifyInputs) else { return "\(job.work.stage): inputs unreadable" }
                if case .mustRun(let reason) = JobStatus.check(job, fingerprint: fingerprint) { return "\(job.work.stage): \(reason)" }
                return nil
            }).first {
                excluded.append(Exclusion(participant: label, reason: "participant level incomplete (\(stale)); run the participant level first"))
                continue
            }
            jobsByParticipant[label] = jobs
            included.append(label)
        }

        // 2. QC rules and the covariates the participant level measured.
        var covariates: [String: [String: String]] = [:]
        for label in included {
            let jobs = jobsByParticipant[label]!
            var values: [String: String] = [:]
            if let qc = jobs.first(where: { $0.work.stage == QualityTable.name }), case .qc(let q) = qc.work {
                let summary = try QualitySummary(table: TSVTable(contentsOf: q.output))
                values["mean_fd"] = TSVTable.format(summary.meanFD)
                if let broken = summary.broken(spec.qc) {
                    excluded.append(Exclusion(participant: label, reason: "QC: \(broken)"))
                    continue
                }
            }
            if let gm = jobs.first(where: { $0.work.stage == GrayMatterVolume.name }), case .gmVolume(let g) = gm.work,
               case .table(let path) = g.destination {
                if let tiv = try tiv(sidecar: sidecarPath(for: path), cat12: context.cat12?.participants.first { $0.label == label }?.report) {
                    values["tiv_mm3"] = TSVTable.format(tiv)
                }
            }
            covariates[label] = values
        }
        included = included.filter { label in !excluded.contains { $0.participant == label } }
        if request.dryRun {
            // The plan only: who would be included, who not and why, and the models; nothing is written.
            print("group level of pipeline \(spec.name)\(session.map { ", session \($0)" } ?? ""): \(included.count) participant(s) would be included, \(excluded.count) excluded")
            for exclusion in excluded { print("  sub-\(exclusion.participant): \(exclusion.reason)") }
            for model in group.models { print("model \(model.name): \(model.input), \(model.formula), contrasts \(model.contrasts.joined(separator: ", "))") }
            print("Nothing was written.")
            return GroupReport(included: included, excluded: excluded, models: [], quality: [], logPath: nil)
        }
        let exclusions = TSVTable(columns: ["participant_id", "reason"], rows: excluded.sorted { $0.participant < $1.participant }
            .map { ["sub-\($0.participant)", $0.reason] })
        try writeIfChanged(exclusions.text, to: output + "/participants_excluded.tsv")
        guard !included.isEmpty else { throw GroupLevelError.nobodyIncluded(excluded: excluded.count) }

        // 3. The design table: participants.tsv rows of the included participants, plus the measured covariates.
        let design = try designTable(table, path: tablePath, included: included, covariates: covariates)
        try writeIfChanged(design.text, to: output + "/participants_included.tsv")

        let log = RunLog(verbosity: request.verbosity, path: try CohortRun.prepareLogs(output: context.output, runID: CohortRun.runIdentifier()))
        log.info("cohortex \(CohortexVersion.string) group level, pipeline \(spec.name): \(included.count) participant(s) included, \(excluded.count) excluded\(session.map { ", session \($0)" } ?? "")")
        for exclusion in excluded { log.warning("sub-\(exclusion.participant) excluded: \(exclusion.reason)") }

        // 4. Motion by group (so group-by-motion confounding is visible) and, with connectivity matrices, QC-FC;
        //    a permutation-chunk task leaves both to the task that combines the chunks.
        let chunkTask: Bool
        if case .chunk = request.permutationStep { chunkTask = true } else { chunkTask = false }
        let motion = chunkTask ? (lines: [String](), table: TSVTable?.none) : try motionByGroup(design: design, output: output)
        motion.lines.forEach(log.info)
        var qcfcLines: [String] = []
        if let connectivity = spec.connectivity, !chunkTask {
            do {
                qcfcLines = try qualityConnectivity(connectivity: connectivity, design: design, included: included, jobs: jobsByParticipant,
                                                    folder: output + "/qcfc", budget: context.budget, log: log)
            } catch {
                log.error("QC-FC: \(PlanBuilder.describe(error))")
                qcfcLines = ["QC-FC failed: \(PlanBuilder.describe(error))"]
            }
        }

        // 5. One GLM per model (a failing model is reported; the others run).
        var reports: [ModelReport] = []
        for model in group.models {
            let report = runModel(model, design: design, included: included, jobs: jobsByParticipant, spec: spec, folder: output,
                                  request: request, budget: context.budget, log: log)
            reports.append(report)
        }
        return GroupReport(included: included, excluded: excluded, models: reports, quality: motion.lines + qcfcLines, logPath: log.path)
    }

    /// The session a cross-sectional model uses: the one selected, else the pipeline's, else the only one; several and
    /// none named is refused.
    static func groupSession(plan: CohortPlan, selected: [String]) throws -> String? {
        if selected.count == 1 { return selected[0] }
        if let session = plan.spec.session { return session }
        for label in plan.participants {
            let sessions = Set(plan.jobs.filter { $0.participant == label }.compactMap(\.session)).sorted()
            if sessions.count > 1 { throw DiscoveryError.sessionAmbiguous(participant: label, sessions: sessions) }
        }
        let all = Set(plan.jobs.compactMap(\.session))
        return all.count == 1 ? all.first : nil
    }

    // MARK: - Tables

    static func designTable(_ table: TSVTable, path: String, included: [String], covariates: [String: [String: String]]) throws -> TSVTable {
        let id = try table.columnIndex("participant_id")
        let extra = ["mean_fd", "tiv_mm3"].filter { column in
            !table.columns.contains(column) && included.contains { covariates[$0]?[column] != nil }
        }
        var rows: [[String]] = []
        for row in table.rows {
            let label = Self.label(row[id])
            guard included.contains(label) else { continue }
            rows.append(row + extra.map { covariates[label]?[$0] ?? "n/a" })
        }
        return TSVTable(columns: table.columns + extra, rows: rows)
    }

    /// The regional GM table the model reads: cortical regions as Σ GM probability × voxel volume, subcortical
    /// structures as label volumes (see the GM stage's table).
    static func regionTable(spec: PipelineSpec, participants: [String], jobs: [String: [Job]]) throws -> TSVTable {
        guard let structural = spec.structural else { throw GroupLevelError.noStructural }
        let regions = structural.cortical.map { ($0, "volume_mm3") } + structural.subcortical.map { ($0, "label_volume_mm3") }
        var rows: [[String]] = []
        for label in participants {
            guard let job = jobs[label]?.first(where: { $0.work.stage == GrayMatterVolume.name }), case .gmVolume(let g) = job.work,
                  case .table(let path) = g.destination else { continue }
            let table = try TSVTable(contentsOf: path)
            let names = try table.column("name").map { FreeSurferLabels.index(of: $0).flatMap { FreeSurferLabels.names[$0] } ?? $0 }
            var row = ["sub-\(label)"]
            for (region, column) in regions {
                let wanted = FreeSurferLabels.index(of: region).flatMap { FreeSurferLabels.names[$0] } ?? region
                guard let r = names.firstIndex(of: wanted) else { throw GroupLevelError.regionMissing(path: path, region: region) }
                row.append(try table.column(column)[r])
            }
            rows.append(row)
        }
        return TSVTable(columns: ["participant_id"] + regions.map(\.0), rows: rows)
    }

    /// TIV in mm³: CAT12's report when there is one, else the GM stage's sidecar (GM + WM + CSF).
    static func tiv(sidecar: String, cat12 report: String?) throws -> Double? {
        if let report { return try CAT12Derivatives.totalIntracranialVolume(report: report) }
        guard let data = FileManager.default.contents(atPath: sidecar),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        return object["TotalIntracranialVolumeMM3"] as? Double
    }

    static func label(_ id: String) -> String { id.hasPrefix("sub-") ? String(id.dropFirst(4)) : id }

    /// Writes `text` atomically unless the file already holds it (so an unchanged input keeps its modification time).
    static func writeIfChanged(_ text: String, to path: String) throws {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8), existing == text { return }
        try AtomicFile.stage(text, to: path).commit()
    }
}

/// Why the group level cannot run.
public enum GroupLevelError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case noModels(pipeline: String)
    case noParticipantsTable(root: String)
    case nobodyIncluded(excluded: Int)
    case missingColumns(model: String, columns: [String])
    case noStructural
    case regionMissing(path: String, region: String)
    case emptySubset(model: String, subset: [String])

    public var description: String {
        switch self {
        case .noModels(let pipeline): return "pipeline \(pipeline) has no group models"
        case .noParticipantsTable(let root): return "\(root): no participants.tsv, which the group models need"
        case .nobodyIncluded(let excluded): return "no participant has complete participant-level outputs that pass QC (\(excluded) excluded; see group/participants_excluded.tsv)"
        case .missingColumns(let model, let columns): return "model \(model): participants.tsv has no column \(columns.joined(separator: ", "))"
        case .noStructural: return "a gm-volume model needs the structural stage"
        case .regionMissing(let path, let region): return "\(path): no region \(region)"
        case .emptySubset(let model, let subset): return "model \(model): no included participant has \(subset.joined(separator: ", "))"
        }
    }

    public var errorDescription: String? { description }
}
