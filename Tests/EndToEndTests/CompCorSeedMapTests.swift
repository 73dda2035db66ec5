import Foundation
import NIfTI
import Testing
import TestSupport

/// `seed-map --strategy acompcor` end to end when fMRIPrep retained fewer than five CSF/WM components
/// (it keeps those explaining 50% of the variance): the columns and the map are those of nilearn's
/// `load_confounds(strategy=("motion", "high_pass", "compcor"), compcor="anat_separated", n_compcor=5)`
/// (the cosines nilearn requires alongside left out).
@Suite("seed-map acompcor with fewer retained components")
struct CompCorSeedMapTests {
    @Test("3 CSF and 4 WM components: the sidecar lists nilearn's columns, and the z map is nilearn's")
    func fewerComponentsMatchNilearn() throws {
        let folder = try Reference.temporaryFolder("cohortex-compcor-run")
        let stem = folder + "/sub-01_task-rest_run-1"
        let bold = stem + "_space-MNI_desc-preproc_bold.nii.gz"
        try FileManager.default.createSymbolicLink(atPath: bold, withDestinationPath: try SeedMapTests.bold(1))
        let dropped: Set<String> = ["c_comp_cor_03", "c_comp_cor_04", "c_comp_cor_05", "w_comp_cor_04", "w_comp_cor_05"]
        let source = try TSVTable(contentsOf: try SeedMapTests.confounds(1))
        let kept = source.columns.indices.filter { !dropped.contains(source.columns[$0]) }
        try TSVTable(columns: kept.map { source.columns[$0] }, rows: source.rows.map { row in kept.map { row[$0] } })
            .write(to: stem + "_desc-confounds_timeseries.tsv")
        let sourceJSON = (try SeedMapTests.confounds(1) as NSString).deletingPathExtension + ".json"
        let meta = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sourceJSON))) as? [String: Any])
        try JSONSerialization.data(withJSONObject: meta.filter { !dropped.contains($0.key) })
            .write(to: URL(fileURLWithPath: stem + "_desc-confounds_timeseries.json"))

        let out = try Reference.temporaryFolder()
        let run = try Reference.cohortex(["seed-map", "--bold", bold, "--confounds", stem + "_desc-confounds_timeseries.tsv", "--mask", try SeedMapTests.mask(),
                                          "--sphere", "PAG:0,-30,-10,6", "--strategy", "acompcor", "--out-z", out + "/z.nii.gz"])
        #expect(run.status == 0, "\(run.stderr)")
        try Reference.runPython("fc_reference.py", ["seed-map", bold, try SeedMapTests.mask(),
                                                    #"{"sphere": [0, -30, -10, 6], "strategy": "acompcor", "t_r": 2.0}"#, out + "/ref.nii.gz"])
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/ref.nii.gz.columns.json"))) as? [String])
        #expect(expected.filter { $0.hasPrefix("c_comp_cor") }.count == 3 && expected.filter { $0.hasPrefix("w_comp_cor") }.count == 4)
        let qc = try #require((try Reference.jsonFile(out + "/z.json")["Runs"] as? [[String: Any]])?.first)
        let ours = try #require(qc["ConfoundColumns"] as? [String])
        #expect(Set(ours) == Set(expected) && ours.count == expected.count, "ours \(ours.sorted()) vs nilearn \(expected.sorted())")
        try OtherGridRegionsTests.expectMapsAgree(out + "/z.nii.gz", out + "/ref.nii.gz")
    }
}
