import Dispatch

/// Y = C · X computed while X arrives frame by frame: frames are collected in fixed blocks of
/// `blockFrames` rows and each full block is folded into Y (`Y += C[:, block] · X[block, :]`, one SGEMM
/// per fixed column block) on a background thread, so the matrix product overlaps the decompression
/// of the next frames and X is never held whole. Two block buffers alternate; the fold order and the
/// column split depend only on the problem size, so Y is bit-identical whatever the thread count.
///
/// Use from one thread: `row(t)` for frames in increasing order, `frameDone(t)` after each frame is
/// fully written, then `finish()`. Y is written into caller-owned memory that must outlive `finish()`
/// (every element is written by the first fold, so it may start uninitialised).
public final class StreamingCleaner: @unchecked Sendable {
    // @unchecked: one caller thread submits; each fold work item touches only its own buffer slot and Y, waited on before reuse.
    /// Frames per folded block: large enough that Y crosses memory few times, small enough to stay light.
    public static let defaultBlockFrames = 32

    public let rows: Int
    public let frames: Int
    public let voxels: Int
    public let blockFrames: Int
    private let operatorMatrix: UnsafeMutableBufferPointer<Float>
    private let output: UnsafeMutableBufferPointer<Float>
    private let buffers: [UnsafeMutableBufferPointer<Float>]
    private var pending: [DispatchWorkItem?] = [nil, nil]
    private let queue = DispatchQueue(label: "cohortex.streaming-cleaner")
    private var finished = false
    private var submittedThrough = -1
    /// Threads the last block's fold may use (earlier folds run on one background thread).
    private let parallelism: Parallelism

    /// - Parameters:
    ///   - operatorMatrix: C, `rows × frames`, row-major.
    ///   - output: Y, `rows × voxels`, row-major.
    public init(operatorMatrix: [Float], rows: Int, frames: Int, voxels: Int, output: UnsafeMutableBufferPointer<Float>,
                blockFrames: Int = defaultBlockFrames, parallelism: Parallelism) {
        precondition(operatorMatrix.count == rows * frames && output.count == rows * voxels && rows > 0 && frames > 0
                     && voxels > 0 && blockFrames > 0, "operator shape mismatch")
        self.rows = rows
        self.frames = frames
        self.voxels = voxels
        self.blockFrames = min(blockFrames, frames)
        self.operatorMatrix = .allocate(capacity: operatorMatrix.count)
        _ = self.operatorMatrix.initialize(from: operatorMatrix)
        self.output = output
        self.parallelism = parallelism
        buffers = (0..<2).map { _ in .allocate(capacity: min(blockFrames, frames) * voxels) }
    }

    deinit {
        for item in pending { item?.wait() }
        operatorMatrix.deallocate()
        buffers.forEach { $0.deallocate() }
    }

    /// Where frame `t`'s `voxels` values go (valid until `frameDone(t)` of the block's last frame).
    public func row(_ t: Int) -> UnsafeMutablePointer<Float> {
        precondition(t >= 0 && t < frames && !finished, "frame \(t) out of order")
        let block = t / blockFrames
        let slot = block % 2
        if t % blockFrames == 0, let item = pending[slot] {
            item.wait()  // the fold of block − 2 still reads this buffer
            pending[slot] = nil
        }
        return buffers[slot].baseAddress! + (t - block * blockFrames) * voxels
    }

    /// Marks frame `t` complete; the last frame of a block starts that block's fold.
    public func frameDone(_ t: Int) {
        let block = t / blockFrames
        let first = block * blockFrames
        let last = min(frames, first + blockFrames) - 1
        guard t == last else { return }
        let slot = block % 2
        submittedThrough = t
        // The last block folds after decompression has ended: both cores are free.
        let foldParallelism = last == frames - 1 ? parallelism : .serial
        let shared = UnsafeSendableBox((operatorMatrix, output, buffers[slot]))
        let (rows, frames, voxels) = (self.rows, self.frames, self.voxels)
        let item = DispatchWorkItem {
            let (c, y, x) = shared.value
            Self.fold(c: c.baseAddress! + first, lda: frames, x: x.baseAddress!, blockRows: last - first + 1,
                      y: y.baseAddress!, rows: rows, voxels: voxels, accumulate: first > 0, parallelism: foldParallelism)
        }
        pending[slot] = item
        queue.async(execute: item)
    }

    /// Waits for the last fold: Y is complete when this returns.
    public func finish() {
        precondition(!finished, "finish() called twice")
        precondition(submittedThrough == frames - 1, "finish() before frame \(frames - 1) was done")
        finished = true
        for item in pending { item?.wait() }
        pending = [nil, nil]
    }

    /// Y (+)= C[:, block] · X_block over fixed column blocks (the same split as `BLAS.multiply`).
    static func fold(c: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>, blockRows: Int,
                     y: UnsafeMutablePointer<Float>, rows: Int, voxels: Int, accumulate: Bool, parallelism: Parallelism) {
        let width = BLAS.columnBlock
        let blocks = (voxels + width - 1) / width
        let body = { (b: Int) in
            let j0 = b * width
            BLAS.multiplySerial(m: rows, n: min(width, voxels - j0), k: blockRows, a: c, lda: lda,
                                b: x + j0, ldb: voxels, beta: accumulate ? 1 : 0, c: y + j0, ldc: voxels)
        }
        parallelism.forEach(chunks: blocks, body)
    }
}

