import Foundation

/// Why a study cannot be simulated or written; each case names the option or folder involved.
public enum SimulationError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case participantsOutOfRange(Int)
    case tooFewVolumes(Int)
    case shapeTooSmall(nx: Int, ny: Int, nz: Int)
    case invalidVoxelSize(Double)
    case invalidRepetitionTime(Double)
    case studyTooLarge(voxels: Int, volumes: Int)
    case outputNotEmpty(path: String)
    case outputNotAFolder(path: String)
    case cannotCreateFolder(path: String, reason: String)

    public var description: String {
        switch self {
        case .participantsOutOfRange(let n):
            return "participants must be between 1 and 99 (two-digit labels), got \(n)"
        case .tooFewVolumes(let n):
            return "volumes must be at least 10, got \(n)"
        case .shapeTooSmall(let nx, let ny, let nz):
            return "every grid dimension must be at least 8 voxels, got \(nx)×\(ny)×\(nz)"
        case .invalidVoxelSize(let v):
            return "voxel size must be a positive number of millimetres, got \(v)"
        case .invalidRepetitionTime(let tr):
            return "repetition time must be a positive number of seconds, got \(tr)"
        case .studyTooLarge(let voxels, let volumes):
            return "a run of \(voxels) voxels × \(volumes) volumes exceeds the simulator's limit of \(StudySimulator.maximumRunValues) values"
        case .outputNotEmpty(let p):
            return "\(p): the output folder exists and is not empty (the simulator writes into a new or empty folder only)"
        case .outputNotAFolder(let p):
            return "\(p): exists and is not a folder"
        case .cannotCreateFolder(let p, let reason):
            return "\(p): cannot create the output folder: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
