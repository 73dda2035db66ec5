import Dispatch
import Foundation

/// A thread budget, passed down from the caller to every kernel (never a process-wide setting), so
/// two subjects can run side by side in one process with a share of the cores each.
///
/// Work is cut into chunks fixed by the problem size alone, each chunk writes only its own result
/// slot, and results are combined in chunk order — so one thread and N threads give bit-identical answers.
public struct Parallelism: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Worker threads this computation may use (at least 1).
    public let threads: Int

    /// A budget of `threads` workers (clamped to at least 1).
    public init(threads: Int) { self.threads = max(1, threads) }

    /// One thread: everything runs on the calling thread.
    public static let serial = Parallelism(threads: 1)

    /// The cores this process may run on (the affinity mask, as `sched_getaffinity` reports it).
    public static var available: Parallelism { Parallelism(threads: ProcessInfo.processInfo.activeProcessorCount) }

    public var description: String { "\(threads) thread\(threads == 1 ? "" : "s")" }

    /// Calls `body(chunk)` for every chunk in `0..<chunks`, spread over `threads` workers
    /// (worker w takes chunks w, w+T, …). `body` must write only state owned by its chunk.
    public func forEach(chunks: Int, _ body: (Int) -> Void) {
        let workers = min(threads, chunks)
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
    public func map<T>(chunks: Int, _ body: (Int) -> T) -> [T] {
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
package struct UnsafeSendableBox<T>: @unchecked Sendable {
    package let value: T
    package init(_ value: T) { self.value = value }
}
