import Foundation

/// A functional run that cannot be analysed as asked — the same case, whichever stage meets it
/// (seed-map, conmat, alff, reho). Each names the file concerned; none names a command-line flag.
public enum SignalError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The mask holds no voxel to analyse.
    case emptyMask(path: String)
    /// A 3D image, or too few volumes, where a series is needed.
    case notFourD(path: String, frames: Int, needed: Int, purpose: String)
    /// Filtering or a spectrum needs the repetition time, and neither the header nor the request gives one.
    case missingRepetitionTime(path: String)
    /// Too few volumes are left after dummy scans or censoring.
    case tooFewVolumes(path: String, kept: Int, frames: Int, detail: String, minimum: Int)
    /// The cleaning operator cannot be built for this run (e.g. a filter longer than the series).
    case cleaningFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .emptyMask(let p):
            return "\(p): the mask is empty (no non-zero, finite voxel)"
        case .notFourD(let p, let frames, let needed, let purpose):
            return "\(p): \(purpose) needs a 4D series of at least \(needed) volumes, the image has \(frames)"
        case .missingRepetitionTime(let p):
            return "\(p): no repetition time in the header (pixdim[4] is 0), and filtering or a spectrum needs one"
        case .tooFewVolumes(let p, let kept, let frames, let detail, let minimum):
            return "\(p): only \(kept) of \(frames) volumes remain after \(detail); at least \(minimum) are needed"
        case .cleaningFailed(let p, let reason):
            return "\(p): cannot clean the series: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
