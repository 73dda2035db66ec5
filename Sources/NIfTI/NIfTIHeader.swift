/// On-disk format family of a header.
public enum NIfTIFormat: Int, Sendable {
    case analyze75 = 0
    case nifti1 = 1
    case nifti2 = 2
}

/// Byte order of the voxel data on disk.
public enum ByteOrder: Sendable {
    case littleEndian, bigEndian
}

/// A NIfTI header copied out of libnifti into a value (nibabel's header model).
public struct NIfTIHeader: Sendable, Equatable {
    public var format: NIfTIFormat
    /// True for `.hdr`/`.img` pairs.
    public var isPair: Bool
    /// Image shape, `dim[1...dim[0]]`.
    public var dim: [Int]
    /// Voxel spacing for each dimension of `dim` (`pixdim[1...dim[0]]`).
    public var pixdim: [Double]
    public var datatype: NIfTIDataType
    public var sclSlope: Double
    public var sclInter: Double
    public var qformCode: Int
    public var sformCode: Int
    public var qform: Affine
    public var sform: Affine
    /// sform when `sform_code > 0`, else qform when `qform_code > 0`, else the pixdim fallback nibabel uses.
    public var affine: Affine
    public var xyzUnits: String
    public var timeUnits: String
    /// Seconds per unit of `pixdim[4]` (1 for sec/unknown, 1e-3 for ms, 1e-6 for µs).
    public var timeUnitSeconds: Double
    public var intentCode: Int
    public var intentName: String
    public var intentParameters: [Double]
    public var description: String
    public var toffset: Double
    public var calMin: Double
    public var calMax: Double
    /// Byte offset of the voxel data in the image file (after gzip inflation for `.gz`).
    public var voxOffset: Int
    public var byteOrder: ByteOrder

    /// Scale factors as applied on read: slope 0 or non-finite means no scaling (the standard's rule).
    public var effectiveScaling: (slope: Double, intercept: Double) {
        guard sclSlope != 0, sclSlope.isFinite else { return (1, 0) }
        return (sclSlope, sclInter.isFinite ? sclInter : 0)
    }

    /// True when voxel values are transformed on read.
    public var isScaled: Bool { effectiveScaling != (1, 0) }

    /// Repetition time in seconds, nil for images with fewer than four dimensions.
    public var repetitionTime: Double? {
        guard dim.count >= 4, pixdim.count >= 4 else { return nil }
        return pixdim[3] * timeUnitSeconds
    }

    /// The spatial grid (dimensions beyond the first three are frames).
    public var grid: Grid {
        Grid(nx: dim[0], ny: dim.count > 1 ? dim[1] : 1, nz: dim.count > 2 ? dim[2] : 1, affine: affine)
    }

    /// Number of 3D frames (product of dimensions 4 and up).
    public var frames: Int { dim.dropFirst(3).reduce(1, *) }

    /// Total voxels over all dimensions.
    public var voxelCount: Int { dim.reduce(1, *) }

    public static func == (a: NIfTIHeader, b: NIfTIHeader) -> Bool {
        a.format == b.format && a.isPair == b.isPair && a.dim == b.dim && a.pixdim == b.pixdim
            && a.datatype == b.datatype && a.sclSlope.bitPattern == b.sclSlope.bitPattern
            && a.sclInter.bitPattern == b.sclInter.bitPattern && a.qformCode == b.qformCode
            && a.sformCode == b.sformCode && a.qform == b.qform && a.sform == b.sform && a.affine == b.affine
            && a.xyzUnits == b.xyzUnits && a.timeUnits == b.timeUnits && a.intentCode == b.intentCode
            && a.intentName == b.intentName && a.intentParameters == b.intentParameters
            && a.description == b.description && a.voxOffset == b.voxOffset && a.byteOrder == b.byteOrder
    }
}
