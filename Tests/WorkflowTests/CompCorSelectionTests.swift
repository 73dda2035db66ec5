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
        let nilearn = try RealConfoundsTests.nilearnSelection(layout: layout, strategy: strategy)
        #expect(nilearn.columns.contains { $0.contains("comp_cor") } && !nilearn.columns.contains { $0.hasPrefix("cosine") })
        let table = try ConfoundsTable(contentsOf: nilearn.table)
        #expect(table.columns.contains { $0.hasPrefix("cosine") }, "the table carries cosine columns, which acompcor must not take")
        RealConfoundsTests.expectSame(try table.select(.aCompCor), as: nilearn)
    }
}
