/// The NIfTI voxel datatypes Cohortex reads (as Float32) and the subset it writes.
public enum NIfTIDataType: Int, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 2
    case int16 = 4
    case int32 = 8
    case float32 = 16
    case float64 = 64
    case int8 = 256
    case uint16 = 512
    case uint32 = 768
    case int64 = 1024
    case uint64 = 1280

    /// Bytes per voxel on disk.
    public var byteSize: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }

    /// The numpy-style name (`"int16"`, `"float32"`, …) used in JSON output.
    public var description: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float32: return "float32"
        case .float64: return "float64"
        }
    }

    /// Names of the NIfTI codes Cohortex does not read, for error messages.
    public static func name(ofCode code: Int) -> String {
        switch code {
        case 0: return "unknown"
        case 1: return "binary"
        case 32: return "complex64"
        case 128: return "rgb24"
        case 1536: return "float128"
        case 1792: return "complex128"
        case 2048: return "complex256"
        case 2304: return "rgba32"
        default: return NIfTIDataType(rawValue: code)?.description ?? "code-\(code)"
        }
    }
}

/// The intent codes Cohortex writes for statistical maps.
public enum NIfTIIntent: Sendable, Equatable {
    case none
    case tTest(degreesOfFreedom: Double)
    case fTest(numeratorDF: Double, denominatorDF: Double)
    case zScore
    case correlation(degreesOfFreedom: Double)
    case pValue
    case label
    case estimate

    /// NIfTI intent code and parameters p1…p3.
    public var code: (code: Int32, p1: Double, p2: Double, p3: Double) {
        switch self {
        case .none: return (0, 0, 0, 0)
        case .correlation(let df): return (2, df, 0, 0)
        case .tTest(let df): return (3, df, 0, 0)
        case .fTest(let a, let b): return (4, a, b, 0)
        case .zScore: return (5, 0, 0, 0)
        case .pValue: return (22, 0, 0, 0)
        case .estimate: return (1001, 0, 0, 0)
        case .label: return (1002, 0, 0, 0)
        }
    }
}
