import Foundation
import NIfTI
import Testing
import TestSupport

@Suite("Streaming reads")
struct StreamingTests {
    /// A 4D float32 image larger than one 4 MiB chunk, with chunk boundaries inside frames.
    static func largeSeries() throws -> (path: String, volume: Volume) {
        var rng = SeededRandom(seed: 3)
        let grid = Grid(nx: 61, ny: 53, nz: 37, affine: .scaling(3, 3, 3, origin: (-90, -120, -60)))
        let frames = 9
        let values = (0..<(grid.voxelCount * frames)).map { _ in Float(rng.normal() * 100 + 1000) }
        let volume = Volume(grid: grid, frames: frames, voxels: values, repetitionTime: 2)
        let path = try Reference.temporaryFolder() + "/bold.nii.gz"
        try NIfTIWriter.write(volume, to: path)
        return (path, volume)
    }

    @Test func chunksCoverTheImageInOrder() throws {
        let (path, volume) = try Self.largeSeries()
        let image = try NIfTIImage(path: path)
        #expect(image.chunkVoxels < volume.voxels.count, "the image must span several chunks")
        var next = 0
        var copy = [Float]()
        try image.forEachChunk { first, values in
            #expect(first == next)
            next += values.count
            copy.append(contentsOf: values)
        }
        #expect(copy == volume.voxels)
    }

    @Test func maskedReadGathersExactlyTheMaskedVoxels() throws {
        let (path, volume) = try Self.largeSeries()
        let grid = volume.grid
        var rng = SeededRandom(seed: 11)
        let indices = (0..<grid.voxelCount).filter { _ in Double.random(in: 0..<1, using: &rng) < 0.3 }
        let mask = VoxelMask(grid: grid, indices: indices)
        let series = try NIfTIImage(path: path).readMasked(mask)
        #expect(series.frames == 9)
        #expect(series.voxels == indices.count)
        for t in [0, 4, 8] {
            for n in stride(from: 0, to: indices.count, by: 97) {
                #expect(series.values[t * indices.count + n] == volume.voxels[t * grid.voxelCount + indices[n]])
            }
        }
        #expect(series.series(ofVoxel: 5) == (0..<9).map { volume.voxels[$0 * grid.voxelCount + indices[5]] })
    }

    @Test func multiMemberGzipReadsLikeGzip() throws {
        let (path, volume) = try Self.largeSeries()
        let folder = try Reference.temporaryFolder()
        // Re-compress as two concatenated gzip members, as some tools (pigz, bgzip-style writers) do.
        #expect(try Reference.run("/bin/sh", ["-c", "gzip -dc '\(path)' > '\(folder)/raw' && head -c 5000000 '\(folder)/raw' | gzip -1 > '\(folder)/two.nii.gz' && tail -c +5000001 '\(folder)/raw' | gzip -1 >> '\(folder)/two.nii.gz'"]).status == 0)
        let back = try NIfTIImage(path: folder + "/two.nii.gz").readVolume()
        #expect(back.voxels == volume.voxels)
    }

    @Test func aStoppedConsumerStopsTheReader() throws {
        let (path, _) = try Self.largeSeries()
        struct Stop: Error {}
        var seen = 0
        #expect(throws: Stop.self) {
            try NIfTIImage(path: path).forEachChunk { _, _ in
                seen += 1
                if seen == 2 { throw Stop() }
            }
        }
        #expect(seen == 2)
    }
}
