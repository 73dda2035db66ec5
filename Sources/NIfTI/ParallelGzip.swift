import CNIfTI
import Foundation

/// Gzip output compressed on every core: the stream is cut into fixed 8 MiB pieces, each compressed as
/// its own gzip member (ISA-L level 1), written in order. Concatenated members are one valid gzip file
/// (RFC 1952; zlib, Python's gzip, libnifti and FSL read them), and the bytes do not depend on the
/// number of cores because the pieces are fixed by size alone.
enum ParallelGzip {
    static let pieceBytes = 8 << 20

    /// Writes `prefix` followed by `payload` as gzip members to `file`.
    static func write(prefix: [UInt8], payload: UnsafeRawBufferPointer, to file: OutputFile) throws {
        let total = prefix.count + payload.count
        let pieces = max(1, (total + pieceBytes - 1) / pieceBytes)
        let window = max(2, 2 * ProcessInfo.processInfo.activeProcessorCount)
        var start = 0
        while start < pieces {
            let count = min(window, pieces - start)
            let compressed = CompressedPieces(count: count)
            let base = start
            prefix.withUnsafeBytes { head in
                let sources = UnsafeSendableRaw(head: head, payload: payload)
                DispatchQueue.concurrentPerform(iterations: count) { i in
                    let lo = (base + i) * pieceBytes, hi = min(total, lo + pieceBytes)
                    compressed.set(i, GzipDeflater.member(of: sources.bytes(lo, hi)))
                }
            }
            for i in 0..<count { try compressed.get(i).withUnsafeBytes { try file.write($0) } }
            start += count
        }
    }

    /// Bytes lo..<hi of the logical stream prefix + payload.
    private struct UnsafeSendableRaw: @unchecked Sendable {
        let head: UnsafeRawBufferPointer
        let payload: UnsafeRawBufferPointer

        func bytes(_ lo: Int, _ hi: Int) -> [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(hi - lo)
            if lo < head.count { out.append(contentsOf: head[lo..<min(hi, head.count)]) }
            let p0 = max(lo, head.count) - head.count, p1 = hi - head.count
            if p1 > p0 { out.append(contentsOf: payload[p0..<p1]) }
            return out
        }
    }

    private final class CompressedPieces: @unchecked Sendable {
        private var pieces: [[UInt8]]
        private let lock = NSLock()
        init(count: Int) { pieces = Array(repeating: [], count: count) }
        func set(_ i: Int, _ bytes: [UInt8]) { lock.lock(); pieces[i] = bytes; lock.unlock() }
        func get(_ i: Int) -> [UInt8] { lock.lock(); defer { lock.unlock() }; return pieces[i] }
    }
}

extension GzipDeflater {
    /// One complete gzip member holding `bytes`.
    static func member(of bytes: [UInt8]) -> [UInt8] {
        let sink = MemorySink()
        let deflater = GzipDeflater(sink: sink)
        // Writing to memory cannot fail; a deflate error would be a programming error in the setup.
        try! bytes.withUnsafeBytes { try deflater.write($0, last: true) }
        return sink.bytes
    }
}
