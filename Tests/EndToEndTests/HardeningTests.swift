import Foundation
import NIfTI
import Testing
import TestSupport

/// What a hostile user found: each case once failed silently, garbled its cause, or merged duplicates.
@Suite("Hardening: clear one-line errors, no silent merges or clamps")
struct HardeningTests {
    static let sample = Reference.packageRoot.path + "/sample-data"
    static let bold = sample + "/sub-demo_bold.nii.gz"
    static let mask = sample + "/sub-demo_mask.nii.gz"

    /// A label image on the sample grid: the mask split into four slabs along x (labels 1…4).
    static func atlas(in folder: String, float: Bool = false) throws -> String {
        let mask = try NIfTIImage(path: Self.mask).readVolume3D()
        var labels = mask
        for i in labels.voxels.indices where labels.voxels[i] != 0 {
            let x = mask.grid.coordinates(of: i).0
            labels.voxels[i] = Float(1 + min(3, x * 4 / mask.grid.nx)) + (float ? 0.5 : 0)
        }
        let path = folder + (float ? "/atlas-float.nii.gz" : "/atlas.nii.gz")
        try NIfTIWriter.write(labels, to: path, datatype: float ? .float32 : .uint8)
        return path
    }

    /// Exactly one line on stderr, an error, containing every fragment.
    static func expectOneErrorLine(_ run: ProcessResult, _ fragments: [String], status: Int32 = 1,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == status, "\(run.stderr)", sourceLocation: sourceLocation)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("cohortex: error: "), "\(run.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments { #expect(run.stderr.contains(fragment), "\(fragment) in \(run.stderr)", sourceLocation: sourceLocation) }
        for noise in ["NSCocoaErrorDomain", "only 12 of 12", "\n  "] {
            #expect(!run.stderr.contains(noise), "\(run.stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test("a mask on another grid: one line with the shape or the largest affine difference")
    func gridMismatchIsOneLine() throws {
        let folder = try Reference.temporaryFolder()
        var shifted = try NIfTIImage(path: Self.mask).readVolume3D()
        shifted.grid.affine = .scaling(-6, 6, 6, origin: (80, -108, -66))
        try NIfTIWriter.write(shifted, to: folder + "/m.nii.gz", datatype: .uint8)
        let run = try Reference.cohortex(["seed-map", "--bold", Self.bold, "--mask", folder + "/m.nii.gz", "--sphere", "C:0,-18,0,12",
                                          "--out-z", folder + "/z.nii.gz"])
        Self.expectOneErrorLine(run, [folder + "/m.nii.gz", "affine differs by up to 8 mm", "(80, -108, -66)", "(72, -108, -66)"])
    }

    @Test("a filter longer than the series says so, instead of 'only 12 of 12 volumes remain after…'")
    func shortSeriesForTheFilter() throws {
        let folder = try Reference.temporaryFolder()
        var series = try NIfTIImage(path: Self.bold).readVolume()
        series = Volume(grid: series.grid, frames: 12, voxels: Array(series.voxels.prefix(series.grid.voxelCount * 12)), repetitionTime: 2)
        try NIfTIWriter.write(series, to: folder + "/short.nii.gz")
        let run = try Reference.cohortex(["reho", "--bold", folder + "/short.nii.gz", "--mask", Self.mask, "--high-pass", "0.01",
                                          "--low-pass", "0.1", "--out", folder + "/r.nii.gz"])
        Self.expectOneErrorLine(run, [folder + "/short.nii.gz: cannot clean the series", "12"])
    }

    @Test("an output folder that cannot be created: the system's reason, no framework noise")
    func unwritableFolder() throws {
        let folder = try Reference.temporaryFolder()
        try Data("a file".utf8).write(to: URL(fileURLWithPath: folder + "/file"))
        let run = try Reference.cohortex(["smooth", Self.mask, folder + "/file/sub/s.nii.gz", "--fwhm", "4"])
        Self.expectOneErrorLine(run, ["cannot create folder", "Not a directory"])
    }

    @Test("duplicate label indices (TSV, lookup table) and duplicate region names are errors naming both")
    func duplicateLabels() throws {
        let folder = try Reference.temporaryFolder()
        let atlas = try Self.atlas(in: folder)
        try "index\tname\n1\tleft\n2\tmid\n1\tright\n3\ta\n4\tb\n".write(toFile: folder + "/twice.tsv", atomically: true, encoding: .utf8)
        try "1 left\n2 mid\n3 a\n2 again\n4 b\n".write(toFile: folder + "/twice.txt", atomically: true, encoding: .utf8)
        try "index\tname\n1\tsame\n2\tsame\n3\ta\n4\tb\n".write(toFile: folder + "/names.tsv", atomically: true, encoding: .utf8)
        let base = ["conmat", "--bold", Self.bold, "--atlas", atlas, "--out", folder + "/m.tsv", "--labels"]
        Self.expectOneErrorLine(try Reference.cohortex(base + [folder + "/twice.tsv"]), ["twice.tsv: label 1 is defined twice (lines 2 and 4)"])
        Self.expectOneErrorLine(try Reference.cohortex(base + [folder + "/twice.txt"]), ["twice.txt: label 2 is defined twice (lines 2 and 4)"])
        Self.expectOneErrorLine(try Reference.cohortex(base + [folder + "/names.tsv"]), ["labels 1 and 2 are both named \"same\""])
        #expect(!FileManager.default.fileExists(atPath: folder + "/m.tsv"))
    }

    @Test("two gm-volume regions with one name: a usage error; two maps of one participant: the second reported, the rest written")
    func duplicateRegionsAndParticipants() throws {
        let folder = try Reference.temporaryFolder()
        let spheres = try Reference.cohortex(["gm-volume", "--gm", Self.mask, "--sphere", "A:0,0,0,8", "--sphere", "A:10,0,0,8"])
        #expect(spheres.status == 64 && spheres.stderr.contains("region names must differ: A, A"), "\(spheres.stderr)")
        for name in ["sub-01_run-1_gm.nii.gz", "sub-01_run-2_gm.nii.gz", "sub-02_gm.nii.gz"] {
            try FileManager.default.copyItem(atPath: Self.mask, toPath: folder + "/" + name)
        }
        let run = try Reference.cohortex(["gm-volume", "--gm", folder + "/sub-01_run-1_gm.nii.gz", "--gm", folder + "/sub-01_run-2_gm.nii.gz",
                                          "--gm", folder + "/sub-02_gm.nii.gz", "--sphere", "A:0,-18,0,20", "--out-dir", folder + "/out"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("participants of the cohort table (sub-01) must differ") && run.stderr.contains("sub-01_run-2_gm.nii.gz"), "\(run.stderr)")
        let table = try TSVTable(contentsOf: folder + "/out/gmvol.tsv")
        #expect(try table.column("participant_id") == ["sub-01", "sub-02"])
        // Two maps with one file name (in two folders) would write one per-map table over the other.
        for sub in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.mask, toPath: folder + "/\(sub)/sub-03_gm.nii.gz")
        }
        let same = try Reference.cohortex(["gm-volume", "--gm", folder + "/a/sub-03_gm.nii.gz", "--gm", folder + "/b/sub-03_gm.nii.gz",
                                           "--sphere", "A:0,-18,0,20", "--out-dir", folder + "/same"])
        #expect(same.status == 1 && same.stderr.contains("gray-matter map file names (each names its table) must differ"), "\(same.stderr)")
        #expect(try TSVTable(contentsOf: folder + "/same/gmvol.tsv").rows.count == 1)
    }

