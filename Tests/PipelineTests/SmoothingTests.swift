import Foundation
import Kernels
import NIfTI
import Pipeline
import Testing
import TestSupport

/// Smoothing against nilearn 0.14 `image.smooth_img`, voxel by voxel (interior and border).
@Suite("Gaussian smoothing")
struct SmoothingTests {
    /// Positive BOLD-like values (so a relative tolerance is meaningful everywhere), NaN and Inf sprinkled.
    static func volume(_ grid: Grid, frames: Int, seed: UInt64, nonFinite: Bool = true) -> Volume {
        var rng = SeededRandom(seed: seed)
        var values = (0..<(grid.voxelCount * frames)).map { _ in Float(1000 + rng.normal() * 50) }
        if nonFinite {
            values[7] = .nan
            values[grid.voxelCount / 2] = .infinity
            values[values.count - 3] = -.infinity
        }
        return Volume(grid: grid, frames: frames, voxels: values, repetitionTime: frames > 1 ? 2 : nil)
    }

    /// Smooths in-process and with nilearn; every voxel must agree to `tolerance` relative.
    static func expectMatchesNilearn(_ volume: Volume, fwhm: Double, tolerance: Float = 1e-5, _ label: String) throws {
        let folder = try Reference.temporaryFolder()
        let input = folder + "/in.nii.gz", expected = folder + "/nilearn.f32"
        try NIfTIWriter.write(volume, to: input)
        try Reference.runPython("spatial_reference.py", ["smooth", input, "\(fwhm)", expected])
        let nilearn = try Reference.readFloat32(expected)
        var ours = volume
        let inMemory = try SmoothingStage.smooth(&ours, fwhm: fwhm, parallelism: .available)
        #expect(nilearn.count == ours.voxels.count)
        // From file to file (4D: streamed volume by volume): the same bits as smoothing the file's
        // volume in memory (re-read, since the header stores the affine in float32).
        let output = folder + "/smoothed.nii.gz"
        let fromFiles = try SmoothingStage.run(SmoothingStage.Request(input: input, output: output, fwhm: fwhm),
                                               context: StageContext(parallelism: .available)).report
        let written = try NIfTIImage(path: output).readVolume()
        var reread = try NIfTIImage(path: input).readVolume()
        try SmoothingStage.smooth(&reread, fwhm: fwhm, parallelism: .available)
        #expect(written.frames == volume.frames && written.voxels.map(\.bitPattern) == reread.voxels.map(\.bitPattern), "\(label): file output")
        #expect(fromFiles.nonFiniteReplaced == inMemory.nonFiniteReplaced)
        var worst: Float = 0, worstIndex = 0
        for (i, (a, b)) in zip(ours.voxels, nilearn).enumerated() {
            let error = abs(a - b) / max(abs(b), 1e-30)
            if error > worst { worst = error; worstIndex = i }
        }
        #expect(worst <= tolerance, "\(label): worst relative error \(worst) at voxel \(worstIndex)")
        // Border voxels (corner of the first frame) and the centre are among those compared; spot-check them by name.
        let g = volume.grid
        for i in [0, g.index(g.nx - 1, g.ny - 1, g.nz - 1), g.index(g.nx / 2, g.ny / 2, g.nz / 2)] {
            #expect(abs(ours.voxels[i] - nilearn[i]) <= tolerance * abs(nilearn[i]), "\(label): voxel \(i)")
        }
    }

    @Test("3D, isotropic 2 mm, 6 mm FWHM, NaN/Inf present: nilearn to 1e-5 relative")
    func isotropic3D() throws {
        let grid = Grid(nx: 23, ny: 19, nz: 17, affine: .scaling(-2, 2, 2, origin: (30, -40, -20)))
        try Self.expectMatchesNilearn(Self.volume(grid, frames: 1, seed: 1), fwhm: 6, "isotropic 3D")
    }

    @Test("3D, anisotropic 1×2.5×4 mm voxels, 8 mm FWHM (kernel longer than the z axis: repeated reflection)")
    func anisotropic3D() throws {
        let grid = Grid(nx: 30, ny: 14, nz: 6, affine: .scaling(1, 2.5, 4))
        try Self.expectMatchesNilearn(Self.volume(grid, frames: 1, seed: 2), fwhm: 8, "anisotropic 3D")
    }

