import CNIfTI
import Foundation

extension NIfTIWriter {
    /// Writes a float32 NIfTI-1 image whose frames are produced one at a time, so a 4D output is
    /// never held whole: `produce` calls `emit` once per frame (`grid.voxelCount` values each), in order.
    /// The bytes equal those `write(_:to:)` gives for the same voxels (the same 8 MiB gzip members),
    /// and the file appears only when every frame was written (temporary file renamed into place).
    public static func writeFrames(to path: String, grid: Grid, frames: Int, repetitionTime: Double?,
                                   description: String = "cohortex", spaceCode: Int32 = 2,
                                   _ produce: (_ emit: (UnsafeBufferPointer<Float>) throws -> Void) throws -> Void) throws {
        precondition(isLittleEndianHost, "streamed float32 output assumes a little-endian host")
        let header = try makeHeader(grid: grid, frames: frames, repetitionTime: repetitionTime, path: path, datatype: .float32,
                                    intent: .none, intentName: "", description: description, spaceCode: spaceCode)
        var prefix = [UInt8](repeating: 0, count: 352)
        withUnsafeBytes(of: header) { raw in
            for i in 0..<348 { prefix[i] = raw[i] }
        }
        try AtomicFile.write(to: path) { file in
            let sink: any StreamedOutput = path.hasSuffix(".gz") ? StreamingParallelGzip(file: file) : PlainSink(file: file)
            try prefix.withUnsafeBytes { try sink.write($0) }
            var written = 0
            try produce { frame in
                precondition(frame.count == grid.voxelCount, "a frame has \(grid.voxelCount) voxels, got \(frame.count)")
                guard written < frames else {
                    throw NIfTIError.writeFailed(path: path, reason: "more than the \(frames) frames announced")
                }
                try sink.write(UnsafeRawBufferPointer(frame))
                written += 1
            }
            guard written == frames else {
                throw NIfTIError.writeFailed(path: path, reason: "\(written) of \(frames) frames produced")
            }
            try sink.finish()
        }
    }
}

/// Where streamed output bytes go.
protocol StreamedOutput: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func finish() throws
}

private final class PlainSink: StreamedOutput {
    let file: OutputFile
    init(file: OutputFile) { self.file = file }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try file.write(bytes) }
    func finish() throws {}
}

/// `ParallelGzip` for a stream: bytes are cut into the same fixed 8 MiB pieces, each compressed as its
/// own gzip member on a worker thread while the producer goes on, and written in order. A bounded
/// number of pieces is in flight, so memory stays at a few pieces whatever the output size.
final class StreamingParallelGzip: StreamedOutput {
    private let file: OutputFile
    private var piece: [UInt8] = []
    private var inFlight: [(item: DispatchWorkItem, result: CompressedPiece)] = []
    private let window = ProcessInfo.processInfo.activeProcessorCount + 1
    private let queue = DispatchQueue(label: "cohortex.gzip-pieces", attributes: .concurrent)
    private var submitted = 0

    init(file: OutputFile) {
        self.file = file
        piece.reserveCapacity(ParallelGzip.pieceBytes)
    }

    deinit {
        for pending in inFlight { pending.item.wait() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = min(ParallelGzip.pieceBytes - piece.count, bytes.count - offset)
            piece.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            offset += n
            if piece.count == ParallelGzip.pieceBytes { try submit() }
        }
    }

    func finish() throws {
        if !piece.isEmpty || submitted == 0 { try submit() }
        while !inFlight.isEmpty { try writeOldest() }
    }

    private func submit() throws {
        let bytes = piece
        piece = []
        piece.reserveCapacity(ParallelGzip.pieceBytes)
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
        var bytes: [UInt8] = []
    }
}
