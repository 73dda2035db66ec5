import Foundation
import NIfTI

extension StudySimulator {
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
