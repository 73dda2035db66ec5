import CNIfTI
import Foundation

/// Used by one thread at a time (the read-ahead producer).
/// Streaming gzip decompression with ISA-L's igzip (about 4× zlib's speed here);
/// handles multi-member files as `gzip -d` does and verifies each member's CRC.
final class GzipInflater: ByteStream, @unchecked Sendable {
    // @unchecked: crosses to the read-ahead thread once, then used by that thread alone.
    private let file: FileHandleBox
    private let state: UnsafeMutablePointer<inflate_state>
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnd = false
    private var finished = false
    private var producedBytes = 0

    static let inputChunk = 1 << 20

    init(file: FileHandleBox) throws {
        self.file = file
        try file.seek(to: 0)
        state = .allocate(capacity: 1)
        input = .allocate(byteCount: Self.inputChunk, alignment: 64)
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
        state.pointee.avail_in = 0
    }

    deinit {
        state.deallocate()
        input.deallocate()
    }

    private func refill() throws {
        let n = try file.readFully(into: input)
        state.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        state.pointee.avail_in = UInt32(n)
        if n < input.count { inputEnd = true }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var written = 0
        while written < buffer.count && !finished {
            if state.pointee.avail_in == 0 && !inputEnd { try refill() }
            let window = min(buffer.count - written, Int(UInt32.max / 2))
            state.pointee.next_out = (buffer.baseAddress! + written).assumingMemoryBound(to: UInt8.self)
            state.pointee.avail_out = UInt32(window)
            let status = isal_inflate(state)
            let produced = window - Int(state.pointee.avail_out)
            written += produced
            producedBytes += produced
            guard status >= 0 else { throw NIfTIError.corruptGzip(path: file.path, reason: Self.describe(status)) }
            if state.pointee.block_state == ISAL_BLOCK_FINISH {
                try startNextMemberIfAny()
            } else if produced == 0 && state.pointee.avail_in == 0 && inputEnd {
                throw NIfTIError.corruptGzip(
                    path: file.path,
                    reason: "the compressed stream ends early, after \(producedBytes) decompressed bytes (truncated file?)")
            }
        }
        return written
    }

    /// After a member ends: continue with the next gzip member, or stop at end of input.
    private func startNextMemberIfAny() throws {
        if state.pointee.avail_in == 0 && !inputEnd { try refill() }
        let pending = Int(state.pointee.avail_in)
        guard pending > 0 else { finished = true; return }
        let next = state.pointee.next_in!
        if pending >= 2 && next[0] == 0x1f && next[1] == 0x8b {
            let savedIn = state.pointee.next_in
            let savedAvail = state.pointee.avail_in
            isal_inflate_reset(state)
            state.pointee.crc_flag = UInt32(ISAL_GZIP)
            state.pointee.next_in = savedIn
            state.pointee.avail_in = savedAvail
        } else {
            finished = true // trailing bytes after the last member are ignored, as gzip does
        }
    }

    private static func describe(_ status: Int32) -> String {
        switch status {
        case ISAL_INVALID_BLOCK: return "invalid deflate block"
        case ISAL_INVALID_SYMBOL: return "invalid deflate symbol"
        case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance"
        case ISAL_INVALID_WRAPPER: return "invalid gzip header"
        case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method"
        case ISAL_INCORRECT_CHECKSUM: return "CRC check failed (data corrupted)"
        default: return "inflate error \(status)"
        }
    }
}
