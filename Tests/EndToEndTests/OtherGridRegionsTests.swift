import Foundation
import NIfTI
import Testing
import TestSupport

/// Seeds and atlases on a grid other than the BOLD's (README: "atlas labels and masks are carried onto the
/// BOLD grid by nearest neighbour"): a 2 mm RAS grid rotated 0.15 rad with a fractional origin, against
/// a 3 mm LAS BOLD; nilearn resamples the same files with resample_to_img(interpolation="nearest").
@Suite("seed-map and conmat with regions on another grid")
struct OtherGridRegionsTests {
    static let regridded: Result<String, Error> = Result {
        let f = try SeedMapTests.made.get()
        let out = try Reference.temporaryFolder("cohortex-regrid")
        try Reference.runPython("fc_reference.py", ["regrid", f + "/atlas.nii.gz", out + "/atlas_2mm.nii.gz"])
        try Reference.runPython("fc_reference.py", ["regrid", f + "/seed_mpfc.nii.gz", out + "/seed_2mm.nii.gz"])
        return out
    }

    @Test("seed-map --seed-mask on a rotated 2 mm grid: seed voxels and Fisher z map as nilearn after nearest resampling")
    func seedMaskOnAnotherGrid() throws {
        let seed = try Self.regridded.get() + "/seed_2mm.nii.gz"
        #expect(try !NIfTIImage(path: seed).grid.matches(try NIfTIImage(path: try SeedMapTests.bold(1)).grid))
        let out = try Reference.temporaryFolder()
        let run = try Reference.cohortex(["seed-map", "--bold", try SeedMapTests.bold(1), "--confounds", try SeedMapTests.confounds(1),
                                          "--mask", try SeedMapTests.mask(), "--seed-mask", seed, "--strategy", "6P", "--out-z", out + "/z.nii.gz"])
        #expect(run.status == 0, "\(run.stderr)")
        let reference = #"{"seed_mask": "\#(seed)", "strategy": "6P", "t_r": 2.0}"#
        try Reference.runPython("fc_reference.py", ["seed-map", try SeedMapTests.bold(1), try SeedMapTests.mask(), reference, out + "/ref.nii.gz"])
        // The seed's voxels: nilearn's resampled mask ∩ brain mask ∩ finite series, counted with nibabel.
        let count = try Reference.runPython("fc_reference.py", ["seed-voxels", try SeedMapTests.bold(1), try SeedMapTests.mask(), seed])
        let sidecar = try Reference.jsonFile(out + "/z.json")
        let qc = try #require((sidecar["Runs"] as? [[String: Any]])?.first)
        let expectedVoxels = try #require(Int(count.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(expectedVoxels > 50)
        #expect(qc["SeedVoxels"] as? Int == expectedVoxels, "ours \(qc["SeedVoxels"] ?? "nil"), nilearn \(expectedVoxels)")
        try Self.expectMapsAgree(out + "/z.nii.gz", out + "/ref.nii.gz")
    }

    @Test("conmat --atlas on a rotated 2 mm grid: the matrix nilearn's NiftiLabelsMasker gives after nearest resampling")
    func atlasOnAnotherGrid() throws {
        let atlas = try Self.regridded.get() + "/atlas_2mm.nii.gz"
        let out = try Reference.temporaryFolder()
        let run = try Reference.cohortex(["conmat", "--bold", try SeedMapTests.bold(1), "--confounds", try SeedMapTests.confounds(1),
                                          "--atlas", atlas, "--strategy", "24P", "--out", out + "/m.tsv"])
        #expect(run.status == 0, "\(run.stderr)")
        try Reference.runPython("fc_reference.py", ["conmat", try SeedMapTests.bold(1), atlas, #"{"strategy": "24P", "t_r": 2.0}"#, out + "/ref.json"])
        let reference = try Reference.jsonFile(out + "/ref.json")
        let expected = try #require(reference["matrix"] as? [[Double]])
        let table = try String(contentsOfFile: out + "/m.tsv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let ours = table.dropFirst().map { $0.dropFirst().map { Double($0)! } }
        try #require(ours.count == 12 && expected.count == 12)
        var worst = 0.0
        for i in 0..<12 { for j in 0..<12 where i != j { worst = max(worst, abs(atanh(ours[i][j]) - atanh(expected[i][j]))) } }
        #expect(worst < 1e-3, "max |Δz| = \(worst)")
    }

    static func expectMapsAgree(_ ours: String, _ reference: String) throws {
        let z = try NIfTIImage(path: ours).readVolume().voxels
        let expected = try NIfTIImage(path: reference).readVolume().voxels
        var worst: Float = 0, compared = 0
        for i in z.indices where expected[i] != 0 && z[i] != 0 {
            worst = max(worst, abs(z[i] - expected[i]))
            compared += 1
        }
        #expect(compared > 5000)
        #expect(worst < 1e-3, "max |Δz| = \(worst)")
    }
}
