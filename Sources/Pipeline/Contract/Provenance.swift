import Foundation
import NIfTI

/// Builds a stage's JSON sidecar: the same leading keys in every sidecar (software, version, stage),
/// then the stage's own entries, so a reader finds "what made this file" in one place.
public struct Provenance: Sendable {
    /// The stage that wrote the outputs.
    public let stage: String
    private(set) var entries: [(String, JSONValue)] = []

    public init(stage: String) { self.stage = stage }

    /// Adds one entry (keys keep their insertion order).
    public mutating func add(_ key: String, _ value: JSONValue) { entries.append((key, value)) }

    /// Adds entries in order.
    public mutating func add(_ pairs: [(String, JSONValue)]) { entries += pairs }

    /// The sidecar object.
    public var json: JSONValue {
        .object([
            ("Software", .string("cohortex")),
            ("SoftwareVersion", .string(CohortexVersion.string)),
            ("Stage", .string(stage)),
        ] + entries)
    }

    /// The sidecar as written: pretty JSON and a final newline.
    public var rendered: String { json.rendered(pretty: true) + "\n" }
}

/// The sidecar beside an output: `out.nii.gz`, `out.nii`, `out.img(.gz)`, `out.hdr` and `out.tsv`
/// all give `out.json` (BIDS); any other name gets `.json` appended.
public func sidecarPath(for output: String) -> String {
    for suffix in [".nii.gz", ".nii", ".img.gz", ".img", ".hdr", ".tsv"] where output.hasSuffix(suffix) {
        return String(output.dropLast(suffix.count)) + ".json"
    }
    return output + ".json"
}

/// File name without `.nii`, `.nii.gz`, `.hdr`, `.img`(`.gz`) — the stem used to name derived outputs.
public func imageStem(of path: String) -> String {
    var name = URL(fileURLWithPath: path).lastPathComponent
    for ext in [".gz", ".nii", ".hdr", ".img"] where name.hasSuffix(ext) { name = String(name.dropLast(ext.count)) }
    return name
}
