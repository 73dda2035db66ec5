import CNIfTI
import Foundation

/// The CRC-64 (ECMA-182 reflected, as CRC-64/XZ) of a file already on disk — the checksum sidecars
/// record for their outputs, recomputed to tell a matching output from a damaged or replaced one.
public enum FileChecksum {
    /// Size and CRC-64 of the file at `path`.
    public static func crc64(of path: String) throws -> (bytes: Int, crc64: UInt64) {
        let fd: Int32
        do { fd = try SystemCalls.openForReading(path) } catch {
            throw NIfTIError.fileNotFound(path: path)
        }
        defer { try? SystemCalls.close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var checksum: UInt64 = 0, total = 0
        while true {
            let count: Int
            do { count = try SystemCalls.read(fd, into: buffer) } catch {
                throw NIfTIError.unreadable(path: path, reason: SystemCalls.reason(error))
            }
            if count == 0 { break }
            checksum = crc64_ecma_refl(checksum, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(count))
            total += count
        }
        return (total, checksum)
    }

    /// A checksum as sidecars write it (16 lowercase hex digits).
    public static func text(_ crc: UInt64) -> String {
        let hex = String(crc, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The CRC-64 of in-memory bytes (fingerprints of requests).
    public static func crc64(of bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { crc64_ecma_refl(0, $0.baseAddress, UInt64($0.count)) }
    }
}
