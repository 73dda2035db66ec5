import Foundation
import Kernels

extension GaussianSmoother {
    /// Lines for the log about the geometry (anisotropic or oblique grids) and replaced values; shared by
    /// the smooth stage and the smoothing-before-masking of the connectivity stages.
    public func notes(nonFiniteReplaced: Int, oblique: Bool) -> [String] {
        var lines: [String] = []
        let v = voxelSizes
        if let lo = v.min(), let hi = v.max(), hi - lo > 1e-3 * hi {
            lines.append(String(format: "anisotropic voxels %.3g×%.3g×%.3g mm: σ = %.3g, %.3g, %.3g voxels along i, j, k (%.3g mm FWHM in world millimetres on every axis)",
                                v[0], v[1], v[2], sigmas[0], sigmas[1], sigmas[2], fwhm))
        }
        if oblique {
            lines.append("oblique affine: the kernel is applied along the array axes with σ from the voxel sizes (column norms), as nilearn does; its FWHM is exact in millimetres along each axis")
        }
        if nonFiniteReplaced > 0 {
            lines.append("\(nonFiniteReplaced) NaN/Inf value(s) set to 0 before smoothing (as nilearn)")
        }
        return lines
    }
}
