import Foundation
import NIfTI
import Testing
import TestSupport

/// One test per defect: each must surface as a typed error naming the file, never a crash or hang.
@Suite("Bad input gets a clear error")
struct BadInputTests {
    /// A valid little-endian NIfTI-1 `.nii` (4×3×2 float32) as bytes, to corrupt.
    static func validFile() throws -> [UInt8] {
        let folder = try Reference.temporaryFolder()
        let grid = Grid(nx: 4, ny: 3, nz: 2, affine: .scaling(2, 2, 2))
        let volume = Volume(grid: grid, voxels: (0..<24).map(Float.init))
        try NIfTIWriter.write(volume, to: folder + "/valid.nii")
        return Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/valid.nii")))
    }

    static func write(_ bytes: [UInt8], name: String = "bad.nii") throws -> String {
        let path = try Reference.temporaryFolder() + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func patchInt16(_ bytes: inout [UInt8], at offset: Int, _ value: Int16) {
        withUnsafeBytes(of: value.littleEndian) { for i in 0..<2 { bytes[offset + i] = $0[i] } }
    }

    static func patchFloat(_ bytes: inout [UInt8], at offset: Int, _ value: Float) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let folder = try Reference.temporaryFolder()
        let path = folder + "/x"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try Reference.run("/bin/gzip", ["-n", path])
        #expect(result.status == 0)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    /// Opens and reads `path`, returning the error thrown.
    static func failure(_ path: String) -> NIfTIError? {
        do {
            _ = try NIfTIImage(path: path).readVolume()
            return nil
        } catch let error as NIfTIError {
            return error
        } catch {
            return nil
        }
    }

    @Test func missingFile() {
        let error = Self.failure("/nonexistent/folder/sub-01_bold.nii.gz")
        #expect(error == .fileNotFound(path: "/nonexistent/folder/sub-01_bold.nii.gz"))
    }

    @Test func nonNIfTIFile() throws {
        let path = try Self.write(Array("participant_id\tgroup\nsub-01\tpain\n".utf8) + [UInt8](repeating: 32, count: 400), name: "table.nii")
        guard case .notNIfTI(let p, let reason)? = Self.failure(path) else { Issue.record("expected notNIfTI"); return }
        #expect(p == path)
        #expect(reason.contains("sizeof_hdr"))
    }

    @Test func emptyFile() throws {
        let path = try Self.write([], name: "empty.nii")
        #expect(Self.failure(path) == .notNIfTI(path: path, reason: "the file is empty"))
    }

    @Test func truncatedHeader() throws {
        let path = try Self.write(Array(try Self.validFile().prefix(200)))
        #expect(Self.failure(path) == .truncatedHeader(path: path, bytes: 200, expected: 348))
    }

    @Test func truncatedVoxelData() throws {
        let bytes = try Self.validFile()
        let path = try Self.write(Array(bytes.dropLast(10)))
        #expect(Self.failure(path) == .truncatedData(path: path, expectedBytes: 96, availableBytes: 86))
    }

    @Test func truncatedGzipStream() throws {
        var rng = SeededRandom(seed: 7)
        let grid = Grid(nx: 40, ny: 40, nz: 20, affine: .identity)
        let volume = Volume(grid: grid, voxels: (0..<grid.voxelCount).map { _ in Float(rng.normal()) })
        let folder = try Reference.temporaryFolder()
        try NIfTIWriter.write(volume, to: folder + "/ok.nii.gz")
        let gz = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/ok.nii.gz")))
        let path = try Self.write(Array(gz.prefix(gz.count / 2)), name: "cut.nii.gz")
        guard case .corruptGzip(let p, let reason)? = Self.failure(path) else { Issue.record("expected corruptGzip"); return }
        #expect(p == path)
        #expect(reason.contains("ends early"))
    }

    @Test func corruptGzipStream() throws {
        var rng = SeededRandom(seed: 8)
        let grid = Grid(nx: 40, ny: 40, nz: 20, affine: .identity)
        let volume = Volume(grid: grid, voxels: (0..<grid.voxelCount).map { _ in Float(rng.normal()) })
        let folder = try Reference.temporaryFolder()
        try NIfTIWriter.write(volume, to: folder + "/ok.nii.gz")
        var gz = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/ok.nii.gz")))
        for i in stride(from: gz.count / 2, to: gz.count / 2 + 64, by: 1) { gz[i] ^= 0x5a }
        let path = try Self.write(gz, name: "corrupt.nii.gz")
        guard case .corruptGzip(let p, _)? = Self.failure(path) else { Issue.record("expected corruptGzip"); return }
        #expect(p == path)
    }

    @Test func corruptGzipChecksum() throws {
        var gz = try Self.gzip(try Self.validFile())
        gz[gz.count - 6] ^= 0xff // inside the CRC32 trailer
        let path = try Self.write(gz, name: "crc.nii.gz")
        #expect(Self.failure(path) == .corruptGzip(path: path, reason: "CRC check failed (data corrupted)"))
    }

    @Test(arguments: [(2, Int16(0)), (3, Int16(-4))])
    func zeroOrNegativeDimension(axis: Int, value: Int16) throws {
        var bytes = try Self.validFile()
        Self.patchInt16(&bytes, at: 40 + 2 * axis, value)
        let path = try Self.write(bytes)
        #expect(Self.failure(path) == .invalidField(path: path, field: "dim[\(axis)]", value: "\(value)", expected: "a positive size"))
    }

    @Test(arguments: [Int16(0), Int16(8), Int16(-1)])
    func invalidRank(rank: Int16) throws {
        var bytes = try Self.validFile()
        Self.patchInt16(&bytes, at: 40, rank)
        let path = try Self.write(bytes)
        #expect(Self.failure(path) == .invalidField(path: path, field: "dim[0]", value: "\(rank)", expected: "a rank between 1 and 7"))
    }

    @Test func dimensionsWhoseProductOverflows() throws {
        var bytes = try Self.validFile()
        Self.patchInt16(&bytes, at: 40, 7)
        for axis in 1...7 { Self.patchInt16(&bytes, at: 40 + 2 * axis, 32767) }
        let path = try Self.write(bytes)
        #expect(Self.failure(path) == .dimensionOverflow(path: path, dims: [Int](repeating: 32767, count: 7)))
    }

    @Test func voxOffsetBeyondEndOfFile() throws {
        var bytes = try Self.validFile()
        Self.patchFloat(&bytes, at: 108, 4096)
        let path = try Self.write(bytes)
        #expect(Self.failure(path) == .voxOffsetBeyondEnd(path: path, offset: 4096, fileSize: bytes.count))
    }

    @Test func voxOffsetBeyondEndOfGzipStream() throws {
        var bytes = try Self.validFile()
        Self.patchFloat(&bytes, at: 108, 4096)
        let path = try Self.write(try Self.gzip(bytes), name: "offset.nii.gz")
        #expect(Self.failure(path) == .voxOffsetBeyondEnd(path: path, offset: 4096, fileSize: bytes.count))
    }

    @Test(arguments: [(Int16(32), "complex64"), (Int16(128), "rgb24"), (Int16(2304), "rgba32"), (Int16(1792), "complex128"), (Int16(77), "code-77")])
    func unsupportedDatatype(code: Int16, name: String) throws {
        var bytes = try Self.validFile()
        Self.patchInt16(&bytes, at: 70, code)
        let path = try Self.write(bytes)
        #expect(Self.failure(path) == .unsupportedDatatype(path: path, code: Int(code), name: name))
    }

    @Test func pairWithoutImageFile() throws {
        let folder = try Fixtures.folder()
        let copy = try Reference.temporaryFolder() + "/lonely.hdr"
        try FileManager.default.copyItem(atPath: folder + "/int16_le_pair.hdr", toPath: copy)
        let expected = String(copy.dropLast(4)) + ".img"
        #expect(Self.failure(copy) == .missingImageFile(path: copy, expected: expected))
    }

    @Test func errorsNameTheFileInTheirDescription() throws {
        let path = try Self.write(Array(try Self.validFile().prefix(100)))
        let error = try #require(Self.failure(path))
        #expect(error.description.hasPrefix(path + ":"))
        #expect(error.description.contains("truncated header"))
    }
}
