import Foundation

/// Simulated head motion of one run: the six rigid-body parameters (mm, radians) and the framewise
/// displacement derived from them exactly as fMRIPrep does (Power et al. 2012, 50 mm head radius).
struct MotionTrace: Sendable {
    static let names = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    /// Power's head radius: rotations in radians become arc length on a 50 mm sphere.
    static let headRadius = 50.0
    /// Jenkinson's RMS-deviation sphere radius (mm).
    static let rmsRadius = 80.0
    /// Ordinary volumes stay below this FD, so only spike volumes cross fMRIPrep's 0.5 mm threshold.
    static let ordinaryCeiling = 0.4

    /// `parameters[k][t]`: parameter k (`names` order) at volume t.
    let parameters: [[Double]]
    /// FD per volume; NaN at volume 0 (n/a in the table).
    let framewiseDisplacement: [Double]

    var volumes: Int { framewiseDisplacement.count }

    /// Random-walk motion scaled so the mean FD (volumes ≥ 1) is `meanFD`, ordinary volumes capped below
    /// 0.4 mm, then — with `spikes` — a few abrupt movements of 0.6–1.2 mm FD at spaced volumes.
    static func simulate(volumes: Int, meanFD: Double, spikes: Bool, random: inout SimulationRandom) -> MotionTrace {
        // increments[k][t]: rotations are drawn in mm of arc and converted to radians at the end.
        let drift = (0..<6).map { _ in 0.3 * random.normal() }
        var increments = (0..<6).map { k in (0..<volumes).map { t in t == 0 ? 0 : random.normal() + drift[k] } }
        func displacement(_ t: Int) -> Double { (0..<6).reduce(0.0) { $0 + abs(increments[$1][t]) } }
        let rawMean = (1..<volumes).reduce(0.0) { $0 + displacement($1) } / Double(volumes - 1)
        let scale = rawMean > 0 ? meanFD / rawMean : 0
        for k in 0..<6 { increments[k] = increments[k].map { $0 * scale } }
        for t in 1..<volumes {
            let fd = displacement(t)
            if fd > ordinaryCeiling { for k in 0..<6 { increments[k][t] *= ordinaryCeiling / fd } }
        }
        if spikes {
            for t in spikeVolumes(volumes: volumes, random: &random) {
                let direction = (0..<6).map { _ in random.normal() }
                let size = direction.reduce(0.0) { $0 + abs($1) }
                let target = random.uniform(0.6, 1.2)
                for k in 0..<6 { increments[k][t] = direction[k] * target / size }
            }
        }
        // Positions relative to the reference volume (non-zero at volume 0, as fMRIPrep's are), rounded to
        // 1e-6 mm and 1e-8 rad so the table stays legible; FD is computed from the rounded values.
        var parameters: [[Double]] = []
        for k in 0..<6 {
            var position = 0.03 * random.normal()
            var series: [Double] = []
            for t in 0..<volumes {
                position += increments[k][t]
                let value = k < 3 ? position : position / headRadius
                let steps = k < 3 ? 1e6 : 1e8
                series.append((value * steps).rounded() / steps)
            }
            parameters.append(series)
        }
        return MotionTrace(parameters: parameters, framewiseDisplacement: framewiseDisplacement(parameters))
    }

    /// 2–6 distinct volumes in 2..<volumes, at least 3 apart (one per 12 volumes).
    private static func spikeVolumes(volumes: Int, random: inout SimulationRandom) -> [Int] {
        let wanted = min(6, max(2, volumes / 12))
        var chosen: [Int] = []
        var attempts = 0
        while chosen.count < wanted && attempts < 10_000 {
            attempts += 1
            let t = random.integer(in: 2...(volumes - 1))
            if chosen.allSatisfy({ abs($0 - t) >= 3 }) { chosen.append(t) }
        }
        return chosen.sorted()
    }

    /// Power's FD: Σ|Δ translation| + 50 mm × Σ|Δ rotation (rad)|, NaN for volume 0.
    static func framewiseDisplacement(_ p: [[Double]]) -> [Double] {
        let n = p[0].count
        return (0..<n).map { t in
            guard t > 0 else { return .nan }
            var fd = 0.0
            for k in 0..<3 { fd += abs(p[k][t] - p[k][t - 1]) }
            for k in 3..<6 { fd += headRadius * abs(p[k][t] - p[k][t - 1]) }
            return fd
        }
    }

    /// Relative RMS deviation between consecutive volumes (Jenkinson's small-angle form on an 80 mm
    /// sphere); 0 at volume 0.
    var rmsd: [Double] {
        (0..<volumes).map { t in
            guard t > 0 else { return 0 }
            var translation = 0.0, rotation = 0.0
            for k in 0..<3 { translation += pow(parameters[k][t] - parameters[k][t - 1], 2) }
            for k in 3..<6 { rotation += pow(parameters[k][t] - parameters[k][t - 1], 2) }
            return (translation + Self.rmsRadius * Self.rmsRadius / 5 * rotation).squareRoot()
        }
    }

    /// Each parameter in mm (rotations as arc length on the 50 mm sphere), for the BOLD artefact term.
    func millimetres(at t: Int) -> [Double] {
        (0..<6).map { k in k < 3 ? parameters[k][t] : parameters[k][t] * Self.headRadius }
    }
}
