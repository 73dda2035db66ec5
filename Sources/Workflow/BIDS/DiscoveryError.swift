import Foundation

/// Why a dataset could not be read as an fMRIPrep/CAT12 cohort.
public enum DiscoveryError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case notAFolder(path: String)
    case noFMRIPrepDerivatives(root: String)
    case invalidSpace(String)
    case spaceNotFound(requested: String, available: [String])
    case spaceAmbiguous(space: String, resolutions: [String])
    case invalidLabel(what: String, label: String)
    case unknownParticipants(labels: [String])
    case noParticipants(root: String)
    case noCAT12Derivatives(root: String)
    case participantsTable(path: String, reason: String)
    case cat12Report(path: String, reason: String)
    case sessionAmbiguous(participant: String, sessions: [String])

    public var description: String {
        switch self {
        case .notAFolder(let path): return "\(path): not a folder"
        case .noFMRIPrepDerivatives(let root):
            return "\(root): no fMRIPrep derivatives found (expected the fMRIPrep output folder itself, or derivatives/<name>/ with fMRIPrep's dataset_description.json and sub-*/ folders)"
        case .invalidSpace(let text): return "'\(text)': expected a space as NAME or NAME:res-N (letters and digits)"
        case .spaceNotFound(let requested, let available):
            return "space \(requested) not found; the derivatives have: \(available.isEmpty ? "none" : available.joined(separator: ", "))"
        case .spaceAmbiguous(let space, let resolutions):
            return "space \(space) exists at several resolutions (\(resolutions.joined(separator: ", "))): name one"
        case .invalidLabel(let what, let label):
            return "\(what) '\(label)': a BIDS label has letters and digits only"
        case .unknownParticipants(let labels):
            return "no derivatives for participant(s) \(labels.map { "sub-\($0)" }.joined(separator: ", "))"
        case .noParticipants(let root): return "\(root): no sub-* folders"
        case .noCAT12Derivatives(let root): return "\(root): no derivatives/cat12 folder, and a CAT12 pipeline needs CAT12's outputs"
        case .participantsTable(let path, let reason): return "\(path): \(reason)"
        case .cat12Report(let path, let reason): return "\(path): \(reason)"
        case .sessionAmbiguous(let participant, let sessions):
            return "sub-\(participant) has several sessions (\(sessions.map { "ses-\($0)" }.joined(separator: ", "))): the pipeline must name the session a cross-sectional analysis uses"
        }
    }

    public var errorDescription: String? { description }
}
