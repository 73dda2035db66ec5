import Foundation
import NIfTI
import Simulation
import Testing

@Suite("Geometry")
struct GeometryTests {
    static let pag = (0.0, -32.0, -10.0)
    static let mpfc = (0.0, 52.0, -2.0)

    /// The voxel containing world point `p`, or nil outside the grid.
    static func voxel(_ grid: Grid, _ p: (Double, Double, Double)) throws -> Int? {
        let inverse = try #require(grid.affine.inverse)
        let ijk = inverse.apply(p.0, p.1, p.2)
        let (i, j, k) = (Int(ijk.0.rounded()), Int(ijk.1.rounded()), Int(ijk.2.rounded()))
        guard (0..<grid.nx).contains(i), (0..<grid.ny).contains(j), (0..<grid.nz).contains(k) else { return nil }
        return grid.index(i, j, k)
    }

    @Test("with the default grid, PAG and mPFC (and their spheres' centres' neighbours) lie inside the BOLD brain mask")
    func seedsInsideMask() throws {
        try WrittenStudy.with(.init(participants: 1, distractors: false)) { study in
            let run = try #require(study.runs.first)
            let mask = try study.image(run.mask)
            #expect(try study.header(run.mask).datatype == .uint8)
            #expect(Set(mask.voxels) == [0, 1])
            for (name, point) in [("PAG", Self.pag), ("mPFC", Self.mpfc)] {
                let v = try #require(try Self.voxel(mask.grid, point), "\(name) outside the grid")
                #expect(mask.voxels[v] == 1, "\(name) outside the brain mask")
                // Every voxel of a 6 mm sphere around the seed is brain too: seeds sit well inside.
                for w in Numerics.sphere(mask.grid, point, radius: 6) { #expect(mask.voxels[w] == 1, "\(name) sphere voxel \(w)") }
            }
            // The mask is an ellipsoid filling most of the grid's extent: it spans > 70 % of each axis.
            let grid = mask.grid
            let brain = mask.voxels.indices.filter { mask.voxels[$0] == 1 }.map { grid.coordinates(of: $0) }
            for (axis, n) in [(0, grid.nx), (1, grid.ny), (2, grid.nz)] {
                let values = brain.map { axis == 0 ? $0.0 : axis == 1 ? $0.1 : $0.2 }
                #expect(Double((values.max() ?? 0) - (values.min() ?? 0) + 1) > 0.7 * Double(n))
            }
        }
    }

    @Test("BOLD header: float32 4D, RAS MNI-like affine of the voxel size, TR in pixdim4, mm and sec",
          arguments: [(2.0, 8.0), (0.8, 6.0)])
    func boldHeader(tr: Double, voxelSize: Double) throws {
        try WrittenStudy.with(.init(participants: 1, nx: 12, ny: 14, nz: 10, voxelSize: voxelSize, volumes: 12,
                                    repetitionTime: tr, distractors: false)) { study in
            let run = try #require(study.runs.first)
            let header = try study.header(run.bold)
            #expect(header.datatype == .float32)
            #expect(header.dim == [12, 14, 10, 12])
            #expect(header.repetitionTime.map { abs($0 - tr) < 1e-6 } == true)
            #expect(abs(header.pixdim[3] - tr) < 1e-6)
            #expect(header.xyzUnits == "mm" && header.timeUnits == "sec")
            #expect(header.sformCode == 4)
            let a = header.affine
            #expect(abs(a[0, 0] - voxelSize) < 1e-5 && abs(a[1, 1] - voxelSize) < 1e-5 && abs(a[2, 2] - voxelSize) < 1e-5)
            #expect(!a.isOblique)
            // Mask, reference and template-space anatomy share the BOLD grid exactly.
            let anat = "derivatives/fmriprep/sub-01/anat/sub-01_space-MNI152NLin2009cAsym_res-2_label-GM_probseg.nii.gz"
            for path in [run.mask, run.bold.replacingOccurrences(of: "desc-preproc_bold", with: "boldref"), anat] {
                #expect(try study.header(path).grid.matches(header.grid), "\(path)")
            }
        }
    }

    @Test("the native T1w grid differs from the template grid, and between participants")
    func nativeGrid() throws {
        try WrittenStudy.with(.init(participants: 3, distractors: false)) { study in
            let template = try study.header("derivatives/fmriprep/sub-01/anat/sub-01_space-MNI152NLin2009cAsym_res-2_label-GM_probseg.nii.gz").grid
            var natives: [Grid] = []
            for p in study.participants {
                let anat = "derivatives/fmriprep/\(p.id)/anat/\(p.id)"
                let grid = try study.header(anat + "_desc-preproc_T1w.nii.gz").grid
                #expect(!grid.matches(template))
                #expect(abs(grid.affine.voxelSizes.0 - 0.75 * template.affine.voxelSizes.0) < 1e-6)
                for suffix in ["_desc-brain_mask", "_label-GM_probseg", "_label-WM_probseg", "_label-CSF_probseg",
                               "_desc-aparcaseg_dseg", "_desc-aseg_dseg"] {
                    #expect(try study.header(anat + suffix + ".nii.gz").grid.matches(grid), "\(p.id)\(suffix)")
                }
                #expect(try study.header(anat + "_desc-aparcaseg_dseg.nii.gz").datatype == .int16)
                natives.append(grid)
            }
            #expect(!natives[0].matches(natives[1]) && !natives[1].matches(natives[2]))
        }
    }
}
