import Foundation

/// Everything that can go wrong reading or writing a NIfTI file; each case names the file.
public enum NIfTIError: Error, Equatable, Sendable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case notNIfTI(path: String, reason: String)
    case truncatedHeader(path: String, bytes: Int, expected: Int)
    case invalidField(path: String, field: String, value: String, expected: String)
    case dimensionOverflow(path: String, dims: [Int])
    case unsupportedDatatype(path: String, code: Int, name: String)
    case missingImageFile(path: String, expected: String)
    case voxOffsetBeyondEnd(path: String, offset: Int, fileSize: Int)
    case truncatedData(path: String, expectedBytes: Int, availableBytes: Int)
    case exceedsCompressedBound(path: String, expectedBytes: Int, compressedBytes: Int)
    case exceedsMemory(path: String, neededBytes: Int, physicalBytes: Int)
    case corruptGzip(path: String, reason: String)
    case headerRejected(path: String)
    case gridMismatch(path: String, reference: String, detail: String)
    case valueNotRepresentable(path: String, datatype: String, value: Float, index: Int)
    case writeFailed(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let p), .unreadable(let p, _), .notNIfTI(let p, _),
             .truncatedHeader(let p, _, _), .invalidField(let p, _, _, _), .dimensionOverflow(let p, _),
             .unsupportedDatatype(let p, _, _), .missingImageFile(let p, _), .voxOffsetBeyondEnd(let p, _, _),
             .truncatedData(let p, _, _), .exceedsCompressedBound(let p, _, _), .exceedsMemory(let p, _, _), .corruptGzip(let p, _), .headerRejected(let p),
             .gridMismatch(let p, _, _), .valueNotRepresentable(let p, _, _, _), .writeFailed(let p, _):
            return p
        }
    }
}

extension NIfTIError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case .fileNotFound(let p):
            return "\(p): no such file"
        case .unreadable(let p, let reason):
            return "\(p): cannot read: \(reason)"
        case .notNIfTI(let p, let reason):
            return "\(p): not a NIfTI file: \(reason)"
        case .truncatedHeader(let p, let bytes, let expected):
            return "\(p): truncated header: \(bytes) bytes, expected \(expected)"
        case .invalidField(let p, let field, let value, let expected):
            return "\(p): invalid header field \(field) = \(value) (expected \(expected))"
        case .dimensionOverflow(let p, let dims):
            return "\(p): image dimensions \(dims) overflow: the voxel count or byte size does not fit in 64 bits"
        case .unsupportedDatatype(let p, let code, let name):
            return "\(p): unsupported datatype \(name) (code \(code)); supported: uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64"
        case .missingImageFile(let p, let expected):
            return "\(p): image data file not found (looked for \(expected))"
        case .voxOffsetBeyondEnd(let p, let offset, let size):
            return "\(p): vox_offset \(offset) lies beyond the end of the file (\(size) bytes)"
        case .truncatedData(let p, let expected, let available):
            return "\(p): truncated voxel data: expected \(expected) bytes, file holds \(available)"
        case .exceedsMemory(let p, let needed, let physical):
            return "\(p): holding the whole image needs \(needed) bytes, more than this machine's \(physical) bytes of memory"
        case .exceedsCompressedBound(let p, let expected, let compressed):
            let most = compressed.multipliedReportingOverflow(by: NIfTIImage.maximumDeflateRatio)
            return "\(p): header claims \(expected) bytes of voxel data, but \(compressed) compressed bytes inflate to at most \(most.overflow ? Int.max : most.partialValue) (deflate's maximum ratio, 1032:1)"
        case .corruptGzip(let p, let reason):
            return "\(p): corrupt gzip stream: \(reason)"
        case .headerRejected(let p):
            return "\(p): libnifti rejected the header as invalid"
        case .gridMismatch(let p, let reference, let detail):
            return "\(p): grid differs from \(reference): \(detail)"
        case .valueNotRepresentable(let p, let datatype, let value, let index):
            return "\(p): value \(value) at voxel \(index) cannot be stored as \(datatype)"
        case .writeFailed(let p, let reason):
            return "\(p): write failed: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
