import Foundation
import Kernels
import NIfTI
import Stats

/// Everything `cohortex glm` needs to know.
public struct GroupAnalysisOptions: Sendable, Equatable, Codable {
    public var participants: String
    public var formula: String
    public var contrasts: [String]
    /// Reference levels of categorical terms, by column.
    public var references: [String: String] = [:]
    public var data: GroupData
    public var mask: String?
    /// Random resamplings besides the identity (0: parametric inference only).
    public var permutations = 5000
    public var seed: UInt64 = 1
    public var tfce = false
    /// TFCE neighbours: faces (6, randomise's and nilearn's default), 18 or 26.
    public var tfceConnectivity: VoxelConnectivity = .faces
    public var twoSided = false
    public var output: String
    /// Compute only this part of the permutations and write a chunk file.
    public var chunk: ChunkSelection?
    /// Combine the chunk files in this folder instead of permuting.
    public var fromChunks: String?
    /// Cluster tables of the maps (threshold, connectivity, atlas); nil: none.
    public var clusterReport: ClusterReportOptions?
    /// Cluster-extent and cluster-mass FWE inference (t contrasts of maps); nil: none.
    public var clusterInference: ClusterInferenceOptions?
    /// The command line, recorded in the sidecar.
    public var commandLine: [String] = []

    public init(participants: String, formula: String, contrasts: [String], data: GroupData, output: String) {
        self.participants = participants
        self.formula = formula
        self.contrasts = contrasts
        self.data = data
        self.output = output
    }
}

/// Inconsistent options or contrasts.
public enum GroupAnalysisError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case duplicateLabel(label: String, contrasts: [String])
    case tfceNeedsMaps
    case chunkNeedsPermutations
    case clustersNeedMaps
    case clusterInferenceNeedsPermutations

    public var description: String {
        switch self {
        case .duplicateLabel(let label, let contrasts):
            return "contrasts \(contrasts.joined(separator: " and ")) both get the output label \(label); give them distinct names"
        case .tfceNeedsMaps: return "TFCE needs voxel maps: a regional table has no spatial neighbours"
        case .chunkNeedsPermutations: return "a chunk is a share of the permutations: the permutation count must be above 0"
        case .clustersNeedMaps: return "clusters need voxel maps: a regional table has no spatial neighbours"
        case .clusterInferenceNeedsPermutations: return "cluster-extent inference is a permutation test: the permutation count must be above 0"
        }
    }

    public var errorDescription: String? { description }
}

/// Permutation results of one contrast, per measure (untested measures: p = 1).
public struct PermutationOutcome: Sendable {
    public let result: PermutationResult
    public let method: String
    public let pUncorrected: [Double]
    public let pFamilyWise: [Double]
    /// Observed TFCE scores and their p-values (maps with --tfce).
    public let tfce: [Double]?
    public let tfcePUncorrected: [Double]?
    public let tfcePFamilyWise: [Double]?
    public let tfceStep: Double?
    /// Cluster inference: the cluster-forming threshold (t scale), and per measure its cluster's size (0 outside
    /// every cluster) and the cluster's size and mass FWE p-values (1 outside).
    public var clusterThreshold: Double? = nil
    public var clusterSize: [Double]? = nil
    public var clusterSizePFamilyWise: [Double]? = nil
    public var clusterMassPFamilyWise: [Double]? = nil
}

/// The inference for one contrast, per measure.
public struct ContrastResult: Sendable {
    public let fit: ObservedFit
    public let p: [Double]
    public let z: [Double]
    public let q: [Double]
    public let g: [Double]?
    public let permutation: PermutationOutcome?

    public var contrast: Contrast { fit.plan.contrast }
}

/// What a run produced, for the command's summary.
public struct GroupAnalysisSummary: StageOutcome {
    public let inputs: GroupInputs
    public let results: [ContrastResult]
    public let files: [String]
    /// Set when the run computed one chunk only.
    public let chunkFile: String?
    public var timer = PhaseTimer()
}

