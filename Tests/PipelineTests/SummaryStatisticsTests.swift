import Kernels
import NIfTI
import Pipeline
import Testing
import TestSupport

@Suite("Summary statistics stage")
struct SummaryStatisticsTests {
    @Test("masked statistics over a multi-chunk 4D image equal the moments of the gathered voxels")
    func maskedEqualsGathered() throws {
        var rng = SeededRandom(seed: 9)
        let grid = Grid(nx: 50, ny: 60, nz: 45, affine: .scaling(2, 2, 2))
        let frames = 8
        var values = (0..<(grid.voxelCount * frames)).map { _ in Float(rng.normal() * 10 + 100) }
        values[12345] = .nan
        let path = try Reference.temporaryFolder() + "/bold.nii.gz"
        try NIfTIWriter.write(Volume(grid: grid, frames: frames, voxels: values, repetitionTime: 1), to: path)
        let indices = (0..<grid.voxelCount).filter { $0 % 5 == 2 }
        let mask = VoxelMask(grid: grid, indices: indices)
        let image = try NIfTIImage(path: path)
        #expect(image.chunkVoxels < values.count)
        let stats = try SummaryStatistics(image: image, mask: mask)

        var gathered: [Float] = []
        for t in 0..<frames { for i in indices { gathered.append(values[t * grid.voxelCount + i]) } }
        var expected = VoxelMoments()
        gathered.withUnsafeBufferPointer { expected.add($0) }
        #expect(stats.moments.count == gathered.count)
        #expect(stats.moments.nanCount == expected.nanCount)
        #expect(abs(stats.moments.mean - expected.mean) < 1e-10)
        #expect(abs(stats.moments.standardDeviation - expected.standardDeviation) < 1e-9)
        #expect(stats.moments.minimum == expected.minimum && stats.moments.maximum == expected.maximum)
    }
}
