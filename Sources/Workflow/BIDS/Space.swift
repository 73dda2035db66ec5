import Foundation

/// An output space in fMRIPrep's `NAME[:res-N]` form (`MNI152NLin2009cAsym:res-2`); `T1w` is the native
/// anatomical space (files with no `space-` entity).
public struct Space: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public var name: String
    /// The `res-` label, when the space has several resolutions.
    public var resolution: String?

    public init(name: String, resolution: String? = nil) {
        self.name = name
        self.resolution = resolution
    }

    /// Parses `NAME`, `NAME:res-N` or `NAME:N`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard BIDSName.isLabel(parts[0]) else { throw DiscoveryError.invalidSpace(text) }
        name = parts[0]
        if parts.count == 2 {
            let res = parts[1].hasPrefix("res-") ? String(parts[1].dropFirst(4)) : parts[1]
            guard BIDSName.isLabel(res) else { throw DiscoveryError.invalidSpace(text) }
            resolution = res
        }
    }

    /// The native anatomical space.
    public static let native = Space(name: "T1w")

    /// The space of a file: its `space-`/`res-` entities, or native when it has none.
    init(of name: BIDSName) {
        self.init(name: name["space"] ?? "T1w", resolution: name["res"])
    }

    /// True for a template space whose coordinates are MNI mm (seeds given in MNI mm need one).
    public var isMNI: Bool { name.hasPrefix("MNI") }

    public var description: String { resolution.map { "\(name):res-\($0)" } ?? name }

    public static func < (a: Space, b: Space) -> Bool { a.description < b.description }

    /// Picks this space among those found: the resolution must match when named; with several resolutions
    /// and none named the choice is refused with the list.
    public func pick(among available: Set<Space>) throws -> Space {
        let sameName = available.filter { $0.name == name }.sorted()
        if let resolution {
            guard let hit = sameName.first(where: { $0.resolution == resolution }) else {
                throw DiscoveryError.spaceNotFound(requested: description, available: available.sorted().map(\.description))
            }
            return hit
        }
        switch sameName.count {
        case 0: throw DiscoveryError.spaceNotFound(requested: description, available: available.sorted().map(\.description))
        case 1: return sameName[0]
        default: throw DiscoveryError.spaceAmbiguous(space: name, resolutions: sameName.map(\.description))
        }
    }
}
