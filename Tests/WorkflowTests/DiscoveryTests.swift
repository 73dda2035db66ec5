import Foundation
import Pipeline
import Testing
import TestSupport
import Workflow

/// Discovery on fMRIPrep layouts written file by file: entities parsed, partners paired, distractors ignored,
/// CIFTI reported, older fMRIPrep naming accepted. The confounds tables are fMRIPrep's own (shipped in nilearn's wheel).
@Suite("fMRIPrep discovery")
struct DiscoveryTests {
    /// nilearn's copies of real fMRIPrep confounds tables (fMRIPrep ≥ 21 `timeseries`, older `regressors`).
    static func nilearnConfounds() throws -> (modern: String, legacy: String) {
        let result = try Reference.run(Reference.python, ["-c", "import nilearn.interfaces.fmriprep as f, os; print(os.path.dirname(f.__file__))"])
        let folder = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + "/data"
        return (folder + "/test-v21_desc-confounds_timeseries.tsv", folder + "/test_desc-confounds_regressors.tsv")
    }

    /// Writes `files` (relative paths) under a new root; `.tsv` confounds get fMRIPrep's real table.
    static func layout(_ files: [String]) throws -> String {
        let root = try Reference.temporaryFolder("cohortex-discovery")
        let confounds = try nilearnConfounds()
        for file in files {
            let path = root + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if file.hasSuffix("_desc-confounds_timeseries.tsv") {
                try FileManager.default.copyItem(atPath: confounds.modern, toPath: path)
            } else if file.hasSuffix("_desc-confounds_regressors.tsv") {
                try FileManager.default.copyItem(atPath: confounds.legacy, toPath: path)
            } else {
                FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
            }
        }
        return root
    }

    static let description = #"{"Name": "fMRIPrep - fMRI PREProcessing workflow", "DatasetType": "derivative", "GeneratedBy": [{"Name": "fMRIPrep", "Version": "23.2.1"}]}"#

