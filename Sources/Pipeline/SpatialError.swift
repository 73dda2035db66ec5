import Foundation
import NIfTI

/// Bad parameters or input for the smoothing, ALFF and ReHo stages (conditions every functional
/// stage shares are `SignalError`s). No message names a command-line flag.
public enum SpatialError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case invalidFWHM(value: Double)
    /// The series cannot resolve the ALFF band (too short, too much censored, band above Nyquist).
    case spectrumNotResolved(path: String, detail: String)
    case badBand(detail: String)
    case filterWithBand

    public var description: String {
        switch self {
        case .invalidFWHM(let v):
            return "the smoothing FWHM must be a finite number of millimetres ≥ 0, got \(v)"
        case .spectrumNotResolved(let p, let detail):
            return "\(p): \(detail)"
        case .badBand(let detail):
            return "frequency band: \(detail)"
        case .filterWithBand:
            return "ALFF is computed on the unfiltered cleaned signal: its band selects the frequencies, so no high-pass or low-pass filter applies"
        }
    }

    public var errorDescription: String? { description }
}
