import Foundation
import NIfTI

/// A participant's segmentations as written: native T1w grid and template grid, both with their noise.
struct ParticipantAnatomy {
    let native: TissueMaps
    let template: TissueMaps
    let headScale: Double
}

extension StudySimulator {
    static let tissueNoiseSD = 0.02
    static let tissues = ["GM", "WM", "CSF"]

    /// fMRIPrep's anat outputs for one participant (one T1w average, so no session entity): native-space
    /// T1w, mask, probsegs, aparc+aseg and aseg; template-space probsegs and T1w (unmodulated: no head-size scaling).
    func writeAnatomy(_ participant: SimulatedParticipant, geometry: StudyGeometry, template: FunctionalTemplate,
                      into writer: inout StudyWriter) throws -> ParticipantAnatomy {
        let naming = AnatomyNaming(label: participant.label, layout: options.layout)
        let nativeGrid = geometry.nativeGrid(for: participant)
        var native = TissueMaps(geometry.nativeBrain(for: participant), on: nativeGrid)
        var nativeNoise = SimulationRandom(seed: options.seed, .nativeTissueNoise, participant: participant.index)
        native.addNoise(sd: Self.tissueNoiseSD, random: &nativeNoise)
        var templateTissue = template.tissue
        var templateNoise = SimulationRandom(seed: options.seed, .templateTissueNoise, participant: participant.index)
        templateTissue.addNoise(sd: Self.tissueNoiseSD, random: &templateNoise)

        var t1wNoise = SimulationRandom(seed: options.seed, .t1wNoise, participant: participant.index)
        try writer.image(Volume(grid: nativeGrid, voxels: native.t1wIntensities(random: &t1wNoise)), to: naming.nativeT1w, spaceCode: 1)
        try writer.image(Volume(grid: nativeGrid, voxels: native.brainMask), to: naming.nativeBrainMask, datatype: .uint8, spaceCode: 1)
        for (tissue, values) in zip(Self.tissues, [native.gm, native.wm, native.csf]) {
            try writer.image(Volume(grid: nativeGrid, voxels: values), to: naming.nativeProbseg(tissue), spaceCode: 1)
        }
        try writer.image(Volume(grid: nativeGrid, voxels: native.aparc), to: naming.aparcaseg, datatype: .int16, spaceCode: 1)
        try writer.image(Volume(grid: nativeGrid, voxels: native.aseg), to: naming.aseg, datatype: .int16, spaceCode: 1)

        let grid = template.grid
        for (tissue, values) in zip(Self.tissues, [templateTissue.gm, templateTissue.wm, templateTissue.csf]) {
            try writer.image(Volume(grid: grid, voxels: values), to: naming.templateProbseg(tissue), spaceCode: 4)
        }
        try writer.image(Volume(grid: grid, voxels: templateTissue.t1wIntensities(random: &t1wNoise)), to: naming.templateT1w,
                         spaceCode: 4)
        return ParticipantAnatomy(native: native, template: templateTissue, headScale: participant.headScale)
    }
}
