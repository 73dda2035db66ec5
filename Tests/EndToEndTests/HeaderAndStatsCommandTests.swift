import Foundation
import NIfTI
import Testing
import TestSupport

/// End-to-end: the built `cohortex` binary against nibabel/numpy.
@Suite("cohortex header and stats")
struct HeaderAndStatsCommandTests {
    /// A 4D float32 series, a copy with NaN/Inf, a mask, and (written by nibabel) an int16 series with
    /// scl_slope/scl_inter and millisecond time units.
    static func images() throws -> (folder: String, scaled: String, withNaN: String, mask: String, int16: String) {
        let folder = try Reference.temporaryFolder()
        var rng = SeededRandom(seed: 5)
        let grid = Grid(nx: 12, ny: 10, nz: 8, affine: .scaling(-3, 3, 3.5, origin: (40, -50, -30)))
        let frames = 5
        var values = (0..<(grid.voxelCount * frames)).map { _ in Float((rng.normal() * 2000 + 10000).rounded()) }
        let scaled = folder + "/bold.nii.gz"
        try NIfTIWriter.write(Volume(grid: grid, frames: frames, voxels: values, repetitionTime: 2.5), to: scaled)
        values[3] = .nan
        values[700] = .infinity
        values[2000] = -.infinity
        values[4000] = .nan
        let withNaN = folder + "/nan.nii"
        try NIfTIWriter.write(Volume(grid: grid, frames: frames, voxels: values, repetitionTime: 2.5), to: withNaN)
        let maskValues = (0..<grid.voxelCount).map { i -> Float in (i % 3 == 0 || i == 3) ? 1 : 0 }
        let mask = folder + "/mask.nii.gz"
        try NIfTIWriter.write(Volume(grid: grid, voxels: maskValues), to: mask, datatype: .uint8)
        let int16 = folder + "/int16.nii.gz"
        try Reference.runPython("nifti_reference.py", ["make-scaled", int16])
        return (folder, scaled, withNaN, mask, int16)
    }

    static func expectMatches(_ ours: [String: Any], _ numpy: [String: Any], _ label: String) {
        for key in ["voxels", "nan", "inf"] {
            #expect(ours[key] as? Int == numpy[key] as? Int, "\(key) for \(label)")
        }
        for key in ["sum", "mean", "sd", "min", "max"] {
            let a = ours[key] as? Double ?? .nan, b = numpy[key] as? Double ?? .nan
            #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(key) for \(label): \(a) vs numpy \(b)")
        }
    }

    @Test("stats --json agrees with numpy, with and without a mask, NaN and Inf excluded")
    func statsAgreeWithNumpy() throws {
        let files = try Self.images()
        for (file, mask) in [(files.scaled, nil), (files.withNaN, nil), (files.withNaN, files.mask), (files.scaled, files.mask),
                             (files.int16, nil), (files.int16, files.mask)] {
            var args = ["stats", file, "--json"]
            if let mask { args += ["--mask", mask] }
            let run = try Reference.cohortex(args)
            #expect(run.status == 0, "\(run.stderr)")
            let ours = try Reference.json(run.stdout)
            let numpy = try Reference.json(try Reference.runPython("nifti_reference.py", ["stats", file] + (mask.map { [$0] } ?? [])))
            Self.expectMatches(ours, numpy, "\(file) mask=\(mask ?? "none")")
        }
        // Spot values a reader can check by hand: 4 non-finite values, 2 NaN.
        let nan = try Reference.json(try Reference.cohortex(["stats", files.withNaN, "--json"]).stdout)
        #expect(nan["nan"] as? Int == 2)
        #expect(nan["inf"] as? Int == 2)
        #expect(nan["voxels"] as? Int == 12 * 10 * 8 * 5)
    }

