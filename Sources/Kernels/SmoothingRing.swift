import Dispatch
import Geometry

/// Volumes on their way from the reader to the writer: each complete volume is smoothed on a worker
/// while the next ones decompress, and volumes leave in order. A fixed ring of buffers bounds memory.
public final class SmoothingRing {
    static let slots = 4
    private let smoother: GaussianSmoother
    private let grid: Grid
    private let parallelism: Parallelism
    private let buffers: [UnsafeMutableBufferPointer<Float>]
    private var pending: [DispatchWorkItem?]
    private let results: UnsafeMutableBufferPointer<(replaced: Int, nanoseconds: UInt64)>
    private let queue = DispatchQueue(label: "cohortex.smoothing", attributes: .concurrent)
    private var filled = 0
    private var next = 0          // frame being filled
    private var emitted = 0       // frames written
    /// Non-finite values set to 0 so far.
    public private(set) var replaced = 0
    private var busy: UInt64 = 0
    /// Busy time spent smoothing, summed over volumes (not wall time).
    public var smoothingSeconds: Double { Double(busy) / 1e9 }

    /// A ring for volumes on `grid`; with a budget of one thread each volume is smoothed on the caller's thread.
    public init(smoother: GaussianSmoother, grid: Grid, parallelism: Parallelism) {
        self.smoother = smoother
        self.parallelism = parallelism
        self.grid = grid
        buffers = (0..<Self.slots).map { _ in .allocate(capacity: grid.voxelCount) }
        pending = Array(repeating: nil, count: Self.slots)
        results = .allocate(capacity: Self.slots)
        results.initialize(repeating: (0, 0))
    }

    deinit {
        for item in pending { item?.wait() }
        buffers.forEach { $0.deallocate() }
        results.deallocate()
    }

    /// Adds streamed voxels (file order); every completed volume starts smoothing.
    public func append(_ values: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        let n = grid.voxelCount
        var offset = 0
        while offset < values.count {
            let slot = next % Self.slots
            if filled == 0, pending[slot] != nil { try emitOldest(emit) }  // frees this slot (frame next − slots)
            let take = min(n - filled, values.count - offset)
            (buffers[slot].baseAddress! + filled).update(from: values.baseAddress! + offset, count: take)
            filled += take
            offset += take
            guard filled == n else { continue }
            let shared = UnsafeSendableBox((buffers[slot], results.baseAddress! + slot, smoother, grid))
            let item = DispatchWorkItem {
                let (frame, result, smoother, grid) = shared.value
                let t0 = DispatchTime.now().uptimeNanoseconds
                let count = smoother.smoothFrame(frame, grid: grid)
                result.pointee = (count, DispatchTime.now().uptimeNanoseconds - t0)
            }
            pending[slot] = item
            if parallelism.threads > 1 { queue.async(execute: item) } else { item.perform() }
            filled = 0
            next += 1
        }
    }

    /// Writes every volume still in the ring, in order.
    public func drain(emit: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        while emitted < next { try emitOldest(emit) }
    }

    private func emitOldest(_ emit: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        let slot = emitted % Self.slots
        guard let item = pending[slot] else { preconditionFailure("volume \(emitted) was never started") }
        item.wait()
        pending[slot] = nil
        replaced += results[slot].replaced
        busy += results[slot].nanoseconds
        try emit(UnsafeBufferPointer(buffers[slot]))
        emitted += 1
    }
}
