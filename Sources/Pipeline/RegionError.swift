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
    case tooFewRegions(path: String, regions: Int)
    case duplicateLabel(path: String, index: Int, lines: [Int])
    case duplicateRegionName(path: String, name: String, labels: [Int])

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
        case .duplicateLabel(let p, let index, let lines):
            return "\(p): label \(index) is defined twice (lines \(lines.map(String.init).joined(separator: " and "))); each index needs one name"
        case .duplicateRegionName(let p, let name, let labels):
            return "\(p): labels \(labels.map(String.init).joined(separator: " and ")) are both named \"\(name)\"; table columns need distinct names"
        case .tooFewRegions(let p, let regions):
            return "\(p): \(regions) region(s) on the BOLD grid; a connectivity matrix needs at least two"
        }
    }

    public var errorDescription: String? { description }
}
