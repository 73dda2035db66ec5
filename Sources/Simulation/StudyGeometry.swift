import Foundation
import NIfTI

/// The grids of a study: the shared template/BOLD grid (MNI152NLin2009cAsym-like, RAS) and each
/// participant's native T1w grid (finer voxels, more of them, origin shifted per participant).
struct StudyGeometry: Sendable {
    /// Periaqueductal grey, MNI mm: the seed of the simulated network.
    static let pag = (0.0, -32.0, -10.0)
    static let pagRadius = 10.0
    /// Medial prefrontal cortex, MNI mm: driven by the PAG signal with the participant's coupling.
    static let mpfc = (0.0, 52.0, -2.0)
    static let mpfcRadius = 12.0
    /// Native voxels are this fraction of the template voxel size…
    static let nativeVoxelFraction = 0.75
    /// …and the native grid has this many times the voxels per axis, so a head scaled by 1.1 plus its
    /// shift still fits with a margin (the native field of view is 1.4 × 0.75 = 1.05 × the template's).
    static let nativeShapeFactor = 1.4

    let template: Grid
    let templateBrain: BrainModel
    let nativeVoxelSize: Double
    let nativeShape: (Int, Int, Int)

    init(nx: Int, ny: Int, nz: Int, voxelSize v: Double) {
        template = Self.centredGrid(nx: nx, ny: ny, nz: nz, voxelSize: v, centre: BrainModel.centre)
        templateBrain = BrainModel(templateExtent: Self.extent(template))
        nativeVoxelSize = v * Self.nativeVoxelFraction
        func native(_ n: Int) -> Int { Int((Double(n) * Self.nativeShapeFactor).rounded(.up)) }
        nativeShape = (native(nx), native(ny), native(nz))
    }

    /// A RAS grid of voxel size `v` whose centre (between the middle voxels for even sizes) is `centre`.
    static func centredGrid(nx: Int, ny: Int, nz: Int, voxelSize v: Double, centre: (Double, Double, Double)) -> Grid {
        let origin = (centre.0 - v * Double(nx - 1) / 2, centre.1 - v * Double(ny - 1) / 2, centre.2 - v * Double(nz - 1) / 2)
        return Grid(nx: nx, ny: ny, nz: nz, affine: .scaling(v, v, v, origin: origin))
    }

    /// The field of view in mm along each axis.
    static func extent(_ grid: Grid) -> (Double, Double, Double) {
        let s = grid.affine.voxelSizes
        return (Double(grid.nx) * s.0, Double(grid.ny) * s.1, Double(grid.nz) * s.2)
    }

    /// The participant's native T1w grid: centred on the brain plus their small shift.
    func nativeGrid(for participant: SimulatedParticipant) -> Grid {
        let c = BrainModel.centre, s = participant.nativeShift
        return Self.centredGrid(nx: nativeShape.0, ny: nativeShape.1, nz: nativeShape.2, voxelSize: nativeVoxelSize,
                                centre: (c.0 + s.0, c.1 + s.1, c.2 + s.2))
    }

    /// The participant's brain: the template design scaled by their head size.
    func nativeBrain(for participant: SimulatedParticipant) -> BrainModel {
        BrainModel(templateExtent: Self.extent(template), scale: participant.headScale)
    }

    /// Linear indices of template voxels whose centres lie within `radius` mm of `point`.
    func sphere(_ point: (Double, Double, Double), radius: Double) -> [Int] {
        var out: [Int] = []
        for k in 0..<template.nz {
            for j in 0..<template.ny {
                for i in 0..<template.nx {
                    let p = template.affine.apply(Double(i), Double(j), Double(k))
                    let d = ((p.0 - point.0) * (p.0 - point.0) + (p.1 - point.1) * (p.1 - point.1)
                        + (p.2 - point.2) * (p.2 - point.2)).squareRoot()
                    if d <= radius { out.append(template.index(i, j, k)) }
                }
            }
        }
        return out
    }
}
