import ArgumentParser
import Foundation
import NIfTI
import Pipeline
import Stats

struct GLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glm",
        abstract: "Group GLM per voxel or region: t/F contrasts, permutation FWE (Freedman–Lane), TFCE, FDR, Hedges' g.",
        discussion: """
        The model is a formula over participants.tsv columns: an intercept, categorical columns \
        treatment-coded (reference: the first level in sorted order, or --reference COLUMN=LEVEL), \
        continuous covariates mean-centred. Participants with a missing model value or without data are \
        dropped and listed.

        Contrasts: pain-control (two levels of a factor), age / -age (a covariate's slope), mean, \
        group[pain] (a design column), 0,1,0,0 or [0 1 0 0] (weights), F(group), F(group, age) or \
        [0 1 0; 0 0 1] (F tests). Prefix label= to name the outputs (contrast-<label>_stat-t.nii.gz).

        --maps: a glob of 3D maps; the participant is the sub-<label> in each file name. --table: a TSV \
        whose rows are participants (participant_id column) and whose other columns are regions or edges.

        t tests are one-sided (positive direction, as randomise and PALM; test control-pain for the other) \
        unless --two-sided. Permutation p-values are (1 + count)/(N + 1). Split a long run with \
        --chunk k/N (any machine, same arguments), then combine with --from-chunks DIR: the result is \
        identical to a single run. Without --tfce chunks split the voxels; with --tfce (which needs whole \
        maps) they split the permutations.
        """
    )

    @Option(help: "BIDS participants.tsv (participant_id plus model columns; n/a is missing).")
    var participants: String

    @Option(help: "Model formula, e.g. \"~ group + age + sex\" (C(column) forces a categorical column).")
    var model: String

    @Option(name: .customLong("contrast"), help: "A contrast; repeat for several (write --contrast=-age when it starts with -).")
    var contrasts: [String] = []

    @Option(help: "Glob of per-participant 3D maps, e.g. 'derivatives/sub-*_stat-z.nii.gz' (quote it).")
    var maps: String?

    @Option(help: "Regional TSV: participant_id plus one column per region or edge.")
    var table: String?

    @Option(help: "3D mask on the maps' grid (default: voxels finite in every map and non-zero in at least one).")
    var mask: String?

    @Option(help: "Random permutations or sign flips besides the identity (0: parametric only).")
    var permutations = 5000

    @Option(help: "Seed of the permutations.")
    var seed: UInt64 = 1

    @Flag(help: "Threshold-free cluster enhancement (E = 0.5, H = 2, --connectivity neighbours) with FWE p-values (maps only).")
    var tfce = false

    @Flag(name: .customLong("two-sided"), help: "Two-sided t tests (|t|).")
    var twoSided = false

    @Option(name: .customLong("reference"), help: "Reference level of a categorical column, COLUMN=LEVEL; repeat for several.",
            transform: parsing(Self.reference))
    var references: [Reference] = []

    @Option(help: ArgumentHelp("Compute only chunk k of N of the permutations and write DIR/chunk-<k>of<N>.glmchunk.", valueName: "k/N"),
            transform: Self.chunk)
    var chunk: ChunkSelection?

    @Option(name: .customLong("from-chunks"), help: "Combine the chunk files in this folder instead of permuting.")
    var fromChunks: String?

    @Option(name: .customLong("report-threshold"),
            help: ArgumentHelp("Cluster tables of the maps at this threshold: pfwe=A (voxel FWE), tfce-pfwe=A, cluster-pfwe=A, z=V or p=A (uncorrected).",
                               valueName: "KIND=VALUE"),
            transform: Self.reportThreshold)
    var reportThreshold: ReportThreshold?

    @Option(name: .customLong("cluster-threshold"),
            help: ArgumentHelp("Cluster-extent and cluster-mass FWE inference at this cluster-forming threshold: p=A (one-sided, as nilearn's threshold) or z=V.",
                               valueName: "p=A|z=V"),
            transform: Self.clusterThreshold)
    var clusterThreshold: ClusterFormingThreshold?

    @Option(help: ArgumentHelp("Neighbours for TFCE, cluster inference and cluster tables: 6 (faces, as randomise and nilearn; default), 18 or 26.", valueName: "6|18|26"),
            transform: Self.connectivity)
    var connectivity: VoxelConnectivity = .faces

    @Option(name: .customLong("peak-distance"), help: "Cluster tables: minimum distance between listed local maxima, mm (default 8).")
    var peakDistance: Double = 8

    @Option(name: .customLong("cluster-atlas"), help: "Cluster tables: a label image naming each cluster's peak and regions.")
    var clusterAtlas: String?

    @Option(name: .customLong("cluster-labels"), help: "Cluster tables: the atlas's label table (TSV, LUT or FSL XML), or 'freesurfer'.")
    var clusterLabels: String?

    @Option(help: "Output folder.")
    var out: String

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (maps == nil) != (table == nil) else { throw ValidationError("give exactly one of --maps and --table") }
        guard !contrasts.isEmpty else { throw ValidationError("give at least one --contrast, e.g. --contrast pain-control") }
        guard permutations >= 0 else { throw ValidationError("--permutations must be 0 or more, got \(permutations)") }
        if tfce && maps == nil { throw ValidationError("--tfce needs --maps: a regional table has no spatial neighbours") }
        if tfce && permutations == 0 { throw ValidationError("--tfce needs permutations (--permutations > 0)") }
        if mask != nil && maps == nil { throw ValidationError("--mask applies to --maps only") }
        if chunk != nil {
            guard permutations > 0 else { throw ValidationError("--chunk splits the permutations: give --permutations > 0") }
            guard fromChunks == nil else { throw ValidationError("--chunk and --from-chunks exclude each other") }
        }
        if reportThreshold == nil && (clusterAtlas != nil || clusterLabels != nil) {
            throw ValidationError("--cluster-atlas and --cluster-labels belong to cluster tables: add --report-threshold")
        }
        if clusterLabels != nil && clusterAtlas == nil { throw ValidationError("--cluster-labels names the regions of --cluster-atlas: give it too") }
        if clusterThreshold != nil {
            if maps == nil { throw ValidationError("--cluster-threshold needs --maps: a regional table has no clusters") }
            if permutations == 0 { throw ValidationError("--cluster-threshold is a permutation test: give --permutations > 0") }
        }
        if let reportThreshold {
            if case .clusterFWE = reportThreshold, clusterThreshold == nil {
                throw ValidationError("--report-threshold \(reportThreshold) needs --cluster-threshold (the clusters it tests)")
            }
            if maps == nil { throw ValidationError("--report-threshold needs --maps: a regional table has no clusters") }
            if case .voxelFWE = reportThreshold, permutations == 0 { throw ValidationError("--report-threshold \(reportThreshold) needs --permutations > 0") }
            if case .tfceFWE = reportThreshold, !tfce { throw ValidationError("--report-threshold \(reportThreshold) needs --tfce") }
        }
        if !(peakDistance >= 0 && peakDistance.isFinite) { throw ValidationError("--peak-distance must be 0 or more mm, got \(peakDistance)") }
        if fromChunks != nil && permutations == 0 { throw ValidationError("--from-chunks needs the --permutations the chunks were run with") }
        var seen: [String: String] = [:]
        for r in references {
            if let level = seen[r.column] { throw ValidationError("--reference \(r.column) given twice (\(level) and \(r.level))") }
            seen[r.column] = r.level
        }
    }

    static func chunk(_ text: String) throws -> ChunkSelection {
        guard let chunk = ChunkSelection(parsing: text) else { throw ValidationError("--chunk must be k/N with 1 ≤ k ≤ N, got \(text)") }
        return chunk
    }

    static func reportThreshold(_ text: String) throws -> ReportThreshold {
        guard let threshold = ReportThreshold(parsing: text) else {
            throw ValidationError("--report-threshold must be pfwe=A, tfce-pfwe=A, cluster-pfwe=A or p=A with 0 < A < 1, or z=V with V > 0; got \(text)")
        }
        return threshold
    }

    static func clusterThreshold(_ text: String) throws -> ClusterFormingThreshold {
        guard let threshold = ClusterFormingThreshold(parsing: text) else {
            throw ValidationError("--cluster-threshold must be p=A with 0 < A < 1 or z=V with V > 0; got \(text)")
        }
        return threshold
    }

    static func connectivity(_ text: String) throws -> VoxelConnectivity {
        guard let value = Int(text), let connectivity = VoxelConnectivity(rawValue: value) else {
            throw ValidationError("--connectivity must be 6, 18 or 26, got \(text)")
        }
        return connectivity
    }

    /// One `--reference COLUMN=LEVEL`.
    struct Reference {
        var column: String
        var level: String
    }

    static func reference(_ text: String) throws -> Reference {
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--reference must be COLUMN=LEVEL, got \(text)")
        }
        return Reference(column: parts[0], level: parts[1])
    }

    /// The stage request the flags describe.
    var request: GroupAnalysisOptions {
        var options = GroupAnalysisOptions(participants: participants, formula: model, contrasts: contrasts,
                                           data: maps.map { .maps(pattern: $0) } ?? .table(path: table ?? ""), output: out)
        options.references = Dictionary(references.map { ($0.column, $0.level) }, uniquingKeysWith: { _, last in last })
        options.mask = mask
        options.permutations = permutations
        options.seed = seed
        options.tfce = tfce
        options.tfceConnectivity = connectivity
        options.twoSided = twoSided
        options.chunk = chunk
        options.fromChunks = fromChunks
        if let clusterThreshold {
            var inference = ClusterInferenceOptions(threshold: clusterThreshold)
            inference.connectivity = connectivity
            options.clusterInference = inference
        }
        if let reportThreshold {
            var report = ClusterReportOptions(threshold: reportThreshold)
            report.connectivity = connectivity
            report.peakDistance = peakDistance
            report.atlas = clusterAtlas
            report.labels = clusterLabels
            options.clusterReport = report
        }
        options.commandLine = CommandLine.arguments
        return options
    }

    func run() throws {
        try reportingErrors {
            let options = request
            let summary = try GroupAnalysis.run(options, context: global.context)
            print(Self.report(summary, options: options))
        }
    }

    /// A few lines per contrast: what was tested and the smallest p-values.
    static func report(_ summary: GroupAnalysisSummary, options: GroupAnalysisOptions) -> String {
        if let file = summary.chunkFile, let chunk = options.chunk { return "chunk \(chunk) of the permutations written to \(file)" }
        let design = summary.inputs.design
        let unit = summary.inputs.mask == nil ? "regions" : "voxels"
        var lines = ["\(design.rowCount) participants (\(design.dropped.count) dropped), model \(design.formula?.description ?? options.formula), \(design.rowCount - design.columnCount) residual df"]
        for f in design.factors { lines.append("  \(f.term): reference level \(f.reference) (levels \(f.levels.joined(separator: ", ")))") }
        func smallest(_ xs: [Double]) -> String { String(format: "%.3g", xs.min() ?? 1) }
        for result in summary.results {
            let fit = result.fit
            var line = "contrast \(result.contrast.label) (\(result.contrast.specification), \(result.contrast.kind.rawValue)): \(fit.tested.count) \(unit) tested; min p \(smallest(result.p)), min q FDR \(smallest(result.q))"
            if let perm = result.permutation {
                let significant = perm.pFamilyWise.filter { $0 < 0.05 }.count
                let noun = significant == 1 ? String(unit.dropLast()) : unit
                line += ", min p FWE \(smallest(perm.pFamilyWise)) (\(significant) \(noun) < 0.05; \(perm.method), \(perm.result.count) permutations)"
                if let tfce = perm.tfcePFamilyWise { line += ", min p TFCE-FWE \(smallest(tfce))" }
                if let size = perm.clusterSizePFamilyWise, let mass = perm.clusterMassPFamilyWise, let t = perm.clusterThreshold {
                    line += ", clusters at t > \(String(format: "%.3f", t)): min p FWE size \(smallest(size)), mass \(smallest(mass))"
                }
            }
            lines.append(line)
            if let threshold = options.clusterReport?.threshold,
               let table = try? TSVTable(contentsOf: "\(options.output)/contrast-\(result.contrast.label)_clusters.tsv") {
                lines.append("  \(table.rows.count) cluster(s) at \(threshold)" + (table.rows.first.map { row in
                    let field = { (name: String) in table.columns.firstIndex(of: name).map { row[$0] } ?? "?" }
                    let stat = result.contrast.kind == .t ? "t" : "F"
                    return "; largest \(field("voxels")) voxels, peak (\(field("peak_x")), \(field("peak_y")), \(field("peak_z"))) \(stat) = \(field("peak_" + stat)), \(field("peak_label"))"
                } ?? ""))
            }
        }
        lines.append("outputs in \(options.output) (\(summary.files.count) files, parameters in glm.json)")
        return lines.joined(separator: "\n")
    }
}
