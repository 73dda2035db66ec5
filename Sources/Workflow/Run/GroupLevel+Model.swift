import Foundation
import Kernels
import NIfTI
import Pipeline
import Stats

/// One group model: its design rows, its GLM (whole, a permutation chunk, or combined chunks), its exports and findings.
extension GroupLevel {
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
}
