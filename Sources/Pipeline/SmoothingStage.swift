import Foundation
import Kernels
import NIfTI

/// Gaussian smoothing as a pipeline step: `cohortex smooth`, and the `--smoothing-fwhm` option of
/// the connectivity commands (applied to the BOLD before masking and cleaning, as nilearn's maskers do).
public enum SmoothingStage {
    /// What a smoothing run did, for the log and the sidecar.
    public struct Report: Sendable {
        public let smoother: GaussianSmoother
        public let frames: Int
        public let nonFiniteReplaced: Int
        public let oblique: Bool
        /// Wall time of each phase (read, smooth, write) when run from files.
        public var timer = PhaseTimer()

        /// The sidecar object: every parameter needed to reproduce the output.
        public func json(input: String) -> JSONValue {
            .object([
                ("Tool", .string("cohortex smooth")),
                ("Source", .string(input)),
                ("FWHMmm", .number(smoother.fwhm)),
                ("VoxelSizesmm", .numbers(smoother.voxelSizes)),
                ("SigmaVoxels", .numbers(smoother.sigmas)),
                ("Sigmamm", .numbers(zip(smoother.sigmas, smoother.voxelSizes).map { $0 * $1 })),
                ("KernelRadiusVoxels", .ints(smoother.kernels.map { $0?.radius ?? 0 })),
                ("TruncateSigmas", .number(4)),
                ("Boundary", .string("reflect")),
                ("NonFiniteSetToZero", .int(nonFiniteReplaced)),
                ("ObliqueAffine", .bool(oblique)),
                ("Frames", .int(frames)),
                ("Definition", .string("nilearn 0.14 image.smooth_img: non-finite values set to 0, then scipy.ndimage.gaussian_filter1d along each array axis")),
            ])
        }

        /// Human-readable lines about the geometry (anisotropic or oblique grids) and replaced values.
        public var notes: [String] {
            var lines: [String] = []
            let v = smoother.voxelSizes
            if let lo = v.min(), let hi = v.max(), hi - lo > 1e-3 * hi {
                lines.append(String(format: "anisotropic voxels %.3g×%.3g×%.3g mm: σ = %.3g, %.3g, %.3g voxels along i, j, k (%.3g mm FWHM in world millimetres on every axis)",
                                    v[0], v[1], v[2], smoother.sigmas[0], smoother.sigmas[1], smoother.sigmas[2], smoother.fwhm))
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

    /// Smooths `volume` (every frame) in place at `fwhm` mm; the seam the connectivity commands call.
    @discardableResult
    public static func smooth(_ volume: inout Volume, fwhm: Double) throws -> Report {
        guard fwhm >= 0, fwhm.isFinite else { throw SpatialError.invalidFWHM(value: fwhm) }
        let smoother = GaussianSmoother(fwhm: fwhm, affine: volume.grid.affine)
        let replaced = smoother.smooth(&volume)
        return Report(smoother: smoother, frames: volume.frames, nonFiniteReplaced: replaced,
                      oblique: volume.grid.affine.isOblique)
    }

    /// Reads `input` (3D or 4D), smooths it and writes float32 `output` plus its JSON sidecar.
    @discardableResult
    public static func run(input: String, output: String, fwhm: Double) throws -> Report {
        guard fwhm >= 0, fwhm.isFinite else { throw SpatialError.invalidFWHM(value: fwhm) }
        var timer = PhaseTimer()
        var volume = try timer.measure("read") { try NIfTIImage(path: input).readVolume() }
        var report = try timer.measure("smooth") { try smooth(&volume, fwhm: fwhm) }
        try timer.measure("write") {
            try NIfTIWriter.write(volume, to: output, description: "cohortex smooth \(fwhm)mm")
            try writeSidecar(report.json(input: input), for: output)
        }
        report.timer = timer
        return report
    }
}
