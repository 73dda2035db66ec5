import Foundation
import Geometry

/// A sampled 1-D Gaussian, built exactly as `scipy.ndimage.gaussian_filter1d` builds it:
/// radius `Int(truncate·σ + 0.5)`, weights `exp(−x²/2σ²)` normalised to sum 1 (in float64).
public struct GaussianKernel: Sendable, Equatable {
    /// Standard deviation in voxels.
    public let sigma: Double
    /// Taps on each side of the centre.
    public let radius: Int
    /// `2·radius + 1` weights, centre at index `radius`.
    public let weights: [Float]

    /// The kernel for `sigma` voxels (> 0) truncated at `truncate` standard deviations.
    public init(sigma: Double, truncate: Double = 4) {
        precondition(sigma > 0 && sigma.isFinite, "sigma must be positive")
        self.sigma = sigma
        radius = Int(truncate * sigma + 0.5)
        let phi = (-radius...radius).map { x -> Double in
            let d = Double(x)
            return exp(-0.5 / (sigma * sigma) * d * d)
        }
        let total = phi.reduce(0, +)
        weights = phi.map { Float($0 / total) }
    }
}

/// Gaussian smoothing of 3D frames given a FWHM in millimetres, the same operation as nilearn's
/// `image.smooth_img`: non-finite voxels become 0, then a separable Gaussian along x, y and z
/// with per-axis σ = FWHM / (√(8 ln 2) · voxel size), kernels truncated at 4σ and `reflect`
/// borders (`d c b a | a b c d | d c b a`). Each output value is computed by the same arithmetic
/// whatever the thread count, so results are bit-identical for any thread budget.
public struct GaussianSmoother: Sendable {
    /// Full width at half maximum, millimetres.
    public let fwhm: Double
    /// Voxel sizes (mm) along the three array axes: column norms of the affine.
    public let voxelSizes: [Double]
    /// σ along each array axis, in voxels (0: that axis is not smoothed).
    public let sigmas: [Double]
    /// One kernel per axis; nil where σ is 0.
    public let kernels: [GaussianKernel?]

    /// FWHM / σ for a Gaussian: √(8 ln 2).
    public static let fwhmPerSigma = (8 * log(2.0)).squareRoot()

    /// A smoother for `fwhm` mm on a grid with `affine` (rotated/sheared grids use the column
    /// norms as nilearn does, so the kernel stays isotropic in world millimetres only along the axes).
    public init(fwhm: Double, affine: Affine) {
        precondition(fwhm >= 0 && fwhm.isFinite, "FWHM must be finite and non-negative")
        self.fwhm = fwhm
        let v = affine.voxelSizes
        voxelSizes = [v.0, v.1, v.2]
        sigmas = voxelSizes.map { fwhm > 0 && $0 > 0 ? fwhm / (Self.fwhmPerSigma * $0) : 0 }
        kernels = sigmas.map { $0 > 0 ? GaussianKernel(sigma: $0) : nil }
    }

    /// Smooths every frame of `volume` in place; returns how many non-finite voxels were set to 0.
    @discardableResult
    public func smooth(_ volume: inout Volume, parallelism: Parallelism) -> Int {
        let grid = volume.grid
        let frames = volume.frames
        return volume.voxels.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, grid.voxelCount > 0 else { return 0 }
            let shape = SmoothingShape(nx: grid.nx, ny: grid.ny, nz: grid.nz)
            let box = UnsafeSendableBox(base)
            if frames == 1 {
                // One frame: parallel over z-planes for the in-plane passes, then over y-rows for z.
                let replaced = parallelism.map(chunks: shape.nz) { z in
                    SmoothingPasses.inPlane(box.value, shape, z: z, kernels)
                }
                if let kz = kernels[2] {
                    parallelism.forEach(chunks: shape.ny) { y in
                        SmoothingPasses.alongZ(box.value, shape, y: y, kz)
                    }
                }
                return replaced.reduce(0, +)
            }
            // Many frames: each frame is one task, smoothed serially (a frame fits in L2/L3).
            return parallelism.map(chunks: frames) { t in
                SmoothingPasses.frame(box.value + t * grid.voxelCount, shape, kernels)
            }.reduce(0, +)
        }
    }

    /// Smooths one frame on `grid` in place, on the calling thread (streaming callers run one frame at a
    /// time); the same arithmetic as `smooth(_:)` applies to each frame of a 4D volume.
    public func smoothFrame(_ frame: UnsafeMutableBufferPointer<Float>, grid: Grid) -> Int {
        precondition(frame.count == grid.voxelCount, "a frame of \(grid.voxelCount) voxels")
        guard let base = frame.baseAddress, grid.voxelCount > 0 else { return 0 }
        return SmoothingPasses.frame(base, SmoothingShape(nx: grid.nx, ny: grid.ny, nz: grid.nz), kernels)
    }

    /// A smoothed copy of `volume`.
    public func smoothed(_ volume: Volume, parallelism: Parallelism) -> Volume {
        var copy = volume
        smooth(&copy, parallelism: parallelism)
        return copy
    }
}

/// Array dimensions of one frame, x fastest.
@usableFromInline
struct SmoothingShape {
    @usableFromInline let nx: Int
    @usableFromInline let ny: Int
    @usableFromInline let nz: Int
    @usableFromInline init(nx: Int, ny: Int, nz: Int) { self.nx = nx; self.ny = ny; self.nz = nz }
    @usableFromInline var plane: Int { nx * ny }
}

/// scipy.ndimage's `reflect` boundary: index `i` of the infinitely extended line of length `n`
/// (half-sample symmetric, period 2n), valid however far `i` lies outside.
@inlinable
func reflectIndex(_ i: Int, _ n: Int) -> Int {
    if n == 1 { return 0 }
    let period = 2 * n
    var m = i % period
    if m < 0 { m += period }
    return m < n ? m : period - 1 - m
}
