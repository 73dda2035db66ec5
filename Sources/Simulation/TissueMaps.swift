import Foundation
import NIfTI

/// The brain model drawn on one grid: FreeSurfer labels (majority of 3 × 3 × 3 sub-voxel samples) and
/// tissue probabilities (their mean, i.e. partial volume), so volumes follow head size smoothly rather than
/// jumping by whole voxels.
struct TissueMaps: Sendable {
    let grid: Grid
    var aparc: [Float]
    var aseg: [Float]
    var gm: [Float]
    var wm: [Float]
    var csf: [Float]

    /// Sub-voxel sample offsets along each axis (voxel units).
    private static let offsets = [-1.0 / 3.0, 0, 1.0 / 3.0]

    /// Draws `model` on `grid`.
    init(_ model: BrainModel, on grid: Grid) {
        self.grid = grid
        let n = grid.voxelCount
        var aparc = [Float](repeating: 0, count: n), aseg = aparc, gm = aparc, wm = aparc, csf = aparc
        let a = grid.affine
        var samples: [Structure] = []
        samples.reserveCapacity(27)
        for k in 0..<grid.nz {
            for j in 0..<grid.ny {
                for i in 0..<grid.nx {
                    samples.removeAll(keepingCapacity: true)
                    var sum = (0.0, 0.0, 0.0)
                    for dk in Self.offsets {
                        for dj in Self.offsets {
                            for di in Self.offsets {
                                let p = a.apply(Double(i) + di, Double(j) + dj, Double(k) + dk)
                                let s = model.structure(p.0, p.1, p.2)
                                let t = s.tissue
                                sum = (sum.0 + t.gm, sum.1 + t.wm, sum.2 + t.csf)
                                samples.append(s)
                            }
                        }
                    }
                    let index = grid.index(i, j, k)
                    let winner = Self.majority(samples)
                    aparc[index] = Float(winner.aparcLabel)
                    aseg[index] = Float(winner.asegLabel)
                    let count = Double(samples.count)
                    gm[index] = Float(sum.0 / count)
                    wm[index] = Float(sum.1 / count)
                    csf[index] = Float(sum.2 / count)
                }
            }
        }
        (self.aparc, self.aseg, self.gm, self.wm, self.csf) = (aparc, aseg, gm, wm, csf)
    }

    /// The most frequent structure; ties go to the one sampled first, so the result never depends on hashing.
    private static func majority(_ samples: [Structure]) -> Structure {
        var best = samples[0], bestCount = 0
        for (n, candidate) in samples.enumerated() {
            if samples[..<n].contains(candidate) { continue }
            let count = samples[n...].reduce(0) { $0 + ($1 == candidate ? 1 : 0) }
            if count > bestCount { (best, bestCount) = (candidate, count) }
        }
        return best
    }

    /// 1 where the majority label is brain, else 0.
    var brainMask: [Float] { aparc.map { $0 != 0 ? 1 : 0 } }

    /// Adds seeded noise (sd `sd`) to the three probabilities wherever there is tissue, clamps each to
    /// [0, 1] and rescales a voxel whose sum exceeds 1, so GM + WM + CSF ≤ 1 everywhere and 0 stays 0 outside.
    mutating func addNoise(sd: Double, random: inout SimulationRandom) {
        for v in 0..<grid.voxelCount where gm[v] + wm[v] + csf[v] > 0 {
            var p = [Double(gm[v]), Double(wm[v]), Double(csf[v])].map { min(1, max(0, $0 + sd * random.normal())) }
            let total = p[0] + p[1] + p[2]
            if total > 1 { p = p.map { $0 / total } }
            (gm[v], wm[v], csf[v]) = (Float(p[0]), Float(p[1]), Float(p[2]))
        }
    }

    /// A synthetic T1w contrast: CSF dark, GM mid, WM bright, a little background, seeded noise.
    func t1wIntensities(random: inout SimulationRandom) -> [Float] {
        (0..<grid.voxelCount).map { v in
            let value = 30 * Double(csf[v]) + 70 * Double(gm[v]) + 110 * Double(wm[v]) + 4 + 2 * random.normal()
            return Float(max(0, value))
        }
    }

    /// Tissue volumes in mm³ (sum of probability × voxel volume).
    var volumes: (gm: Double, wm: Double, csf: Double) {
        let voxel = grid.affine.voxelVolume
        func total(_ p: [Float]) -> Double { p.reduce(0.0) { $0 + Double($1) } * voxel }
        return (total(gm), total(wm), total(csf))
    }
}
