import Foundation
import NIfTI
import Testing
import TestSupport

@Suite("Writing a 4D image frame by frame")
struct FrameWriterTests {
    /// 64×64×64×9 float32: 9.4 MB of voxels, so the gzip stream spans two 8 MiB members.
    static func volume() -> Volume {
        var rng = SeededRandom(seed: 7)
        let grid = Grid(nx: 64, ny: 64, nz: 64, affine: WriterTests.obliqueAffine)
        let values = (0..<(grid.voxelCount * 9)).map { _ in Float(rng.normal()) }
        return Volume(grid: grid, frames: 9, voxels: values, repetitionTime: 1.5)
    }

    static func streamed(_ volume: Volume, to path: String, frames: Int? = nil) throws {
        let n = volume.grid.voxelCount
        try NIfTIWriter.writeFrames(to: path, grid: volume.grid, frames: volume.frames, repetitionTime: volume.repetitionTime,
                                    description: "frames") { emit in
            try volume.voxels.withUnsafeBufferPointer { all in
                for t in 0..<(frames ?? volume.frames) { try emit(UnsafeBufferPointer(rebasing: all[(t * n)..<((t + 1) * n)])) }
            }
        }
    }

    @Test("the same bytes as writing the whole volume, gzip and plain", arguments: [".nii.gz", ".nii"])
    func sameBytesAsWholeVolumeWriter(ext: String) throws {
        let volume = Self.volume()
        let folder = try Reference.temporaryFolder("cohortex-frames")
        let whole = folder + "/whole" + ext, streamed = folder + "/streamed" + ext
        try NIfTIWriter.write(volume, to: whole, description: "frames")
        try Self.streamed(volume, to: streamed)
        let a = try Data(contentsOf: URL(fileURLWithPath: whole)), b = try Data(contentsOf: URL(fileURLWithPath: streamed))
        #expect(a.count > 0 && a == b)
        let back = try NIfTIImage(path: streamed).readVolume()
        #expect(back.frames == 9 && back.repetitionTime == 1.5)
        #expect(back.voxels.map(\.bitPattern) == volume.voxels.map(\.bitPattern))
    }

    @Test("too few frames: an error naming the file, and no output left behind")
    func missingFramesLeaveNoFile() throws {
        let volume = Self.volume()
        let path = try Reference.temporaryFolder("cohortex-frames") + "/short.nii.gz"
        #expect(throws: NIfTIError.writeFailed(path: path, reason: "8 of 9 frames produced")) {
            try Self.streamed(volume, to: path, frames: 8)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(leftovers.isEmpty, "temporary files removed: \(leftovers)")
    }
}
