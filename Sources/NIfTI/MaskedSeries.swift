/// The in-mask voxels of a 4D series as a frames × voxels Float32 matrix: row t holds every
/// in-mask voxel at frame t, contiguous, so one row is one streamed volume.
public struct MaskedSeries: Sendable {
    public let mask: VoxelMask
    public let frames: Int
    public var values: [Float]
    public let repetitionTime: Double?

    public init(mask: VoxelMask, frames: Int, values: [Float], repetitionTime: Double?) {
        precondition(values.count == mask.count * frames, "values must be frames × voxels")
        self.mask = mask
        self.frames = frames
        self.values = values
        self.repetitionTime = repetitionTime
    }

    public var voxels: Int { mask.count }

    /// The time series of in-mask voxel `n` (a strided copy).
    public func series(ofVoxel n: Int) -> [Float] {
        (0..<frames).map { values[$0 * mask.count + n] }
    }
}

extension NIfTIImage {
    /// Streams the image and hands over, piece by piece in file order, the in-mask voxels that
    /// arrived: `frameBase[mask.indices[p]]` is the value of in-mask voxel p in `frame`, for p in `positions`.
    public func forEachMaskedPiece(
        _ mask: VoxelMask,
        _ body: (_ frame: Int, _ frameBase: UnsafePointer<Float>, _ positions: Range<Int>) throws -> Void
    ) throws {
        guard mask.grid.nx == grid.nx, mask.grid.ny == grid.ny, mask.grid.nz == grid.nz else {
            throw NIfTIError.gridMismatch(path: path, reference: "the mask", detail: "shape \(grid.shape) vs mask \(mask.grid.shape)")
        }
        let frameVoxels = grid.voxelCount
        try mask.indices.withUnsafeBufferPointer { idx in
            try forEachChunk { first, chunk in
                var position = first
                let end = first + chunk.count
                while position < end {
                    let frame = position / frameVoxels
                    let spatialStart = position - frame * frameVoxels
                    let spatialEnd = min(frameVoxels, spatialStart + (end - position))
                    let positions = lowerBound(idx, spatialStart)..<lowerBound(idx, spatialEnd)
                    let frameBase = chunk.baseAddress! + (position - first) - spatialStart
                    if !positions.isEmpty { try body(frame, frameBase, positions) }
                    position += spatialEnd - spatialStart
                }
            }
        }
    }

    /// Reads only the in-mask voxels of every frame, streaming: the full 4D array is never held.
    public func readMasked(_ mask: VoxelMask) throws -> MaskedSeries {
        try checkVoxelDataSize()
        let frames = header.frames
        let v = mask.count
        let values = try [Float](unsafeUninitializedCapacity: v * frames) { out, initialized in
            try mask.indices.withUnsafeBufferPointer { idx in
                try forEachMaskedPiece(mask) { frame, frameBase, positions in
                    let row = out.baseAddress! + frame * v
                    for p in positions { row[p] = frameBase[idx[p]] }
                }
            }
            initialized = v * frames
        }
        return MaskedSeries(mask: mask, frames: frames, values: values, repetitionTime: header.repetitionTime)
    }
}

/// First position in sorted `a` whose value is ≥ `x`.
@inline(__always)
func lowerBound(_ a: UnsafeBufferPointer<Int>, _ x: Int) -> Int {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) >> 1
        if a[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
