import Foundation

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
    // @unchecked: the descriptor is only read from, by one stream at a time.
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        do {
            fd = try SystemCalls.openForReading(path)
        } catch {
            if error.code == ENOENT { throw NIfTIError.fileNotFound(path: path) }
            throw NIfTIError.unreadable(path: path, reason: SystemCalls.reason(error))
        }
    }

    deinit { try? SystemCalls.close(fd) }

    /// File size in bytes.
    func size() throws -> Int {
        do {
            let (bytes, isFolder) = try SystemCalls.size(fd)
            if isFolder { throw NIfTIError.unreadable(path: path, reason: "is a directory") }
            return bytes
        } catch let error as SystemCalls.Failure {
            throw NIfTIError.unreadable(path: path, reason: SystemCalls.reason(error))
        }
    }

    /// Reads up to `buffer.count` bytes at the current position, retrying short reads.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do { return try SystemCalls.read(fd, into: buffer) } catch {
            throw NIfTIError.unreadable(path: path, reason: SystemCalls.reason(error))
        }
    }

    func seek(to offset: Int) throws {
        do { try SystemCalls.seek(fd, to: offset) } catch {
            throw NIfTIError.unreadable(path: path, reason: SystemCalls.reason(error))
        }
    }
}

/// Bytes of an uncompressed file, read sequentially with large reads (no mmap, so page
/// cache pages never count towards the process's resident memory).
final class PlainFileStream: ByteStream, @unchecked Sendable {
    // @unchecked: crosses to the read-ahead thread once, then used by that thread alone.
    let file: FileHandleBox

    init(file: FileHandleBox, offset: Int = 0) throws {
        self.file = file
        try file.seek(to: offset)
        SystemCalls.adviseSequential(file.fd, from: offset)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try file.readFully(into: buffer)
    }
}

/// True when the file starts with the gzip magic bytes (whatever its extension says).
func isGzip(_ file: FileHandleBox) throws -> Bool {
    var magic: (UInt8, UInt8) = (0, 0)
    let n = withUnsafeMutableBytes(of: &magic) { SystemCalls.read(file.fd, into: $0.baseAddress!, count: 2, at: 0) }
    return n == 2 && magic.0 == 0x1f && magic.1 == 0x8b
}

/// Opens `path` as a byte stream, inflating transparently when it is gzip-compressed.
func openByteStream(path: String) throws -> ByteStream {
    let file = try FileHandleBox(path: path)
    _ = try file.size()
    if try isGzip(file) { return try GzipInflater(file: file) }
    return try PlainFileStream(file: file)
}