    @Test("4D series: 5 volumes at 3 mm, 5 mm FWHM; 3 volumes of 5 planes at 2×2×4 mm, 10 mm FWHM; non-finite values")
    func series4D() throws {
        let grid = Grid(nx: 17, ny: 21, nz: 11, affine: .scaling(3, 3, 3))
        try Self.expectMatchesNilearn(Self.volume(grid, frames: 5, seed: 3), fwhm: 5, "4D")
        // z kernel (radius 4) longer than the 5 planes: the per-volume path falls back from its plane ring.
        let thin = Grid(nx: 12, ny: 10, nz: 5, affine: .scaling(2, 2, 4))
        try Self.expectMatchesNilearn(Self.volume(thin, frames: 3, seed: 8), fwhm: 10, "4D, 5 planes")
    }

    @Test("oblique affine: σ from the column norms, as nilearn")
    func oblique() throws {
        let c = cos(0.3), s = sin(0.3)
        let affine = Affine(rows: [[2 * c, -2.5 * s, 0, 10], [2 * s, 2.5 * c, 0, -5], [0, 0, 3, 1], [0, 0, 0, 1]])
        let grid = Grid(nx: 15, ny: 13, nz: 9, affine: affine)
        try Self.expectMatchesNilearn(Self.volume(grid, frames: 1, seed: 4, nonFinite: false), fwhm: 7, "oblique")
        var v = Self.volume(grid, frames: 1, seed: 4)
        let report = try SmoothingStage.smooth(&v, fwhm: 7, parallelism: .available)
        #expect(report.oblique)
        #expect(report.notes.contains { $0.hasPrefix("oblique affine") })
        #expect(report.notes.contains { $0.hasPrefix("anisotropic voxels") })
        #expect(report.nonFiniteReplaced == 3)
    }

    @Test("kernel: scipy's radius int(4σ + 0.5) and weights summing to 1")
    func kernel() {
        let k = GaussianKernel(sigma: 6 / GaussianSmoother.fwhmPerSigma / 2)  // 6 mm on 2 mm voxels
        #expect(k.radius == 5)
        #expect(abs(k.weights.reduce(0, +) - 1) < 1e-6)
        #expect(k.weights == k.weights.reversed())
        let s = GaussianSmoother(fwhm: 6, affine: .scaling(2, 2, 3))
        #expect(abs(s.sigmas[0] - 6 / (2 * (8 * log(2.0)).squareRoot())) < 1e-12)
        #expect(s.kernels[2]!.radius == Int(4 * s.sigmas[2] + 0.5))
    }

    @Test("FWHM 0 only replaces non-finite values; a negative FWHM is an error")
    func zeroAndNegative() throws {
        let grid = Grid(nx: 5, ny: 4, nz: 3, affine: .scaling(2, 2, 2))
        var v = Self.volume(grid, frames: 1, seed: 5)
        let original = v.voxels
        try SmoothingStage.smooth(&v, fwhm: 0, parallelism: .available)
        for (a, b) in zip(v.voxels, original) { #expect(a == (b.isFinite ? b : 0)) }
        #expect(throws: SpatialError.invalidFWHM(value: -1)) { try SmoothingStage.smooth(&v, fwhm: -1, parallelism: .available) }
    }

    @Test("bit-identical for 1, 2 and 3 threads (3D and 4D)")
    func deterministic() {
        for frames in [1, 4] {
            let v = Self.volume(Grid(nx: 33, ny: 27, nz: 19, affine: .scaling(2, 2, 2.5)), frames: frames, seed: 6)
            var results: [[Float]] = []
            for threads in [1, 2, 3] {
                results.append(GaussianSmoother(fwhm: 6, affine: v.grid.affine).smoothed(v, parallelism: Parallelism(threads: threads)).voxels)
            }
            #expect(results.allSatisfy { $0 == results[0] }, "frames \(frames)")
        }
    }
}
