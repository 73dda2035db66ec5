import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A sequential source of raw bytes: a plain file or a gzip stream.
protocol ByteStream: AnyObject, Sendable {
    /// Fills `buffer` from the stream; returns fewer bytes only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteStream {
    /// Discards `count` bytes; returns how many were available.
    func skip(_ count: Int) throws -> Int {
        guard count > 0 else { return 0 }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, 1 << 20), alignment: 64)
        defer { scratch.deallocate() }
        var skipped = 0
        while skipped < count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<min(scratch.count, count - skipped)]))
            if n == 0 { break }
            skipped += n
        }
        return skipped
    }
}

/// An open file descriptor, closed in `deinit`.
final class FileHandleBox: @unchecked Sendable {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let err = errno
            if err == ENOENT { throw NIfTIError.fileNotFound(path: path) }
            throw NIfTIError.unreadable(path: path, reason: String(cString: strerror(err)))
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// File size in bytes.
    func size() throws -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw NIfTIError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw NIfTIError.unreadable(path: path, reason: "is a directory") }
        return Int(st.st_size)
    }

    /// Reads up to `buffer.count` bytes at the current position, retrying short reads.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = Glibc.read(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw NIfTIError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func seek(to offset: Int) throws {
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
            throw NIfTIError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

/// Bytes of an uncompressed file, read sequentially with large reads (no mmap, so page
/// cache pages never count towards the process's resident memory).
final class PlainFileStream: ByteStream, @unchecked Sendable {
    let file: FileHandleBox

    init(file: FileHandleBox, offset: Int = 0) throws {
        self.file = file
        try file.seek(to: offset)
        _ = posix_fadvise(file.fd, off_t(offset), 0, POSIX_FADV_SEQUENTIAL)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try file.readFully(into: buffer)
    }
}

/// True when the file starts with the gzip magic bytes (whatever its extension says).
func isGzip(_ file: FileHandleBox) throws -> Bool {
    var magic: (UInt8, UInt8) = (0, 0)
    let n = pread(file.fd, &magic, 2, 0)
    return n == 2 && magic.0 == 0x1f && magic.1 == 0x8b
}

/// Opens `path` as a byte stream, inflating transparently when it is gzip-compressed.
func openByteStream(path: String) throws -> ByteStream {
    let file = try FileHandleBox(path: path)
    _ = try file.size()
    if try isGzip(file) { return try GzipInflater(file: file) }
    return try PlainFileStream(file: file)
}
