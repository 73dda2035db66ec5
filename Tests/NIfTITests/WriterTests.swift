import Foundation
import NIfTI
import Testing
import TestSupport

@Suite("Writing is read back identically by nibabel")
struct WriterTests {
    /// An oblique grid (rotations about x and z, anisotropic voxels, x flipped): representable
    /// exactly by both sform and qform.
    static let obliqueAffine: Affine = {
        let (a, b) = (0.15, 0.1)
        let rx = [[1.0, 0, 0], [0, cos(a), -sin(a)], [0, sin(a), cos(a)]]
        let rz = [[cos(b), -sin(b), 0], [sin(b), cos(b), 0], [0, 0, 1.0]]
        let zooms = [-1.9, 2.1, 2.4]
        var rows = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for i in 0..<3 {
            for j in 0..<3 {
                rows[i][j] = (0..<3).reduce(0) { $0 + rz[i][$1] * rx[$1][j] } * zooms[j]
            }
        }
        rows[0][3] = 90.5; rows[1][3] = -126; rows[2][3] = -72.25; rows[3][3] = 1
        return Affine(rows: rows)
    }()

    static func sampleVolume(frames: Int, integral: Bool, range: ClosedRange<Double>) -> Volume {
        var rng = SeededRandom(seed: 42)
        let grid = Grid(nx: 7, ny: 6, nz: 5, affine: obliqueAffine)
        let values = (0..<(grid.voxelCount * frames)).map { _ -> Float in
            let v = Double.random(in: range, using: &rng)
            return Float(integral ? v.rounded() : v)
        }
        return Volume(grid: grid, frames: frames, voxels: values, repetitionTime: frames > 1 ? 0.8 : nil)
    }

    struct Case: Sendable, CustomStringConvertible {
        let datatype: NIfTIDataType
        let ext: String
        let frames: Int
        var description: String { "\(datatype) \(ext) \(frames) frame(s)" }
    }

    static let cases: [Case] = [NIfTIDataType.float32, .int16, .uint8].flatMap { type in
        [".nii", ".nii.gz"].flatMap { ext in [1, 3].map { Case(datatype: type, ext: ext, frames: $0) } }
    }

    @Test("float32, int16 and uint8, .nii and .nii.gz, 3D and 4D", arguments: cases)
    func roundTrip(c: Case) throws {
        let range: ClosedRange<Double> = switch c.datatype {
        case .uint8: 0...255
        case .int16: -32768...32767
        default: -1e4...1e4
        }
        let volume = Self.sampleVolume(frames: c.frames, integral: c.datatype != .float32, range: range)
        let path = try Reference.temporaryFolder() + "/out" + c.ext
        try NIfTIWriter.write(volume, to: path, datatype: c.datatype, spaceCode: 4)

        let nib = try Reference.json(try Reference.runPython("nifti_reference.py", ["describe-written", path]))
        #expect(nib["shape"] as? [Int] == volume.shape)
        #expect(nib["dtype"] as? String == c.datatype.description)
        #expect(affineDifference(volume.grid.affine, nib["sform"]) < 1e-5)
        #expect(affineDifference(volume.grid.affine, nib["qform"]) < 1e-4)
        #expect(nib["sform_code"] as? Int == 4)
        #expect(nib["qform_code"] as? Int == 4)
        let values = try #require(nib["values"] as? [Double])
        #expect(values.count == volume.voxels.count)
        #expect(zip(values, volume.voxels).allSatisfy { Float($0) == $1 })
        if c.frames > 1 {
            let zooms = try #require(nib["zooms"] as? [Double])
            #expect(abs(zooms[3] - 0.8) < 1e-6)
            #expect(nib["units"] as? [String] == ["mm", "sec"])
        }
        let back = try NIfTIImage(path: path)
        #expect(try back.readVolume().voxels == volume.voxels)
        #expect(back.header.repetitionTime.map { abs($0 - 0.8) < 1e-6 } ?? (c.frames == 1))
    }

    @Test("statistical intents: t with degrees of freedom, z, label")
    func intents() throws {
        let volume = Self.sampleVolume(frames: 1, integral: true, range: 0...20)
        let folder = try Reference.temporaryFolder()
        let cases: [(NIfTIIntent, String, Int, [Double])] = [
            (.tTest(degreesOfFreedom: 37), "t", 3, [37, 0, 0]),
            (.zScore, "z", 5, [0, 0, 0]),
            (.fTest(numeratorDF: 2, denominatorDF: 40), "F", 4, [2, 40, 0]),
            (.label, "label", 1002, [0, 0, 0]),
        ]
        for (intent, name, code, params) in cases {
            let path = folder + "/\(name).nii.gz"
            try NIfTIWriter.write(volume, to: path, datatype: intent == .label ? .int16 : .float32, intent: intent, intentName: name)
            let header = try NIfTIImage(path: path).header
            #expect(header.intentCode == code)
            #expect(header.intentParameters == params)
            #expect(header.intentName == name)
            let nib = try Reference.json(try Reference.runPython("nifti_reference.py", ["describe-written", path]))
            let nibIntent = try #require(nib["intent"] as? [Any])
            let nibParams = try #require(nibIntent[1] as? [Double])
            #expect(nibParams == Array(params.prefix(nibParams.count)))
            #expect((nibIntent[2] as? String) == name)
        }
    }