/// The `glm` stage: participants.tsv + maps or a regional table → OLS per measure, parametric and
/// permutation inference per contrast, BIDS-style outputs and a sidecar.
public enum GroupAnalysis: Stage {
    public typealias Request = GroupAnalysisOptions
    public static let name = "glm"

    /// Runs the analysis; warnings go to the context's diagnostics as they arise.
    public static func run(_ options: GroupAnalysisOptions, context: StageContext) throws -> GroupAnalysisSummary {
        let warn = context.warn
        let parallelism = context.parallelism
        if options.tfce, case .table = options.data { throw GroupAnalysisError.tfceNeedsMaps }
        if options.chunk != nil, options.permutations == 0 { throw GroupAnalysisError.chunkNeedsPermutations }
        if let report = options.clusterReport {
            if case .table = options.data { throw GroupAnalysisError.clustersNeedMaps }
            try ClusterReport.validate(report, permutations: options.permutations, tfce: options.tfce,
                                       clusterInference: options.clusterInference != nil)
        }
        if options.clusterInference != nil {
            if case .table = options.data { throw GroupAnalysisError.clustersNeedMaps }
            if options.permutations == 0 { throw GroupAnalysisError.clusterInferenceNeedsPermutations }
        }
        let formula = try ModelFormula(options.formula)
        let inputs = try GroupInputs.gather(participants: options.participants, formula: formula, references: options.references,
                                            data: options.data, maskPath: options.mask, parallelism: parallelism)
        inputs.warnings.forEach(warn)
        let model = try LinearModel(design: inputs.design)
        let contrasts = try options.contrasts.enumerated().map { try Contrast($1, design: inputs.design, index: $0) }
        for (i, c) in contrasts.enumerated() {
            if let j = contrasts[..<i].firstIndex(where: { $0.label == c.label }) {
                throw GroupAnalysisError.duplicateLabel(label: c.label, contrasts: [contrasts[j].specification, c.specification])
            }
        }
        let plans = try contrasts.map { try ContrastPlan(model: model, contrast: $0) }
        let fits = plans.map { ObservedFit(inputs.responses, plan: $0, parallelism: parallelism) }
        if let first = fits.first { warnExcluded(first, inputs: inputs, warn: warn) }
        let settings = PermutationSettings(count: options.permutations, seed: options.seed, twoSided: options.twoSided)
        let fingerprint = self.fingerprint(inputs: inputs, contrasts: contrasts, options: options)

        // Permutations: a chunk, the combination of chunk files, or a whole run.
        var partials: [[PermutationPartial]] = Array(repeating: [], count: fits.count)
        var engines: [PermutationEngine] = []
        var observed: [[Float]] = []
        var tfceOperators: [TFCE?] = []
        var steps: [Double?] = []
        // Cluster inference: per contrast (t contrasts only) the neighbours and the forming threshold on the t scale.
        var clusterSettings: [(ClusterExtent, Float)?] = []
        if let inference = options.clusterInference, let mask = inputs.mask, let first = fits.first {
            let extent = ClusterExtent(grid: mask.grid, voxels: first.tested.map { mask.indices[$0] }, connectivity: inference.connectivity)
            for fit in fits {
                guard fit.plan.contrast.kind == .t else {
                    clusterSettings.append(nil)
                    warn("contrast \(fit.plan.contrast.label) is an F test: cluster-extent inference covers t contrasts only")
                    continue
                }
                let threshold = inference.threshold.tThreshold(degreesOfFreedom: fit.plan.statisticDegreesOfFreedom.1, twoSided: options.twoSided)
                clusterSettings.append((extent, Float(threshold)))
            }
            if inference.threshold.isLenient {
                warn("cluster-forming threshold \(inference.threshold) is lenient (p > 0.001): the family-wise error stays controlled at any threshold (Eklund et al. 2016), but large clusters then say little about where the effect is (Woo et al. 2014)")
            }
        } else {
            clusterSettings = Array(repeating: nil, count: fits.count)
        }
        if options.permutations > 0 {
            for fit in fits {
                let engine = PermutationEngine(fit: fit, settings: settings, parallelism: parallelism)
                let obs = engine.observed()
                let tfce = options.tfce ? inputs.mask.map { mask in TFCE(grid: mask.grid, voxels: fit.tested.map { mask.indices[$0] },
                                                                                 connectivity: options.tfceConnectivity) } : nil
                engines.append(engine)
                observed.append(obs)
                tfceOperators.append(tfce)
                steps.append(tfce.map { _ in TFCE.step(for: obs, twoSided: settings.twoSided && fit.plan.contrast.kind == .t) })
            }
            if let folder = options.fromChunks {
                let chunks = try GroupChunk.readAll(folder: folder, fingerprint: fingerprint, contrasts: contrasts.map(\.label))
                for c in fits.indices { partials[c] = chunks.map { $0.partials[c] } }
            } else {
                for c in fits.indices {
                    let engine = engines[c]
                    let selection = options.chunk ?? ChunkSelection(index: 1, count: 1)
                    if tfceOperators[c] != nil || clusterSettings[c] != nil {
                        // Whole maps: the chunks split the permutations.
                        let range = PermutationEngine.permutations(chunk: selection.index - 1, of: selection.count, count: settings.count)
                        partials[c] = [engine.runWholeMaps(permutations: range, observed: observed[c],
                                                           tfce: tfceOperators[c].map { ($0, steps[c]!) }, clusters: clusterSettings[c])]
                    } else {
                        partials[c] = [engine.run(blocks: engine.blocks(chunk: selection.index - 1, of: selection.count),
                                                  permutations: 1..<(settings.count + 1), observed: observed[c])]
                    }
                }
            }
            if let selection = options.chunk {
                let path = options.output + "/" + selection.fileName
                try GroupChunk(fingerprint: fingerprint, selection: selection, contrasts: contrasts.map(\.label),
                               partials: partials.map { $0[0] }).write(to: path)
                return GroupAnalysisSummary(inputs: inputs, results: [], files: [path], chunkFile: path)
            }
        }

        var results: [ContrastResult] = []
        for (c, fit) in fits.enumerated() {
            let p = fit.pValues(twoSided: settings.twoSided)
            var outcome: PermutationOutcome?
            if options.permutations > 0 {
                let engine = engines[c]
                let result = try PermutationResult(combining: partials[c], measures: engine.measures, permutations: settings.count)
                outcome = permutationOutcome(fit: fit, engine: engine, observed: observed[c], result: result,
                                             tfce: tfceOperators[c], step: steps[c], clusters: clusterSettings[c])
            }
            results.append(ContrastResult(fit: fit, p: p, z: fit.zScores(), q: fit.qValues(p), g: fit.hedgesG(), permutation: outcome))
        }
        let files = try GroupOutputs.write(results, inputs: inputs, options: options, fingerprint: fingerprint, context: context)
        return GroupAnalysisSummary(inputs: inputs, results: results, files: files, chunkFile: nil)
    }