    @Test("a float atlas is refused with the same message in seed-map --seed-label as in conmat")
    func floatAtlas() throws {
        let folder = try Reference.temporaryFolder()
        let atlas = try Self.atlas(in: folder, float: true)
        let seed = try Reference.cohortex(["seed-map", "--bold", Self.bold, "--mask", Self.mask, "--seed-label", atlas + ":2",
                                           "--out-z", folder + "/z.nii.gz"])
        let conmat = try Reference.cohortex(["conmat", "--bold", Self.bold, "--atlas", atlas, "--out", folder + "/m.tsv"])
        for run in [seed, conmat] { Self.expectOneErrorLine(run, [atlas + ": atlas values must be integer labels"]) }
    }

    @Test("a low-pass cutoff above Nyquist is applied just below it, with a warning and the applied value in the sidecar")
    func lowPassAboveNyquist() throws {
        let folder = try Reference.temporaryFolder()
        let run = try Reference.cohortex(["seed-map", "--bold", Self.bold, "--mask", Self.mask, "--sphere", "C:0,-18,0,12", "--low-pass", "0.4",
                                          "--out-z", folder + "/z.nii.gz"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("warning:") && run.stderr.contains("low-pass 0.4 Hz is at or above the Nyquist frequency 0.25 Hz"), "\(run.stderr)")
        let qc = try #require((try Reference.jsonFile(folder + "/z.json")["Runs"] as? [[String: Any]])?.first)
        let applied = try #require(qc["LowPassAppliedHz"] as? Double)
        #expect(applied < 0.25 && applied > 0.25 * (1 - 1e-5))
    }

    @Test("a numeric column with a stray word names the value instead of becoming a factor of one-person levels")
    func strayWordInANumericColumn() throws {
        let folder = try Reference.temporaryFolder()
        var rows = ["participant_id\tgroup\tage"]
        for i in 1...12 { rows.append("sub-\(String(format: "%02d", i))\t\(i % 2 == 0 ? "pain" : "control")\t\(i == 3 ? "old" : String(30 + i))") }
        try (rows.joined(separator: "\n") + "\n").write(toFile: folder + "/p.tsv", atomically: true, encoding: .utf8)
        let regions = ["participant_id\tregion_a"] + (1...12).map { "sub-\(String(format: "%02d", $0))\t\(Double($0) * 1.5)" }
        try (regions.joined(separator: "\n") + "\n").write(toFile: folder + "/r.tsv", atomically: true, encoding: .utf8)
        let run = try Reference.cohortex(["glm", "--participants", folder + "/p.tsv", "--table", folder + "/r.tsv", "--model", "~ group + age",
                                          "--contrast", "pain-control", "--permutations", "0", "--out", folder + "/out"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("column \"age\", line 4: \"old\" is not a number"), "\(run.stderr)")
    }
}
