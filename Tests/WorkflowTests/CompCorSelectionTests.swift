import Foundation
import Pipeline
import Testing
import TestSupport

/// The acompcor strategy on fMRIPrep's own confounds tables (shipped with nilearn, cosine and CompCor
/// columns and their JSON) against nilearn's `load_confounds(strategy=("motion", "high_pass", "compcor"),
/// motion="full", n_compcor=5)`: fMRIPrep ≥ 21 (c_/w_comp_cor, anat_separated) and the older table
/// (combined a_comp_cor, anat_combined). The cosine columns nilearn requires with compcor are not confounds here.
@Suite("acompcor selection against nilearn")
struct CompCorSelectionTests {
    @Test("acompcor selects nilearn's motion and CompCor columns with its values (n/a → 0)", arguments: [
        ("modern", "acompcor-separated"), ("legacy", "acompcor-combined"),
    ])
    func matchesNilearn(layout: String, reference strategy: String) throws {
        let tables = try DiscoveryTests.nilearnConfounds()
        let folder = try Reference.temporaryFolder("cohortex-compcor")
        let suffix = layout == "modern" ? "_desc-confounds_timeseries" : "_desc-confounds_regressors"
        let source = layout == "modern" ? tables.modern : tables.legacy
        let prefix = folder + "/sub-01_task-rest"
        try FileManager.default.copyItem(atPath: source, toPath: prefix + suffix + ".tsv")
        try FileManager.default.copyItem(atPath: (source as NSString).deletingPathExtension + ".json", toPath: prefix + suffix + ".json")
        let bold = prefix + "_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"
        FileManager.default.createFile(atPath: bold, contents: Data())
        let output = try Reference.runPython("fc_reference.py", ["confound-columns", bold, strategy])
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let columns = try #require(reference["columns"] as? [String])
        let values = try #require(reference["values"] as? [[String]]).map { $0.map { Double($0) ?? .nan } }
        #expect(columns.contains { $0.contains("comp_cor") } && !columns.contains { $0.hasPrefix("cosine") })
        let table = try ConfoundsTable(contentsOf: prefix + suffix + ".tsv")
        #expect(table.columns.contains { $0.hasPrefix("cosine") }, "the table carries cosine columns, which acompcor must not take")
        let ours = try table.select(.aCompCor)
        #expect(Set(ours.names) == Set(columns), "ours \(ours.names.sorted()) vs nilearn \(columns.sorted())")
        #expect(ours.names.count == columns.count)
        for (name, column) in zip(ours.names, ours.columns) {
            guard let index = columns.firstIndex(of: name) else { continue }
            #expect(column == values[index], "\(name) differs from nilearn's values")
        }
    }
}
