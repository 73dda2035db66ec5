import CNIfTI
import Foundation

/// Gzip output compressed on every core: the stream is cut into fixed 8 MiB pieces, each compressed as
/// its own gzip member (ISA-L level 1) on a worker while the producer goes on, and written in order.
/// Concatenated members are one valid gzip file (RFC 1952; zlib, Python's gzip, libnifti and FSL read
/// them); the bytes do not depend on the number of cores because the pieces are fixed by size alone,
/// and a bounded number of pieces is in flight, so memory stays at a few pieces whatever the output size.
final class ParallelGzip: StreamedOutput {
    static let pieceBytes = 8 << 20

    private let file: OutputFile
    private var piece: [UInt8] = []
    private var inFlight: [(item: DispatchWorkItem, result: CompressedPiece)] = []
    private let window = ProcessInfo.processInfo.activeProcessorCount + 1
    private let queue = DispatchQueue(label: "cohortex.gzip-pieces", attributes: .concurrent)
    private var submitted = 0

    init(file: OutputFile) {
        self.file = file
        piece.reserveCapacity(Self.pieceBytes)
    }

    deinit {
        for pending in inFlight { pending.item.wait() }
    }

    /// Writes `prefix` followed by `payload` as gzip members to `file`.
    static func write(prefix: [UInt8], payload: UnsafeRawBufferPointer, to file: OutputFile) throws {
        let stream = ParallelGzip(file: file)
        try prefix.withUnsafeBytes { try stream.write($0) }
        try stream.write(payload)
        try stream.finish()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = min(Self.pieceBytes - piece.count, bytes.count - offset)
            piece.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            offset += n
            if piece.count == Self.pieceBytes { try submit() }
        }
    }

    func finish() throws {
        if !piece.isEmpty || submitted == 0 { try submit() }
        while !inFlight.isEmpty { try writeOldest() }
    }

    private func submit() throws {
        let bytes = piece
        piece = []
        piece.reserveCapacity(Self.pieceBytes)
        let result = CompressedPiece()
        let item = DispatchWorkItem { result.bytes = GzipDeflater.member(of: bytes) }
        queue.async(execute: item)
        inFlight.append((item, result))
        submitted += 1
        while inFlight.count > window { try writeOldest() }
    }

    private func writeOldest() throws {
        let oldest = inFlight.removeFirst()
        oldest.item.wait()
        try oldest.result.bytes.withUnsafeBytes { try file.write($0) }
    }

    /// One piece's compressed bytes, set by its worker before the work item completes.
    private final class CompressedPiece: @unchecked Sendable {
        // @unchecked: written by one worker before its work item completes, read only after waiting on it.
        var bytes: [UInt8] = []
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
