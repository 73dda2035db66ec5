import Dispatch

/// Wall time of the phases of a stage (read, compute, write), for `COHORTEX_TIMING=1` and benchmarks.
public struct PhaseTimer: Sendable {
    public private(set) var phases: [(name: String, seconds: Double)] = []

    public init() {}

    /// Runs `body` and records its wall time under `name`.
    public mutating func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { phases.append((name, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)) }
        return try body()
    }

    /// Records a phase measured elsewhere (e.g. summed over the frames of a stream).
    public mutating func record(_ name: String, seconds: Double) { phases.append((name, seconds)) }

    /// Appends the phases of `other`.
    public mutating func append(_ other: PhaseTimer) { phases += other.phases }

    /// One line: `read 1.02 s, smooth 0.31 s, write 0.80 s`.
    public var summary: String {
        phases.map { "\($0.name) \(String(format: "%.3f", $0.seconds)) s" }.joined(separator: ", ")
    }
}
