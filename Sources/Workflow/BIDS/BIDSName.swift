import Foundation

/// A BIDS file name taken apart: `key-value` entities in order, the suffix and the extension.
/// Entities are parsed, never guessed from positions: `sub-01_task-rest_space-MNI_desc-preproc_bold.nii.gz`
/// gives sub=01, task=rest, space=MNI, desc=preproc, suffix bold, extension `.nii.gz`.
public struct BIDSName: Sendable, Hashable, CustomStringConvertible {
    /// Entities in file-name order.
    public let entities: [Entity]
    public let suffix: String
    /// Everything from the first dot (`.nii.gz`, `.tsv`, `.dtseries.nii`).
    public let fileExtension: String

    /// One `key-value` pair.
    public struct Entity: Sendable, Hashable {
        public let key: String
        public let value: String
    }

    /// Parses a file name (no folders); nil when it is not a BIDS name.
    public init?(fileName: String) {
        guard let dot = fileName.firstIndex(of: "."), dot != fileName.startIndex else { return nil }
        fileExtension = String(fileName[dot...])
        let parts = fileName[..<dot].split(separator: "_", omittingEmptySubsequences: false)
        guard let last = parts.last, parts.count >= 2, BIDSName.isLabel(last) else { return nil }
        var entities: [Entity] = []
        for part in parts.dropLast() {
            let pair = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, BIDSName.isLabel(pair[0]), BIDSName.isLabel(pair[1]) else { return nil }
            entities.append(Entity(key: String(pair[0]), value: String(pair[1])))
        }
        guard entities.first?.key == "sub", Set(entities.map(\.key)).count == entities.count else { return nil }
        self.entities = entities
        suffix = String(last)
    }

    /// Builds a name from entities, suffix and extension (entities with nil values are left out).
    public init(_ entities: [(String, String?)], suffix: String, extension ext: String) {
        self.entities = entities.compactMap { key, value in value.map { Entity(key: key, value: $0) } }
        self.suffix = suffix
        fileExtension = ext
    }

    /// The value of entity `key`, if present.
    public subscript(key: String) -> String? { entities.first { $0.key == key }?.value }

    /// The name with entity `key` set (appended if absent), or removed when `value` is nil.
    public func setting(_ key: String, _ value: String?) -> BIDSName {
        var pairs = entities.map { ($0.key, Optional($0.value)) }
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else if value != nil { pairs.append((key, value)) }
        return BIDSName(pairs, suffix: suffix, extension: fileExtension)
    }

    /// The name with only the entities listed kept, in the order listed.
    public func keeping(_ keys: [String]) -> BIDSName {
        BIDSName(keys.map { ($0, self[$0]) }, suffix: suffix, extension: fileExtension)
    }

    /// The file name.
    public var description: String {
        (entities.map { "\($0.key)-\($0.value)" } + [suffix]).joined(separator: "_") + fileExtension
    }

    /// A BIDS label: letters and digits only (no `-`, `_`, `/`, `.` or control characters).
    public static func isLabel<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}
