import Foundation
import Kernels
import NIfTI
import Pipeline
import Testing
import TestSupport

@Suite("Summary statistics stage")
struct SummaryStatisticsTests {
    @Test("masked statistics over a multi-chunk 4D image, NaN and Inf inside the mask, equal numpy's")
    func maskedEqualsNumpy() throws {
        var rng = SeededRandom(seed: 9)
        let grid = Grid(nx: 50, ny: 60, nz: 45, affine: .scaling(2, 2, 2))
        let frames = 8
        var values = (0..<(grid.voxelCount * frames)).map { _ in Float(rng.normal() * 10 + 100) }
        let indices = (0..<grid.voxelCount).filter { $0 % 5 == 2 }
        // Inside the mask (index ≡ 2 mod 5), in two different frames; and one NaN outside it.
        values[12347] = .nan
        values[3 * grid.voxelCount + 4002] = .infinity
        values[12345] = .nan
        let folder = try Reference.temporaryFolder()
        let path = folder + "/bold.nii.gz", maskPath = folder + "/mask.nii.gz"
        try NIfTIWriter.write(Volume(grid: grid, frames: frames, voxels: values, repetitionTime: 1), to: path)
        let mask = VoxelMask(grid: grid, indices: indices)
        try NIfTIWriter.write(mask.scatter([Float](repeating: 1, count: indices.count)), to: maskPath, datatype: .uint8)
        let image = try NIfTIImage(path: path)
        #expect(image.chunkVoxels < values.count)
        let stats = try SummaryStatistics(image: image, mask: mask)
        let numpy = try Reference.json(try Reference.runPython("nifti_reference.py", ["stats", path, maskPath]))
        #expect(stats.moments.count == numpy["voxels"] as? Int)
        #expect(stats.moments.nanCount == 1 && numpy["nan"] as? Int == 1)
        #expect(stats.moments.infCount == 1 && numpy["inf"] as? Int == 1)
        #expect(abs(stats.moments.mean - (numpy["mean"] as! Double)) < 1e-10 * 100)
        #expect(abs(stats.moments.standardDeviation - (numpy["sd"] as! Double)) < 1e-9 * 10)
        #expect(Double(stats.moments.minimum) == numpy["min"] as? Double && Double(stats.moments.maximum) == numpy["max"] as? Double)
    }
}
