import CNIfTI
import Foundation

/// Gzip compression with ISA-L's igzip at level 1: several times faster than zlib's default,
/// with output any gzip reader accepts.
final class GzipDeflater {
    private let stream: UnsafeMutablePointer<isal_zstream>
    private let levelBuffer: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    private let sink: any ByteSink

    init(sink: any ByteSink) {
        self.sink = sink
        stream = .allocate(capacity: 1)
        levelBuffer = .allocate(byteCount: 1 << 20, alignment: 64)
        // Zeroed: igzip keeps its hash table here and does not clear all of it for a short input; stale
        // entries are verified before use (so the output is always valid) but they change which matches
        // are found, and with them the bytes — equal inputs must give equal files.
        levelBuffer.initializeMemory(as: UInt8.self, repeating: 0)
        output = .allocate(byteCount: 1 << 20, alignment: 64)
        isal_deflate_init(stream)
        stream.pointee.gzip_flag = UInt16(IGZIP_GZIP)
        stream.pointee.level = 1
        stream.pointee.level_buf = levelBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.pointee.level_buf_size = UInt32(levelBuffer.count)
        stream.pointee.flush = UInt16(NO_FLUSH)
        stream.pointee.end_of_stream = 0
    }

    deinit {
        stream.deallocate()
        levelBuffer.deallocate()
        output.deallocate()
    }

    /// Compresses `bytes`; `last` ends the gzip member.
    func write(_ bytes: UnsafeRawBufferPointer, last: Bool = false) throws {
        var offset = 0
        repeat {
            let piece = min(bytes.count - offset, 1 << 30)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (bytes.baseAddress ?? UnsafeRawPointer(output.baseAddress!))
                .advanced(by: offset).assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(piece)
            offset += piece
            stream.pointee.end_of_stream = (last && offset == bytes.count) ? 1 : 0
            repeat {
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(output.count)
                let status = isal_deflate(stream)
                guard status == COMP_OK else {
                    throw NIfTIError.writeFailed(path: sink.path, reason: "gzip compression failed (igzip status \(status))")
                }
                let produced = output.count - Int(stream.pointee.avail_out)
                if produced > 0 { try sink.write(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
                || (stream.pointee.end_of_stream != 0 && stream.pointee.internal_state.state != ZSTATE_END)
        } while offset < bytes.count
    }
}

/// Where compressed bytes go: a file being written, or memory.
protocol ByteSink: AnyObject {
    var path: String { get }
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension OutputFile: ByteSink {}

/// Collects bytes in memory (for gzip members compressed in parallel).
final class MemorySink: ByteSink {
    let path = "(memory)"
    private(set) var bytes: [UInt8] = []

    func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
}
