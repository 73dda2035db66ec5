import Foundation
import NIfTI

/// The files one stage run writes, written as one set: every output in the order added, the JSON
/// sidecar(s) last — so a sidecar on disk always describes outputs that were written before it.
/// Each file is written through a temporary name and renamed into place (never a partial file).
public struct OutputSet {
    private var outputs: [(path: String, write: () throws -> Void)] = []
    private var sidecars: [(path: String, text: String)] = []

    public init() {}

    /// Adds an image (float32 NIfTI unless `datatype` says otherwise).
    public mutating func image(_ volume: Volume, to path: String, datatype: NIfTIDataType = .float32,
                               intent: NIfTIIntent = .none, intentName: String = "", description: String,
                               spaceCode: Int32 = 2) {
        outputs.append((path, {
            try NIfTIWriter.write(volume, to: path, datatype: datatype, intent: intent, intentName: intentName,
                                  description: description, spaceCode: spaceCode)
        }))
    }

    /// Adds a TSV table.
    public mutating func table(_ table: TSVTable, to path: String) {
        outputs.append((path, { try table.write(to: path) }))
    }

    /// Adds a file written by `body` (any other format).
    public mutating func file(_ path: String, _ body: @escaping () throws -> Void) {
        outputs.append((path, body))
    }

    /// Adds the sidecar of `output` (written after every output).
    public mutating func sidecar(_ provenance: Provenance, for output: String) {
        sidecars.append((sidecarPath(for: output), provenance.rendered))
    }

    /// Writes every output, then every sidecar; returns the paths in the order written.
    public func commit() throws -> [String] {
        for output in outputs { try output.write() }
        for sidecar in sidecars { try AtomicFile.write(sidecar.text, to: sidecar.path) }
        return outputs.map(\.path) + sidecars.map(\.path)
    }
}

/// A request that cannot be run as given (checked before any data is read).
public enum RequestError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// An output whose name does not end in an accepted extension.
    case outputExtension(path: String, accepted: [String])
    /// A required input list is empty.
    case missingInput(what: String)
    /// Several outputs would get the same name.
    case duplicateNames(what: String, names: [String])
    /// Several seeds share one output name without the `{seed}` placeholder.
    case seedPlaceholderMissing(seeds: Int, path: String)
    /// Two lists that must pair up have different lengths.
    case countMismatch(what: String, expected: Int, got: Int)
    /// Options that exclude each other, or one that needs another.
    case conflicting(detail: String)

    public var description: String {
        switch self {
        case .outputExtension(let path, let accepted):
            return "\(path): output name must end in \(accepted.joined(separator: " or "))"
        case .missingInput(let what):
            return "no \(what) given"
        case .duplicateNames(let what, let names):
            return "\(what) must differ: \(names.joined(separator: ", "))"
        case .seedPlaceholderMissing(let seeds, let path):
            return "\(path): with \(seeds) seeds the output names need {seed} (e.g. sub-01_desc-{seed}_stat-z_boldmap.nii.gz)"
        case .countMismatch(let what, let expected, let got):
            return "\(what): expected \(expected), got \(got)"
        case .conflicting(let detail):
            return detail
        }
    }

    public var errorDescription: String? { description }

    /// Throws `outputExtension` unless `path` ends in one of `accepted`.
    static func requireExtension(_ path: String, _ accepted: [String]) throws {
        guard accepted.contains(where: { path.hasSuffix($0) }) else { throw RequestError.outputExtension(path: path, accepted: accepted) }
    }

    static let imageExtensions = [".nii.gz", ".nii"]
}
