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
        let staged = try stageFrames(to: path, grid: grid, frames: frames, repetitionTime: repetitionTime,
                                     description: description, spaceCode: spaceCode, produce)
        do { try staged.commit() } catch {
            staged.discard()
            throw error
        }
    }

    /// `writeFrames`, left under its temporary name (see `StagedFile`).
    public static func stageFrames(to path: String, grid: Grid, frames: Int, repetitionTime: Double?,
                                   description: String = "cohortex", spaceCode: Int32 = 2,
                                   _ produce: (_ emit: (UnsafeBufferPointer<Float>) throws -> Void) throws -> Void) throws -> StagedFile {
        precondition(isLittleEndianHost, "streamed float32 output assumes a little-endian host")
        let header = try makeHeader(grid: grid, frames: frames, repetitionTime: repetitionTime, path: path, datatype: .float32,
                                    intent: .none, intentName: "", description: description, spaceCode: spaceCode)
        var prefix = [UInt8](repeating: 0, count: 352)
        withUnsafeBytes(of: header) { raw in
            for i in 0..<348 { prefix[i] = raw[i] }
        }
        return try AtomicFile.stage(to: path) { file in
            let sink: any StreamedOutput = path.hasSuffix(".gz") ? ParallelGzip(file: file) : PlainSink(file: file)
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
