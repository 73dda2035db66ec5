import Foundation
import NIfTI

/// The memory and cores a cohort run may use, and where each figure came from (printed in the plan).
public struct ResourceBudget: Sendable, Equatable {
    public var memoryBytes: Int
    public var memorySource: String
    public var cores: Int
    public var coresSource: String

    public init(memoryBytes: Int, memorySource: String, cores: Int, coresSource: String) {
        self.memoryBytes = memoryBytes
        self.memorySource = memorySource
        self.cores = cores
        self.coresSource = coresSource
    }

    /// The budget from, in order: the given limits; the cgroup's `memory.max` (v2) or `memory.limit_in_bytes` (v1);
    /// SLURM's `SLURM_MEM_PER_NODE` (MB); else 80 % of physical memory. Cores: the given count, else
    /// `SLURM_CPUS_PER_TASK`, else the process's CPU affinity.
    public static func detect(memoryGB: Double?, threads: Int?, environment: [String: String] = ProcessInfo.processInfo.environment,
                              cgroupRoot: String = "/sys/fs/cgroup") -> ResourceBudget {
        let physical = Int(ProcessInfo.processInfo.physicalMemory)
        var memory = (Int(Double(physical) * 0.8), "80 % of physical memory")
        if let slurm = environment["SLURM_MEM_PER_NODE"].flatMap(Int.init), slurm > 0 {
            memory = (slurm << 20, "SLURM_MEM_PER_NODE")
        }
        for (file, name) in [(cgroupRoot + "/memory.max", "cgroup memory.max"), (cgroupRoot + "/memory/memory.limit_in_bytes", "cgroup memory.limit_in_bytes")] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0, limit < physical {
                if limit < memory.0 { memory = (limit, name) }
                break
            }
        }
        if let memoryGB { memory = (Int(memoryGB * Double(1 << 30)), "requested") }
        var cores = (SystemCalls.affinityCoreCount, "CPU affinity")
        if let slurm = environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init), slurm > 0 { cores = (slurm, "SLURM_CPUS_PER_TASK") }
        if let threads { cores = (threads, "requested") }
        return ResourceBudget(memoryBytes: memory.0, memorySource: memory.1, cores: cores.0, coresSource: cores.1)
    }
}

extension Int {
    /// Bytes as `1.2 GB` / `340 MB`.
    var humanBytes: String {
        let gb = Double(self) / Double(1 << 30)
        return gb >= 1 ? String(format: "%.1f GB", gb) : String(format: "%.0f MB", Double(self) / Double(1 << 20))
    }
}
