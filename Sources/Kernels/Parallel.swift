import Dispatch
import Foundation

/// Deterministic data parallelism: work is cut into chunks fixed by the problem size alone,
/// each chunk writes only its own result slot, and results are combined in chunk order —
/// so one thread and N threads give bit-identical answers.
public enum Parallel {
    /// Worker threads to use (default: the machine's cores, or `COHORTEX_THREADS`).
    nonisolated(unsafe) public static var threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["COHORTEX_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Calls `body(chunk)` for every chunk in `0..<chunks`, spread over `threadCount` workers
    /// (worker w takes chunks w, w+T, …). `body` must write only state owned by its chunk.
    public static func forEach(chunks: Int, _ body: (Int) -> Void) {
        let workers = min(threadCount, chunks)
        if workers <= 1 {
            for c in 0..<chunks { body(c) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var c = w
                while c < chunks {
                    box.value(c)
                    c += workers
                }
            }
        }
    }

    /// Maps each chunk to a result, in parallel, returning results in chunk order.
    public static func map<T>(chunks: Int, _ body: (Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: chunks)
        results.withUnsafeMutableBufferPointer { slots in
            let out = UnsafeSendableBox(slots)
            forEach(chunks: chunks) { c in out.value[c] = body(c) }
        }
        return results.map { $0! }
    }

    /// Splits `0..<count` into ranges of `chunkSize` (the last may be shorter).
    public static func ranges(count: Int, chunkSize: Int) -> [Range<Int>] {
        precondition(chunkSize > 0, "chunk size must be positive")
        return stride(from: 0, to: count, by: chunkSize).map { $0..<min(count, $0 + chunkSize) }
    }
}

/// Hands a non-Sendable value to worker threads whose accesses are disjoint by construction.
public struct UnsafeSendableBox<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
