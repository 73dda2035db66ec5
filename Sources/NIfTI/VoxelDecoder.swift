/// Converts raw on-disk voxels (any supported datatype and byte order) to scaled Float32.
/// Scaled values are computed in float64 (`v * slope + inter`, as nibabel does) and rounded once.
public struct VoxelDecoder: Sendable {
    public let datatype: NIfTIDataType
    public let swapBytes: Bool
    public let slope: Double
    public let intercept: Double

    public init(datatype: NIfTIDataType, byteOrder: ByteOrder, slope: Double, intercept: Double) {
        self.datatype = datatype
        #if _endian(little)
        swapBytes = byteOrder == .bigEndian
        #else
        swapBytes = byteOrder == .littleEndian
        #endif
        self.slope = slope
        self.intercept = intercept
    }

    public init(header: NIfTIHeader) {
        let s = header.effectiveScaling
        self.init(datatype: header.datatype, byteOrder: header.byteOrder, slope: s.slope, intercept: s.intercept)
    }

    var isIdentityScaling: Bool { slope == 1 && intercept == 0 }

    /// True when the raw bytes already are the decoded values (native float32, no scaling).
    public var isPassThrough: Bool { datatype == .float32 && !swapBytes && isIdentityScaling }

    /// Decodes `count` voxels from `raw` into `out`.
    public func decode(_ raw: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch datatype {
        case .uint8: convertInteger(raw, count, out, UInt8.self)
        case .int8: convertInteger(raw, count, out, Int8.self)
        case .uint16: convertInteger(raw, count, out, UInt16.self)
        case .int16: convertInteger(raw, count, out, Int16.self)
        case .uint32: convertInteger(raw, count, out, UInt32.self)
        case .int32: convertInteger(raw, count, out, Int32.self)
        case .uint64: convertInteger(raw, count, out, UInt64.self)
        case .int64: convertInteger(raw, count, out, Int64.self)
        case .float32: convertFloat32(raw, count, out)
        case .float64: convertFloat64(raw, count, out)
        }
    }

    @inline(__always)
    private func scaled(_ v: Double) -> Float { Float(v * slope + intercept) }

    private func convertInteger<T: FixedWidthInteger>(_ raw: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>, _: T.Type) {
        let size = MemoryLayout<T>.size
        switch (swapBytes, isIdentityScaling) {
        case (false, true):
            for i in 0..<count { out[i] = Float(Double(raw.loadUnaligned(fromByteOffset: i * size, as: T.self))) }
        case (false, false):
            for i in 0..<count { out[i] = scaled(Double(raw.loadUnaligned(fromByteOffset: i * size, as: T.self))) }
        case (true, true):
            for i in 0..<count { out[i] = Float(Double(raw.loadUnaligned(fromByteOffset: i * size, as: T.self).byteSwapped)) }
        case (true, false):
            for i in 0..<count { out[i] = scaled(Double(raw.loadUnaligned(fromByteOffset: i * size, as: T.self).byteSwapped)) }
        }
    }

    private func convertFloat32(_ raw: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        switch (swapBytes, isIdentityScaling) {
        case (false, true):
            UnsafeMutableRawPointer(out).copyMemory(from: raw, byteCount: count * 4)
        case (false, false):
            for i in 0..<count { out[i] = scaled(Double(raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self))) }
        case (true, true):
            for i in 0..<count { out[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).byteSwapped) }
        case (true, false):
            for i in 0..<count {
                out[i] = scaled(Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).byteSwapped)))
            }
        }
    }

    private func convertFloat64(_ raw: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            var bits = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            if swapBytes { bits = bits.byteSwapped }
            let v = Double(bitPattern: bits)
            out[i] = isIdentityScaling ? Float(v) : scaled(v)
        }
    }
}
