import Foundation

/// A JSON document with keys kept in insertion order, for sidecars and `--json` output
/// whose layout scripts rely on. Non-finite numbers become `null`.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    /// Serialised text; `pretty` indents by two spaces.
    public func rendered(pretty: Bool = false) -> String {
        var out = ""
        write(into: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(into out: inout String, pretty: Bool, indent: Int) {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let close = pretty ? String(repeating: "  ", count: indent) : ""
        let newline = pretty ? "\n" : ""
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let d): out += Self.format(d)
        case .string(let s): out += Self.quote(s)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            let inline = items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            if inline || !pretty {
                out += "[" + items.map { $0.rendered() }.joined(separator: pretty ? ", " : ",") + "]"
                return
            }
            out += "[" + newline
            for (n, item) in items.enumerated() {
                out += pad
                item.write(into: &out, pretty: pretty, indent: indent + 1)
                out += (n + 1 < items.count ? "," : "") + newline
            }
            out += close + "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (n, (key, value)) in pairs.enumerated() {
                out += pad + Self.quote(key) + (pretty ? ": " : ":")
                value.write(into: &out, pretty: pretty, indent: indent + 1)
                out += (n + 1 < pairs.count ? "," : "") + newline
            }
            out += close + "}"
        }
    }

    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) + ".0" }
        return "\(d)"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension JSONValue {
    /// A number, or null when absent or not finite.
    public static func number(_ d: Double?) -> JSONValue { d.map { .number($0) } ?? .null }
    public static func numbers(_ ds: [Double]) -> JSONValue { .array(ds.map { .number($0) }) }
    public static func ints(_ xs: [Int]) -> JSONValue { .array(xs.map { .int($0) }) }
}
