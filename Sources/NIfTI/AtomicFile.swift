import CNIfTI
import Foundation

/// A file being written: bytes go to a temporary file (and into a running CRC-64) until the staged
/// file is renamed into place.
public final class OutputFile {
    let fd: Int32
    let path: String
    private(set) var bytesWritten = 0
    private(set) var checksum: UInt64 = 0

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Appends `bytes`, retrying short writes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        do { try SystemCalls.write(fd, bytes) } catch {
            throw NIfTIError.writeFailed(path: path, reason: SystemCalls.reason(error))
        }
        if let base = bytes.baseAddress, bytes.count > 0 {
            checksum = crc64_ecma_refl(checksum, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        }
        bytesWritten += bytes.count
    }

    public func write(_ data: Data) throws { try data.withUnsafeBytes { try write($0) } }
    public func write(_ text: String) throws { try write(Data(text.utf8)) }
}

/// A complete output waiting under a temporary name beside its destination: `commit` renames it into
/// place, `discard` removes it. Its size and CRC-64 (ECMA-182, reflected: the CRC-64/XZ of the bytes)
/// let a sidecar record exactly what it describes.
public struct StagedFile: Sendable {
    public let path: String
    public let temporary: String
    public let size: Int
    public let crc64: UInt64

    /// The checksum as written in sidecars (16 hex digits).
    public var checksumText: String {
        let hex = String(crc64, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Renames the temporary into place.
    public func commit() throws {
        do { try SystemCalls.rename(temporary, to: path) } catch {
            throw NIfTIError.writeFailed(path: path, reason: SystemCalls.reason(error))
        }
    }

    /// Removes the temporary.
    public func discard() { SystemCalls.remove(temporary) }
}

/// Writes outputs all-or-nothing: a temporary file in the destination folder, renamed into place,
/// so a killed run never leaves a half-written output behind.
public enum AtomicFile {
    /// Runs `body` against a new temporary file next to `path` and returns it staged (not yet renamed).
    public static func stage(to path: String, _ body: (OutputFile) throws -> Void) throws -> StagedFile {
        let folder = (path as NSString).deletingLastPathComponent
        let target = folder.isEmpty ? "." : folder
        // mkdir directly: Foundation's own message ends in "(NSCocoaErrorDomain error 512.)".
        do { try SystemCalls.createFolders(target) } catch {
            throw NIfTIError.writeFailed(path: path, reason: "cannot create folder \(target): \(error.reason)")
        }
        let temp = TemporaryName.make(for: path, kind: .staged)
        let fd: Int32
        do { fd = try SystemCalls.createExclusive(temp) } catch {
            throw NIfTIError.writeFailed(path: path, reason: SystemCalls.reason(error))
        }
        let file = OutputFile(fd: fd, path: path)
        do {
            try body(file)
        } catch {
            try? SystemCalls.close(fd)
            SystemCalls.remove(temp)
            throw error
        }
        do { try SystemCalls.close(fd) } catch {
            SystemCalls.remove(temp)
            throw NIfTIError.writeFailed(path: path, reason: SystemCalls.reason(error))
        }
        return StagedFile(path: path, temporary: temp, size: file.bytesWritten, crc64: file.checksum)
    }

    /// Runs `body` against a temporary file next to `path`, then renames it to `path`.
    public static func write(to path: String, _ body: (OutputFile) throws -> Void) throws {
        let staged = try stage(to: path, body)
        do { try staged.commit() } catch {
            staged.discard()
            throw error
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { try $0.write(data) }
    }

    /// Writes `text` (UTF-8) to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Stages `text` (UTF-8) for `path`.
    public static func stage(_ text: String, to path: String) throws -> StagedFile {
        try stage(to: path) { try $0.write(Data(text.utf8)) }
    }
}
