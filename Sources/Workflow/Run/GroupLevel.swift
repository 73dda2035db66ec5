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

    /// Mean FD per level of `group` (n, mean, SD) and Welch's t test between two levels → `group/motion_by_group.tsv`.
    static func motionByGroup(design: TSVTable, output: String) throws -> (lines: [String], table: TSVTable?) {
        guard let g = design.columns.firstIndex(of: "group"), let f = design.columns.firstIndex(of: "mean_fd") else { return ([], nil) }
        var byLevel: [String: [Double]] = [:]
        for row in design.rows { if let fd = Double(row[f]), fd.isFinite { byLevel[row[g], default: []].append(fd) } }
        let levels = byLevel.keys.sorted()
        var rows: [[String]] = [], lines: [String] = []
        for level in levels {
            let (mean, variance) = CorrelationStatistics.meanAndVariance(byLevel[level]!)
            let sd = variance.map { $0.squareRoot() }
            rows.append([level, String(byLevel[level]!.count), TSVTable.format(mean), sd.map(TSVTable.format) ?? "n/a"])
            lines.append("mean FD \(level): \(String(format: "%.3f", mean)) mm (SD \(sd.map { String(format: "%.3f", $0) } ?? "n/a"), n = \(byLevel[level]!.count))")
        }
        var columns = ["group", "n", "mean_fd", "sd_fd"]
        if levels.count == 2, let welch = CorrelationStatistics.welch(byLevel[levels[0]]!, byLevel[levels[1]]!) {
            columns += ["welch_t", "welch_df", "welch_p"]
            rows = rows.map { $0 + [TSVTable.format(welch.t), TSVTable.format(welch.df), TSVTable.format(welch.p)] }
            lines.append("mean FD \(levels[0]) vs \(levels[1]): Welch t = \(String(format: "%.2f", welch.t)), df = \(String(format: "%.1f", welch.df)), p = \(String(format: "%.3g", welch.p))\(welch.p < 0.05 ? " — motion differs between groups: keep mean_fd in the model" : "")")
        }
        let table = TSVTable(columns: columns, rows: rows)
        try writeIfChanged(table.text, to: output + "/motion_by_group.tsv")
        return (lines, table)
    }

    /// QC-FC over the included participants' Pearson matrices (Ciric et al. 2017) → `group/qcfc/`; returns the summary lines.
    static func qualityConnectivity(connectivity: ConnectivitySpec, design: TSVTable, included: [String], jobs: [String: [Job]],
                                    folder: String, budget: ResourceBudget, log: RunLog) throws -> [String] {
        let ids = try design.column("participant_id").map(label)
        let fds = try design.column("mean_fd")
        var meanFD: [String: Double] = [:]
        for (id, fd) in zip(ids, fds) { if let value = Double(fd) { meanFD[id] = value } }
        var groups: [String: String]?
        if let g = design.columns.firstIndex(of: "group") { groups = Dictionary(uniqueKeysWithValues: design.rows.map { (label($0[0]), $0[g]) }) }
        let matrices = included.compactMap { participant -> (participant: String, path: String)? in
            guard let job = jobs[participant]?.first(where: { $0.work.stage == RegionConnectivity.name }), case .conmat(let c) = job.work else { return nil }
            return (participant, c.output)
        }
        let context = StageContext(parallelism: Parallelism(threads: budget.cores), diagnostics: JobDiagnostics(label: "QC-FC", log: log))
        let result = try QualityConnectivity.compute(matrices: matrices, meanFD: meanFD, atlas: connectivity.atlas, groups: groups, context: context)
        _ = try QualityConnectivity.write(result, to: folder, context: context)
        let s = result.summary
        var lines = ["QC-FC (\(s.participants) participants, \(s.testedEdges) edges): median |r| \(s.medianAbsR.map { String(format: "%.3f", $0) } ?? "n/a"), "
                     + "\(s.percentUncorrected.map { String(format: "%.1f", $0) } ?? "n/a") % of edges p < 0.05, \(s.percentFDR.map { String(format: "%.1f", $0) } ?? "n/a") % after FDR"]
        if let rho = s.distanceRho { lines.append("QC-FC distance dependence: Spearman ρ = \(String(format: "%.3f", rho))") }
        lines.forEach(log.info)
        return lines
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

    // MARK: - One model

    static func runModel(_ model: GroupModel, design: TSVTable, included: [String], jobs: [String: [Job]], spec: PipelineSpec,
                         folder: String, request: CohortRunRequest, budget: ResourceBudget, log: RunLog) -> ModelReport {
        let modelFolder = folder + "/model-\(model.name)"
        do {
            let formula = try ModelFormula(model.formula)
            let missing = formula.terms.map(\.column).filter { !design.columns.contains($0) } + model.subset.keys.filter { !design.columns.contains($0) }
            if !missing.isEmpty {
                if model.optional {
                    log.info("model \(model.name): skipped (participants.tsv has no \(missing.joined(separator: ", ")))")
                    return ModelReport(name: model.name, outcome: .skipped(reason: "participants.tsv has no \(missing.joined(separator: ", "))"), findings: [])
                }
                throw GroupLevelError.missingColumns(model: model.name, columns: missing)
            }
            var rows = design.rows
            for (column, value) in model.subset.sorted(by: { $0.key < $1.key }) {
                let index = design.columns.firstIndex(of: column)!
                rows = rows.filter { $0[index] == value }
            }
            guard !rows.isEmpty else {
                throw GroupLevelError.emptySubset(model: model.name, subset: model.subset.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            }
            let participantsFile = modelFolder + "/participants.tsv"
            try writeIfChanged(TSVTable(columns: design.columns, rows: rows).text, to: participantsFile)
            let members = Set(rows.map { GroupLevel.label($0[0]) })
            let data: GroupData
            var inputs = [participantsFile]
            if model.input == GrayMatterVolume.name {
                let regions = try regionTable(spec: spec, participants: included.filter(members.contains), jobs: jobs)
                let path = modelFolder + "/regions.tsv"
                try writeIfChanged(regions.text, to: path)
                data = .table(path: path)
                inputs.append(path)
            } else {
                let seed = String(model.input.dropFirst("seed-map:".count))
                let maps = included.filter(members.contains).compactMap { label -> String? in
                    guard let job = jobs[label]?.first(where: { $0.work.stage == SeedMap.name }), case .seedMap(let s) = job.work else { return nil }
                    return s.paths(seed: seed).z
                }
                data = .mapFiles(paths: maps)
                inputs += maps
            }
            var options = GroupAnalysisOptions(participants: participantsFile, formula: model.formula, contrasts: model.contrasts,
                                               data: data, output: modelFolder)
            options.references = model.references
            options.permutations = model.permutations
            options.seed = model.seed
            options.tfce = model.tfce
            options.twoSided = model.twoSided
            options.clusterReport = model.clusters
            options.clusterInference = model.clusterInference
            let sidecar = modelFolder + "/glm.json"
            let job = Job(id: 0, participant: "group", session: nil, run: nil, work: .glm(options), inputs: inputs,
                          outputs: [sidecar], sidecars: [sidecar], dependencies: [], predictedPeakBytes: 0)
            let fingerprint = try JobFingerprint(job: job, verifyInputs: request.verifyInputs)
            if case .upToDate = JobStatus.check(job, fingerprint: fingerprint) {
                log.info("model \(model.name): up to date")
                return ModelReport(name: model.name, outcome: .upToDate, findings: try findings(modelFolder))
            }
            let context = StageContext(parallelism: Parallelism(threads: budget.cores), diagnostics: JobDiagnostics(label: "model \(model.name)", log: log),
                                       sidecarExtras: [("Job", fingerprint.json)])
            let clock = Date()
            // On a cluster: one share of the permutations, or the combination of the shares (the job fingerprint
            // stays that of the whole model, so a combined model is up to date for a later local run).
            let chunkFolder = modelFolder + "/chunks"
            switch request.permutationStep {
            case .chunk(let selection)?:
                guard model.permutations > 0 else {
                    log.info("model \(model.name): no permutations to share; it runs whole when the chunks are combined")
                    return ModelReport(name: model.name, outcome: .skipped(reason: "no permutations: runs whole in the combining job"), findings: [])
                }
                var share = options
                share.chunk = selection
                share.output = chunkFolder
                _ = try GroupAnalysis.run(share, context: context)
                let seconds = Date().timeIntervalSince(clock)
                log.info("model \(model.name): permutation chunk \(selection) done in \(String(format: "%.1f", seconds)) s")
                return ModelReport(name: model.name, outcome: .ran(seconds: seconds, reason: "permutation chunk \(selection)"), findings: [])
            case .combine?:
                if model.permutations > 0 { options.fromChunks = chunkFolder }
            case nil:
                break
            }
            _ = try GroupAnalysis.run(options, context: context)
            // The same model as FSL/PALM files (design.mat/.con/.grp, merged 4D maps), for cross-checks with randomise/PALM.
            let exportContext = StageContext(parallelism: context.parallelism, diagnostics: context.diagnostics)
            _ = try PALMExport.write(modelFolder: modelFolder, maps: try mapsInDesignOrder(modelFolder: modelFolder, data: data),
                                     context: exportContext)
            let seconds = Date().timeIntervalSince(clock)
            log.info("model \(model.name): done in \(String(format: "%.1f", seconds)) s")
            return ModelReport(name: model.name, outcome: .ran(seconds: seconds, reason: "run"), findings: try findings(modelFolder))
        } catch {
            let reason = PlanBuilder.describe(error)
            log.error("model \(model.name): \(reason)")
            return ModelReport(name: model.name, outcome: .failed(reason: reason), findings: [])
        }
    }

    /// Per contrast, read back from the model's outputs: how many voxels or regions survive family-wise correction
    /// (TFCE when it ran) and which way the contrast points.
    static func findings(_ folder: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: folder + "/glm.json"),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let contrasts = object["contrasts"] as? [[String: Any]] else { return ["(see \(folder)/glm.json)"] }
        return try contrasts.map { contrast in
            let label = contrast["label"] as? String ?? "?"
            let specification = contrast["specification"] as? String ?? label
            let outputs = contrast["outputs"] as? [String: Any] ?? [:]
            let direction = Self.direction(of: specification)
            if let map = (outputs["tfcepfwe"] ?? outputs["pfwe"]) as? String {
                let image = try NIfTIImage(path: folder + "/" + map)
                let p = try image.readVolume().voxels
                let significant = p.filter { $0 < 0.05 }.count
                var line = "\(specification): \(significant) voxel(s) with \(outputs["tfcepfwe"] != nil ? "TFCE " : "")p_FWE < 0.05 — \(direction)"
                if let file = outputs["clusters"] as? String, let table = try? TSVTable(contentsOf: folder + "/" + file) {
                    line += "; \(table.rows.count) cluster(s) in \(file)"
                    if let sizes = try? table.numericColumn("p_fwe_size") {
                        line += " (\(sizes.filter { ($0 ?? 1) < 0.05 }.count) with cluster-size p_FWE < 0.05)"
                    }
                    if let row = table.rows.first, let v = table.columns.firstIndex(of: "voxels"), let l = table.columns.firstIndex(of: "peak_label"),
                       let x = table.columns.firstIndex(of: "peak_x") {
                        line += ", largest \(row[v]) voxels at (\(row[x]), \(row[x + 1]), \(row[x + 2])) \(row[l] == "n/a" ? "" : row[l])"
                    }
                }
                return line
            }
            if let table = outputs["table"] as? String {
                let stats = try TSVTable(contentsOf: folder + "/" + table)
                let p = try stats.numericColumn("p_fwe").compactMap { $0 }
                let regions = try stats.column("region")
                let hits = zip(regions, try stats.numericColumn("p_fwe")).filter { ($0.1 ?? 1) < 0.05 }.map(\.0)
                return "\(specification): \(hits.count) of \(p.count) region(s) with p_FWE < 0.05\(hits.isEmpty ? "" : " (\(hits.joined(separator: ", ")))") — \(direction)"
            }
            return "\(specification): parametric only (no permutations) — \(direction)"
        }
    }

    /// The participants' maps in the order of the model's design.tsv (the rows the GLM used), or nil for a regional model.
    static func mapsInDesignOrder(modelFolder: String, data: GroupData) throws -> [String]? {
        guard case .mapFiles(let paths) = data else { return nil }
        let byLabel = Dictionary(paths.map { (participantLabel(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
        return try TSVTable(contentsOf: modelFolder + "/design.tsv").column("participant_id").compactMap { byLabel[label($0)] }
    }

    static func participantLabel(of path: String) -> String {
        let name = (path as NSString).lastPathComponent
        return BIDSName(fileName: name)?["sub"] ?? name
    }

    /// `pain-control` → "tests pain > control"; `age` → "tests a positive slope of age"; `-age` → negative.
    static func direction(of label: String) -> String {
        if label.hasPrefix("F(") || label.hasPrefix("[") { return "an F test (either direction)" }
        let parts = label.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty { return "tests \(parts[0]) > \(parts[1])" }
        if label.hasPrefix("-") { return "tests a negative association with \(label.dropFirst())" }
        return "tests a positive association with \(label)"
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

/// A per-participant QC table summarised over its runs, and the rules it breaks.
struct QualitySummary {
    let meanFD: Double
    let percentCensored: Double
    let retainedMinutes: Double

    init(table: TSVTable) throws {
        let volumes = try table.numericColumn("num_volumes").map { $0 ?? 0 }
        let fd = try table.numericColumn("mean_fd")
        let censored = try table.numericColumn("num_censored_volumes").map { $0 ?? 0 }
        let dummies = try table.numericColumn("num_dummy_volumes").map { $0 ?? 0 }
        let minutes = try table.numericColumn("retained_minutes").map { $0 ?? 0 }
        let weights = volumes.reduce(0, +)
        // Mean FD over the session: runs weighted by their volumes.
        meanFD = weights > 0 ? zip(fd, volumes).reduce(0) { $0 + ($1.0 ?? 0) * $1.1 } / weights : .nan
        let usable = zip(volumes, dummies).reduce(0) { $0 + $1.0 - $1.1 }
        percentCensored = usable > 0 ? 100 * censored.reduce(0, +) / usable : 100
        retainedMinutes = minutes.reduce(0, +)
    }

    static func text(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// The first rule broken, described; nil when the participant passes.
    func broken(_ rules: QCRules) -> String? {
        if let limit = rules.maxMeanFD, !(meanFD <= limit) { return "mean FD \(Self.text(meanFD, 3)) mm above \(TSVTable.format(limit)) mm" }
        if let limit = rules.maxCensoredPercent, percentCensored > limit {
            return "\(Self.text(percentCensored, 1)) % of volumes censored, above \(TSVTable.format(limit)) %"
        }
        if let limit = rules.minRemainingMinutes, retainedMinutes < limit {
            return "\(Self.text(retainedMinutes, 2)) min of data left after censoring, below \(TSVTable.format(limit)) min"
        }
        return nil
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
