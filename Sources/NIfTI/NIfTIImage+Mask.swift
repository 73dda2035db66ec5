import Geometry

extension NIfTIImage {
    /// Reads a 3D mask image; every non-zero, finite voxel is in the mask.
    public func readMask() throws -> VoxelMask {
        VoxelMask(nonzeroIn: try readVolume3D())
    }

    /// Fails with a clear error unless this image's grid matches `reference`'s.
    public func requireGrid(_ reference: Grid, referencePath: String, tolerance: Double = 1e-3) throws {
        guard grid.matches(reference, tolerance: tolerance) else {
            throw NIfTIError.gridMismatch(path: path, reference: referencePath, detail: reference.difference(from: grid))
        }
    }
}
