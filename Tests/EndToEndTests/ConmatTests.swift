import Foundation
import Pipeline
import Testing
import TestSupport

/// ROI-to-ROI matrices from the built binary against nilearn's NiftiLabelsMasker + ConnectivityMeasure.
@Suite("conmat matches nilearn")
struct ConmatTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var flags: [String]
        var reference: String
        var patch = false
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "correlation, 24P, band-pass, FD scrubbing",
             flags: ["--strategy", "24P", "--high-pass", "0.01", "--low-pass", "0.1", "--fd-threshold", "0.5"],
             reference: #"{"strategy": "24P", "high_pass": 0.01, "low_pass": 0.1, "fd_threshold": 0.5, "t_r": 2.0}"#, patch: true),
        Case(name: "partial correlation, empirical covariance, 6P",
             flags: ["--strategy", "6P", "--kind", "partial"],
             reference: #"{"strategy": "6P", "kind": "partial", "t_r": 2.0}"#),
        Case(name: "partial correlation, Ledoit–Wolf, 36P",
             flags: ["--strategy", "36P", "--kind", "partial", "--estimator", "ledoit-wolf"],
             reference: #"{"strategy": "36P", "kind": "partial", "estimator": "ledoit-wolf", "t_r": 2.0}"#),
        Case(name: "correlation, Ledoit–Wolf, 24P, low-pass",
             flags: ["--strategy", "24P", "--estimator", "ledoit-wolf", "--low-pass", "0.1"],
             reference: #"{"strategy": "24P", "estimator": "ledoit-wolf", "low_pass": 0.1, "t_r": 2.0}"#),
    ]

    @Test("matrices agree with nilearn to max |Δz| < 1e-3", arguments: cases)
    func agreesWithNilearn(c: Case) throws {
        let f = try SeedMapTests.made.get()
        let out = try Reference.temporaryFolder()
        let run = try Reference.cohortex(["conmat", "--bold", try SeedMapTests.bold(1), "--confounds", try SeedMapTests.confounds(1),
                                          "--atlas", f + "/atlas.nii.gz", "--labels", f + "/atlas_labels.tsv", "--out", out + "/m.tsv"] + c.flags)
        #expect(run.status == 0, "\(run.stderr)")
        let json = c.reference
        try Reference.runPython("fc_reference.py", ["conmat", try SeedMapTests.bold(1), f + "/atlas.nii.gz", json, out + "/ref.json"],
                                environment: c.patch ? ["PATCH_NILEARN_INTERPOLATION": "1"] : [:])
        let reference = try Reference.jsonFile(out + "/ref.json")
        let expected = try #require(reference["matrix"] as? [[Double]])
        let table = try String(contentsOfFile: out + "/m.tsv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(table[0] == ["Node"] + (1...12).map { String(format: "box_%02d", $0) })
        let ours = table.dropFirst().map { $0.dropFirst().map { Double($0)! } }
        #expect(ours.count == expected.count)
        var worst = 0.0
        for i in 0..<ours.count {
            for j in 0..<ours.count where i != j {
                worst = max(worst, abs(atanh(ours[i][j]) - atanh(expected[i][j])))
            }
            #expect(ours[i][i] == 1)
        }
        #expect(worst < 1e-3, "\(c.name): max |Δz| = \(worst)")
        let z = try String(contentsOfFile: out + "/m_z.tsv", encoding: .utf8).split(separator: "\n")
        #expect(z[1].split(separator: "\t")[1] == "n/a", "the z diagonal is n/a, not Inf")
        #expect(abs(Double(z[1].split(separator: "\t")[2])! - atanh(ours[0][1])) < 1e-9)
    }

    @Test("regions that vanish on the BOLD grid are listed, not silently dropped")
    func vanishedRegions() throws {
        let f = try SeedMapTests.made.get()
        let out = try Reference.temporaryFolder()
        // An atlas on a wider grid with one extra label outside the BOLD field of view.
        try Reference.runPython("gm_reference.py", ["make-maps", out, "2"])
        let run = try Reference.cohortex(["conmat", "--bold", try SeedMapTests.bold(1), "--atlas", out + "/atlas.nii.gz", "--out", out + "/m.tsv"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("no voxel on the BOLD grid"))
        let sidecar = try Reference.jsonFile(out + "/m.json")
        let vanished = try #require(sidecar["VanishedRegions"] as? [[String: Any]])
        let kept = try #require(sidecar["Regions"] as? [[String: Any]])
        #expect(!vanished.isEmpty && kept.count >= 2)
        _ = f
    }
}