    @Test("modern layout: sessions, runs, partners, anatomy; distractors ignored and CIFTI reported")
    func modern() throws {
        let f = "derivatives/fmriprep"
        let root = try Self.layout([
            "\(f)/sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
            "\(f)/sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.json",
            "\(f)/sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
            "\(f)/sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_boldref.nii.gz",
            "\(f)/sub-01/func/sub-01_task-rest_desc-confounds_timeseries.tsv",
            "\(f)/sub-01/func/sub-01_task-rest_desc-confounds_timeseries.json",
            "\(f)/sub-01/func/sub-01_task-rest_space-T1w_desc-preproc_bold.nii.gz",
            "\(f)/sub-01/func/sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii",
            "\(f)/sub-01/func/sub-01_task-other_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
            "\(f)/sub-01/anat/sub-01_label-GM_probseg.nii.gz",
            "\(f)/sub-01/anat/sub-01_label-WM_probseg.nii.gz",
            "\(f)/sub-01/anat/sub-01_label-CSF_probseg.nii.gz",
            "\(f)/sub-01/anat/sub-01_space-MNI152NLin2009cAsym_res-2_label-GM_probseg.nii.gz",
            "\(f)/sub-01/anat/sub-01_desc-aparcaseg_dseg.nii.gz",
            "\(f)/sub-01/anat/sub-01_desc-aseg_dseg.nii.gz",
            "\(f)/sub-01/anat/sub-01_from-T1w_to-MNI152NLin2009cAsym_mode-image_xfm.h5",
            "\(f)/sub-01/figures/sub-01_desc-carpetplot_bold.svg",
            "\(f)/sub-01.html",
            "\(f)/sub-02/ses-1/func/sub-02_ses-1_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
            "\(f)/sub-02/ses-1/func/sub-02_ses-1_task-rest_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
            "\(f)/sub-02/ses-1/func/sub-02_ses-1_task-rest_desc-confounds_timeseries.tsv",
            "\(f)/sub-02/ses-2/func/sub-02_ses-2_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
            "\(f)/sub-02/ses-2/func/sub-02_ses-2_task-rest_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
            "\(f)/sub-02/ses-2/func/sub-02_ses-2_task-rest_desc-confounds_timeseries.tsv",
            "\(f)/sub-03/func/sub-03_task-rest_run-1_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
            "\(f)/sub-03/func/sub-03_task-rest_run-1_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
            "\(f)/sub-03/func/sub-03_task-rest_run-1_desc-confounds_timeseries.tsv",
            "\(f)/sub-03/func/sub-03_task-rest_run-2_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
            "\(f)/sub-03/func/sub-03_task-rest_run-2_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
            "\(f)/sub-03/func/sub-03_task-rest_run-2_desc-confounds_timeseries.tsv",
        ])
        try Self.description.write(toFile: root + "/\(f)/dataset_description.json", atomically: true, encoding: .utf8)
        let located = try FMRIPrepDerivatives.locate(in: root)
        #expect(located == root + "/" + f)
        let found = try FMRIPrepDerivatives(root: located)
        #expect(found.generatedBy == "fMRIPrep 23.2.1")
        #expect(found.participants.map(\.label) == ["01", "02", "03"])
        let p1 = found.participants[0]
        // Three preprocessed series (two spaces, two tasks); the MNI rest run is paired with mask, confounds and sidecar.
        #expect(p1.runs.count == 3)
        let mni = try #require(p1.runs.first { $0.space == Space(name: "MNI152NLin2009cAsym", resolution: "2") && $0.task == "rest" })
        #expect(mni.mask?.hasSuffix("sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz") == true)
        #expect(mni.confounds?.hasSuffix("sub-01_task-rest_desc-confounds_timeseries.tsv") == true)
        #expect(mni.sidecar?.hasSuffix("_desc-preproc_bold.json") == true)
        let t1w = try #require(p1.runs.first { $0.space == Space(name: "T1w") })
        #expect(t1w.mask == nil && t1w.confounds != nil)
        #expect(found.skipped.map { ($0.path as NSString).lastPathComponent } == ["sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii"])
        let anat = try #require(p1.anatomy.first)
        #expect(anat.probsegs[.native]?.gm?.hasSuffix("sub-01_label-GM_probseg.nii.gz") == true)
        #expect(anat.probsegs[.native]?.csf != nil && anat.probsegs[Space(name: "MNI152NLin2009cAsym", resolution: "2")]?.wm == nil)
        #expect(anat.aparcaseg?.hasSuffix("desc-aparcaseg_dseg.nii.gz") == true && anat.aseg?.hasSuffix("desc-aseg_dseg.nii.gz") == true)
        #expect(found.participants[1].sessions == ["1", "2"])
        #expect(found.participants[1].runs.allSatisfy { $0.mask != nil && $0.confounds != nil })
        #expect(found.participants[2].runs.map { $0.name["run"] } == ["1", "2"])
        // Each run is paired with its own confounds table, not its sibling's.
        #expect(found.participants[2].runs.allSatisfy { $0.confounds!.contains("_run-\($0.name["run"]!)_") })
        #expect(found.functionalSpaces == [Space(name: "MNI152NLin2009cAsym", resolution: "2"), Space(name: "T1w")])
    }

    @Test("older fMRIPrep: desc-confounds_regressors, no res- entity; the fMRIPrep folder given directly")
    func legacy() throws {
        let root = try Self.layout([
            "sub-07/func/sub-07_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz",
            "sub-07/func/sub-07_task-rest_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz",
            "sub-07/func/sub-07_task-rest_desc-confounds_regressors.tsv",
        ])
        try Self.description.write(toFile: root + "/dataset_description.json", atomically: true, encoding: .utf8)
        #expect(try FMRIPrepDerivatives.locate(in: root) == root)
        let run = try #require(try FMRIPrepDerivatives(root: root).participants.first?.runs.first)
        #expect(run.space == Space(name: "MNI152NLin2009cAsym") && run.confounds?.hasSuffix("_desc-confounds_regressors.tsv") == true)
    }

    @Test("no derivatives, no participants: clear refusals")
    func refusals() throws {
        let empty = try Reference.temporaryFolder("cohortex-discovery")
        #expect(throws: DiscoveryError.noFMRIPrepDerivatives(root: empty)) { try FMRIPrepDerivatives.locate(in: empty) }
        #expect(throws: DiscoveryError.notAFolder(path: empty + "/missing")) { try FMRIPrepDerivatives.locate(in: empty + "/missing") }
        #expect(throws: DiscoveryError.noParticipants(root: empty)) { try FMRIPrepDerivatives(root: empty) }
    }

