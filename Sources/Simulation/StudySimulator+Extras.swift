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

    /// CAT12 for one participant: modulated GM and WM on the template grid (tissue × the Jacobian of the
    /// head-size scaling, so Σ mwp × voxel volume approximates the native volume) and the XML report with
    /// TIV and absolute CSF/GM/WM volumes (ml) measured on the native segmentation.
    func writeCAT12(_ participant: SimulatedParticipant, anatomy: ParticipantAnatomy, into writer: inout StudyWriter) throws {
        let id = participant.id
        let jacobian = Float(pow(anatomy.headScale, 3))
        let grid = anatomy.template.grid
        for (n, tissue) in [(1, anatomy.template.gm), (2, anatomy.template.wm)] {
            try writer.image(Volume(grid: grid, voxels: tissue.map { $0 * jacobian }),
                             to: "derivatives/cat12/\(id)/mri/mwp\(n)\(id)_T1w.nii", spaceCode: 4)
        }
        let volumes = anatomy.native.volumes
        let (csf, gm, wm) = (volumes.csf / 1000, volumes.gm / 1000, volumes.wm / 1000)
        let xml = """
        <?xml version="1.0" encoding="utf-8"?>
        <S>
        <subjectmeasures>
        <vol_TIV>\(String(format: "%.2f", csf + gm + wm))</vol_TIV>
        <vol_abs_CGW>[\(String(format: "%.4f %.4f %.4f", csf, gm, wm)) 0 0]</vol_abs_CGW>
        </subjectmeasures>
        </S>

        """
        try writer.text(xml, to: "derivatives/cat12/\(id)/report/cat_\(id)_T1w.xml")
    }
}
