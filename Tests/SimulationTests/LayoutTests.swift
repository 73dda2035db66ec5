import Foundation
import NIfTI
import Simulation
import Testing

/// The file layout is the interface the BIDS discovery is written against: these lists are the contract.
@Suite("Study layout")
struct LayoutTests {
    static let participant02: [String] = [
        "derivatives/fmriprep/sub-02/anat/sub-02_desc-aparcaseg_dseg.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_desc-aseg_dseg.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_desc-brain_mask.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_desc-preproc_T1w.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_label-CSF_probseg.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_label-GM_probseg.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_label-WM_probseg.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_space-MNI152NLin2009cAsym_res-2_desc-preproc_T1w.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_space-MNI152NLin2009cAsym_res-2_label-CSF_probseg.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_space-MNI152NLin2009cAsym_res-2_label-GM_probseg.nii.gz",
        "derivatives/fmriprep/sub-02/anat/sub-02_space-MNI152NLin2009cAsym_res-2_label-WM_probseg.nii.gz",
        "derivatives/fmriprep/sub-02/ses-1/func/sub-02_ses-1_task-rest_desc-confounds_timeseries.json",
        "derivatives/fmriprep/sub-02/ses-1/func/sub-02_ses-1_task-rest_desc-confounds_timeseries.tsv",
        "derivatives/fmriprep/sub-02/ses-1/func/sub-02_ses-1_task-rest_space-MNI152NLin2009cAsym_res-2_boldref.nii.gz",
        "derivatives/fmriprep/sub-02/ses-1/func/sub-02_ses-1_task-rest_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
        "derivatives/fmriprep/sub-02/ses-1/func/sub-02_ses-1_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.json",
        "derivatives/fmriprep/sub-02/ses-1/func/sub-02_ses-1_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
        "derivatives/fmriprep/sub-02/ses-2/func/sub-02_ses-2_task-rest_desc-confounds_timeseries.json",
        "derivatives/fmriprep/sub-02/ses-2/func/sub-02_ses-2_task-rest_desc-confounds_timeseries.tsv",
        "derivatives/fmriprep/sub-02/ses-2/func/sub-02_ses-2_task-rest_space-MNI152NLin2009cAsym_res-2_boldref.nii.gz",
        "derivatives/fmriprep/sub-02/ses-2/func/sub-02_ses-2_task-rest_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
        "derivatives/fmriprep/sub-02/ses-2/func/sub-02_ses-2_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.json",
        "derivatives/fmriprep/sub-02/ses-2/func/sub-02_ses-2_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
        "sub-02/ses-1/func/sub-02_ses-1_task-rest_bold.json",
        "sub-02/ses-2/func/sub-02_ses-2_task-rest_bold.json",
    ]

    static let participant03: [String] = [
        "derivatives/fmriprep/sub-03/anat/sub-03_desc-aparcaseg_dseg.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_desc-aseg_dseg.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_desc-brain_mask.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_desc-preproc_T1w.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_label-CSF_probseg.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_label-GM_probseg.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_label-WM_probseg.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_space-MNI152NLin2009cAsym_res-2_desc-preproc_T1w.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_space-MNI152NLin2009cAsym_res-2_label-CSF_probseg.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_space-MNI152NLin2009cAsym_res-2_label-GM_probseg.nii.gz",
        "derivatives/fmriprep/sub-03/anat/sub-03_space-MNI152NLin2009cAsym_res-2_label-WM_probseg.nii.gz",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-1_desc-confounds_timeseries.json",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-1_desc-confounds_timeseries.tsv",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-1_space-MNI152NLin2009cAsym_res-2_boldref.nii.gz",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-1_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-1_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.json",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-1_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-2_desc-confounds_timeseries.json",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-2_desc-confounds_timeseries.tsv",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-2_space-MNI152NLin2009cAsym_res-2_boldref.nii.gz",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-2_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-2_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.json",
        "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-2_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
        "sub-03/func/sub-03_task-rest_run-1_bold.json",
        "sub-03/func/sub-03_task-rest_run-2_bold.json",
    ]

