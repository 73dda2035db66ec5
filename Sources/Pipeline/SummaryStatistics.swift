import Kernels
import NIfTI

/// `fslstats`-style summary of an image's scaled voxel values, optionally within a 3D mask
/// (applied to every frame). NaN and ±Inf are counted and excluded from the moments.
public struct SummaryStatistics: Sendable {
    public var moments: VoxelMoments

    /// Streams `image` once, accumulating in float64 in file order (deterministic).
    public init(image: NIfTIImage, mask: VoxelMask? = nil) throws {
        var moments = VoxelMoments()
        if let mask {
            try mask.indices.withUnsafeBufferPointer { idx in
                try image.forEachMaskedPiece(mask) { _, frameBase, positions in
                    moments.add(frameBase, at: UnsafeBufferPointer(rebasing: idx[positions]))
                }
            }
        } else {
            try image.forEachChunk { _, chunk in moments.add(chunk) }
        }
        self.moments = moments
    }

    /// The `cohortex stats --json` object; keys are stable for scripts.
    public var json: JSONValue {
        let m = moments
        return .object([
            ("voxels", .int(m.count)),
            ("nan", .int(m.nanCount)),
            ("inf", .int(m.infCount)),
            ("sum", .number(m.finiteCount > 0 ? m.sum : 0)),
            ("mean", .number(m.mean)),
            ("sd", .number(m.standardDeviation)),
            ("min", m.finiteCount > 0 ? .number(Double(m.minimum)) : .null),
            ("max", m.finiteCount > 0 ? .number(Double(m.maximum)) : .null),
        ])
    }
}
