import Foundation
import Kernels
import NIfTI

/// Names for atlas labels, from a BIDS-style TSV (`index`, `name` columns), the plain
/// `index name [r g b a]` lookup tables atlases ship (FSL, AFNI, FreeSurferColorLUT), or an FSL
/// atlas XML file (`<label index="i">name</label>`; FSL's indices are zero-based, so label i names
/// the voxels holding i + 1 in the atlas image, as FSLeyes and nilearn read them).
public struct LabelTable: Sendable, Equatable {
    public var names: [Int: String]

    public init(names: [Int: String]) { self.names = names }

    public init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw TableError.fileNotFound(path: path) }
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\r\n", with: "\n")
        if text.drop(while: { $0.isWhitespace }).hasPrefix("<") {
            self.init(names: try Self.fslXML(text, path: path))
            return
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let header = lines.first, header.contains("\t"),
           Set(header.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }).isSuperset(of: ["index", "name"]) {
            let table = try TSVTable(contentsOf: path)
            let indices = try table.column("index"), names = try table.column("name")
            var map: [Int: String] = [:], lineOf: [Int: Int] = [:]
            for (n, (i, name)) in zip(indices, names).enumerated() {
                guard let index = Int(i.trimmingCharacters(in: .whitespaces)) else {
                    throw RegionError.unparsableLabelTable(path: path, line: n + 2, text: i)
                }
                if let first = lineOf[index] { throw RegionError.duplicateLabel(path: path, index: index, lines: [first, n + 2]) }
                lineOf[index] = n + 2
                map[index] = name
            }
            self.init(names: map)
            return
        }
        var map: [Int: String] = [:], lineOf: [Int: Int] = [:]
        var sawEntry = false
        for (n, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 2, let index = Int(fields[0]) else {
                if !sawEntry && n == lines.firstIndex(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }) {
                    continue // a header line such as "index name"
                }
                throw RegionError.unparsableLabelTable(path: path, line: n + 1, text: raw)
            }
            if let first = lineOf[index] { throw RegionError.duplicateLabel(path: path, index: index, lines: [first, n + 1]) }
            lineOf[index] = n + 1
            map[index] = fields[1]
            sawEntry = true
        }
        self.init(names: map)
    }

    /// Image value → name from an FSL atlas XML document.
    static func fslXML(_ text: String, path: String) throws -> [Int: String] {
        let pattern = try! NSRegularExpression(pattern: #"<label\b([^>]*)>([^<]*)</label>"#)
        let indexPattern = try! NSRegularExpression(pattern: #"\bindex\s*=\s*["']\s*(-?\d+)\s*["']"#)
        let whole = NSRange(text.startIndex..., in: text)
        var map: [Int: String] = [:], lineOf: [Int: Int] = [:]
        for match in pattern.matches(in: text, range: whole) {
            let attributes = String(text[Range(match.range(at: 1), in: text)!])
            let line = text[..<Range(match.range, in: text)!.lowerBound].filter { $0 == "\n" }.count + 1
            guard let found = indexPattern.firstMatch(in: attributes, range: NSRange(attributes.startIndex..., in: attributes)),
                  let index = Int(attributes[Range(found.range(at: 1), in: attributes)!]), index >= 0 else {
                throw RegionError.unparsableLabelTable(path: path, line: line, text: String(text[Range(match.range, in: text)!]))
            }
            let name = String(text[Range(match.range(at: 2), in: text)!]).trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
                .replacingOccurrences(of: "&amp;", with: "&")
            if let first = lineOf[index + 1] { throw RegionError.duplicateLabel(path: path, index: index, lines: [first, line]) }
            lineOf[index + 1] = line
            map[index + 1] = name
        }
        guard !map.isEmpty else {
            throw RegionError.unparsableLabelTable(path: path, line: 1, text: "no <label index=\"…\">name</label> element in this XML file")
        }
        return map
    }

    /// The name of `label`, or `label-<index>` when the table has none.
    public func name(of label: Int) -> String { names[label] ?? "label-\(label)" }
}
