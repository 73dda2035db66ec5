import Foundation

/// One participant's CAT12 outputs: modulated GM/WM in template space and the TIV of the XML report.
public struct CAT12Participant: Sendable, Equatable {
    public let label: String
    public let session: String?
    /// `mri/mwp1<name>.nii`: GM probability × Jacobian, so Σ value × voxel volume is a native volume.
    public let modulatedGM: String
    public let modulatedWM: String?
    /// `report/cat_<name>.xml`.
    public let report: String?
}

/// CAT12's derivatives folder: `[sub-<l>/][ses-<l>/]mri/mwp1<name>.nii[.gz]` with `report/cat_<name>.xml`,
/// `<name>` being the T1w file name (`sub-01_T1w`).
public struct CAT12Derivatives: Sendable {
    public let root: String
    public let participants: [CAT12Participant]
    public let skipped: [SkippedFile]

    public init(root: String) throws {
        guard FMRIPrepDerivatives.isFolder(root) else { throw DiscoveryError.notAFolder(path: root) }
        self.root = root
        var found: [CAT12Participant] = [], skipped: [SkippedFile] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String { files.append(relative) }
        for relative in files.sorted() {
            let file = (relative as NSString).lastPathComponent
            let folder = (relative as NSString).deletingLastPathComponent
            guard (folder as NSString).lastPathComponent == "mri", file.hasPrefix("mwp1"),
                  file.hasSuffix(".nii") || file.hasSuffix(".nii.gz") else { continue }
            let name = String(file.dropFirst(4))
            guard let bids = BIDSName(fileName: name), let label = bids["sub"] else {
                skipped.append(SkippedFile(path: root + "/" + relative, reason: "not named after a BIDS T1w image (sub-<label>_…)"))
                continue
            }
            let stem = name.hasSuffix(".nii.gz") ? String(name.dropLast(7)) : String(name.dropLast(4))
            let base = root + "/" + (folder.isEmpty ? "" : folder + "/")
            let wm = base + "mwp2" + name
            let reportFolder = ((root + "/" + folder) as NSString).deletingLastPathComponent + "/report"
            let report = reportFolder + "/cat_\(stem).xml"
            found.append(CAT12Participant(label: label, session: bids["ses"], modulatedGM: base + file,
                                          modulatedWM: FileManager.default.fileExists(atPath: wm) ? wm : nil,
                                          report: FileManager.default.fileExists(atPath: report) ? report : nil))
        }
        participants = found
        self.skipped = skipped
    }

    /// Total intracranial volume in mm³ from a CAT12 report (`<vol_TIV>` in cm³).
    public static func totalIntracranialVolume(report path: String) throws -> Double {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DiscoveryError.cat12Report(path: path, reason: "cannot read the report")
        }
        guard let open = text.range(of: "<vol_TIV>"), let close = text.range(of: "</vol_TIV>", range: open.upperBound..<text.endIndex) else {
            throw DiscoveryError.cat12Report(path: path, reason: "no <vol_TIV> element")
        }
        let value = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        guard let cm3 = Double(value), cm3 > 0, cm3.isFinite else {
            throw DiscoveryError.cat12Report(path: path, reason: "<vol_TIV> is '\(value)', expected a positive number of cm³")
        }
        return cm3 * 1000
    }
}
