import CNIfTI
import Foundation

/// Writes NIfTI-1 single files (`.nii`, or `.nii.gz` compressed with ISA-L), atomically.
public enum NIfTIWriter {
    /// The datatypes Cohortex writes.
    public static let writableTypes: [NIfTIDataType] = [.float32, .int16, .uint8]

    /// Writes `volume` to `path` (gzip when the name ends in `.gz`) with sform and qform set from its
    /// affine (both with `spaceCode`: 2 aligned, 4 MNI), the given intent, via a temporary file renamed into place.
    public static func write(_ volume: Volume, to path: String, datatype: NIfTIDataType = .float32,
                             intent: NIfTIIntent = .none, intentName: String = "",
                             description: String = "cohortex", spaceCode: Int32 = 2) throws {
        let staged = try stage(volume, to: path, datatype: datatype, intent: intent, intentName: intentName,
                               description: description, spaceCode: spaceCode)
        do { try staged.commit() } catch {
            staged.discard()
            throw error
        }
    }

    /// Writes `volume` as `write` does, but leaves it under its temporary name (see `StagedFile`), so a
    /// set of outputs can be renamed into place together.
    public static func stage(_ volume: Volume, to path: String, datatype: NIfTIDataType = .float32,
                             intent: NIfTIIntent = .none, intentName: String = "",
                             description: String = "cohortex", spaceCode: Int32 = 2) throws -> StagedFile {
        guard writableTypes.contains(datatype) else {
            throw NIfTIError.unsupportedDatatype(path: path, code: datatype.rawValue, name: datatype.description)
        }
        let header = try makeHeader(volume, path: path, datatype: datatype, intent: intent,
                                    intentName: intentName, description: description, spaceCode: spaceCode)
        // float32 goes out straight from the voxel array (little-endian hosts); integer types are encoded.
        let encoded: [UInt8]? = datatype == .float32 && isLittleEndianHost ? nil : try encode(volume.voxels, as: datatype, path: path)
        var prefix = [UInt8](repeating: 0, count: 352)
        withUnsafeBytes(of: header) { raw in
            for i in 0..<348 { prefix[i] = raw[i] }
        }
        return try AtomicFile.stage(to: path) { file in
            try withPayload(volume.voxels, encoded) { payload in
                if path.hasSuffix(".gz") {
                    try ParallelGzip.write(prefix: prefix, payload: payload, to: file)
                } else {
                    try prefix.withUnsafeBytes { try file.write($0) }
                    try file.write(payload)
                }
            }
        }
    }

    static var isLittleEndianHost: Bool { 1.littleEndian == 1 }

    private static func withPayload(_ voxels: [Float], _ encoded: [UInt8]?, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let encoded { try encoded.withUnsafeBytes(body) } else { try voxels.withUnsafeBytes(body) }
    }

    static func makeHeader(_ volume: Volume, path: String, datatype: NIfTIDataType, intent: NIfTIIntent,
                           intentName: String, description: String, spaceCode: Int32) throws -> nifti_1_header {
        try makeHeader(grid: volume.grid, frames: volume.frames, repetitionTime: volume.repetitionTime, path: path,
                       datatype: datatype, intent: intent, intentName: intentName, description: description, spaceCode: spaceCode)
    }

    static func makeHeader(grid g: Grid, frames: Int, repetitionTime: Double?, path: String, datatype: NIfTIDataType,
                           intent: NIfTIIntent, intentName: String, description: String, spaceCode: Int32) throws -> nifti_1_header {
        _ = libniftiQuiet
        var dims: [Int64] = frames > 1 ? [4, Int64(g.nx), Int64(g.ny), Int64(g.nz), Int64(frames), 1, 1, 1]
                                              : [3, Int64(g.nx), Int64(g.ny), Int64(g.nz), 1, 1, 1, 1]
        guard let nim = NIfTIImagePointer(nifti_make_new_nim(&dims, Int32(datatype.rawValue), 0)) else {
            throw NIfTIError.writeFailed(path: path, reason: "libnifti could not create a header")
        }
        let n = nim.pointer
        let sto = LibNIfTI.dmat44(g.affine)
        n.pointee.sto_xyz = sto
        n.pointee.sform_code = spaceCode
        n.pointee.qform_code = spaceCode
        var qb = 0.0, qc = 0.0, qd = 0.0, qx = 0.0, qy = 0.0, qz = 0.0, dx = 0.0, dy = 0.0, dz = 0.0, qfac = 0.0
        nifti_dmat44_to_quatern(sto, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac)
        n.pointee.quatern_b = qb; n.pointee.quatern_c = qc; n.pointee.quatern_d = qd
        n.pointee.qoffset_x = qx; n.pointee.qoffset_y = qy; n.pointee.qoffset_z = qz
        n.pointee.qfac = qfac
        n.pointee.dx = dx; n.pointee.dy = dy; n.pointee.dz = dz
        n.pointee.pixdim.1 = dx; n.pointee.pixdim.2 = dy; n.pointee.pixdim.3 = dz
        n.pointee.pixdim.0 = qfac
        if frames > 1 {
            let tr = repetitionTime ?? 0
            n.pointee.dt = tr
            n.pointee.pixdim.4 = tr
        }
        n.pointee.xyz_units = 2   // mm
        n.pointee.time_units = 8  // sec
        n.pointee.scl_slope = 1
        n.pointee.scl_inter = 0
        let code = intent.code
        n.pointee.intent_code = code.code
        n.pointee.intent_p1 = code.p1
        n.pointee.intent_p2 = code.p2
        n.pointee.intent_p3 = code.p3
        copyCString(intentName, into: &n.pointee.intent_name)
        copyCString(description, into: &n.pointee.descrip)
        n.pointee.nifti_type = 1  // NIfTI-1, single file
        n.pointee.iname_offset = 352
        var hdr = nifti_1_header()
        guard nifti_convert_nim2n1hdr(n, &hdr) == 0 else {
            throw NIfTIError.writeFailed(path: path, reason: "libnifti could not encode a NIfTI-1 header (dimensions too large?)")
        }
        return hdr
    }

    private static func copyCString<T>(_ text: String, into tuple: inout T) {
        withUnsafeMutableBytes(of: &tuple) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            let bytes = Array(text.utf8.prefix(raw.count - 1))
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
    }

    /// Voxel bytes in `datatype`, little-endian; integer types need integral, in-range values.
    static func encode(_ voxels: [Float], as datatype: NIfTIDataType, path: String) throws -> [UInt8] {
        switch datatype {
        case .float32:
            return voxels.withUnsafeBytes { Array($0) }
        case .int16:
            return try integers(voxels, Int16.self, path: path, name: "int16")
        case .uint8:
            return try integers(voxels, UInt8.self, path: path, name: "uint8")
        default:
            throw NIfTIError.unsupportedDatatype(path: path, code: datatype.rawValue, name: datatype.description)
        }
    }

    private static func integers<T: FixedWidthInteger>(_ voxels: [Float], _: T.Type, path: String, name: String) throws -> [UInt8] {
        var out = [T](repeating: 0, count: voxels.count)
        for (i, v) in voxels.enumerated() {
            guard v.isFinite, v.rounded() == v, v >= Float(T.min), v <= Float(T.max) else {
                throw NIfTIError.valueNotRepresentable(path: path, datatype: name, value: v, index: i)
            }
            out[i] = T(v).littleEndian
        }
        return out.withUnsafeBytes { Array($0) }
    }
}
