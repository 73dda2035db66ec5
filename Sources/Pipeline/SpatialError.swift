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
    case badSampleMask(path: String, reason: String)
    case badNeighbourhood(value: Int)

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
        case .badSampleMask(let p, let reason):
            return "\(p): invalid sample mask: \(reason)"
        case .badNeighbourhood(let v):
            return "--neighbourhood must be 7, 19 or 27, got \(v)"
        }
    }

    public var errorDescription: String? { description }
}

/// `out.nii.gz` → `out.json`: the BIDS-style sidecar next to an output image.
public func sidecarPath(for imagePath: String) -> String {
    for suffix in [".nii.gz", ".nii", ".img.gz", ".img"] where imagePath.hasSuffix(suffix) {
        return String(imagePath.dropLast(suffix.count)) + ".json"
    }
    return imagePath + ".json"
}

/// Writes `object` as a pretty JSON sidecar next to `imagePath`, atomically.
public func writeSidecar(_ object: JSONValue, for imagePath: String) throws {
    try AtomicFile.write(object.rendered(pretty: true) + "\n", to: sidecarPath(for: imagePath))
}
