import Foundation
import NIfTI
import Simulation
import Testing

/// The simulated clinical effect: PAG drives mPFC, more weakly in the pain group.
@Suite("Network signal")
struct SignalTests {
    /// Correlation of the PAG-sphere and mPFC-sphere mean series after dropping the non-steady-state
    /// volume and regressing out a constant and the six motion parameters.
    static func coupling(_ study: WrittenStudy, _ run: StudyRun) throws -> Double {
        let bold = try study.image(run.bold)
        let table = try study.table(run.confounds)
        let pag = Numerics.meanSeries(bold, Numerics.sphere(bold.grid, (0, -32, -10), radius: 10))
        let mpfc = Numerics.meanSeries(bold, Numerics.sphere(bold.grid, (0, 52, -2), radius: 12))
        let motion = try ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"].map {
            try table.numericColumn($0).dropFirst().map { $0 ?? 0 }
        }
        let design = [[Double](repeating: 1, count: bold.frames - 1)] + motion
        return Numerics.correlation(Numerics.residuals(Array(pag.dropFirst()), on: design),
                                    Numerics.residuals(Array(mpfc.dropFirst()), on: design))
    }

    @Test("PAG–mPFC correlation: clearly positive (> 0.3) in every control run, lower on average in the pain group",
          arguments: [UInt64(1), 5])
    func groupEffect(seed: UInt64) throws {
        try WrittenStudy.with(.init(participants: 6, seed: seed, distractors: false)) { study in
            var byGroup: [SimulatedParticipant.Group: [Double]] = [:]
            for run in study.runs {
                let r = try Self.coupling(study, run)
                byGroup[run.participant.group, default: []].append(r)
                if run.participant.group == .control { #expect(r > 0.3, "\(run): r = \(r)") }
            }
            let control = Numerics.mean(byGroup[.control] ?? []), pain = Numerics.mean(byGroup[.pain] ?? [])
            #expect(pain < control - 0.05, "mean r: pain \(pain), control \(control)")
            // The ground truth agrees: every pain participant's coupling is below every control's.
            let truth = study.participants
            let weakestControl = truth.filter { $0.group == .control }.map(\.coupling).min() ?? 0
            #expect(truth.filter { $0.group == .pain }.allSatisfy { $0.coupling < weakestControl })
        }
    }

    @Test("the preprocessed BOLD is unmasked with a ~600 baseline and ~10 temporal noise inside the brain")
    func intensities() throws {
        try WrittenStudy.with(.init(participants: 1, distractors: false)) { study in
            let run = try #require(study.runs.first)
            let bold = try study.image(run.bold), mask = try study.image(run.mask)
            let n = bold.grid.voxelCount
            let brain = (0..<n).filter { mask.voxels[$0] == 1 }
            let outside = (0..<n).filter { mask.voxels[$0] == 0 }
            let inside = Numerics.mean(Numerics.meanSeries(bold, brain).dropFirst().map { $0 })
            #expect(inside > 560 && inside < 680, "brain mean \(inside)")
            #expect(Numerics.mean(Numerics.meanSeries(bold, outside)) < 100)
            // Frame-to-frame differences of a voxel have sd √2 × 10 plus a little signal: median between 10 and 25.
            var sds: [Double] = []
            for v in brain {
                let d = (2..<bold.frames).map { Double(bold.voxels[$0 * n + v] - bold.voxels[($0 - 1) * n + v]) }
                let m = Numerics.mean(d)
                sds.append((d.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(d.count - 1)).squareRoot())
            }
            let median = sds.sorted()[sds.count / 2]
            #expect(median > 10 && median < 25, "median frame-difference sd \(median)")
        }
    }
}