    @Test("participants.tsv against the derivatives: both kinds of mismatch reported; bad ids refused with the line")
    func roster() throws {
        let root = try Reference.temporaryFolder("cohortex-roster")
        try "participant_id\tgroup\nsub-01\tpain\nsub-02\tcontrol\n".write(toFile: root + "/participants.tsv", atomically: true, encoding: .utf8)
        let roster = try ParticipantRoster(datasetRoot: root, file: nil, found: ["01", "03"])
        #expect(roster.listedWithoutData == ["02"] && roster.dataWithoutRow == ["03"])
        #expect(roster.notes.count == 2)
        try "participant_id\tgroup\nsub-01\tpain\nsub-../x\tcontrol\n".write(toFile: root + "/bad.tsv", atomically: true, encoding: .utf8)
        #expect(throws: DiscoveryError.participantsTable(path: root + "/bad.tsv", reason: "line 3: participant_id 'sub-../x' is not sub-<letters and digits>")) {
            try ParticipantRoster(datasetRoot: root, file: root + "/bad.tsv", found: ["01"])
        }
    }
}

/// fMRIPrep's own confounds tables (nilearn ships them: fMRIPrep ≥ 21 and older naming) through our loader:
/// the same columns and values as nilearn's `load_confounds` picks for each strategy.
@Suite("Real fMRIPrep confounds tables")
struct RealConfoundsTests {
    @Test("6P, 24P and 36P select nilearn's columns with its values (n/a → 0)", arguments: [
        ("modern", "6P"), ("modern", "24P"), ("modern", "36P"), ("legacy", "6P"), ("legacy", "24P"), ("legacy", "36P"),
    ])
    func strategies(layout: String, strategy: String) throws {
        let nilearn = try Self.nilearnSelection(layout: layout, strategy: strategy)
        let ours = try ConfoundsTable(contentsOf: nilearn.table).select(try ConfoundStrategy(parsing: strategy))
        Self.expectSame(ours, as: nilearn)
    }

    /// nilearn's fMRIPrep table of `layout` (with its JSON) beside an empty BOLD in a fresh folder, and the columns
    /// and values nilearn's `load_confounds` gives for `strategy` on it (`fc_reference.py confound-columns`).
    static func nilearnSelection(layout: String, strategy: String) throws -> (table: String, columns: [String], values: [[Double]]) {
        let tables = try DiscoveryTests.nilearnConfounds()
        let folder = try Reference.temporaryFolder("cohortex-confounds")
        let suffix = layout == "modern" ? "_desc-confounds_timeseries" : "_desc-confounds_regressors"
        let source = layout == "modern" ? tables.modern : tables.legacy
        let prefix = folder + "/sub-01_task-rest"
        try FileManager.default.copyItem(atPath: source, toPath: prefix + suffix + ".tsv")
        let json = (source as NSString).deletingPathExtension + ".json"
        if FileManager.default.fileExists(atPath: json) { try FileManager.default.copyItem(atPath: json, toPath: prefix + suffix + ".json") }
        let bold = prefix + "_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"
        FileManager.default.createFile(atPath: bold, contents: Data())
        let output = try Reference.runPython("fc_reference.py", ["confound-columns", bold, strategy])
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let columns = try #require(reference["columns"] as? [String])
        let values = try #require(reference["values"] as? [[String]]).map { $0.map { Double($0) ?? .nan } }
        return (prefix + suffix + ".tsv", columns, values)
    }

    /// The same column names as nilearn's, each with exactly its values.
    static func expectSame(_ ours: (names: [String], columns: [[Double]]), as nilearn: (table: String, columns: [String], values: [[Double]])) {
        #expect(Set(ours.names) == Set(nilearn.columns), "ours \(ours.names.sorted()) vs nilearn \(nilearn.columns.sorted())")
        #expect(ours.names.count == nilearn.columns.count)
        for (name, column) in zip(ours.names, ours.columns) {
            guard let index = nilearn.columns.firstIndex(of: name) else { continue }
            #expect(column == nilearn.values[index], "\(name) differs from nilearn's values")
        }
    }
}
