import Foundation
import Pipeline
import Testing
import TestSupport
import Workflow

/// Pipeline files: presets parse and say what they cite; bad files are refused with the key path and line.
@Suite("Pipeline files")
struct PipelineFileTests {
    @Test("every preset parses, cites its source and names its seeds and models", arguments: Presets.all.map(\.name))
    func presets(name: String) throws {
        let yaml = try #require(Presets.all.first { $0.name == name }?.yaml)
        let spec = try PipelineSpec.load(name)
        #expect(spec.name == name)
        #expect(!spec.description.isEmpty)
        #expect(yaml.contains("# Source") || yaml.contains("et al. 20"))
        let models = spec.group?.models ?? []
        #expect(!models.isEmpty)
        // Both directions of the group contrast are tested.
        for model in models where model.formula.contains("group") {
            #expect(Set(model.contrasts) == ["pain-control", "control-pain"])
            #expect(model.twoSided == false)
        }
        if name == "pag-prefrontal" {
            let seed = try #require(spec.seedMap?.seeds.first)
            #expect(seed.name == "PAG" && seed.centre.x == 0 && seed.centre.y == -32 && seed.centre.z == -10 && seed.radius == 6)
            #expect(spec.denoising.strategy == .twentyFourP && spec.denoising.censoring.fdThreshold == 0.5)
            #expect(spec.denoising.cleaning.highPass == 0.01 && spec.denoising.cleaning.lowPass == 0.08)
            #expect(models.contains { $0.subset == ["group": "pain"] && $0.optional })
        }
        if name == "gm-prefrontal-thalamus" {
            let structural = try #require(spec.structural)
            #expect(structural.cortical.map { FreeSurferLabels.index(of: $0) } == [1027, 2027, 1003, 2003])
            #expect(structural.subcortical.map { FreeSurferLabels.index(of: $0) } == [10, 49])
        }
    }

    static let valid = """
    name: test
    seed_map:
      seeds:
        - {name: PAG, centre: [0, -32, -10], radius: 6}

    """

    @Test("refusals name the file, the key path and the line", arguments: [
        ("name: x\nseed_map:\n  seeds:\n    - {name: A, centre: [0,0,0], radius: 5}\n  smoth: 3\n", "x.yaml:5: unknown key 'seed_map.smoth'"),
        ("name: x\nalff:\n  band: [0.1, 0.01]\n", "x.yaml:3: 'alff.band': expected [low, high]"),
        ("name: x\nreho:\n  neighbourhood: 26\n", "x.yaml:3: 'reho.neighbourhood': expected 7, 19 or 27"),
        ("name: x\ndenoising:\n  fd_threshold: lots\nreho: {}\n", "x.yaml:3: 'denoising.fd_threshold' must be a finite number"),
        ("name: x\ndenoising:\n  strategy: 99P\nreho: {}\n", "x.yaml:3: 'denoising.strategy'"),
        ("name: x\nseed_map:\n  seeds:\n    - {name: P_AG, centre: [0,0,0], radius: 5}\n", "x.yaml:4: 'seed_map.seeds[0].name': 'P_AG' must be letters and digits"),
        ("name: x\nseed_map:\n  seeds:\n    - {name: A, centre: [0,0], radius: 5}\n", "x.yaml:4: 'seed_map.seeds[0].centre': expected [x, y, z]"),
        ("name: x\nseed_map:\n  seeds:\n    - {name: A, centre: [0,0,0]}\n", "x.yaml:4: 'seed_map.seeds[0].radius' is required"),
        ("name: x\nstructural:\n  source: fmriprep\n  cortical: [ctx-lh-dlpfc]\n", "x.yaml:4: 'structural.cortical': 'ctx-lh-dlpfc' is not a FreeSurfer label name"),
        ("name: x\n", "x.yaml:1: '': no stage"),
        ("seed_map: {}\n", "x.yaml:1: 'name' is required"),
        ("name: x\nreho: {}\ngroup:\n  models:\n    - {name: m, input: seed-map:PAG, formula: '~ group', contrasts: [pain-control]}\n",
         "'seed-map:PAG' is not an output of this pipeline"),
        ("name: x\nreho: [1, 2\n", "x.yaml: not valid YAML"),
        ("name: x\nreho: {}\nqc:\n  max_censored_percent: 120\n", "x.yaml:4: 'qc.max_censored_percent': a percentage must be at most 100"),
        ("name: x\nseed_map:\n  seeds:\n    - {name: A, centre: [0,0,0], radius: 5}\ngroup:\n  models:\n    - {name: m, input: seed-map:A, formula: '~ group', contrasts: [pain-control], permutations: 0, clusters: {threshold: pfwe=0.05}}\n",
         "it needs permutations"),
        ("name: x\nseed_map:\n  seeds:\n    - {name: A, centre: [0,0,0], radius: 5}\ngroup:\n  models:\n    - {name: m, input: seed-map:A, formula: '~ group', contrasts: [pain-control], clusters: {threshold: pfwe=5}}\n",
         "'group.models[0].clusters.threshold': expected pfwe=A"),
        ("name: x\nseed_map:\n  seeds:\n    - {name: A, centre: [0,0,0], radius: 5}\ngroup:\n  models:\n    - {name: m, input: seed-map:A, formula: '~ group', contrasts: [pain-control], clusters: {threshold: z=3, connectivity: 8}}\n",
         "connectivity is 6, 18 or 26"),
        ("name: x\nstructural:\n  source: fmriprep\n  cortical: [ctx-lh-insula]\ngroup:\n  models:\n    - {name: m, input: gm-volume, formula: '~ group', contrasts: [pain-control], clusters: {threshold: z=3}}\n",
         "clusters need voxel maps"),
    ])
    func refusals(yaml: String, message: String) {
        #expect(throws: PipelineFileError.self) { try PipelineSpec(yaml: yaml, file: "x.yaml") }
        do {
            _ = try PipelineSpec(yaml: yaml, file: "x.yaml")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test("a minimal file gets the documented defaults; relative atlas paths resolve against the file's folder")
    func defaults() throws {
        let spec = try PipelineSpec(yaml: Self.valid + "connectivity: {atlas: atlases/a.nii.gz, name: Schaefer100}\n", file: "/study/p/x.yaml")
        #expect(spec.task == "rest" && spec.space == nil && spec.session == nil)
        #expect(spec.denoising == DenoisingOptions())
        #expect(spec.connectivity?.atlas == "/study/p/atlases/a.nii.gz")
        #expect(spec.connectivity?.kind == .correlation && spec.connectivity?.timeseries == true)
        #expect(spec.seedMap?.pearsonR == false)
    }

    @Test("an unknown pipeline name lists the presets")
    func unknownPreset() {
        #expect(throws: PipelineFileError.unknownPreset(name: "nope", available: Presets.all.map(\.name))) { try PipelineSpec.load("nope") }
    }

    @Test("the configuration hash changes with any parameter and not otherwise")
    func configurationHash() throws {
        let a = try PipelineSpec(yaml: Self.valid, file: "x.yaml"), b = try PipelineSpec(yaml: Self.valid, file: "y.yaml")
        let c = try PipelineSpec(yaml: Self.valid.replacingOccurrences(of: "radius: 6", with: "radius: 7"), file: "x.yaml")
        #expect(CohortRun.configurationHash(a) == CohortRun.configurationHash(b))
        #expect(CohortRun.configurationHash(a) != CohortRun.configurationHash(c))
    }
}
