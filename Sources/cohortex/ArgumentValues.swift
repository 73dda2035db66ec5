import ArgumentParser
import Foundation
import Kernels
import Pipeline
import Stats

// Values parsed when the arguments are parsed: a malformed one is a usage error (exit 64) with the
// library's own explanation, never a failure later in `run()`.

/// Wraps a library parser for `@Option(transform:)`: its error becomes the usage message.
func parsing<T>(_ parse: @escaping @Sendable (String) throws -> T) -> @Sendable (String) throws -> T {
    { text in
        do { return try parse(text) } catch { throw ValidationError((error as? LocalizedError)?.errorDescription ?? "\(error)") }
    }
}

extension ConnectivityMatrix.Kind: ExpressibleByArgument {}
extension ConnectivityMatrix.Estimator: ExpressibleByArgument {}

/// `--neighbourhood 7|19|27`.
func parseNeighbourhood(_ text: String) throws -> ReHoNeighbourhood {
    guard let n = Int(text), let hood = ReHoNeighbourhood(rawValue: n) else {
        throw ValidationError("--neighbourhood must be 7, 19 or 27, got \(text)")
    }
    return hood
}

/// A frequency band `LOW,HIGH` in Hz with 0 ≤ LOW < HIGH < ∞.
struct FrequencyBand: ExpressibleByArgument {
    var low: Double
    var high: Double

    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo >= 0, hi > lo, hi.isFinite else { return nil }
        (low, high) = (lo, hi)
    }

    init(low: Double, high: Double) { (self.low, self.high) = (low, high) }

    var defaultValueDescription: String { "\(low),\(high)" }
}

