import Foundation
import NIfTI

/// The fMRIPrep confounds table and its JSON sidecar for one simulated run, computed from the run itself:
/// mean signals over crude tissue masks, DVARS, FD from the motion columns, CompCor, cosines, outliers.
struct ConfoundsBuilder {
    /// fMRIPrep's motion-outlier rule.
    static let fdThreshold = 0.5
    static let stdDVARSThreshold = 1.5
    static let cosineCount = 3
    static let compCorCounts = (t: 3, c: 5, w: 5, a: 6)

    let template: FunctionalTemplate
    /// Template-grid masks (voxel indices) derived once per study.
    let brain: [Int]
    let csf: [Int]
    let wm: [Int]

    init(template: FunctionalTemplate) {
        self.template = template
        let t = template.tissue
        let n = template.grid.voxelCount
        brain = (0..<n).filter { template.brain[$0] }
        csf = Self.mask(t.csf, threshold: 0.5)
        wm = Self.mask(t.wm, threshold: 0.8)
    }

    /// Fewest voxels a tissue mask may have: more than the largest CompCor set has components.
    static let minimumMaskVoxels = 10

    /// Voxels at or above `threshold`; on coarse grids where few reach it, the `minimumMaskVoxels` most
    /// probable ones instead (ties by index), so each CompCor set still has enough voxels to decompose.
    static func mask(_ probability: [Float], threshold: Float) -> [Int] {
        let selected = probability.indices.filter { probability[$0] >= threshold }
        if selected.count >= minimumMaskVoxels { return selected }
        let ranked = probability.indices.sorted { probability[$0] != probability[$1] ? probability[$0] > probability[$1] : $0 < $1 }
        return ranked.prefix(minimumMaskVoxels).sorted()
    }

    /// The table (columns in fMRIPrep's families, see the brief) and the sidecar.
    func build(_ run: SimulatedRun) -> (table: TSVTable, sidecar: JSONValue) {
        let n = template.grid.voxelCount, frames = run.frames
        func mean(_ mask: [Int]) -> [Double] {
            (0..<frames).map { t in mask.reduce(0.0) { $0 + Double(run.voxels[t * n + $1]) } / Double(max(mask.count, 1)) }
        }
        let combined = Array(Set(csf).union(wm)).sorted()
        var columns: [(String, [Double])] = []
        columns += Self.expanded("global_signal", mean(brain))
        columns += Self.expanded("csf", mean(csf))
        columns += Self.expanded("white_matter", mean(wm))
        columns.append(("csf_wm", mean(combined)))

        // CompCor on the steady-state volumes only (fMRIPrep skips non-steady-state volumes and writes 0 there).
        let cosines = Self.cosineBasis(volumes: frames)
        let steady = 1..<frames
        let compCor = CompCor(regressors: cosines.map { Array($0[steady]) }, length: frames - 1)
        func series(_ v: Int) -> [Double] { steady.map { Double(run.voxels[$0 * n + v]) } }
        let tMask = temporalCompCorMask(compCor, series: series)
        columns.append(("tcompcor", mean(tMask)))

        let (dvars, standardised) = dvarsSeries(run)
        columns.append(("std_dvars", standardised))
        columns.append(("dvars", dvars))
        let fd = run.motion.framewiseDisplacement
        columns.append(("framewise_displacement", fd))
        columns.append(("rmsd", run.motion.rmsd))

        var metadata: [(String, JSONValue)] = []
        let counts = Self.compCorCounts
        for (prefix, mask, count, method, maskName) in [("t_comp_cor", tMask, counts.t, "tCompCor", nil),
                                                          ("c_comp_cor", csf, counts.c, "aCompCor", "CSF"),
                                                          ("w_comp_cor", wm, counts.w, "aCompCor", "WM"),
                                                          ("a_comp_cor", combined, counts.a, "aCompCor", "combined")] as [(String, [Int], Int, String, String?)] {
            let result = compCor.decompose(mask.map(series), count: count)
            var cumulative = 0.0
            for c in 0..<count {
                let name = prefix + String(format: "_%02d", c)
                columns.append((name, [0] + result.components[c]))
                cumulative += result.varianceExplained[c]
                var entry: [(String, JSONValue)] = [("Method", .string(method))]
                if let maskName { entry.append(("Mask", .string(maskName))) }
                entry += [("SingularValue", .number(result.singularValues[c])),
                          ("VarianceExplained", .number(result.varianceExplained[c])),
                          ("CumulativeVarianceExplained", .number(cumulative)),
                          ("Retained", .bool(true))]
                metadata.append((name, .object(entry)))
            }
        }
        for (c, cosine) in cosines.enumerated() {
            let name = String(format: "cosine%02d", c)
            columns.append((name, cosine))
            metadata.append((name, .object([("Method", .string("CosineBasis"))])))
        }
        for (k, name) in MotionTrace.names.enumerated() {
            columns += Self.expanded(name, run.motion.parameters[k])
        }
        columns.append(("non_steady_state_outlier00", (0..<frames).map { $0 == 0 ? 1 : 0 }))
        let outliers = (1..<frames).filter { fd[$0] > Self.fdThreshold || standardised[$0] > Self.stdDVARSThreshold }
        for (c, t) in outliers.enumerated() {
            columns.append((String(format: "motion_outlier%02d", c), (0..<frames).map { $0 == t ? 1 : 0 }))
        }

        let rows = (0..<frames).map { t in columns.map { TSVTable.format($0.1[t]) } }
        return (TSVTable(columns: columns.map(\.0), rows: rows), .object(metadata))
    }

