import Foundation
import Kernels
import NIfTI

/// Problems with region definitions: atlases, label tables, spheres and ROI masks.
public enum RegionError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case unparsableLabelTable(path: String, line: Int, text: String)
    case invalidSphere(spec: String, reason: String)
    case invalidROI(spec: String, reason: String)
    case nonIntegerLabel(path: String, voxel: [Int], value: Float)
    case labelOutOfRange(path: String, voxel: [Int], value: Float)
    case noOverlap(path: String, reference: String)
    case singularAffine(path: String)
    case emptySeed(name: String, detail: String)

    public var description: String {
        switch self {
        case .unparsableLabelTable(let p, let line, let text):
            return "\(p): line \(line) is not a label entry (expected `index<TAB>name` with an integer index, a TSV with `index` and `name` columns, or FSL atlas XML `<label index=\"i\">name</label>`): \"\(text)\""
        case .invalidSphere(let spec, let reason):
            return "sphere \"\(spec)\": \(reason) (expected NAME:x,y,z,r in MNI millimetres)"
        case .invalidROI(let spec, let reason):
            return "ROI \"\(spec)\": \(reason) (expected NAME:MASK.nii.gz)"
        case .nonIntegerLabel(let p, let v, let value):
            return "\(p): atlas values must be integer labels; voxel \(v) holds \(value)"
        case .labelOutOfRange(let p, let v, let value):
            return "\(p): atlas label \(value) at voxel \(v) is outside 0…65535"
        case .noOverlap(let p, let reference):
            return "\(p): no labelled voxel falls inside the field of view of \(reference) (check that both are in the same space)"
        case .singularAffine(let p):
            return "\(p): the affine is singular; cannot map it onto another grid"
        case .emptySeed(let name, let detail):
            return "seed \"\(name)\" has no voxel inside the mask: \(detail)"
        }
    }

    public var errorDescription: String? { description }
}

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
            var map: [Int: String] = [:]
            for (n, (i, name)) in zip(indices, names).enumerated() {
                guard let index = Int(i.trimmingCharacters(in: .whitespaces)) else {
                    throw RegionError.unparsableLabelTable(path: path, line: n + 2, text: i)
                }
                map[index] = name
            }
            self.init(names: map)
            return
        }
        var map: [Int: String] = [:]
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
        var map: [Int: String] = [:]
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

/// A sphere in world (MNI) millimetres.
public struct Sphere: Sendable, Equatable {
    public var name: String
    public var centre: (x: Double, y: Double, z: Double)
    public var radius: Double

    public init(name: String, x: Double, y: Double, z: Double, radius: Double) {
        self.name = name
        centre = (x, y, z)
        self.radius = radius
    }

    /// Parses `NAME:x,y,z,r`.
    public init(parsing spec: String) throws {
        guard let colon = spec.lastIndex(of: ":") else { throw RegionError.invalidSphere(spec: spec, reason: "missing ':'") }
        let name = String(spec[..<colon]).trimmingCharacters(in: .whitespaces)
        let numbers = spec[spec.index(after: colon)...].split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !name.isEmpty else { throw RegionError.invalidSphere(spec: spec, reason: "the name is empty") }
        guard numbers.count == 4, numbers.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw RegionError.invalidSphere(spec: spec, reason: "needs four numbers x,y,z,r")
        }
        guard numbers[3]! > 0 else { throw RegionError.invalidSphere(spec: spec, reason: "the radius must be positive") }
        self.init(name: name, x: numbers[0]!, y: numbers[1]!, z: numbers[2]!, radius: numbers[3]!)
    }

    public static func == (a: Sphere, b: Sphere) -> Bool {
        a.name == b.name && a.centre == b.centre && a.radius == b.radius
    }

    /// Linear indices of the voxels of `grid` whose centres lie within the radius (sorted).
    public func voxels(in grid: Grid) -> [Int] {
        guard let inverse = grid.affine.inverse else { return [] }
        // Voxel-space bounding box of the sphere's bounding cube.
        var lo = [Double](repeating: .infinity, count: 3), hi = [Double](repeating: -.infinity, count: 3)
        for dx in [-radius, radius] { for dy in [-radius, radius] { for dz in [-radius, radius] {
            let p = inverse.apply(centre.x + dx, centre.y + dy, centre.z + dz)
            for (a, v) in [p.0, p.1, p.2].enumerated() { lo[a] = min(lo[a], v); hi[a] = max(hi[a], v) }
        } } }
        let dims = [grid.nx, grid.ny, grid.nz]
        let lower = (0..<3).map { max(0, Int(lo[$0].rounded(.down)) - 1) }
        let upper = (0..<3).map { min(dims[$0] - 1, Int(hi[$0].rounded(.up)) + 1) }
        guard (0..<3).allSatisfy({ lower[$0] <= upper[$0] }) else { return [] }
        let r2 = radius * radius
        var out: [Int] = []
        for k in lower[2]...upper[2] { for j in lower[1]...upper[1] { for i in lower[0]...upper[0] {
            let w = grid.affine.apply(Double(i), Double(j), Double(k))
            let d2 = (w.0 - centre.x) * (w.0 - centre.x) + (w.1 - centre.y) * (w.1 - centre.y) + (w.2 - centre.z) * (w.2 - centre.z)
            if d2 <= r2 { out.append(grid.index(i, j, k)) }
        } } }
        return out
    }
}

/// Reads an ROI or label image and carries it onto `grid` (nearest neighbour through the affines
/// when the grids differ). Returns the values on `grid` and whether resampling happened.
func valuesOnGrid(_ path: String, grid: Grid) throws -> (values: [Float], resampled: Bool, orientationDiffers: Bool) {
    let image = try NIfTIImage(path: path)
    let volume = try image.readVolume3D()
    if volume.grid.matches(grid) { return (volume.voxels, false, false) }
    guard let map = NearestNeighbourMap(from: volume.grid, to: grid) else { throw RegionError.singularAffine(path: path) }
    let signs = { (g: Grid) in (0..<3).map { g.affine[$0, $0] >= 0 } }
    return (map.apply(volume.voxels, fill: 0), true, signs(volume.grid) != signs(grid))
}

/// Integer labels of an atlas image; non-integer, negative or huge values are errors naming the voxel.
func labels(of values: [Float], grid: Grid, path: String) throws -> [UInt16] {
    var out = [UInt16](repeating: 0, count: values.count)
    for (i, v) in values.enumerated() {
        // Range first (false for NaN), then integrality through an exact Int32 round trip (no libm call).
        if v >= 0 && v <= 65535 {
            let label = Int32(v)
            if Float(label) == v {
                out[i] = UInt16(label)
                continue
            }
        }
        let c = grid.coordinates(of: i)
        if v.isFinite && v.rounded() == v {
            throw RegionError.labelOutOfRange(path: path, voxel: [c.0, c.1, c.2], value: v)
        }
        throw RegionError.nonIntegerLabel(path: path, voxel: [c.0, c.1, c.2], value: v)
    }
    return out
}
