import ArgumentParser
import Foundation
import NIfTI

struct HeaderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "header",
        abstract: "Print a NIfTI/Analyze header (shape, affine, datatype, scaling, TR, units, intent)."
    )

    @Argument(help: "A .nii, .nii.gz, .hdr/.img (or .img.gz) file.")
    var file: String

    @Flag(help: "Print one JSON object (keys: dim, pixdim, datatype, affine, scl_slope, scl_inter, tr, nifti_version, xyz_units, t_units, intent_code, …).")
    var json = false

    func run() throws {
        try reportingErrors {
            let image = try NIfTIImage(path: file)
            let h = image.header
            if json {
                print(Self.json(h, image: image).rendered())
            } else {
                print(Self.text(h, image: image))
            }
        }
    }

    static func json(_ h: NIfTIHeader, image: NIfTIImage) -> JSONValue {
        .object([
            ("dim", .ints(h.dim)),
            ("pixdim", .numbers(h.pixdim)),
            ("datatype", .string(h.datatype.description)),
            ("affine", .array(h.affine.rows.map { .numbers($0) })),
            ("scl_slope", .number(h.sclSlope)),
            ("scl_inter", .number(h.sclInter)),
            ("tr", .number(h.repetitionTime)),
            ("nifti_version", .int(h.format.rawValue)),
            ("xyz_units", .string(h.xyzUnits)),
            ("t_units", .string(h.timeUnits)),
            ("intent_code", .int(h.intentCode)),
            ("intent_name", .string(h.intentName)),
            ("intent_params", .numbers(h.intentParameters)),
            ("qform_code", .int(h.qformCode)),
            ("sform_code", .int(h.sformCode)),
            ("byte_order", .string(h.byteOrder == .littleEndian ? "little" : "big")),
            ("vox_offset", .int(h.voxOffset)),
            ("descrip", .string(h.description)),
            ("image_file", .string(image.imagePath)),
        ])
    }

    static func text(_ h: NIfTIHeader, image: NIfTIImage) -> String {
        let version = ["Analyze 7.5", "NIfTI-1", "NIfTI-2"][h.format.rawValue] + (h.isPair ? " (pair)" : "")
        func fmt(_ xs: [Double]) -> String { xs.map { String(format: "%g", $0) }.joined(separator: " ") }
        var lines = [
            "file          \(image.path)",
            "format        \(version)",
            "dim           \(h.dim.map(String.init).joined(separator: " "))",
            "pixdim        \(fmt(h.pixdim))",
            "datatype      \(h.datatype)",
            "byte order    \(h.byteOrder == .littleEndian ? "little-endian" : "big-endian")",
            "scl_slope     \(String(format: "%g", h.sclSlope))   scl_inter \(String(format: "%g", h.sclInter))",
            "units         \(h.xyzUnits), \(h.timeUnits)",
            "tr            \(h.repetitionTime.map { String(format: "%g s", $0) } ?? "n/a")",
            "intent        \(h.intentCode) \(h.intentName) \(fmt(h.intentParameters))",
            "qform_code    \(h.qformCode)   sform_code \(h.sformCode)",
            "affine        (\(h.sformCode > 0 ? "sform" : h.qformCode > 0 ? "qform" : "pixdim fallback"))",
        ]
        lines += h.affine.rows.prefix(3).map { "  " + $0.map { String(format: "%10.4f", $0) }.joined(separator: " ") }
        if !h.description.isEmpty { lines.append("descrip       \(h.description)") }
        return lines.joined(separator: "\n")
    }
}
