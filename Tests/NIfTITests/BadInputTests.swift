import Foundation
import NIfTI
import Testing
import TestSupport

/// One test per defect: each must surface as a typed error naming the file, never a crash or hang.
@Suite("Bad input gets a clear error")
struct BadInputTests {
    static func validFile() throws -> [UInt8] { try BadFiles.validFile() }
    static func write(_ bytes: [UInt8], name: String = "bad.nii") throws -> String { try BadFiles.write(bytes, name: name) }
    static func patchInt16(_ bytes: inout [UInt8], at offset: Int, _ value: Int16) { BadFiles.patchInt16(&bytes, at: offset, value) }
    static func patchFloat(_ bytes: inout [UInt8], at offset: Int, _ value: Float) { BadFiles.patchFloat(&bytes, at: offset, value) }
    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] { try BadFiles.gzip(bytes) }

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

    @Test("a .gz whose header claims more than 1032 × its size (deflate's maximum ratio) is refused before reading")
    func gzipClaimingMoreThanDeflateCanHold() throws {
        var bytes = try Self.validFile()
        Self.patchInt16(&bytes, at: 46, 8192)  // dim[3]: 4×3×8192 float32 = 393,216 bytes
        let gz = try Self.gzip(bytes)
        let path = try Self.write(gz, name: "claim.nii.gz")
        let error = try #require(Self.failure(path))
        #expect(error.description == "\(path): header claims 393216 bytes of voxel data, but \(gz.count) compressed bytes inflate to at most \(1032 * gz.count) (deflate's maximum ratio, 1032:1)")
    }

    @Test func truncatedGzipStream() throws {
        let gz = try BadFiles.validGzipFile(seed: 7)
        let path = try Self.write(Array(gz.prefix(gz.count / 2)), name: "cut.nii.gz")
        guard case .corruptGzip(let p, let reason)? = Self.failure(path) else { Issue.record("expected corruptGzip"); return }
        #expect(p == path)
        #expect(reason.contains("ends early"))
    }

    @Test func corruptGzipStream() throws {
        var gz = try BadFiles.validGzipFile(seed: 8)
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
