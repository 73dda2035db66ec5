import Foundation
import NIfTI

/// Bad input to the smoothing, ALFF and ReHo stages; every case names the file concerned.
public enum SpatialError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case invalidFWHM(value: Double)
    case emptyMask(path: String)
    case notFourD(path: String, frames: Int, needed: Int, purpose: String)
    case missingRepetitionTime(path: String)
    case tooFewVolumes(path: String, detail: String)
    case badBand(detail: String)
    case badNeighbourhood(value: Int)
    case filterWithBand

    public var description: String {
        switch self {
        case .invalidFWHM(let v):
            return "--fwhm must be a finite number of millimetres ≥ 0, got \(v)"
        case .emptyMask(let p):
            return "\(p): the mask is empty (no non-zero, finite voxel)"
        case .notFourD(let p, let frames, let needed, let purpose):
            return "\(p): \(purpose) needs a 4D series of at least \(needed) volumes, the image has \(frames)"
        case .missingRepetitionTime(let p):
            return "\(p): no repetition time in the header (pixdim[4] is 0): pass --tr SECONDS"
        case .tooFewVolumes(let p, let detail):
            return "\(p): \(detail)"
        case .badBand(let detail):
            return "--band: \(detail)"
        case .filterWithBand:
            return "ALFF is computed on the unfiltered cleaned signal: its band selects the frequencies, so no high-pass or low-pass filter applies"
        case .badNeighbourhood(let v):
            return "--neighbourhood must be 7, 19 or 27, got \(v)"
        }
    }

    public var errorDescription: String? { description }
}
