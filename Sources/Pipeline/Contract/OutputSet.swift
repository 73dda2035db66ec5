import Foundation
import Kernels
import NIfTI

/// The files one stage run writes, written as one unit:
/// 1. every output, then every sidecar, is written under a temporary name (nothing visible changes yet);
///    each sidecar lists the outputs it describes with their size and CRC-64, so a reader can tell a
///    complete, matching set from a stale or partial one;
/// 2. the previous version of any of these files is moved aside, sidecars first (so no sidecar is ever
///    visible beside outputs it does not describe);
/// 3. the new files are renamed into place in order, sidecars last;
/// 4. the previous versions are removed. If any step fails, the new files are removed and the previous
///    set is put back, and the error says so. A killed run leaves at most hidden temporaries (removed by
///    the next run once their process is gone) or new outputs without their sidecar (never trusted).
public struct OutputSet {
    private enum Item {
        case output(path: String, stage: @Sendable () throws -> StagedFile)
        case sidecar(path: String, provenance: Provenance, describes: [String])
    }
    private var items: [Item] = []
    private var undescribed: [String] = []

    public init() {}

    /// Adds an image (float32 NIfTI unless `datatype` says otherwise).
    public mutating func image(_ volume: Volume, to path: String, datatype: NIfTIDataType = .float32,
                               intent: NIfTIIntent = .none, intentName: String = "", description: String,
                               spaceCode: Int32 = 2) {
        add(path) {
            try NIfTIWriter.stage(volume, to: path, datatype: datatype, intent: intent, intentName: intentName,
                                  description: description, spaceCode: spaceCode)
        }
    }

    /// Adds a TSV table.
    public mutating func table(_ table: TSVTable, to path: String) {
        add(path) { try table.stage(to: path) }
    }

    /// Adds an output already written under its temporary name (a streamed image).
    public mutating func staged(_ file: StagedFile) {
        add(file.path) { file }
    }

    /// Adds an output written by `stage` (any other format).
    public mutating func file(_ path: String, _ stage: @escaping @Sendable () throws -> StagedFile) {
        add(path, stage)
    }

    private mutating func add(_ path: String, _ stage: @escaping @Sendable () throws -> StagedFile) {
        items.append(.output(path: path, stage: stage))
        undescribed.append(path)
    }

    /// Adds the sidecar of `output`; it describes the outputs added since the previous sidecar.
    public mutating func sidecar(_ provenance: Provenance, for output: String) {
        items.append(.sidecar(path: sidecarPath(for: output), provenance: provenance, describes: undescribed))
        undescribed = []
    }

    /// Writes the set with the stage's thread budget; every sidecar also gets the context's extra keys
    /// (a cohort run's job fingerprint, for resuming).
    public func commit(context: StageContext) throws -> [String] {
        try commit(parallelism: context.parallelism, extras: context.sidecarExtras)
    }

    /// Writes the set (outputs staged on up to `parallelism` threads), `extras` appended to every sidecar
    /// before its `Outputs`; returns the paths in the order they were renamed into place.
    public func commit(parallelism: Parallelism = .serial, extras: [(String, JSONValue)] = []) throws -> [String] {
        let outputs = items.compactMap { item -> (String, @Sendable () throws -> StagedFile)? in
            if case .output(let path, let stage) = item { return (path, stage) } else { return nil }
        }
        for folder in Set(items.map { (path(of: $0) as NSString).deletingLastPathComponent }) {
            TemporaryName.removeStale(in: folder)
        }
        // 1. Stage: outputs (independent, so in parallel), then the sidecars that describe them.
        let results = parallelism.map(chunks: outputs.count) { n in Result { try outputs[n].1() } }
        var staged = results.compactMap { try? $0.get() }
        if let failure = results.indices.first(where: { (try? results[$0].get()) == nil }) {
            staged.forEach { $0.discard() }
            throw OutputSetError(path: outputs[failure].0, underlying: Self.failure(results[failure]), previous: .unchanged)
        }
        let byPath = [String: StagedFile](staged.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        for case .sidecar(let path, var provenance, let describes) in items {
            provenance.add(extras)
            provenance.add("Outputs", .array(describes.map { output in
                let file = byPath[output]!
                return .object([("Path", .string((output as NSString).lastPathComponent)), ("Bytes", .int(file.size)),
                                ("CRC64", .string(file.checksumText))])
            }))
            do {
                staged.append(try AtomicFile.stage(provenance.rendered, to: path))
            } catch {
                staged.forEach { $0.discard() }
                throw OutputSetError(path: path, underlying: error, previous: .unchanged)
            }
        }
        // 2–4. Swap.
        var aside: [(path: String, hidden: String)] = []
        var placed = 0
        do {
            let sidecarsFirst = staged.filter { $0.path.hasSuffix(".json") } + staged.filter { !$0.path.hasSuffix(".json") }
            for file in sidecarsFirst where SystemCalls.fileExists(file.path) {
                let hidden = TemporaryName.make(for: file.path, kind: .previous)
                do { try SystemCalls.rename(file.path, to: hidden) } catch {
                    throw NIfTIError.writeFailed(path: file.path, reason: "cannot move the previous version aside: \(SystemCalls.reason(error))")
                }
                aside.append((file.path, hidden))
            }
            for file in staged {
                try file.commit()
                placed += 1
            }
        } catch {
            for file in staged[..<placed] { SystemCalls.remove(file.path) }
            for file in staged[placed...] { file.discard() }
            var restored = true
            for (path, hidden) in aside.reversed() {
                do { try SystemCalls.rename(hidden, to: path) } catch { restored = false }
            }
            let path = placed < staged.count ? staged[placed].path : staged.last?.path ?? ""
            throw OutputSetError(path: path, underlying: error, previous: aside.isEmpty ? .none : restored ? .restored : .lost)
        }
        for (_, hidden) in aside { SystemCalls.remove(hidden) }
        return staged.map(\.path)
    }

    private func path(of item: Item) -> String {
        switch item {
        case .output(let path, _), .sidecar(let path, _, _): return path
        }
    }

    private static func failure(_ result: Result<StagedFile, Error>) -> Error {
        if case .failure(let error) = result { return error }
        preconditionFailure("not a failure")
    }
}

/// A set of outputs that could not be written, and what became of the previous set.
public struct OutputSetError: Error, Sendable, CustomStringConvertible, LocalizedError {
    public enum Previous: Sendable, Equatable {
        /// Nothing had been renamed: every file on disk is as it was.
        case unchanged
        /// No previous outputs existed; the new ones were removed.
        case none
        /// The previous outputs were moved back into place.
        case restored
        /// Some previous outputs could not be moved back (their hidden `.prev-` copies remain).
        case lost
    }

    public let path: String
    public let underlying: Error
    public let previous: Previous

    public var description: String {
        let cause = (underlying as? LocalizedError)?.errorDescription ?? "\(underlying)"
        let outcome: String
        switch previous {
        case .unchanged: outcome = "no output was changed"
        case .none: outcome = "no output was written"
        case .restored: outcome = "the previous outputs were restored"
        case .lost: outcome = "the previous outputs could not all be restored (hidden .prev- copies kept beside them)"
        }
        return "\(cause.hasPrefix(path) ? cause : path + ": " + cause); \(outcome)"
    }

    public var errorDescription: String? { description }
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