    /// Maps tested-measure permutation results back to every measure.
    static func permutationOutcome(fit: ObservedFit, engine: PermutationEngine, observed: [Float], result: PermutationResult,
                                   tfce: TFCE?, step: Double?, clusters: (ClusterExtent, Float)? = nil) -> PermutationOutcome {
        let v = fit.statistic.count
        func spread(_ tested: [Double], fill: Double) -> [Double] {
            var out = [Double](repeating: fill, count: v)
            for (k, m) in fit.tested.enumerated() { out[m] = tested[k] }
            return out
        }
        let target = engine.compared(observed)
        var tfceScores: [Double]?, tfceUncorrected: [Double]?, tfceFamilyWise: [Double]?
        if let tfce, let step, let maxima = result.tfceMaxima, let counts = result.tfceExceedances {
            let twoSided = engine.settings.twoSided && fit.plan.contrast.kind == .t
            let scores = tfce.transform(observed, twoSided: twoSided, step: step)
            tfceScores = spread(scores.map(Double.init), fill: 0)
            tfceUncorrected = spread(PermutationResult.uncorrected(counts, count: result.count), fill: 1)
            tfceFamilyWise = spread(PermutationResult.familyWise(observed: engine.compared(scores), maxima: maxima), fill: 1)
        }
        var outcome = PermutationOutcome(result: result, method: fit.plan.methodDescription,
                                         pUncorrected: spread(PermutationResult.uncorrected(result.exceedances, count: result.count), fill: 1),
                                         pFamilyWise: spread(PermutationResult.familyWise(observed: target, maxima: result.maxima), fill: 1),
                                         tfce: tfceScores, tfcePUncorrected: tfceUncorrected, tfcePFamilyWise: tfceFamilyWise, tfceStep: step)
        if let (extent, threshold) = clusters, let sizeMaxima = result.clusterSizeMaxima, let massMaxima = result.clusterMassMaxima {
            // The observed clusters through the permuted maps' code path (sizes exact, masses rounded to Float32 once).
            let found = observed.withUnsafeBufferPointer { map in
                extent.clusters(map.baseAddress!, threshold: threshold, twoSided: engine.settings.twoSided && fit.plan.contrast.kind == .t, workspace: ClusterExtent.Workspace(for: extent))
            }
            let sizeP = PermutationResult.familyWise(observed: found.sizes.map { Float($0) }, maxima: sizeMaxima)
            let massP = PermutationResult.familyWise(observed: found.masses.map { Float($0) }, maxima: massMaxima)
            func perVoxel(_ values: [Double], outside: Double) -> [Double] {
                spread(found.labels.map { $0 == 0 ? outside : values[Int($0) - 1] }, fill: outside)
            }
            outcome.clusterThreshold = Double(threshold)
            outcome.clusterSize = perVoxel(found.sizes.map(Double.init), outside: 0)
            outcome.clusterSizePFamilyWise = perVoxel(sizeP, outside: 1)
            outcome.clusterMassPFamilyWise = perVoxel(massP, outside: 1)
        }
        return outcome
    }

