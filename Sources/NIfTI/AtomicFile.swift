import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file being written; bytes go to a temporary file until `AtomicFile.write` renames it into place.
public final class OutputFile {
    let fd: Int32
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Appends `bytes`, retrying short writes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw NIfTIError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            done += n
        }
    }

    public func write(_ data: Data) throws { try data.withUnsafeBytes { try write($0) } }
    public func write(_ text: String) throws { try write(Data(text.utf8)) }
}

/// Writes outputs all-or-nothing: a temporary file in the destination folder, renamed into place,
/// so a killed run never leaves a half-written output behind.
public enum AtomicFile {
    /// Runs `body` against a temporary file next to `path`, then renames it to `path`.
    public static func write(to path: String, _ body: (OutputFile) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw NIfTIError.writeFailed(path: path, reason: "cannot create folder \(folder): \(error.localizedDescription)")
        }
        let temp = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw NIfTIError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        var closed = false
        do {
            try body(OutputFile(fd: fd, path: path))
            closed = true
            guard close(fd) == 0 else { throw NIfTIError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
            guard rename(temp, path) == 0 else {
                throw NIfTIError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            if !closed { close(fd) }
            unlink(temp)
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
}
