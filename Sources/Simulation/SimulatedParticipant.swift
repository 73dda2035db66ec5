import Foundation

/// A simulated participant's demographics, acquisitions and the ground truth behind their images.
public struct SimulatedParticipant: Sendable, Equatable {
    /// Clinical group: the pain group has weaker PAG–mPFC coupling than controls.
    public enum Group: String, Sendable, Equatable, CaseIterable {
        case pain, control
    }

    /// One functional acquisition: an optional session label and an optional run index.
    public struct Acquisition: Sendable, Equatable, Hashable {
        public var session: String?
        public var run: Int?
    }

    /// The BIDS label, two digits (`01` … `99`).
    public let label: String
    /// 1-based position in the study.
    public let index: Int
    public let group: Group
    public let age: Int
    /// `F` or `M`.
    public let sex: String
    /// 0–10 with one decimal for the pain group, nil for controls.
    public let painIntensity: Double?
    /// Years with one decimal for the pain group, nil for controls.
    public let painDuration: Double?
    /// Linear head-size factor (0.9–1.1): native brain dimensions are the template's times this.
    public let headScale: Double
    /// PAG → mPFC coupling: the mPFC sphere receives this fraction of the PAG signal (the clinical effect).
    public let coupling: Double
    /// The mean framewise displacement (mm) motion is scaled to, before any spikes.
    public let targetMeanFD: Double
    /// True for the participant whose runs carry motion spikes (FD > 0.5 mm): the last one.
    public let hasMotionSpikes: Bool
    /// Functional acquisitions in write order.
    public let acquisitions: [Acquisition]

    /// `sub-XX`.
    public var id: String { "sub-" + label }

    /// The participant's translation of the native T1w grid origin (mm), within half a native voxel.
    let nativeShift: (Double, Double, Double)

    public static func == (a: SimulatedParticipant, b: SimulatedParticipant) -> Bool {
        a.label == b.label && a.group == b.group && a.age == b.age && a.sex == b.sex && a.painIntensity == b.painIntensity
            && a.painDuration == b.painDuration && a.headScale == b.headScale && a.coupling == b.coupling
            && a.targetMeanFD == b.targetMeanFD && a.hasMotionSpikes == b.hasMotionSpikes && a.acquisitions == b.acquisitions
            && a.nativeShift == b.nativeShift
    }
}

extension SimulatedParticipant {
    /// Control coupling is near 0.85; the pain group loses 0.2 + 0.035 × intensity (± 0.05), so the effect
    /// is both a group difference and a within-group relation to `pain_intensity`.
    static let controlCoupling = 0.85

    /// Draws participant `index` (1-based) of `count` from `seed`; each participant has its own stream, so
    /// participant 03 is the same person whether the study has 3 or 30 participants.
    static func draw(index: Int, count: Int, seed: UInt64, nativeVoxelSize: Double) -> SimulatedParticipant {
        var rng = SimulationRandom(seed: seed, .demographics, participant: index)
        let group: Group = index % 2 == 1 ? .pain : .control
        let age = rng.integer(in: 25...65)
        let sex = rng.uniform() < 0.5 ? "F" : "M"
        let intensity = (rng.uniform(2, 9) * 10).rounded() / 10
        let duration = (rng.uniform(0.5, 20) * 10).rounded() / 10
        let headScale = rng.uniform(0.9, 1.1)
        let shift = (rng.uniform(-0.5, 0.5) * nativeVoxelSize, rng.uniform(-0.5, 0.5) * nativeVoxelSize,
                     rng.uniform(-0.5, 0.5) * nativeVoxelSize)
        let spikes = index == count
        let meanFD = spikes ? 0.12 : rng.uniform(0.08, 0.30)

        var effect = SimulationRandom(seed: seed, .clinicalEffect, participant: index)
        let base = controlCoupling + effect.uniform(-0.05, 0.05)
        let loss = 0.2 + 0.035 * intensity + effect.uniform(-0.05, 0.05)
        let coupling = group == .pain ? base - loss : base

        let acquisitions: [Acquisition]
        switch index {
        case 2: acquisitions = [Acquisition(session: "1", run: nil), Acquisition(session: "2", run: nil)]
        case 3: acquisitions = [Acquisition(session: nil, run: 1), Acquisition(session: nil, run: 2)]
        default: acquisitions = [Acquisition(session: nil, run: nil)]
        }
        return SimulatedParticipant(
            label: String(format: "%02d", index), index: index, group: group, age: age, sex: sex,
            painIntensity: group == .pain ? intensity : nil, painDuration: group == .pain ? duration : nil,
            headScale: headScale, coupling: coupling, targetMeanFD: meanFD, hasMotionSpikes: spikes,
            acquisitions: acquisitions, nativeShift: shift)
    }
}