    @Test("a failed write leaves the existing output and no temporary file")
    func atomicOnFailure() throws {
        let folder = try Reference.temporaryFolder()
        let path = folder + "/labels.nii.gz"
        let good = Self.sampleVolume(frames: 1, integral: true, range: 0...10)
        try NIfTIWriter.write(good, to: path, datatype: .uint8)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        var bad = good
        bad.voxels[17] = 300 // does not fit uint8
        #expect(throws: NIfTIError.valueNotRepresentable(path: path, datatype: "uint8", value: 300, index: 17)) {
            try NIfTIWriter.write(bad, to: path, datatype: .uint8)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["labels.nii.gz"])
    }

    @Test("NaN cannot be written as an integer type")
    func nanIntoInteger() throws {
        var volume = Self.sampleVolume(frames: 1, integral: true, range: 0...10)
        volume.voxels[3] = .nan
        let path = try Reference.temporaryFolder() + "/mask.nii"
        #expect(throws: NIfTIError.self) { try NIfTIWriter.write(volume, to: path, datatype: .int16) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("output folders are created")
    func createsFolders() throws {
        let path = try Reference.temporaryFolder() + "/sub-01/func/map.nii.gz"
        try NIfTIWriter.write(Self.sampleVolume(frames: 1, integral: false, range: 0...1), to: path)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("a large .nii.gz is written as several gzip members that gzip and nibabel read whole")
    func largeMultiMemberGzip() throws {
        var rng = SeededRandom(seed: 12)
        let grid = Grid(nx: 64, ny: 64, nz: 40, affine: .scaling(3, 3, 3))
        let volume = Volume(grid: grid, frames: 20, voxels: (0..<(grid.voxelCount * 20)).map { _ in Float(rng.normal()) }, repetitionTime: 2)
        let path = try Reference.temporaryFolder() + "/big.nii.gz"
        try NIfTIWriter.write(volume, to: path)
        #expect(try Reference.run("/bin/gzip", ["-t", path]).status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Walk the members (a count of 1f 8b pairs would pass for a single member of random floats too).
        let members = try JSONSerialization.jsonObject(with: Data(try Reference.runPython("nifti_reference.py", ["gzip-members", path]).utf8)) as? [Int]
        let total = 352 + volume.voxels.count * 4
        #expect(members == [8 << 20, total - (8 << 20)], "13 MB of data: one full 8 MiB member and the rest")
        #expect(bytes.count > 0)
        #expect(try NIfTIImage(path: path).readVolume().voxels == volume.voxels)
        let numpy = try Reference.json(try Reference.runPython("nifti_reference.py", ["stats", path]))
        let sum = volume.voxels.reduce(0.0) { $0 + Double($1) }
        #expect(numpy["voxels"] as? Int == volume.voxels.count)
        #expect(abs((numpy["sum"] as? Double ?? .nan) - sum) < 1e-6 * Double(volume.voxels.count))
    }

    @Test("equal images give equal .nii.gz bytes, whatever was compressed before on any thread (no stale compressor state)",
          arguments: [8, 20, 33])
    func gzipBytesAreDeterministic(edge: Int) throws {
        let folder = try Reference.temporaryFolder()
        let grid = Grid(nx: edge, ny: edge, nz: edge, affine: .identity)
        let image = Volume(grid: grid, voxels: (0..<grid.voxelCount).map { Float($0 % 97) * 0.5 })
        try NIfTIWriter.write(image, to: folder + "/a.nii.gz")
        let expected = try Data(contentsOf: URL(fileURLWithPath: folder + "/a.nii.gz"))
        // Other compressions on worker threads in between leave their malloc arenas' freed buffers full of
        // other hash tables; the same image written there afterwards must still give the same bytes.
        let others = (0..<4).map { n in
            var rng = SeededRandom(seed: UInt64(edge * 10 + n))
            let other = Grid(nx: 40 + n, ny: 36, nz: 30, affine: .identity)
            return Volume(grid: other, voxels: (0..<other.voxelCount).map { _ in Float(rng.normal()).rounded() })
        }
        let failures = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 16) { n in
            do {
                for round in 0..<3 {
                    try NIfTIWriter.write(others[(n + round) % 4], to: folder + "/other\(n)-\(round).nii.gz")
                    try NIfTIWriter.write(image, to: folder + "/b\(n)-\(round).nii.gz")
                    if try Data(contentsOf: URL(fileURLWithPath: folder + "/b\(n)-\(round).nii.gz")) != expected { failures.add() }
                }
            } catch { failures.add() }
        }
        #expect(failures.value == 0, "\(failures.value) of 48 rewrites differ from the first write")
    }
}

/// A thread-safe count.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
