import Foundation

/// A BIDS file name assembled from entities in the order fMRIPrep writes them:
/// `sub`, `ses`, `task`, `acq`, `run`, `space`, `res`, `den`, `label`, `desc`, `from`, `to`, `mode`.
struct BIDSName {
    static let entityOrder = ["sub", "ses", "task", "acq", "run", "space", "res", "den", "label", "desc", "from", "to", "mode"]

    var entities: [String: String] = [:]
    /// The suffix after the last entity (`bold`, `mask`, `T1w`, `probseg`…).
    var suffix: String
    /// The extension with its dot (`.nii.gz`, `.json`, `.tsv`).
    var ext: String

    init(_ entities: [(String, String?)], suffix: String, ext: String) {
        for (key, value) in entities {
            precondition(Self.entityOrder.contains(key), "unknown BIDS entity \(key)")
            if let value { self.entities[key] = value }
        }
        self.suffix = suffix
        self.ext = ext
    }

    /// `sub-01_ses-1_task-rest_…_suffix.ext`, entities in canonical order whatever order they were given in.
    var fileName: String {
        let parts = Self.entityOrder.compactMap { key in entities[key].map { "\(key)-\($0)" } }
        return (parts + [suffix]).joined(separator: "_") + ext
    }
}

/// Where one participant's derivatives and raw stubs go, and how fMRIPrep names them in each layout.
struct RunNaming {
    let participant: SimulatedParticipant
    let acquisition: SimulatedParticipant.Acquisition
    let layout: StudySimulator.Layout

    static let template = "MNI152NLin2009cAsym"

    /// `sub-XX[/ses-YY]`.
    var folder: String {
        "sub-\(participant.label)" + (acquisition.session.map { "/ses-\($0)" } ?? "")
    }

    /// The resolution entity: fMRIPrep ≥ 21 writes `res-2`; 20.2 (legacy) writes none.
    var resolution: String? { layout == .modern ? "2" : nil }

    func functional(task: String = "rest", space: String?, desc: String?, suffix: String, ext: String,
                    den: String? = nil) -> String {
        let name = BIDSName([("sub", participant.label), ("ses", acquisition.session), ("task", task),
                             ("run", acquisition.run.map(String.init)), ("space", space),
                             ("res", space?.hasPrefix("MNI") == true ? resolution : nil), ("den", den), ("desc", desc)],
                            suffix: suffix, ext: ext)
        return "derivatives/fmriprep/\(folder)/func/\(name.fileName)"
    }

    /// `…_space-MNI152NLin2009cAsym[_res-2]_desc-preproc_bold.nii.gz`.
    var preprocessedBold: String { functional(space: Self.template, desc: "preproc", suffix: "bold", ext: ".nii.gz") }
    var preprocessedBoldSidecar: String { functional(space: Self.template, desc: "preproc", suffix: "bold", ext: ".json") }
    var brainMask: String { functional(space: Self.template, desc: "brain", suffix: "mask", ext: ".nii.gz") }
    var boldReference: String { functional(space: Self.template, desc: nil, suffix: "boldref", ext: ".nii.gz") }

    /// fMRIPrep ≥ 21 names the table `desc-confounds_timeseries`; 20.2 `desc-confounds_regressors`.
    func confounds(ext: String) -> String {
        functional(space: nil, desc: "confounds", suffix: layout == .modern ? "timeseries" : "regressors", ext: ext)
    }

    /// The raw dataset's sidecar stub: `sub-XX[/ses-YY]/func/sub-XX[_ses-YY]_task-rest[_run-Z]_bold.json`.
    var rawSidecar: String {
        let name = BIDSName([("sub", participant.label), ("ses", acquisition.session), ("task", "rest"),
                             ("run", acquisition.run.map(String.init))], suffix: "bold", ext: ".json")
        return "\(folder)/func/\(name.fileName)"
    }
}

/// fMRIPrep's anatomical outputs: one set per participant (a single T1w average, no session entity).
struct AnatomyNaming {
    let label: String
    let layout: StudySimulator.Layout

    var folder: String { "derivatives/fmriprep/sub-\(label)/anat" }

    private func path(space: String? = nil, label tissue: String? = nil, desc: String? = nil, suffix: String,
                      ext: String = ".nii.gz", from: String? = nil, to: String? = nil, mode: String? = nil) -> String {
        let res = space != nil && layout == .modern ? "2" : nil
        let name = BIDSName([("sub", label), ("space", space), ("res", res), ("label", tissue), ("desc", desc),
                             ("from", from), ("to", to), ("mode", mode)], suffix: suffix, ext: ext)
        return "\(folder)/\(name.fileName)"
    }

    var nativeT1w: String { path(desc: "preproc", suffix: "T1w") }
    var nativeBrainMask: String { path(desc: "brain", suffix: "mask") }
    func nativeProbseg(_ tissue: String) -> String { path(label: tissue, suffix: "probseg") }
    var aparcaseg: String { path(desc: "aparcaseg", suffix: "dseg") }
    var aseg: String { path(desc: "aseg", suffix: "dseg") }
    func templateProbseg(_ tissue: String) -> String { path(space: RunNaming.template, label: tissue, suffix: "probseg") }
    var templateT1w: String { path(space: RunNaming.template, desc: "preproc", suffix: "T1w") }
    var transform: String {
        path(suffix: "xfm", ext: ".h5", from: "T1w", to: RunNaming.template, mode: "image")
    }
}
