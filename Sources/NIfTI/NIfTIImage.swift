import CNIfTI
import Foundation

/// An opened NIfTI (or Analyze) image: its header, validated, and a lazy data proxy.
/// Reading voxels streams them from disk (inflating `.gz` with ISA-L); nothing is held in memory here.
public struct NIfTIImage: Sendable {
    /// The path the image was opened with (the header file for pairs).
    public let path: String
    /// The file holding voxel data (`.nii`, `.nii.gz`, `.img` or `.img.gz`).
    public let imagePath: String
    public let header: NIfTIHeader

    /// Opens `path` and validates its header; voxel data is not read.
    public init(path: String) throws {
        self.path = path
        let headerPath = Self.headerPath(for: path)
        let bytes = try Self.readHeaderBytes(path: headerPath)
        let raw = try RawHeader(bytes: bytes, path: headerPath)
        guard let nim = LibNIfTI.readHeader(path: headerPath) else {
            throw NIfTIError.headerRejected(path: headerPath)
        }
        let n = nim.pointer.pointee
        let isPair = n.nifti_type == 2 || n.nifti_type == 5 || (raw.format == .analyze75)
        var image = headerPath
        if let iname = n.iname { image = String(cString: iname) } else if isPair { image = Self.imagePathGuess(for: headerPath) }
        imagePath = image
        header = Self.makeHeader(raw: raw, nim: n, isPair: isPair)
    }

    /// The spatial grid of the image.
    public var grid: Grid { header.grid }

    // MARK: - Header assembly

    static func makeHeader(raw: RawHeader, nim n: nifti_image, isPair: Bool) -> NIfTIHeader {
        let shape = raw.shape
        let zooms = raw.zooms
        let qform = LibNIfTI.affine(n.qto_xyz)
        let sform = LibNIfTI.affine(n.sto_xyz)
        let affine: Affine
        if raw.format != .analyze75 && n.sform_code > 0 {
            affine = sform
        } else if raw.format != .analyze75 && n.qform_code > 0 {
            affine = qform
        } else {
            affine = fallbackAffine(raw: raw)
        }
        let intent = [n.intent_p1, n.intent_p2, n.intent_p3]
        return NIfTIHeader(
            format: raw.format, isPair: isPair, dim: shape, pixdim: zooms,
            datatype: NIfTIDataType(rawValue: raw.datatypeCode)!,
            sclSlope: raw.sclSlope, sclInter: raw.sclInter,
            qformCode: Int(n.qform_code), sformCode: Int(n.sform_code),
            qform: qform, sform: sform, affine: affine,
            xyzUnits: LibNIfTI.unitName(n.xyz_units), timeUnits: LibNIfTI.unitName(n.time_units),
            timeUnitSeconds: LibNIfTI.secondsPerTimeUnit(n.time_units),
            intentCode: Int(n.intent_code), intentName: LibNIfTI.string(n.intent_name), intentParameters: intent,
            description: LibNIfTI.string(n.descrip), toffset: n.toffset, calMin: n.cal_min, calMax: n.cal_max,
            voxOffset: Int(n.iname_offset), byteOrder: raw.swapped == (nifti_short_order() == 1) ? .bigEndian : .littleEndian)
    }

    /// nibabel's affine when neither sform nor qform is set: x flipped, origin at the
    /// Analyze/SPM originator when present and plausible, else at the grid centre.
    static func fallbackAffine(raw: RawHeader) -> Affine {
        var dims = raw.shape.prefix(3).map(Double.init)
        var zooms = raw.zooms.prefix(3).map { $0 }
        while dims.count < 3 { dims.append(1); zooms.append(1) }
        zooms[0] = -zooms[0]
        let origin = raw.analyzeOrigin.map(Double.init)
        let useOrigin = raw.format == .analyze75 && origin.contains { $0 != 0 }
            && zip(origin, dims).allSatisfy { $0 > -$1 && $0 < 2 * $1 }
        let centre = useOrigin ? origin.map { $0 - 1 } : dims.map { ($0 - 1) / 2 }
        return Affine.scaling(zooms[0], zooms[1], zooms[2],
                              origin: (-centre[0] * zooms[0], -centre[1] * zooms[1], -centre[2] * zooms[2]))
    }

    // MARK: - Paths

    static func headerPath(for path: String) -> String {
        for (image, header) in [(".img.gz", ".hdr.gz"), (".img", ".hdr"), (".IMG", ".HDR")] where path.hasSuffix(image) {
            return String(path.dropLast(image.count)) + header
        }
        return path
    }

    static func imagePathGuess(for headerPath: String) -> String {
        for (header, image) in [(".hdr.gz", ".img.gz"), (".hdr", ".img"), (".HDR", ".IMG")] where headerPath.hasSuffix(header) {
            return String(headerPath.dropLast(header.count)) + image
        }
        return headerPath
    }

    /// The first bytes of the header file (inflated when gzip-compressed).
    static func readHeaderBytes(path: String) throws -> [UInt8] {
        let stream = try openByteStream(path: path)
        var bytes = [UInt8](repeating: 0, count: 540)
        let n = try bytes.withUnsafeMutableBytes { try stream.read(into: $0) }
        if n == 0 { throw NIfTIError.notNIfTI(path: path, reason: "the file is empty") }
        return Array(bytes[0..<n])
    }
}
