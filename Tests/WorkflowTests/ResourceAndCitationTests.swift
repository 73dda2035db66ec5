import Foundation
import Pipeline
import Testing
import TestSupport
import Workflow

/// Where the memory and core budget come from, and what the methods paragraph says.
@Suite("Resource budget and citation")
struct ResourceAndCitationTests {
    static func cgroup(_ files: [String: String]) throws -> String {
        let root = try Reference.temporaryFolder("cohortex-cgroup")
        for (name, text) in files {
            let path = root + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test("memory: requested, else the smaller of cgroup and SLURM, else 80 % of RAM; cores: requested, SLURM, affinity")
    func budget() throws {
        let physical = Int(ProcessInfo.processInfo.physicalMemory)
        let none = try Self.cgroup([:])
        let plain = ResourceBudget.detect(memoryGB: nil, threads: nil, environment: [:], cgroupRoot: none)
        #expect(plain.memoryBytes == Int(Double(physical) * 0.8) && plain.memorySource == "80 % of physical memory")
        #expect(plain.cores >= 1 && plain.coresSource == "CPU affinity")
        // cgroup v2 `max` means unlimited: ignored.
        let unlimited = try Self.cgroup(["memory.max": "max\n"])
        #expect(ResourceBudget.detect(memoryGB: nil, threads: nil, environment: [:], cgroupRoot: unlimited).memorySource == "80 % of physical memory")
        let limited = try Self.cgroup(["memory.max": "2147483648\n"])
        let cg = ResourceBudget.detect(memoryGB: nil, threads: nil, environment: [:], cgroupRoot: limited)
        #expect(cg.memoryBytes == 2_147_483_648 && cg.memorySource == "cgroup memory.max")
        let v1 = try Self.cgroup(["memory/memory.limit_in_bytes": "1073741824"])
        #expect(ResourceBudget.detect(memoryGB: nil, threads: nil, environment: [:], cgroupRoot: v1).memoryBytes == 1 << 30)
        let slurm = ResourceBudget.detect(memoryGB: nil, threads: nil, environment: ["SLURM_MEM_PER_NODE": "3000", "SLURM_CPUS_PER_TASK": "3"],
                                          cgroupRoot: limited)
        #expect(slurm.memoryBytes == 2_147_483_648, "the cgroup's 2 GiB is tighter than SLURM's 3000 MB")
        #expect(slurm.cores == 3 && slurm.coresSource == "SLURM_CPUS_PER_TASK")
        let slurmOnly = ResourceBudget.detect(memoryGB: nil, threads: nil, environment: ["SLURM_MEM_PER_NODE": "3000"], cgroupRoot: none)
        #expect(slurmOnly.memoryBytes == 3000 << 20 && slurmOnly.memorySource == "SLURM_MEM_PER_NODE")
        let asked = ResourceBudget.detect(memoryGB: 1.5, threads: 5, environment: ["SLURM_CPUS_PER_TASK": "3"], cgroupRoot: limited)
        #expect(asked.memoryBytes == 1_610_612_736 && asked.cores == 5 && asked.memorySource == "requested")
        let settings = ExecutionSettings(jobs: 2, budget: asked)
        #expect(settings.threadsPerJob == 2)
    }

    @Test("the methods paragraph states the resolved parameters and cites only what the pipeline used")
    func citation() throws {
        let spec = try PipelineSpec.load("pag-prefrontal")
        let text = Citation.markdown(spec: spec, space: Space(name: "MNI152NLin2009cAsym", resolution: "2"), fmriprep: "fMRIPrep 23.2.1",
                                     configurationHash: "0123456789abcdef")
        for phrase in ["pipeline `pag-prefrontal`", "configuration 0123456789abcdef", "fMRIPrep 23.2.1", "24-parameter motion",
                       "framewise displacement above 0.5 mm", "between 0.01 and 0.08 Hz", "6 mm FWHM", "PAG (6 mm sphere at MNI 0, -32, -10)",
                       "with 5000 permutations", "threshold-free cluster enhancement", "pain_intensity", "group = pain",
                       "Friston KJ", "Power JD", "Winkler AM", "Smith SM, Nichols TE", "Esteban O"] {
            #expect(text.contains(phrase), "missing: \(phrase)")
        }
        // Not used by this pipeline: not cited.
        #expect(!text.contains("Zang") && !text.contains("Desikan") && !text.contains("CompCor"))
        let structural = Citation.markdown(spec: try PipelineSpec.load("gm-prefrontal-thalamus"), space: nil, fmriprep: nil, configurationHash: "x")
        #expect(structural.contains("native space") && structural.contains("Left-Thalamus") && structural.contains("Desikan RS"))
        #expect(!structural.contains("Friston"))
    }
}