    /// One warning per reason measures were left out.
    static func warnExcluded(_ fit: ObservedFit, inputs: GroupInputs, warn: (String) -> Void) {
        let unit = inputs.mask == nil ? "region" : "voxel"
        let counts = fit.excludedCounts
        func names(_ status: MeasureStatus) -> String {
            guard inputs.mask == nil else { return "" }
            let list = fit.status.indices.filter { fit.status[$0] == status }.map { inputs.measureNames[$0] }
            return ": " + GroupInputs.listed(list)
        }
        if let n = counts[.constant] {
            warn("\(n) \(unit)\(n == 1 ? " is" : "s are") constant across participants\(names(.constant)); not tested (statistic 0, p = 1)")
        }
        if let n = counts[.nonFinite] {
            warn("\(n) \(unit)\(n == 1 ? " has" : "s have") NaN or Inf for some participant\(names(.nonFinite)); not tested (statistic 0, p = 1)")
        }
        if let n = counts[.perfectFit] {
            warn("\(n) \(unit)\(n == 1 ? " is" : "s are") fitted exactly by the design (no residual variance)\(names(.perfectFit)); not tested (statistic 0, p = 1)")
        }
    }

    /// Identifies the data and settings a chunk belongs to.
    static func fingerprint(inputs: GroupInputs, contrasts: [Contrast], options: GroupAnalysisOptions) -> UInt64 {
        var h = Fingerprint()
        h.add(inputs.responses.fingerprint)
        for v in inputs.design.values { h.add(v) }
        for name in inputs.design.columnNames { h.add(name) }
        for c in contrasts {
            h.add(c.label)
            for row in c.weights { for w in row { h.add(w) } }
        }
        if let mask = inputs.mask { mask.indices.withUnsafeBytes { h.add($0) } }
        h.add(UInt64(options.permutations))
        h.add(options.seed)
        h.add(UInt64(options.twoSided ? 1 : 0))
        h.add(UInt64(options.tfce ? 1 : 0))
        if options.tfce { h.add(UInt64(options.tfceConnectivity.rawValue)) }
        if let inference = options.clusterInference {
            h.add(inference.threshold.description)
            h.add(UInt64(inference.connectivity.rawValue))
        }
        h.add(UInt64(PermutationEngine.blockSize))
        h.add(UInt64(PermutationEngine.batchSize))
        return h.value
    }
}
