import Foundation

/// A bounded producer/consumer ring: a background thread fills slots in order while the
/// caller consumes them in the same order. Chunk order never depends on timing.
final class ReadAheadPipeline: @unchecked Sendable {
    // @unchecked: slot ownership passes between the producer and the consumer through the counters below.
    private let slots: [UnsafeMutableRawBufferPointer]
    private let filled = BlockingCounter(0)
    private let free: BlockingCounter
    private let finished = BlockingCounter(0)
    // One per slot: written by the producer before `filled.signal()`, read by the consumer after `filled.wait()`.
    private var slotErrors: [Error?]
    // Written by the consumer before `free.signal()`, read by the producer after `free.wait()`.
    private var stopRequested = false
    private var chunkCount = 0
    private var started = false

    init(slots count: Int, slotBytes: Int) {
        slots = (0..<count).map { _ in .allocate(byteCount: max(slotBytes, 1), alignment: 64) }
        slotErrors = Array(repeating: nil, count: count)
        free = BlockingCounter(count)
    }

    deinit { slots.forEach { $0.deallocate() } }

    /// Starts the producer: `fill(index, slot)` is called for chunks 0..<chunkCount in order.
    func start(chunkCount: Int, fill: @escaping @Sendable (Int, UnsafeMutableRawBufferPointer) throws -> Void) {
        self.chunkCount = chunkCount
        started = true
        let thread = Thread { [self] in
            defer { finished.signal() }
            for index in 0..<chunkCount {
                free.wait()
                if stopRequested { return }
                do {
                    try fill(index, slots[index % slots.count])
                } catch {
                    slotErrors[index % slots.count] = error
                    filled.signal()
                    return
                }
                filled.signal()
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Consumes the chunks in order; rethrows the producer's or the consumer's first error.
    func consume(_ body: (Int, UnsafeMutableRawBufferPointer) throws -> Void) throws {
        precondition(started, "start the producer first")
        for index in 0..<chunkCount {
            filled.wait()
            if let error = slotErrors[index % slots.count] {
                finished.wait()
                throw error
            }
            do {
                try body(index, slots[index % slots.count])
            } catch {
                stopRequested = true
                free.signal()
                finished.wait()
                throw error
            }
            free.signal()
        }
        finished.wait()
    }
}

/// A counting semaphore on a condition variable. Waiters sleep in the kernel; libdispatch's
/// semaphores spin with sched_yield first, which steals the core the inflate thread needs.
final class BlockingCounter: @unchecked Sendable {
    // @unchecked: `value` is only read or written while holding `condition`.
    private let condition = NSCondition()
    private var value: Int

    init(_ value: Int) { self.value = value }

    func wait() {
        condition.lock()
        while value == 0 { condition.wait() }
        value -= 1
        condition.unlock()
    }

    func signal() {
        condition.lock()
        value += 1
        condition.signal()
        condition.unlock()
    }
}