    /// A participant with one session-less run (01 and 04 here): anat, one run, the raw stub.
    static func singleRun(_ label: String) -> [String] {
        let anat = "derivatives/fmriprep/sub-\(label)/anat/sub-\(label)"
        let func_ = "derivatives/fmriprep/sub-\(label)/func/sub-\(label)_task-rest"
        return [
            "\(anat)_desc-aparcaseg_dseg.nii.gz", "\(anat)_desc-aseg_dseg.nii.gz", "\(anat)_desc-brain_mask.nii.gz",
            "\(anat)_desc-preproc_T1w.nii.gz", "\(anat)_label-CSF_probseg.nii.gz", "\(anat)_label-GM_probseg.nii.gz",
            "\(anat)_label-WM_probseg.nii.gz", "\(anat)_space-MNI152NLin2009cAsym_res-2_desc-preproc_T1w.nii.gz",
            "\(anat)_space-MNI152NLin2009cAsym_res-2_label-CSF_probseg.nii.gz",
            "\(anat)_space-MNI152NLin2009cAsym_res-2_label-GM_probseg.nii.gz",
            "\(anat)_space-MNI152NLin2009cAsym_res-2_label-WM_probseg.nii.gz",
            "\(func_)_desc-confounds_timeseries.json", "\(func_)_desc-confounds_timeseries.tsv",
            "\(func_)_space-MNI152NLin2009cAsym_res-2_boldref.nii.gz",
            "\(func_)_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz",
            "\(func_)_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.json",
            "\(func_)_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
            "sub-\(label)/func/sub-\(label)_task-rest_bold.json",
        ]
    }

    static let distractors01: [String] = [
        "derivatives/fmriprep/sub-01.html",
        "derivatives/fmriprep/sub-01/anat/sub-01_from-T1w_to-MNI152NLin2009cAsym_mode-image_xfm.h5",
        "derivatives/fmriprep/sub-01/figures/sub-01_task-rest_desc-carpetplot_bold.svg",
        "derivatives/fmriprep/sub-01/func/sub-01_task-other_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz",
        "derivatives/fmriprep/sub-01/func/sub-01_task-rest_space-MNI152NLin6Asym_res-2_desc-preproc_bold.nii.gz",
        "derivatives/fmriprep/sub-01/func/sub-01_task-rest_space-T1w_desc-brain_mask.nii.gz",
        "derivatives/fmriprep/sub-01/func/sub-01_task-rest_space-T1w_desc-preproc_bold.nii.gz",
        "derivatives/fmriprep/sub-01/func/sub-01_task-rest_space-fsLR_den-91k_bold.dtseries.nii",
        "derivatives/fmriprep/sub-01/log/fmriprep.toml",
    ]

    static let topLevel = ["README", "dataset_description.json", "derivatives/fmriprep/dataset_description.json",
                           "participants.json", "participants.tsv"]

    @Test("a 4-participant modern study writes exactly the expected files, and the manifest lists them")
    func modernLayout() throws {
        try WrittenStudy.with(.init(participants: 4)) { study in
            let expected = (Self.topLevel + Self.singleRun("01") + Self.distractors01 + Self.participant02 + Self.participant03
                + Self.singleRun("04")).sorted()
            let onDisk = study.filesOnDisk()
            #expect(Set(onDisk).subtracting(expected).sorted() == [], "unexpected files")
            #expect(Set(expected).subtracting(onDisk).sorted() == [], "missing files")
            #expect(study.manifest.files == expected)
            #expect(study.manifest.participants == ["01", "02", "03", "04"])
        }
    }

    @Test("without distractors only the inputs are written")
    func noDistractors() throws {
        try WrittenStudy.with(.init(participants: 2, distractors: false)) { study in
            let expected = (Self.topLevel + Self.singleRun("01") + Self.participant02).sorted()
            #expect(study.filesOnDisk() == expected)
        }
    }

