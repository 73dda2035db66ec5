import Foundation

extension NIfTIImage {
    /// Voxels per streamed chunk: whole z-slices, about 4 MiB of raw data; fixed by the
    /// image dimensions alone, so every consumer sees the same chunk boundaries on every run.
    public var chunkVoxels: Int {
        let slice = max(1, header.dim[0] * (header.dim.count > 1 ? header.dim[1] : 1))
        let target = (4 << 20) / header.datatype.byteSize
        return min(header.voxelCount, max(1, target / slice) * slice)
    }

    /// Streams every voxel in file order (x fastest, then y, z, frame) as scaled Float32 chunks.
    /// The file is read (and inflated) on a background thread while `body` consumes the previous chunk.
    public func forEachChunk(_ body: (_ firstVoxel: Int, _ values: UnsafeBufferPointer<Float>) throws -> Void) throws {
        try checkVoxelDataSize()
        let decoder = VoxelDecoder(header: header)
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunkVoxels)
        defer { scratch.deallocate() }
        try streamRaw { first, count, raw in
            if decoder.isPassThrough {
                // Native float32 without scaling: hand over the read buffer itself (64-byte aligned).
                try body(first, UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Float.self), count: count))
            } else {
                decoder.decode(raw, count: count, into: scratch.baseAddress!)
                try body(first, UnsafeBufferPointer(rebasing: scratch[0..<count]))
            }
        }
    }

    /// Reads the whole image into memory as Float32 (all frames).
    public func readVolume() throws -> Volume {
        try checkVoxelDataSize()
        let decoder = VoxelDecoder(header: header)
        let total = header.voxelCount
        // A .gz within deflate's 1032:1 bound can still claim more than memory holds: refuse rather than abort.
        let needed = total.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if needed.overflow || needed.partialValue > physical {
            throw NIfTIError.exceedsMemory(path: imagePath, neededBytes: needed.overflow ? Int.max : needed.partialValue, physicalBytes: physical)
        }
        let voxels = try [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            try streamRaw { first, count, raw in
                decoder.decode(raw, count: count, into: buffer.baseAddress! + first)
            }
            initialized = total
        }
        return Volume(grid: grid, frames: header.frames, voxels: voxels, repetitionTime: header.repetitionTime)
    }

    /// Reads one 3D image; a 4D file with one frame is accepted, more frames are an error.
    public func readVolume3D() throws -> Volume {
        guard header.frames == 1 else {
            throw NIfTIError.invalidField(path: path, field: "dim", value: "\(header.dim)", expected: "a 3D image (one frame)")
        }
        return try readVolume()
    }

    /// Streams raw (undecoded) voxel bytes chunk by chunk, reading ahead on a second thread.
    func streamRaw(_ consume: (_ firstVoxel: Int, _ count: Int, _ raw: UnsafeRawPointer) throws -> Void) throws {
        let stream = try openDataStream()
        let byteSize = header.datatype.byteSize
        let total = header.voxelCount
        let chunk = chunkVoxels
        let chunkCount = (total + chunk - 1) / chunk
        let pipeline = ReadAheadPipeline(slots: 3, slotBytes: chunk * byteSize)
        let path = imagePath
        pipeline.start(chunkCount: chunkCount) { index, buffer in
            let count = min(chunk, total - index * chunk)
            let want = count * byteSize
            let got = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            if got < want {
                throw NIfTIError.truncatedData(path: path, expectedBytes: total * byteSize,
                                               availableBytes: index * chunk * byteSize + got)
            }
        }
        try pipeline.consume { index, buffer in
            let first = index * chunk
            try consume(first, min(chunk, total - first), UnsafeRawPointer(buffer.baseAddress!))
        }
    }

    /// Deflate's largest expansion (258-byte matches coded in about 2 bits): no gzip file inflates
    /// to more than 1032 times its size.
    static let maximumDeflateRatio = 1032

    /// Refuses a header that claims more voxel data than its file can hold — more than the bytes
    /// after `vox_offset`, or more than 1032 × the size of a gzip file — before anything is allocated
    /// for it (a 4 KB file claiming 2048³ voxels would otherwise abort on a failed allocation).
    /// One `stat`; callers that size buffers from the header call it first. Short gzip data within
    /// the bound is still caught while streaming.
    public func checkVoxelDataSize() throws {
        _ = try openCheckedDataFile()
    }

    /// A byte stream positioned at the first voxel, after checking that the data file exists
    /// and that `vox_offset` lies inside it.
    func openDataStream() throws -> ByteStream {
        let (file, gzip) = try openCheckedDataFile()
        let offset = header.voxOffset
        if gzip {
            let stream = try GzipInflater(file: file)
            let skipped = try stream.skip(offset)
            if skipped < offset { throw NIfTIError.voxOffsetBeyondEnd(path: imagePath, offset: offset, fileSize: skipped) }
            return stream
        }
        return try PlainFileStream(file: file, offset: offset)
    }

    /// The opened data file and whether it is gzip-compressed, once its size can hold the claimed voxels.
    private func openCheckedDataFile() throws -> (file: FileHandleBox, gzip: Bool) {
        guard FileManager.default.fileExists(atPath: imagePath) else {
            throw NIfTIError.missingImageFile(path: path, expected: imagePath)
        }
        let file = try FileHandleBox(path: imagePath)
        let size = try file.size()
        let offset = header.voxOffset
        let needed = header.voxelCount * header.datatype.byteSize
        if try isGzip(file) {
            let (bound, overflow) = size.multipliedReportingOverflow(by: Self.maximumDeflateRatio)
            if !overflow && (needed > bound || offset > bound - needed) {
                throw NIfTIError.exceedsCompressedBound(path: imagePath, expectedBytes: needed, compressedBytes: size)
            }
            return (file, true)
        }
        if offset > size { throw NIfTIError.voxOffsetBeyondEnd(path: imagePath, offset: offset, fileSize: size) }
        if size - offset < needed {
            throw NIfTIError.truncatedData(path: imagePath, expectedBytes: needed, availableBytes: size - offset)
        }
        return (file, false)
    }
}