    @Test("an int16 series with scaling and millisecond units: header and stats as nibabel reads them")
    func scaledInt16() throws {
        let files = try Self.images()
        let h = try Reference.json(try Reference.cohortex(["header", files.int16, "--json"]).stdout)
        #expect(h["datatype"] as? String == "int16" && h["scl_slope"] as? Double == 0.5 && h["scl_inter"] as? Double == 10)
        #expect(h["t_units"] as? String == "msec" && h["tr"] as? Double == 2.5)
        let stats = try Reference.json(try Reference.cohortex(["stats", files.int16, "--json"]).stdout)
        let numpy = try Reference.json(try Reference.runPython("nifti_reference.py", ["stats", files.int16]))
        // Scaled values are v·0.5 + 10 with v integral: the minimum and maximum are exact.
        #expect(stats["min"] as? Double == numpy["min"] as? Double && stats["max"] as? Double == numpy["max"] as? Double)
        #expect(abs((stats["mean"] as? Double ?? .nan) - (numpy["mean"] as? Double ?? 0)) < 1e-9 * 1000)
    }

    @Test("header --json has the documented keys and nibabel's values")
    func headerJSON() throws {
        let files = try Self.images()
        let run = try Reference.cohortex(["header", files.scaled, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let h = try Reference.json(run.stdout)
        for key in ["dim", "pixdim", "datatype", "affine", "scl_slope", "scl_inter", "tr", "nifti_version", "xyz_units", "t_units", "intent_code"] {
            #expect(h[key] != nil, "missing key \(key)")
        }
        #expect(h["dim"] as? [Int] == [12, 10, 8, 5])
        #expect(h["datatype"] as? String == "float32")
        #expect(h["tr"] as? Double == 2.5)
        #expect(h["nifti_version"] as? Int == 1)
        #expect(h["xyz_units"] as? String == "mm")
        #expect(h["t_units"] as? String == "sec")
        let nib = try Reference.json(try Reference.runPython("nifti_reference.py", ["describe-written", files.scaled]))
        let ours = try #require(h["affine"] as? [[Double]])
        let theirs = try #require(nib["affine"] as? [[Double]])
        #expect(zip(ours.joined(), theirs.joined()).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect((try Reference.json(try Reference.cohortex(["header", files.mask, "--json"]).stdout))["tr"] is NSNull)
    }

    @Test("TR is reported in seconds whatever the time units")
    func trInSeconds() throws {
        let run = try Reference.cohortex(["header", try Self.fixtureWithMilliseconds(), "--json"])
        #expect(try Reference.json(run.stdout)["tr"] as? Double == 2.0)
    }

    /// nibabel writes pixdim[4] = 2000 with units msec.
    static func fixtureWithMilliseconds() throws -> String {
        let folder = try Reference.temporaryFolder()
        try Reference.runPython("nifti_reference.py", ["make-fixtures", folder])
        return folder + "/uint8_le_nii.nii" // 4D, msec (see make_fixtures)
    }

    @Test("each bad input: exit status 1 and one error line naming the file", arguments: BadFiles.all.map(\.name))
    func badInputExitCodes(name: String) throws {
        let path = try BadFiles.all.first { $0.name == name }!.make()
        for command in [["stats", path], ["header", path]] where !(command[0] == "header" && ["truncated voxel data", "truncated gzip", "corrupt gzip", "vox_offset beyond end"].contains(name)) {
            let run = try Reference.cohortex(command)
            #expect(run.status == 1, "\(command) on \(name): status \(run.status)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(name): \(run.stderr)")
            #expect(lines.first?.hasPrefix("cohortex: error: \(path):") == true, "\(name): \(run.stderr)")
        }
    }

    @Test("a mask on another grid is refused with both files named")
    func maskGridMismatch() throws {
        let files = try Self.images()
        let other = files.folder + "/other-mask.nii"
        try NIfTIWriter.write(Volume(zeros: Grid(nx: 5, ny: 5, nz: 5, affine: .identity)), to: other, datatype: .uint8)
        let run = try Reference.cohortex(["stats", files.scaled, "--mask", other])
        #expect(run.status == 1)
        #expect(run.stderr.contains(other) && run.stderr.contains(files.scaled))
    }

    @Test("usage errors exit with 64")
    func usageErrors() throws {
        #expect(try Reference.cohortex(["stats"]).status == 64)
        #expect(try Reference.cohortex(["stats", "x.nii", "--threads", "0"]).status == 64)
    }
}
