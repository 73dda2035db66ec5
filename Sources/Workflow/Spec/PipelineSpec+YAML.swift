import Foundation
import Kernels
import Pipeline
import Stats

extension PipelineSpec {
    static let topKeys = ["name", "description", "space", "task", "session", "denoising", "seed_map", "connectivity",
                          "structural", "alff", "reho", "qc", "group"]

    /// Reads a pipeline from YAML text; `file` names it in errors and resolves relative paths (atlases).
    public init(yaml text: String, file: String) throws {
        let root = try SpecNode.root(yaml: text, file: file)
        let top = try root.mapping(allowed: Self.topKeys)
        let folder = (file as NSString).deletingLastPathComponent
        let nameNode = try top.required("name")
        name = try nameNode.string()
        guard !name.isEmpty, name.allSatisfy({ $0 == "-" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
            throw nameNode.fail("'\(name)' must be letters, digits and hyphens")
        }
        description = try top.optional("description")?.string() ?? ""
        space = try top.optional("space").map { node in
            do { return try Space(parsing: node.string()) } catch let error as DiscoveryError { throw node.fail(error.description) }
        }
        task = try top.optional("task").map(Self.label) ?? "rest"
        session = try top.optional("session").map(Self.label)
        denoising = try top.optional("denoising").map(Self.denoising) ?? DenoisingOptions()
        seedMap = try top.optional("seed_map").map(Self.seedMap)
        connectivity = try top.optional("connectivity").map { try Self.connectivity($0, folder: folder) }
        structural = try top.optional("structural").map { try Self.structural($0, folder: folder) }
        alff = try top.optional("alff").map(Self.alff)
        reho = try top.optional("reho").map(Self.reho)
        qc = try top.optional("qc").map(Self.qc) ?? QCRules()
        group = try top.optional("group").map { try Self.group($0, folder: folder) }
        guard needsFunctional || structural != nil else {
            throw PipelineFileError.invalidValue(file: file, path: "", line: root.line,
                                                 reason: "no stage: give at least one of seed_map, connectivity, structural, alff, reho")
        }
        try group?.models.forEach { model in
            let inputs = (seedMap?.seeds.map { "seed-map:\($0.name)" } ?? []) + (structural == nil ? [] : ["gm-volume"])
            guard inputs.contains(model.input) else {
                throw PipelineFileError.invalidValue(file: file, path: "group.models[\(model.name)].input", line: root.line,
                                                     reason: "'\(model.input)' is not an output of this pipeline (outputs: \(inputs.joined(separator: ", ")))")
            }
        }
    }

    /// Reads a pipeline file, or a preset by name.
    public static func load(_ nameOrFile: String) throws -> PipelineSpec {
        if let preset = Presets.all.first(where: { $0.name == nameOrFile }) {
            return try PipelineSpec(yaml: preset.yaml, file: "preset \(preset.name)")
        }
        guard FileManager.default.fileExists(atPath: nameOrFile) else {
            throw PipelineFileError.unknownPreset(name: nameOrFile, available: Presets.all.map(\.name))
        }
        let text: String
        do { text = try String(contentsOfFile: nameOrFile, encoding: .utf8) } catch {
            throw PipelineFileError.unreadable(file: nameOrFile, reason: error.localizedDescription)
        }
        let absolute = nameOrFile.hasPrefix("/") ? nameOrFile : FileManager.default.currentDirectoryPath + "/" + nameOrFile
        return try PipelineSpec(yaml: text, file: (absolute as NSString).standardizingPath)
    }

    // MARK: - Sections

    private static func label(_ node: SpecNode) throws -> String {
        let text = try node.string()
        guard BIDSName.isLabel(text) else { throw node.fail("'\(text)' must be letters and digits only (it becomes part of file names)") }
        return text
    }

    private static func positive(_ node: SpecNode) throws -> Double {
        let value = try node.double()
        guard value > 0 else { throw node.fail("must be above 0, got \(value)") }
        return value
    }

    private static func denoising(_ node: SpecNode) throws -> DenoisingOptions {
        let map = try node.mapping(allowed: ["strategy", "fd_threshold", "dvars_threshold", "min_segment", "dummy_scans",
                                             "high_pass", "low_pass", "detrend", "smoothing_fwhm"])
        var options = DenoisingOptions()
        if let s = map.optional("strategy") {
            do { options.strategy = try ConfoundStrategy(parsing: s.string()) } catch let error as ConfoundError { throw s.fail(error.description) }
        }
        options.censoring.fdThreshold = try map.optional("fd_threshold").map(positive)
        options.censoring.dvarsThreshold = try map.optional("dvars_threshold").map(positive)
        if let n = map.optional("min_segment") {
            options.censoring.minSegment = try n.int()
            guard options.censoring.minSegment >= 0 else { throw n.fail("must be 0 or more") }
        }
        if let n = map.optional("dummy_scans") {
            options.censoring.dummyScans = try n.int()
            guard options.censoring.dummyScans >= 0 else { throw n.fail("must be 0 or more") }
        }
        options.cleaning.highPass = try map.optional("high_pass").map(positive)
        options.cleaning.lowPass = try map.optional("low_pass").map(positive)
        if let hp = options.cleaning.highPass, let lp = options.cleaning.lowPass, hp >= lp {
            throw (try map.required("low_pass")).fail("the low-pass cutoff (\(lp) Hz) must be above the high-pass cutoff (\(hp) Hz)")
        }
        options.cleaning.detrend = try map.optional("detrend")?.bool() ?? true
        options.smoothingFWHM = try map.optional("smoothing_fwhm").map(positive)
        return options
    }

    private static func sphere(_ node: SpecNode) throws -> Sphere {
        let map = try node.mapping(allowed: ["name", "centre", "radius"])
        let name = try label(map.required("name"))
        let centreNode = try map.required("centre")
        let centre = try centreNode.doubles()
        guard centre.count == 3 else { throw centreNode.fail("expected [x, y, z] in MNI mm") }
        return Sphere(name: name, x: centre[0], y: centre[1], z: centre[2], radius: try positive(map.required("radius")))
    }

    private static func seedMap(_ node: SpecNode) throws -> SeedMapSpec {
        let map = try node.mapping(allowed: ["seeds", "pearson_r"])
        let seedsNode = try map.required("seeds")
        let seeds = try seedsNode.sequence().map(sphere)
        guard !seeds.isEmpty else { throw seedsNode.fail("give at least one seed") }
        let names = seeds.map(\.name)
        guard Set(names).count == names.count else { throw seedsNode.fail("seed names must differ: \(names.joined(separator: ", "))") }
        return SeedMapSpec(seeds: seeds, pearsonR: try map.optional("pearson_r")?.bool() ?? false)
    }

    private static func path(_ node: SpecNode, folder: String) throws -> String {
        let text = try node.string()
        let absolute = text.hasPrefix("/") ? text : folder + "/" + text
        return (absolute as NSString).standardizingPath
    }

    private static func connectivity(_ node: SpecNode, folder: String) throws -> ConnectivitySpec {
        let map = try node.mapping(allowed: ["atlas", "labels", "name", "kind", "estimator", "timeseries"])
        let kindNode = map.optional("kind"), estimatorNode = map.optional("estimator")
        let kind = try kindNode.map { n in
            try ConnectivityMatrix.Kind(rawValue: n.string()) ?? { throw n.fail("expected correlation or partial") }()
        } ?? .correlation
        let estimator = try estimatorNode.map { n in
            try ConnectivityMatrix.Estimator(rawValue: n.string()) ?? { throw n.fail("expected empirical or ledoit-wolf") }()
        } ?? .empirical
        return ConnectivitySpec(atlasName: try label(map.required("name")), atlas: try path(map.required("atlas"), folder: folder),
                                labels: try map.optional("labels").map { try path($0, folder: folder) }, kind: kind,
                                estimator: estimator, timeseries: try map.optional("timeseries")?.bool() ?? true)
    }

    private static func structural(_ node: SpecNode, folder: String) throws -> StructuralSpec {
        let map = try node.mapping(allowed: ["source", "cortical", "subcortical", "atlas", "labels", "name", "space", "allow_unmodulated"])
        let sourceNode = try map.required("source")
        guard let source = StructuralSpec.Source(rawValue: try sourceNode.string()) else {
            throw sourceNode.fail("expected fmriprep or cat12")
        }
        let spec = StructuralSpec(
            source: source, cortical: try map.optional("cortical")?.strings() ?? [],
            subcortical: try map.optional("subcortical")?.strings() ?? [],
            atlas: try map.optional("atlas").map { try path($0, folder: folder) },
            labels: try map.optional("labels").map { try path($0, folder: folder) },
            atlasName: try map.optional("name").map(label) ?? (source == .fmriprep ? "aparcaseg" : "atlas"),
            space: try map.optional("space").map { node in
                do { return try Space(parsing: node.string()) } catch let error as DiscoveryError { throw node.fail(error.description) }
            },
            allowUnmodulated: try map.optional("allow_unmodulated")?.bool() ?? false)
        switch source {
        case .fmriprep where spec.atlas != nil:
            let atlas = try map.required("atlas")
            guard let space = spec.space, space != .native else {
                throw atlas.fail("a template atlas needs fMRIPrep's probseg in that template: give structural.space (e.g. MNI152NLin2009cAsym:res-2)")
            }
            guard spec.allowUnmodulated else {
                throw atlas.fail("fMRIPrep's \(space) GM probseg is not modulated: summed over an atlas it measures tissue fraction after normalisation (density, as in VBM), not volume. Use source: fmriprep without an atlas (native FreeSurfer regions), CAT12's modulated mwp1 maps (source: cat12), or set allow_unmodulated: true to measure density")
            }
            if let sub = map.optional("subcortical") { throw sub.fail("label volumes need FreeSurfer's native segmentation; with an atlas list every region under cortical") }
        case .fmriprep:
            for (key, names) in [("cortical", spec.cortical), ("subcortical", spec.subcortical)] {
                for region in names where FreeSurferLabels.index(of: region) == nil {
                    throw (try map.required(key)).fail("'\(region)' is not a FreeSurfer label name (e.g. ctx-lh-rostralmiddlefrontal, Left-Thalamus)")
                }
            }
            guard !(spec.cortical + spec.subcortical).isEmpty else { throw node.fail("name at least one cortical or subcortical region") }
        case .cat12:
            guard spec.atlas != nil else { throw node.fail("cat12 needs a template atlas (atlas: PATH)") }
            if let sub = map.optional("subcortical") { throw sub.fail("label volumes need a native segmentation; with cat12 list every region under cortical") }
        }
        return spec
    }

    private static func alff(_ node: SpecNode) throws -> ALFFSpec {
        let map = try node.mapping(allowed: ["band"])
        guard let bandNode = map.optional("band") else { return ALFFSpec(low: 0.01, high: 0.08) }
        let band = try bandNode.doubles()
        guard band.count == 2, band[0] >= 0, band[0] < band[1] else { throw bandNode.fail("expected [low, high] in Hz with low < high") }
        return ALFFSpec(low: band[0], high: band[1])
    }

    private static func reho(_ node: SpecNode) throws -> ReHoSpec {
        let map = try node.mapping(allowed: ["neighbourhood"])
        guard let n = map.optional("neighbourhood") else { return ReHoSpec(neighbourhood: .vertices) }
        guard let hood = ReHoNeighbourhood(rawValue: try n.int()) else { throw n.fail("expected 7, 19 or 27") }
        return ReHoSpec(neighbourhood: hood)
    }

    private static func qc(_ node: SpecNode) throws -> QCRules {
        let map = try node.mapping(allowed: ["max_mean_fd", "max_censored_percent", "min_remaining_minutes"])
        let censored = try map.optional("max_censored_percent").map(positive)
        if let censored, censored > 100, let n = map.optional("max_censored_percent") { throw n.fail("a percentage must be at most 100") }
        return QCRules(maxMeanFD: try map.optional("max_mean_fd").map(positive), maxCensoredPercent: censored,
                       minRemainingMinutes: try map.optional("min_remaining_minutes").map(positive))
    }

    private static func group(_ node: SpecNode, folder: String) throws -> GroupSpec {
        let map = try node.mapping(allowed: ["models"])
        let models = try map.required("models").sequence().map { item -> GroupModel in
            let m = try item.mapping(allowed: ["name", "input", "formula", "contrasts", "subset", "references", "permutations",
                                               "seed", "tfce", "two_sided", "optional", "clusters"])
            let permutations = try m.optional("permutations")?.int() ?? 5000
            if permutations < 0, let n = m.optional("permutations") { throw n.fail("must be 0 or more") }
            let contrastsNode = try m.required("contrasts")
            let contrasts = try contrastsNode.strings()
            guard !contrasts.isEmpty else { throw contrastsNode.fail("give at least one contrast") }
            let input = try m.required("input").string()
            let permutationCount = permutations
            let tfce = try m.optional("tfce")?.bool() ?? false
            let parsed = try m.optional("clusters").map { node -> (ClusterReportOptions, ClusterInferenceOptions?) in
                let (options, inference) = try clusters(node, folder: folder)
                if !input.hasPrefix("seed-map:") { throw node.fail("clusters need voxel maps: model input \(input) is a regional table") }
                if inference != nil && permutationCount == 0 { throw node.fail("cluster-extent inference is a permutation test: permutations must be above 0") }
                do {
                    try ClusterReport.validate(options, permutations: permutationCount, tfce: tfce, clusterInference: inference != nil)
                } catch { throw node.fail("\(error)") }
                return (options, inference)
            }
            return GroupModel(
                name: try label(m.required("name")), input: input,
                formula: try m.required("formula").string(), contrasts: contrasts,
                subset: try m.optional("subset").map(stringMap) ?? [:], references: try m.optional("references").map(stringMap) ?? [:],
                permutations: permutations, seed: UInt64(try m.optional("seed")?.int() ?? 1),
                tfce: tfce, twoSided: try m.optional("two_sided")?.bool() ?? true,
                optional: try m.optional("optional")?.bool() ?? false,
                clusters: parsed?.0, clusterInference: parsed?.1)
        }
        let names = models.map(\.name)
        guard Set(names).count == names.count else { throw node.fail("model names must differ: \(names.joined(separator: ", "))") }
        return GroupSpec(models: models)
    }

    /// `clusters: {threshold: pfwe=0.05, forming_threshold: p=0.001, connectivity: 6, peak_distance: 8, atlas: …, labels: …|freesurfer}`.
    private static func clusters(_ node: SpecNode, folder: String) throws -> (ClusterReportOptions, ClusterInferenceOptions?) {
        let map = try node.mapping(allowed: ["threshold", "forming_threshold", "connectivity", "peak_distance", "atlas", "labels"])
        let thresholdNode = try map.required("threshold")
        guard let threshold = ReportThreshold(parsing: try thresholdNode.string()) else {
            throw thresholdNode.fail("expected pfwe=A, tfce-pfwe=A or p=A with 0 < A < 1, or z=V with V > 0")
        }
        var options = ClusterReportOptions(threshold: threshold)
        if let n = map.optional("connectivity") {
            guard let connectivity = VoxelConnectivity(rawValue: try n.int()) else { throw n.fail("connectivity is 6, 18 or 26") }
            options.connectivity = connectivity
        }
        if let n = map.optional("peak_distance") {
            let distance = try n.double()
            guard distance >= 0 && distance.isFinite else { throw n.fail("a distance in mm, 0 or more") }
            options.peakDistance = distance
        }
        options.atlas = try map.optional("atlas").map { try path($0, folder: folder) }
        options.labels = try map.optional("labels").map { n in
            try n.string() == FreeSurferLabels.tableName ? FreeSurferLabels.tableName : try path(n, folder: folder)
        }
        var inference: ClusterInferenceOptions?
        if let n = map.optional("forming_threshold") {
            guard let forming = ClusterFormingThreshold(parsing: try n.string()) else { throw n.fail("expected p=A with 0 < A < 1 or z=V with V > 0") }
            inference = ClusterInferenceOptions(threshold: forming)
            inference!.connectivity = options.connectivity
        }
        return (options, inference)
    }

    /// A mapping of plain strings (any key allowed).
    private static func stringMap(_ node: SpecNode) throws -> [String: String] {
        guard case .mapping(let mapping) = node.node else { throw node.fail("expected COLUMN: VALUE lines") }
        var result: [String: String] = [:]
        for (key, value) in mapping {
            guard let k = key.string, let v = value.string else { throw node.fail("expected COLUMN: VALUE lines") }
            result[k] = v
        }
        return result
    }
}
