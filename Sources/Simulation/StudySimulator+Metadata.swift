import Foundation
import NIfTI

extension StudySimulator {
    static let bidsVersion = "1.9.0"

    /// fMRIPrep's name, version and the BIDS version it declares, by layout generation.
    var fmriprepRelease: (version: String, bids: String) {
        options.layout == .modern ? ("23.2.1", Self.bidsVersion) : ("20.2.7", "1.4.0")
    }

    /// The raw dataset's description, README and participants table, and fMRIPrep's dataset description.
    func writeDatasetFiles(_ participants: [SimulatedParticipant], into writer: inout StudyWriter) throws {
        try writer.json(.object([("Name", .string("Cohortex simulated study")), ("BIDSVersion", .string(Self.bidsVersion)),
                                 ("DatasetType", .string("raw"))]), to: "dataset_description.json")
        try writer.text(readme, to: "README")
        try writer.table(participantsTable(participants), to: "participants.tsv")
        try writer.json(participantsSidecar, to: "participants.json")
        let release = fmriprepRelease
        try writer.json(derivativeDescription(name: "fMRIPrep - fMRI PREProcessing workflow", bids: release.bids,
                                              tool: "fMRIPrep", version: release.version),
                        to: "derivatives/fmriprep/dataset_description.json")
        if options.cat12 {
            try writer.json(derivativeDescription(name: "CAT12 - Computational Anatomy Toolbox", bids: Self.bidsVersion,
                                                  tool: "CAT12", version: "12.8.2"),
                            to: "derivatives/cat12/dataset_description.json")
        }
    }

    func derivativeDescription(name: String, bids: String, tool: String, version: String) -> JSONValue {
        .object([("Name", .string(name)), ("BIDSVersion", .string(bids)), ("DatasetType", .string("derivative")),
                 ("GeneratedBy", .array([.object([("Name", .string(tool)), ("Version", .string(version))])])),
                 ("SourceDatasets", .array([.object([("URL", .string("../../"))])]))])
    }

    /// participants.tsv: id, group, age, sex, and the clinical columns (`n/a` for controls).
    func participantsTable(_ participants: [SimulatedParticipant]) -> TSVTable {
        func oneDecimal(_ x: Double?) -> String { x.map { String(format: "%.1f", $0) } ?? "n/a" }
        return TSVTable(columns: ["participant_id", "group", "age", "sex", "pain_intensity", "pain_duration"],
                        rows: participants.map { p in
                            [p.id, p.group.rawValue, String(p.age), p.sex, oneDecimal(p.painIntensity), oneDecimal(p.painDuration)]
                        })
    }

    var participantsSidecar: JSONValue {
        .object([
            ("participant_id", .object([("Description", .string("Participant identifier"))])),
            ("group", .object([("Description", .string("Clinical group")),
                               ("Levels", .object([("pain", .string("chronic pain")), ("control", .string("healthy control"))]))])),
            ("age", .object([("Description", .string("Age at scan")), ("Units", .string("years"))])),
            ("sex", .object([("Description", .string("Sex")),
                             ("Levels", .object([("F", .string("female")), ("M", .string("male"))]))])),
            ("pain_intensity", .object([("Description", .string("Average pain intensity, 0-10 numeric rating scale (pain group only)"))])),
            ("pain_duration", .object([("Description", .string("Time since pain onset (pain group only)")), ("Units", .string("years"))])),
        ])
    }

    var readme: String {
        let o = options
        return """
        Cohortex simulated study
        ========================

        Synthetic data written by `cohortex simulate`: a raw BIDS dataset (metadata stubs only, no raw images)
        with fMRIPrep derivatives\(o.cat12 ? " and CAT12 outputs" : "") in the layout those tools write. Nothing here
        comes from a real person.

        Participants: \(o.participants); seed: \(o.seed); grid: \(o.nx)x\(o.ny)x\(o.nz) voxels of \(o.voxelSize) mm;
        BOLD: \(o.volumes) volumes, TR \(o.repetitionTime) s; fMRIPrep layout: \(o.layout.rawValue).

        Resting-state BOLD carries a latent PAG signal (10 mm sphere at MNI 0, -32, -10) that drives the mPFC
        (12 mm sphere at 0, 52, -2); the coupling is weaker in the pain group. Head motion enters the BOLD as a
        global term proportional to the confound table's motion parameters; volume 0 is a non-steady-state volume.
        The same options and seed always give the same bytes.

        """
    }
}
