import Foundation
import Yams

/// Why a pipeline file was refused: every case names the file, the key path and the line.
public enum PipelineFileError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case unreadable(file: String, reason: String)
    case syntax(file: String, reason: String)
    case unknownKey(file: String, path: String, line: Int, allowed: [String])
    case wrongType(file: String, path: String, line: Int, expected: String)
    case missingField(file: String, path: String, line: Int)
    case invalidValue(file: String, path: String, line: Int, reason: String)
    case unknownPreset(name: String, available: [String])

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read the pipeline file (\(reason))"
        case .syntax(let file, let reason): return "\(file): not valid YAML: \(reason)"
        case .unknownKey(let file, let path, let line, let allowed):
            return "\(file):\(line): unknown key '\(path)' (expected one of: \(allowed.joined(separator: ", ")))"
        case .wrongType(let file, let path, let line, let expected):
            return "\(file):\(line): '\(path)' must be \(expected)"
        case .missingField(let file, let path, let line): return "\(file):\(line): '\(path)' is required"
        case .invalidValue(let file, let path, let line, let reason): return "\(file):\(line): '\(path)': \(reason)"
        case .unknownPreset(let name, let available):
            return "'\(name)' is neither a pipeline file nor a preset (presets: \(available.joined(separator: ", ")))"
        }
    }

    public var errorDescription: String? { description }
}

/// A YAML node with its key path, read strictly: wrong types and unknown keys are errors with a line number.
struct SpecNode {
    let node: Node
    let path: String
    let file: String

    var line: Int { node.mark?.line ?? 0 }

    /// Composes `text`; an empty document is an empty mapping.
    static func root(yaml text: String, file: String) throws -> SpecNode {
        do {
            let node = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
            return SpecNode(node: node, path: "", file: file)
        } catch {
            throw PipelineFileError.syntax(file: file, reason: "\(error)".replacingOccurrences(of: "\n", with: " "))
        }
    }

    func fail(_ reason: String) -> PipelineFileError {
        .invalidValue(file: file, path: path, line: line, reason: reason)
    }

    private func wrongType(_ expected: String) -> PipelineFileError {
        .wrongType(file: file, path: path, line: line, expected: expected)
    }

    /// True for `~`, `null` or an empty value.
    var isNull: Bool {
        if case .scalar(let s) = node { return s.tag == Tag(.null) || (s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)) }
        return false
    }

    /// The node as a mapping whose keys must all be in `allowed`.
    func mapping(allowed: [String]) throws -> SpecMapping {
        guard case .mapping(let mapping) = node else { throw wrongType("a mapping (key: value lines)") }
        var entries: [(String, SpecNode)] = []
        for (key, value) in mapping {
            guard case .scalar(let k) = key else { throw wrongType("a mapping with plain keys") }
            let child = path.isEmpty ? k.string : path + "." + k.string
            guard allowed.contains(k.string) else {
                throw PipelineFileError.unknownKey(file: file, path: child, line: key.mark?.line ?? line, allowed: allowed)
            }
            if entries.contains(where: { $0.0 == k.string }) { throw PipelineFileError.invalidValue(file: file, path: child, line: key.mark?.line ?? line, reason: "given twice") }
            entries.append((k.string, SpecNode(node: value, path: child, file: file)))
        }
        return SpecMapping(entries: entries, owner: self)
    }

    func string() throws -> String {
        guard case .scalar(let s) = node, !isNull else { throw wrongType("text") }
        return s.string
    }

    func int() throws -> Int {
        guard case .scalar(let s) = node, s.style == .plain, let value = Int(s.string) else { throw wrongType("a whole number") }
        return value
    }

    func double() throws -> Double {
        guard case .scalar(let s) = node, s.style == .plain, let value = Double(s.string), value.isFinite else {
            throw wrongType("a finite number")
        }
        return value
    }

    func bool() throws -> Bool {
        guard case .scalar(let s) = node, s.style == .plain else { throw wrongType("true or false") }
        switch s.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw wrongType("true or false")
        }
    }

    func sequence() throws -> [SpecNode] {
        guard case .sequence(let items) = node else { throw wrongType("a list") }
        return items.enumerated().map { SpecNode(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    func strings() throws -> [String] { try sequence().map { try $0.string() } }
    func doubles() throws -> [Double] { try sequence().map { try $0.double() } }
}

/// The entries of a mapping node, looked up by key.
struct SpecMapping {
    let entries: [(String, SpecNode)]
    let owner: SpecNode

    /// The value of `key`, nil when absent or null.
    func optional(_ key: String) -> SpecNode? {
        entries.first { $0.0 == key }.map(\.1).flatMap { $0.isNull ? nil : $0 }
    }

    /// The value of `key`; missing or null is an error naming the key.
    func required(_ key: String) throws -> SpecNode {
        guard let node = optional(key) else {
            let path = owner.path.isEmpty ? key : owner.path + "." + key
            throw PipelineFileError.missingField(file: owner.file, path: path, line: owner.line)
        }
        return node
    }
}
