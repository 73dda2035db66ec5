import Foundation
import NIfTI
import Simulation
import Testing

/// The confounds table must be internally consistent, as fMRIPrep's is: every derived column follows
/// from its base column, FD from the motion parameters, outliers from fMRIPrep's rule.
@Suite("Confounds")
struct ConfoundsTests {
    static let motion = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    static let expanded = ["global_signal", "csf", "white_matter"] + motion
    /// Columns whose first row fMRIPrep leaves n/a.
    static func leadingNotAvailable(_ name: String) -> Bool {
        name.hasSuffix("_derivative1") || name.hasSuffix("_derivative1_power2") || ["framewise_displacement", "dvars", "std_dvars"].contains(name)
    }

    static func numbers(_ table: TSVTable, _ name: String) throws -> [Double] {
        try table.numericColumn(name).map { $0 ?? .nan }
    }

    @Test("columns in fMRIPrep's families and order, n/a only in row 0 of derivatives, FD and DVARS",
          arguments: [StudySimulator.Layout.modern, .legacy])
    func columns(layout: StudySimulator.Layout) throws {
        try WrittenStudy.with(.init(participants: 3, layout: layout, distractors: false)) { study in
            for run in study.runs {
                let table = try study.table(run.confounds)
                #expect(table.rows.count == study.options.volumes)
                func family(_ base: String) -> [String] { [base, base + "_derivative1", base + "_power2", base + "_derivative1_power2"] }
                let fixed = family("global_signal") + family("csf") + family("white_matter")
                    + ["csf_wm", "tcompcor", "std_dvars", "dvars", "framewise_displacement", "rmsd"]
                    + (0..<3).map { String(format: "t_comp_cor_%02d", $0) } + (0..<5).map { String(format: "c_comp_cor_%02d", $0) }
                    + (0..<5).map { String(format: "w_comp_cor_%02d", $0) } + (0..<6).map { String(format: "a_comp_cor_%02d", $0) }
                    + (0..<3).map { String(format: "cosine%02d", $0) } + Self.motion.flatMap(family) + ["non_steady_state_outlier00"]
                #expect(Array(table.columns.prefix(fixed.count)) == fixed, "\(run)")
                let outliers = table.columns.dropFirst(fixed.count)
                #expect(outliers.enumerated().allSatisfy { $1 == String(format: "motion_outlier%02d", $0) }, "\(run)")
                for (c, name) in table.columns.enumerated() {
                    for (t, row) in table.rows.enumerated() {
                        let missing = row[c] == "n/a"
                        #expect(missing == (t == 0 && Self.leadingNotAvailable(name)), "\(run) \(name) row \(t): \(row[c])")
                        if !missing { #expect(Double(row[c])?.isFinite == true, "\(run) \(name) row \(t): \(row[c])") }
                    }
                }
            }
        }
    }

    @Test("FD recomputed from the motion columns (Power, 50 mm) matches framewise_displacement within 1e-6",
          arguments: [UInt64(1), 99])
    func framewiseDisplacement(seed: UInt64) throws {
        try WrittenStudy.with(.init(participants: 6, seed: seed, distractors: false)) { study in
            for run in study.runs {
                let table = try study.table(run.confounds)
                let fd = try Self.numbers(table, "framewise_displacement")
                let p = try Self.motion.map { try Self.numbers(table, $0) }
                #expect(fd[0].isNaN)
                for t in 1..<fd.count {
                    let translation = (0..<3).reduce(0.0) { $0 + abs(p[$1][t] - p[$1][t - 1]) }
                    let rotation = (3..<6).reduce(0.0) { $0 + abs(p[$1][t] - p[$1][t - 1]) }
                    #expect(abs(fd[t] - (translation + 50 * rotation)) < 1e-6, "\(run) volume \(t)")
                }
                // Mean FD varies by participant within a plausible range; spikes only for the last participant.
                let meanFD = Numerics.mean(Array(fd.dropFirst()))
                #expect(meanFD > 0.05 && meanFD < 0.4, "\(run) mean FD \(meanFD)")
                let spikes = fd.filter { $0 > 0.5 }.count
                if run.participant.hasMotionSpikes { #expect(spikes >= 2, "\(run)") } else { #expect(spikes == 0, "\(run)") }
            }
        }
    }

    @Test("derivative1, power2 and derivative1_power2 are exactly the backward difference and squares of their base")
    func expansions() throws {
        try WrittenStudy.with(.init(participants: 3, distractors: false)) { study in
            for run in study.runs {
                let table = try study.table(run.confounds)
                for base in Self.expanded {
                    let x = try Self.numbers(table, base)
                    let d = try Self.numbers(table, base + "_derivative1")
                    let x2 = try Self.numbers(table, base + "_power2")
                    let d2 = try Self.numbers(table, base + "_derivative1_power2")
                    #expect(d[0].isNaN && d2[0].isNaN)
                    for t in x.indices {
                        let scale = max(1, abs(x[t]) * abs(x[t]))
                        #expect(abs(x2[t] - x[t] * x[t]) <= 1e-12 * scale, "\(run) \(base) row \(t)")
                        guard t > 0 else { continue }
                        #expect(abs(d[t] - (x[t] - x[t - 1])) <= 1e-12 * max(1, abs(x[t])), "\(run) \(base) row \(t)")
                        #expect(abs(d2[t] - d[t] * d[t]) <= 1e-12 * max(1, d[t] * d[t]), "\(run) \(base) row \(t)")
                    }
                }
            }
        }
    }

    @Test("motion_outlier columns flag exactly the volumes with FD > 0.5 or std_dvars > 1.5; volume 0 is non-steady-state")
    func outliers() throws {
        try WrittenStudy.with(.init(participants: 6, distractors: false)) { study in
            var spikeParticipantOutliers = 0
            for run in study.runs {
                let table = try study.table(run.confounds)
                let fd = try Self.numbers(table, "framewise_displacement")
                let dvars = try Self.numbers(table, "std_dvars")
                let expected = (0..<fd.count).filter { fd[$0] > 0.5 || dvars[$0] > 1.5 }
                var flagged: [Int] = []
                for name in table.columns where name.hasPrefix("motion_outlier") {
                    let column = try Self.numbers(table, name)
                    #expect(column.allSatisfy { $0 == 0 || $0 == 1 } && column.filter { $0 == 1 }.count == 1, "\(run) \(name)")
                    flagged += column.indices.filter { column[$0] == 1 }
                }
                #expect(flagged == expected, "\(run)")
                #expect(try Self.numbers(table, "non_steady_state_outlier00") == [1] + [Double](repeating: 0, count: fd.count - 1))
                // The bright non-steady-state volume 0 makes volume 1's DVARS an outlier, as in real fMRIPrep tables.
                #expect(dvars[1] > 1.5, "\(run)")
                if run.participant.hasMotionSpikes { spikeParticipantOutliers += flagged.count }
            }
            #expect(spikeParticipantOutliers >= 3)
        }
    }

    @Test("global, CSF and WM signals are means of the written BOLD; DVARS is the RMS frame difference")
    func signalsFollowTheBold() throws {
        try WrittenStudy.with(.init(participants: 2, distractors: false)) { study in
            for run in study.runs {
                let table = try study.table(run.confounds)
                let bold = try study.image(run.bold)
                let mask = try study.image(run.mask)
                let brain = mask.voxels.indices.filter { mask.voxels[$0] != 0 }
                #expect(brain.count > mask.grid.voxelCount / 5)
                let global = Numerics.meanSeries(bold, brain)
                let written = try Self.numbers(table, "global_signal")
                for t in global.indices { #expect(abs(global[t] - written[t]) <= 1e-9 * abs(global[t]), "\(run) row \(t)") }
                // Volume 0 is brighter by about 20 %.
                let ratio = global[0] / Numerics.mean(Array(global.dropFirst()))
                #expect(ratio > 1.15 && ratio < 1.25, "\(run) volume-0 ratio \(ratio)")
                // CSF is brighter than WM, as in real BOLD.
                let csf = Numerics.mean(try Self.numbers(table, "csf")), wm = Numerics.mean(try Self.numbers(table, "white_matter"))
                #expect(csf > wm, "\(run)")
                // DVARS: RMS over the brain of successive differences, scaled so the median voxel mean is 1000.
                let n = bold.grid.voxelCount
                let means = brain.map { v in (0..<bold.frames).reduce(0.0) { $0 + Double(bold.voxels[$1 * n + v]) } / Double(bold.frames) }.sorted()
                let median = means.count % 2 == 1 ? means[means.count / 2] : (means[means.count / 2 - 1] + means[means.count / 2]) / 2
                let dvars = try Self.numbers(table, "dvars")
                for t in [1, 5, bold.frames - 1] {
                    let sum = brain.reduce(0.0) { acc, v in
                        let d = Double(bold.voxels[t * n + v]) - Double(bold.voxels[(t - 1) * n + v])
                        return acc + d * d
                    }
                    let expected = 1000 / median * (sum / Double(brain.count)).squareRoot()
                    #expect(abs(dvars[t] - expected) <= 1e-9 * expected, "\(run) row \(t)")
                }
            }
        }
    }

    @Test("CompCor columns are unit-norm, mutually orthogonal components, described in the JSON sidecar")
    func compCor() throws {
        try WrittenStudy.with(.init(participants: 2, distractors: false)) { study in
            for run in study.runs {
                let table = try study.table(run.confounds)
                let sidecar = try study.json(run.confoundsSidecar)
                for (prefix, count, method, mask) in [("t_comp_cor", 3, "tCompCor", nil), ("c_comp_cor", 5, "aCompCor", "CSF"),
                                                      ("w_comp_cor", 5, "aCompCor", "WM"), ("a_comp_cor", 6, "aCompCor", "combined")]
                    as [(String, Int, String, String?)] {
                    let names = (0..<count).map { prefix + String(format: "_%02d", $0) }
                    let columns = try names.map { try Self.numbers(table, $0) }
                    var cumulative = 0.0
                    for (c, name) in names.enumerated() {
                        #expect(columns[c][0] == 0, "\(run) \(name): non-steady-state row is 0")
                        #expect(abs(columns[c].reduce(0) { $0 + $1 * $1 } - 1) < 1e-9, "\(run) \(name) norm")
                        for other in 0..<c {
                            #expect(abs(zip(columns[c], columns[other]).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-6, "\(run) \(name)")
                        }
                        let entry = try #require(sidecar[name] as? [String: Any], "\(run) \(name)")
                        #expect(entry["Method"] as? String == method && entry["Mask"] as? String == mask)
                        #expect(entry["Retained"] as? Bool == true)
                        let variance = try #require(entry["VarianceExplained"] as? Double)
                        let singular = try #require(entry["SingularValue"] as? Double)
                        cumulative += variance
                        #expect(variance > 0 && singular > 0)
                        #expect(abs((entry["CumulativeVarianceExplained"] as? Double ?? -1) - cumulative) < 1e-12)
                    }
                    #expect(cumulative <= 1 + 1e-9)
                }
                for c in 0..<3 {
                    let entry = sidecar[String(format: "cosine%02d", c)] as? [String: Any]
                    #expect(entry?["Method"] as? String == "CosineBasis")
                }
            }
        }
    }
}
