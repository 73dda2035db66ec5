import Foundation

/// The fields Cohortex validates itself, parsed straight from the header bytes,
/// so that every defect gets a precise message before libnifti sees the file.
struct RawHeader {
    var format: NIfTIFormat
    var swapped: Bool
    var sizeofHeader: Int
    var dim: [Int]          // dim[0...7] as stored
    var pixdim: [Double]    // pixdim[0...7] as stored
    var datatypeCode: Int
    var voxOffset: Double
    var sclSlope: Double
    var sclInter: Double
    var analyzeOrigin: [Int] // Analyze/SPM originator (1-based), zeros when absent

    /// Parses and validates `bytes` (at least the first 348 or 540 bytes of the header file).
    init(bytes: [UInt8], path: String) throws {
        guard bytes.count >= 4 else {
            throw NIfTIError.truncatedHeader(path: path, bytes: bytes.count, expected: 348)
        }
        let reader = ByteReader(bytes: bytes, swapped: false)
        let size = reader.int32(0)
        let swappedSize = Int32(bitPattern: UInt32(bitPattern: size).byteSwapped)
        switch (size, swappedSize) {
        case (348, _): swapped = false; sizeofHeader = 348
        case (540, _): swapped = false; sizeofHeader = 540
        case (_, 348): swapped = true; sizeofHeader = 348
        case (_, 540): swapped = true; sizeofHeader = 540
        default:
            throw NIfTIError.notNIfTI(path: path, reason: "sizeof_hdr is \(size); expected 348 (NIfTI-1/Analyze) or 540 (NIfTI-2)")
        }
        guard bytes.count >= sizeofHeader else {
            throw NIfTIError.truncatedHeader(path: path, bytes: bytes.count, expected: sizeofHeader)
        }
        let r = ByteReader(bytes: bytes, swapped: swapped)
        if sizeofHeader == 540 {
            let magic = Array(bytes[4..<8])
            guard magic == Array("n+2\0".utf8) || magic == Array("ni2\0".utf8) else {
                throw NIfTIError.notNIfTI(path: path, reason: "sizeof_hdr is 540 but the NIfTI-2 magic is missing")
            }
            format = .nifti2
            datatypeCode = Int(r.int16(12))
            dim = (0..<8).map { Int(r.int64(16 + 8 * $0)) }
            pixdim = (0..<8).map { r.float64(104 + 8 * $0) }
            voxOffset = Double(r.int64(168))
            sclSlope = r.float64(176)
            sclInter = r.float64(184)
            analyzeOrigin = [0, 0, 0]
        } else {
            let magic = Array(bytes[344..<348])
            format = (magic == Array("n+1\0".utf8) || magic == Array("ni1\0".utf8)) ? .nifti1 : .analyze75
            datatypeCode = Int(r.int16(70))
            dim = (0..<8).map { Int(r.int16(40 + 2 * $0)) }
            pixdim = (0..<8).map { Double(r.float32(76 + 4 * $0)) }
            voxOffset = Double(r.float32(108))
            sclSlope = Double(r.float32(112))
            sclInter = Double(r.float32(116))
            if format == .analyze75 && !(sclSlope.isFinite && sclSlope != 0) {
                // SPM2's rule (as nibabel's Spm2AnalyzeHeader): derive scaling from the gl/cal ranges.
                let glmax = Double(r.int32(140)), glmin = Double(r.int32(144))
                let calmax = Double(r.float32(124)), calmin = Double(r.float32(128))
                if glmax != glmin && calmax != calmin {
                    sclSlope = (calmax - calmin) / (glmax - glmin)
                    sclInter = calmin - sclSlope * glmin
                } else {
                    sclSlope = 0
                    sclInter = 0
                }
            }
            analyzeOrigin = format == .analyze75 ? (0..<3).map { Int(r.int16(253 + 2 * $0)) } : [0, 0, 0]
        }
        try validate(path: path)
    }

    private func validate(path: String) throws {
        let rank = dim[0]
        guard (1...7).contains(rank) else {
            throw NIfTIError.invalidField(path: path, field: "dim[0]", value: "\(rank)", expected: "a rank between 1 and 7")
        }
        for axis in 1...rank where dim[axis] < 1 {
            throw NIfTIError.invalidField(path: path, field: "dim[\(axis)]", value: "\(dim[axis])", expected: "a positive size")
        }
        guard let type = NIfTIDataType(rawValue: datatypeCode) else {
            throw NIfTIError.unsupportedDatatype(path: path, code: datatypeCode, name: NIfTIDataType.name(ofCode: datatypeCode))
        }
        var total = type.byteSize
        for axis in 1...rank {
            let (product, overflow) = total.multipliedReportingOverflow(by: dim[axis])
            guard !overflow else { throw NIfTIError.dimensionOverflow(path: path, dims: Array(dim[1...rank])) }
            total = product
        }
        guard voxOffset.isFinite, voxOffset >= 0, voxOffset < 1e15 else {
            throw NIfTIError.invalidField(path: path, field: "vox_offset", value: "\(voxOffset)", expected: "a non-negative byte offset")
        }
        if format != .analyze75, (total + Int(voxOffset)) < 0 {
            throw NIfTIError.dimensionOverflow(path: path, dims: Array(dim[1...rank]))
        }
    }

    var shape: [Int] { Array(dim[1...dim[0]]) }
    var zooms: [Double] { Array(pixdim[1...dim[0]]) }
}

/// Endian-aware field access into a header byte array.
private struct ByteReader {
    let bytes: [UInt8]
    let swapped: Bool

    private func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        return swapped ? value.byteSwapped : value
    }

    func int16(_ offset: Int) -> Int16 { load(offset, as: Int16.self) }
    func int32(_ offset: Int) -> Int32 { load(offset, as: Int32.self) }
    func int64(_ offset: Int) -> Int64 { load(offset, as: Int64.self) }
    func float32(_ offset: Int) -> Float { Float(bitPattern: load(offset, as: UInt32.self)) }
    func float64(_ offset: Int) -> Double { Double(bitPattern: load(offset, as: UInt64.self)) }
}
