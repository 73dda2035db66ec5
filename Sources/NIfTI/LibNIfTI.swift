import CNIfTI
import Foundation

/// Owns one `nifti_image` allocated by libnifti and frees it in `deinit`.
final class NIfTIImagePointer {
    let pointer: UnsafeMutablePointer<nifti_image>

    init?(_ pointer: UnsafeMutablePointer<nifti_image>?) {
        guard let pointer else { return nil }
        self.pointer = pointer
    }

    deinit { nifti_image_free(pointer) }
}

/// libnifti is quiet from the first call on: Cohortex reports errors itself.
let libniftiQuiet: Void = { nifti_set_debug_level(0) }()

enum LibNIfTI {
    /// Reads the header (no voxel data) through libnifti.
    static func readHeader(path: String) -> NIfTIImagePointer? {
        _ = libniftiQuiet
        return NIfTIImagePointer(nifti_image_read(path, 0))
    }

    static func affine(_ m: nifti_dmat44) -> Affine {
        let rows = [m.m.0, m.m.1, m.m.2, m.m.3]
        return Affine(rowMajor: rows.flatMap { [$0.0, $0.1, $0.2, $0.3] })
    }

    static func dmat44(_ a: Affine) -> nifti_dmat44 {
        var m = nifti_dmat44()
        m.m.0 = (a[0, 0], a[0, 1], a[0, 2], a[0, 3])
        m.m.1 = (a[1, 0], a[1, 1], a[1, 2], a[1, 3])
        m.m.2 = (a[2, 0], a[2, 1], a[2, 2], a[2, 3])
        m.m.3 = (0, 0, 0, 1)
        return m
    }

    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func unitName(_ code: Int32) -> String {
        switch code {
        case 1: return "meter"
        case 2: return "mm"
        case 3: return "micron"
        case 8: return "sec"
        case 16: return "msec"
        case 24: return "usec"
        case 32: return "hz"
        case 40: return "ppm"
        case 48: return "rads"
        default: return "unknown"
        }
    }

    static func secondsPerTimeUnit(_ code: Int32) -> Double {
        switch code {
        case 16: return 1e-3
        case 24: return 1e-6
        default: return 1
        }
    }
}
