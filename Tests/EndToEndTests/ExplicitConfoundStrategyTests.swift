import Foundation
import NIfTI
import Testing
import TestSupport

/// `--strategy columns:…` and `--strategy regex:…` end to end: the sidecar lists exactly the named (or
/// matching, by re.search in table order) columns, and the map is nilearn's with those confounds.
@Suite("seed-map with columns: and regex: confound strategies")
struct ExplicitConfoundStrategyTests {
    struct Case: Sendable, CustomStringConvertible {
        var strategy: String
        /// fc_reference.py's selection: {"columns": [...]} or {"regex": "..."}.
        var selection: String
        var description: String { strategy }
    }

    static let cases: [Case] = [
        Case(strategy: "columns:rot_z,csf,trans_x_derivative1,a_comp_cor_03", selection: #""columns": ["rot_z", "csf", "trans_x_derivative1", "a_comp_cor_03"]"#),
        // Unanchored at the start: a search, not a whole-name match (a_, c_ and w_ components 00 and 01).
        Case(strategy: "regex:comp_cor_0[01]$", selection: #""regex": "comp_cor_0[01]$""#),
        Case(strategy: "regex:^(trans|rot)_[xyz]$", selection: #""regex": "^(trans|rot)_[xyz]$""#),
    ]

    @Test("selected columns are exactly those named / matching, and the Fisher z map is nilearn's with them", arguments: cases)
    func selectionAndMap(c: Case) throws {
        let out = try Reference.temporaryFolder()
        let run = try Reference.cohortex(["seed-map", "--bold", try SeedMapTests.bold(1), "--confounds", try SeedMapTests.confounds(1),
                                          "--mask", try SeedMapTests.mask(), "--sphere", "PAG:0,-30,-10,6", "--strategy", c.strategy,
                                          "--high-pass", "0.01", "--out-z", out + "/z.nii.gz"])
        #expect(run.status == 0, "\(run.stderr)")
        let reference = #"{"sphere": [0, -30, -10, 6], "high_pass": 0.01, "t_r": 2.0, \#(c.selection)}"#
        try Reference.runPython("fc_reference.py", ["seed-map", try SeedMapTests.bold(1), try SeedMapTests.mask(), reference, out + "/ref.nii.gz"])
        let expectedColumns = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/ref.nii.gz.columns.json"))) as? [String])
        #expect(expectedColumns.count >= 4)
        let sidecar = try Reference.jsonFile(out + "/z.json")
        #expect(sidecar["ConfoundStrategy"] as? String == c.strategy)
        let qc = try #require((sidecar["Runs"] as? [[String: Any]])?.first)
        #expect(qc["ConfoundColumns"] as? [String] == expectedColumns, "ours \(qc["ConfoundColumns"] ?? "nil") vs \(expectedColumns)")
        try OtherGridRegionsTests.expectMapsAgree(out + "/z.nii.gz", out + "/ref.nii.gz")
    }
}
