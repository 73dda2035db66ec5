import Foundation
import NIfTI
import Testing
import TestSupport

/// README: the `n/a` fMRIPrep writes in the first row of derivative columns "becomes 0 — note that nilearn's
/// `load_confounds` back-fills it instead". Usually volume 0 is a non-steady-state outlier and censored, which
/// hides the choice; here the table has no such column, so volume 0 is kept and the fill is observable.
@Suite("leading n/a of derivative columns becomes 0, observably")
struct LeadingNotAvailableTests {
    @Test("24P without a non-steady-state column: the map is nilearn's with n/a → 0, and measurably not its back-filled one")
    func zeroFillIsObservable() throws {
        let folder = try Reference.temporaryFolder("cohortex-leading-na")
        let bold = folder + "/sub-01_task-rest_run-1_space-MNI_desc-preproc_bold.nii.gz"
        try FileManager.default.createSymbolicLink(atPath: bold, withDestinationPath: try SeedMapTests.bold(1))
        let source = try TSVTable(contentsOf: try SeedMapTests.confounds(1))
        let kept = source.columns.indices.filter { !source.columns[$0].hasPrefix("non_steady_state") }
        #expect(kept.count == source.columns.count - 1)
        let table = TSVTable(columns: kept.map { source.columns[$0] }, rows: source.rows.map { row in kept.map { row[$0] } })
        #expect(try table.column("trans_x_derivative1").first == "n/a")
        let confounds = folder + "/sub-01_task-rest_run-1_desc-confounds_timeseries.tsv"
        try table.write(to: confounds)

        let out = try Reference.temporaryFolder()
        let run = try Reference.cohortex(["seed-map", "--bold", bold, "--confounds", confounds, "--mask", try SeedMapTests.mask(),
                                          "--sphere", "PAG:0,-30,-10,6", "--strategy", "24P", "--out-z", out + "/z.nii.gz"])
        #expect(run.status == 0, "\(run.stderr)")
        let qc = try #require((try Reference.jsonFile(out + "/z.json")["Runs"] as? [[String: Any]])?.first)
        #expect(qc["NonSteadyStateVolumes"] as? Int == 0 && qc["CensoredVolumes"] as? Int == 0, "volume 0 is kept")
        for (name, fill) in [("zero", "false"), ("backfill", "true")] {
            let reference = #"{"sphere": [0, -30, -10, 6], "strategy": "24P", "t_r": 2.0, "nilearn_fill": \#(fill)}"#
            try Reference.runPython("fc_reference.py", ["seed-map", bold, try SeedMapTests.mask(), reference, out + "/\(name).nii.gz"])
        }
        let z = try NIfTIImage(path: out + "/z.nii.gz").readVolume().voxels
        let zero = try NIfTIImage(path: out + "/zero.nii.gz").readVolume().voxels
        let backfill = try NIfTIImage(path: out + "/backfill.nii.gz").readVolume().voxels
        var toZero: Float = 0, toBackfill: Float = 0
        for i in z.indices where z[i] != 0 && zero[i] != 0 {
            toZero = max(toZero, abs(z[i] - zero[i]))
            toBackfill = max(toBackfill, abs(z[i] - backfill[i]))
        }
        #expect(toZero < 1e-3, "against nilearn with n/a → 0: max |Δz| = \(toZero)")
        #expect(toBackfill > 2e-3, "the fill must be observable: against nilearn's back-fill max |Δz| = \(toBackfill)")
    }
}