    /// A column with fMRIPrep's expansions: backward difference (n/a at volume 0), square, squared difference.
    static func expanded(_ name: String, _ base: [Double]) -> [(String, [Double])] {
        let derivative = base.indices.map { $0 == 0 ? Double.nan : base[$0] - base[$0 - 1] }
        return [(name, base), (name + "_derivative1", derivative), (name + "_power2", base.map { $0 * $0 }),
                (name + "_derivative1_power2", derivative.map { $0 * $0 })]
    }

    /// fMRIPrep's DCT-II high-pass regressors: √(2/N) cos(π k (2t + 1) / 2N), k = 1…3.
    static func cosineBasis(volumes: Int) -> [[Double]] {
        let scale = (2.0 / Double(volumes)).squareRoot()
        return (1...cosineCount).map { k in
            (0..<volumes).map { t in scale * cos(Double.pi * Double(k) * Double(2 * t + 1) / Double(2 * volumes)) }
        }
    }

    /// tCompCor's mask: the 2 % of brain voxels with the highest high-pass-filtered temporal SD (at least 5).
    func temporalCompCorMask(_ compCor: CompCor, series: (Int) -> [Double]) -> [Int] {
        let spread = brain.map { v -> (Int, Double) in
            let x = compCor.filtered(series(v))
            return (v, CompCor.dot(x, x))
        }
        let count = min(brain.count, max(5, Int((0.02 * Double(brain.count)).rounded(.up))))
        return spread.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(count).map(\.0).sorted()
    }

    /// DVARS over the brain mask after scaling the median voxel mean to 1000 (as nipype's ComputeDVARS),
    /// and its standardised form: DVARS over its median (NaN at volume 0 for both).
    func dvarsSeries(_ run: SimulatedRun) -> (dvars: [Double], standardised: [Double]) {
        let n = template.grid.voxelCount, frames = run.frames
        let means = brain.map { v in (0..<frames).reduce(0.0) { $0 + Double(run.voxels[$1 * n + v]) } / Double(frames) }
        let scale = 1000 / max(Self.median(means), 1e-9)
        let dvars = (0..<frames).map { t -> Double in
            guard t > 0 else { return .nan }
            let sum = brain.reduce(0.0) { acc, v in
                let d = Double(run.voxels[t * n + v]) - Double(run.voxels[(t - 1) * n + v])
                return acc + d * d
            }
            return scale * (sum / Double(max(brain.count, 1))).squareRoot()
        }
        let typical = max(Self.median(Array(dvars.dropFirst())), 1e-12)
        return (dvars, dvars.map { $0.isNaN ? .nan : $0 / typical })
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let m = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2
    }
}