    @Test("legacy layout: fMRIPrep 20.2 names — desc-confounds_regressors and no res- entity anywhere")
    func legacyLayout() throws {
        try WrittenStudy.with(.init(participants: 3, layout: .legacy)) { study in
            func legacy(_ name: String) -> String {
                name.replacingOccurrences(of: "_res-2", with: "")
                    .replacingOccurrences(of: "desc-confounds_timeseries", with: "desc-confounds_regressors")
            }
            let expected = (Self.topLevel + Self.singleRun("01") + Self.distractors01 + Self.participant02 + Self.participant03)
                .map(legacy).sorted()
            #expect(study.filesOnDisk() == expected)
            #expect(study.manifest.files.allSatisfy { !$0.contains("_res-") && !$0.contains("timeseries") })
            #expect(study.manifest.files.contains(
                "derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-2_desc-confounds_regressors.tsv"))
            #expect(study.manifest.files.contains(
                "derivatives/fmriprep/sub-02/ses-1/func/sub-02_ses-1_task-rest_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz"))
            let description = try study.json("derivatives/fmriprep/dataset_description.json")
            let generatedBy = try #require(description["GeneratedBy"] as? [[String: Any]])
            #expect(generatedBy.first?["Version"] as? String == "20.2.7")
        }
    }

    @Test("CAT12: modulated GM/WM per participant, a report each, and a dataset description", arguments: [1, 3])
    func cat12Layout(participants: Int) throws {
        try WrittenStudy.with(.init(participants: participants, cat12: true, distractors: false)) { study in
            let cat = study.manifest.files.filter { $0.hasPrefix("derivatives/cat12/") }
            let expected = ["derivatives/cat12/dataset_description.json"] + (1...participants).flatMap { n -> [String] in
                let id = String(format: "sub-%02d", n)
                return ["derivatives/cat12/\(id)/mri/mwp1\(id)_T1w.nii", "derivatives/cat12/\(id)/mri/mwp2\(id)_T1w.nii",
                        "derivatives/cat12/\(id)/report/cat_\(id)_T1w.xml"]
            }
            #expect(cat == expected.sorted())
            let xml = try String(contentsOfFile: study.path("derivatives/cat12/sub-01/report/cat_sub-01_T1w.xml"), encoding: .utf8)
            #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<S>\n<subjectmeasures>\n<vol_TIV>"))
            #expect(xml.contains("</vol_TIV>\n<vol_abs_CGW>[") && xml.hasSuffix("]</vol_abs_CGW>\n</subjectmeasures>\n</S>\n"))
            let header = try study.header("derivatives/cat12/sub-01/mri/mwp1sub-01_T1w.nii")
            #expect(header.datatype == .float32 && !header.isPair)
        }
    }

    @Test("one participant: no sessions, no runs")
    func smallStudies() throws {
        try WrittenStudy.with(.init(participants: 1, distractors: false)) { study in
            #expect(study.filesOnDisk() == (Self.topLevel + Self.singleRun("01")).sorted())
        }
    }

    @Test("dataset descriptions, participants table and sidecars carry the required fields")
    func metadata() throws {
        try WrittenStudy.with(.init(participants: 5, repetitionTime: 1.5)) { study in
            let raw = try study.json("dataset_description.json")
            #expect(raw["Name"] as? String == "Cohortex simulated study")
            #expect(raw["BIDSVersion"] as? String == "1.9.0" && raw["DatasetType"] as? String == "raw")
            let fmriprep = try study.json("derivatives/fmriprep/dataset_description.json")
            #expect(fmriprep["Name"] as? String == "fMRIPrep - fMRI PREProcessing workflow")
            #expect(fmriprep["DatasetType"] as? String == "derivative" && fmriprep["SourceDatasets"] != nil)
            let generatedBy = try #require(fmriprep["GeneratedBy"] as? [[String: Any]])
            #expect(generatedBy.first?["Name"] as? String == "fMRIPrep" && generatedBy.first?["Version"] as? String == "23.2.1")

            let table = try study.table("participants.tsv")
            #expect(table.columns == ["participant_id", "group", "age", "sex", "pain_intensity", "pain_duration"])
            #expect(try table.column("participant_id") == ["sub-01", "sub-02", "sub-03", "sub-04", "sub-05"])
            #expect(try table.column("group") == ["pain", "control", "pain", "control", "pain"])
            for row in table.rows {
                let age = try #require(Int(row[2]))
                #expect((25...65).contains(age))
                #expect(["F", "M"].contains(row[3]))
                if row[1] == "pain" {
                    let intensity = try #require(Double(row[4])), duration = try #require(Double(row[5]))
                    #expect((0...10).contains(intensity) && duration > 0)
                    #expect(row[4].split(separator: ".").last?.count == 1 && row[5].split(separator: ".").last?.count == 1)
                } else {
                    #expect(row[4] == "n/a" && row[5] == "n/a")
                }
            }
            let columns = try study.json("participants.json")
            #expect(Set(columns.keys) == Set(table.columns))

            for run in study.runs {
                let sidecar = try study.json(run.bold.replacingOccurrences(of: ".nii.gz", with: ".json"))
                #expect(sidecar["RepetitionTime"] as? Double == 1.5)
                #expect(sidecar["SkullStripped"] as? Bool == false && sidecar["TaskName"] as? String == "rest")
            }
            let stub = try study.json("sub-02/ses-2/func/sub-02_ses-2_task-rest_bold.json")
            #expect(stub["RepetitionTime"] as? Double == 1.5 && stub["TaskName"] as? String == "rest")
        }
    }
}
