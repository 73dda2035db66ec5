import Foundation
import NIfTI
import Testing
import TestSupport

/// ALFF and ReHo on confound-regressed, censored (and for ReHo band-passed) data: the built binary
/// against the spatial references applied to nilearn's `signal.clean` output.
@Suite("alff and reho on cleaned data")
struct CleanedSpatialTests {
    static func inMask(_ path: String, _ mask: String) throws -> [Float] {
        let values = try NIfTIImage(path: path).readVolume().voxels
        return try NIfTIImage(path: mask).readMask().indices.map { values[$0] }
    }

    @Test("alff with 24P confounds and FD scrubbing (Lomb–Scargle) matches the reference to 1e-4")
    func alffWithConfounds() throws {
        let out = try Reference.temporaryFolder()
        let mask = try SeedMapTests.mask()
        let run = try Reference.cohortex(["alff", "--bold", try SeedMapTests.bold(1), "--mask", mask, "--confounds", try SeedMapTests.confounds(1),
                                          "--strategy", "24P", "--fd-threshold", "0.5", "--out-alff", out + "/alff.nii.gz", "--out-falff", out + "/falff.nii.gz"])
        #expect(run.status == 0, "\(run.stderr)")
        try Reference.runPython("fc_reference.py", ["alff-clean", try SeedMapTests.bold(1), mask,
                                                    #"{"strategy": "24P", "fd_threshold": 0.5, "t_r": 2.0, "band": [0.01, 0.08]}"#, out + "/ref.f32"])
        let ref = try Reference.readFloat32(out + "/ref.f32")
        let alff = try Self.inMask(out + "/alff.nii.gz", mask), falff = try Self.inMask(out + "/falff.nii.gz", mask)
        let n = alff.count
        var worst: Float = 0, compared = 0
        for v in 0..<n where ref[v] > 1e-3 {
            worst = max(worst, abs(alff[v] - ref[v]) / ref[v], abs(falff[v] - ref[n + v]) / ref[n + v])
            compared += 1
        }
        #expect(compared > n - 10)
        #expect(worst < 1e-4, "worst relative difference \(worst)")
        let sidecar = try Reference.jsonFile(out + "/alff.json")
        let cleaning = try #require(sidecar["Cleaning"] as? [String: Any])
        #expect((cleaning["ConfoundColumns"] as? [String])?.count == 24)
        #expect(!((cleaning["CensoredVolumes"] as? [Int]) ?? []).isEmpty)
    }

    @Test("reho on 36P-cleaned, band-passed, scrubbed data matches the reference to 1e-6")
    func rehoWithConfounds() throws {
        let out = try Reference.temporaryFolder()
        let mask = try SeedMapTests.mask()
        let run = try Reference.cohortex(["reho", "--bold", try SeedMapTests.bold(1), "--mask", mask, "--confounds", try SeedMapTests.confounds(1),
                                          "--strategy", "36P", "--fd-threshold", "0.5", "--high-pass", "0.01", "--low-pass", "0.2",
                                          "--neighbourhood", "27", "--out", out + "/reho.nii.gz"])
        // (Low-pass at 0.2 Hz: at 0.1 Hz 36P leaves ν ≈ 9 of 107 kept volumes, which is refused.)
        #expect(run.status == 0, "\(run.stderr)")
        try Reference.runPython("fc_reference.py", ["reho-clean", try SeedMapTests.bold(1), mask,
                                                    #"{"strategy": "36P", "fd_threshold": 0.5, "high_pass": 0.01, "low_pass": 0.2, "t_r": 2.0, "neighbours": 27}"#,
                                                    out + "/ref.f64"], environment: ["PATCH_NILEARN_INTERPOLATION": "1"])
        let ref = try Data(contentsOf: URL(fileURLWithPath: out + "/ref.f64")).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        let ours = try Self.inMask(out + "/reho.nii.gz", mask)
        // ReHo is rank-based: where two volumes of a voxel's cleaned series differ by less than float32
        // resolution (~1e-6 relative), Cohortex's float32 cleaning may order them differently from the
        // float64 reference, moving W by ~1e-4. Bound how often and how far, and the mean difference.
        let differences = zip(ours, ref).map { abs(Double($0) - $1) }
        let large = differences.filter { $0 > 1e-6 }.count
        #expect(large <= ours.count / 40, "\(large) of \(ours.count) voxels differ by more than 1e-6")
        // Observed worst ≈ 1.5e-5; a tie ordered differently moves W by ~1e-4 at most (one rank pair of 27 series).
        #expect((differences.max() ?? 1) < 2e-4, "worst |ΔW| \(differences.max() ?? 1)")
        #expect(differences.reduce(0, +) / Double(differences.count) < 1e-4)
    }

    @Test("alff refuses a band-pass filter: --band selects the frequencies")
    func alffRefusesFilter() throws {
        let out = try Reference.temporaryFolder() + "/x.nii"
        let run = try Reference.cohortex(["alff", "--bold", try SeedMapTests.bold(1), "--mask", try SeedMapTests.mask(), "--high-pass", "0.01", "--out-alff", out])
        #expect(run.status == 64)
        #expect(run.stderr.contains("use --band, not --high-pass/--low-pass"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
