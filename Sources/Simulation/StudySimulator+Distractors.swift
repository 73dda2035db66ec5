import Foundation
import NIfTI

extension StudySimulator {
    /// Files a BIDS discovery must ignore, for participant 01: BOLD in other spaces and another task, a
    /// CIFTI series, a transform, the HTML report, a figure and a log. The images hold noise with no network
    /// signal, so a pipeline that uses one by mistake gets visibly wrong results.
    func writeDistractors(_ participant: SimulatedParticipant, anatomy: ParticipantAnatomy, template: FunctionalTemplate,
                          into writer: inout StudyWriter) throws {
        let acquisition = participant.acquisitions[0]
        let naming = RunNaming(participant: participant, acquisition: acquisition, layout: options.layout)
        var random = SimulationRandom(seed: options.seed, .distractorNoise, participant: participant.index)
        let frames = options.volumes, tr = options.repetitionTime

        let native = anatomy.native.grid
        try writer.image(Volume(grid: native, frames: frames,
                                voxels: BOLDSimulation.noiseOnly(voxelCount: native.voxelCount, frames: frames, random: &random),
                                repetitionTime: tr),
                         to: naming.functional(space: "T1w", desc: "preproc", suffix: "bold", ext: ".nii.gz"), spaceCode: 1)
        try writer.image(Volume(grid: native, voxels: anatomy.native.brainMask),
                         to: naming.functional(space: "T1w", desc: "brain", suffix: "mask", ext: ".nii.gz"), datatype: .uint8, spaceCode: 1)
        try writer.text("Not a CIFTI file: a placeholder written by cohortex simulate.\n",
                        to: naming.functional(space: "fsLR", desc: nil, suffix: "bold", ext: ".dtseries.nii", den: "91k"))
        let grid = template.grid
        for (task, space) in [("other", RunNaming.template), ("rest", "MNI152NLin6Asym")] {
            try writer.image(Volume(grid: grid, frames: frames,
                                    voxels: BOLDSimulation.noiseOnly(voxelCount: grid.voxelCount, frames: frames, random: &random),
                                    repetitionTime: tr),
                             to: naming.functional(task: task, space: space, desc: "preproc", suffix: "bold", ext: ".nii.gz"), spaceCode: 4)
        }
        let anat = AnatomyNaming(label: participant.label, layout: options.layout)
        try writer.text("Not an ITK transform: a placeholder written by cohortex simulate.\n", to: anat.transform)
        let id = participant.id
        try writer.text("<!DOCTYPE html>\n<html><head><title>\(id)</title></head><body><p>Simulated fMRIPrep report.</p></body></html>\n",
                        to: "derivatives/fmriprep/\(id).html")
        try writer.text("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>\n",
                        to: "derivatives/fmriprep/\(id)/figures/\(id)_task-rest_desc-carpetplot_bold.svg")
        try writer.text("[environment]\nsimulated = true\n", to: "derivatives/fmriprep/\(id)/log/fmriprep.toml")
    }
}
