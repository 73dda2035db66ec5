import Foundation
import NIfTI

/// What every run of a study shares on the template grid: tissue, masks and the two network spheres.
struct FunctionalTemplate: Sendable {
    let geometry: StudyGeometry
    /// Noise-free template tissue (the "truth" the BOLD contrast is built from).
    let tissue: TissueMaps
    let brain: [Bool]
    let pag: [Int]
    let mpfc: [Int]

    init(geometry: StudyGeometry) {
        self.geometry = geometry
        tissue = TissueMaps(geometry.templateBrain, on: geometry.template)
        brain = tissue.aparc.map { $0 != 0 }
        pag = geometry.sphere(StudyGeometry.pag, radius: StudyGeometry.pagRadius)
        mpfc = geometry.sphere(StudyGeometry.mpfc, radius: StudyGeometry.mpfcRadius)
    }

    var grid: Grid { geometry.template }
}

/// One simulated preprocessed BOLD run: float32 voxels (x fastest, then frames) and its motion.
struct SimulatedRun: Sendable {
    let voxels: [Float]
    let motion: MotionTrace
    let frames: Int
}

/// The BOLD generative model. Per voxel: a tissue baseline near 600 (GM brighter than WM, CSF brightest,
/// 60 outside the brain) with a slow drift; a global artefact linear in the six motion parameters; a
/// latent PAG signal in a 10 mm sphere that also drives the 12 mm mPFC sphere with the participant's
/// coupling; CSF and WM fluctuations (so CompCor has something to find); white noise (sd 10); a noise
/// burst on spike volumes; and volume 0 brighter by 20 % (non-steady state).
enum BOLDSimulation {
    static let noiseSD = 10.0
    static let pagAmplitude = 14.0
    static let mpfcOwnAmplitude = 7.0
    static let nonSteadyStateGain: Float = 1.2

    static func baseline(gm: Float, wm: Float, csf: Float, inBrain: Bool) -> Double {
        inBrain ? 560 + 80 * Double(gm) + 20 * Double(wm) + 240 * Double(csf) : 60
    }

    static func simulate(template: FunctionalTemplate, participant: SimulatedParticipant, acquisition: Int,
                         volumes: Int, seed: UInt64) -> SimulatedRun {
        var motionRandom = SimulationRandom(seed: seed, .motion, participant: participant.index, run: acquisition)
        // Each run of a participant moves a little differently around the participant's typical amount.
        let meanFD = participant.targetMeanFD * motionRandom.uniform(0.9, 1.1)
        let motion = MotionTrace.simulate(volumes: volumes, meanFD: meanFD, spikes: participant.hasMotionSpikes,
                                          random: &motionRandom)

        var signals = SimulationRandom(seed: seed, .boldSignals, participant: participant.index, run: acquisition)
        let pag = signals.autoregressive(count: volumes, rho: 0.5)
        let mpfcOwn = signals.autoregressive(count: volumes, rho: 0.5)
        let global = signals.autoregressive(count: volumes, rho: 0.7)
        let csfFluctuation = signals.autoregressive(count: volumes, rho: 0.3)
        let wmFluctuation = signals.autoregressive(count: volumes, rho: 0.8)
        let driftLinear = signals.uniform(-0.01, 0.01), driftQuadratic = signals.uniform(-0.005, 0.005)
        let motionGains = (0..<6).map { _ in (signals.uniform() < 0.5 ? -1.0 : 1.0) * signals.uniform(3, 8) }

        let grid = template.grid
        let n = grid.voxelCount
        var noise = SimulationRandom(seed: seed, .boldNoise, participant: participant.index, run: acquisition)
        let tissue = template.tissue
        let base = (0..<n).map { v in
            baseline(gm: tissue.gm[v], wm: tissue.wm[v], csf: tissue.csf[v], inBrain: template.brain[v]) + noiseSD * noise.normal()
        }
        var network = [Double](repeating: 0, count: n)  // 0: none, 1: PAG, 2: mPFC (spheres never overlap)
        for v in template.pag { network[v] = 1 }
        for v in template.mpfc { network[v] = 2 }

        var voxels = [Float](repeating: 0, count: n * volumes)
        for t in 0..<volumes {
            let x = volumes > 1 ? 2 * Double(t) / Double(volumes - 1) - 1 : 0
            let drift = driftLinear * x + driftQuadratic * (x * x - 1.0 / 3.0)
            let mm = motion.millimetres(at: t)
            let artefact = zip(motionGains, mm).reduce(0.0) { $0 + $1.0 * $1.1 }
            let fd = motion.framewiseDisplacement[t]
            let burst = fd > 0.5 ? 25 * fd : 0
            let pagSignal = pagAmplitude * pag[t]
            let mpfcSignal = participant.coupling * pagSignal + mpfcOwnAmplitude * mpfcOwn[t]
            let offset = t * n
            for v in 0..<n {
                var y = base[v] * (1 + drift) + base[v] / 600 * artefact + noiseSD * noise.normal()
                if template.brain[v] {
                    y += 3 * global[t] + 15 * Double(tissue.csf[v]) * csfFluctuation[t] + 5 * Double(tissue.wm[v]) * wmFluctuation[t]
                    if burst > 0 { y += burst * noise.normal() }
                }
                if network[v] == 1 { y += pagSignal } else if network[v] == 2 { y += mpfcSignal }
                voxels[offset + v] = Float(t == 0 ? y * Double(nonSteadyStateGain) : y)
            }
        }
        return SimulatedRun(voxels: voxels, motion: motion, frames: volumes)
    }

    /// The temporal mean of volumes 1… (the reference image fMRIPrep would register to).
    static func reference(_ run: SimulatedRun, voxelCount n: Int) -> [Float] {
        var sum = [Double](repeating: 0, count: n)
        for t in 1..<run.frames {
            for v in 0..<n { sum[v] += Double(run.voxels[t * n + v]) }
        }
        return sum.map { Float($0 / Double(run.frames - 1)) }
    }

    /// A plain noise series (baseline 300, sd 10): distractor runs carry no network signal, so a pipeline
    /// that picks one by mistake gets visibly different results.
    static func noiseOnly(voxelCount n: Int, frames: Int, random: inout SimulationRandom) -> [Float] {
        (0..<(n * frames)).map { _ in Float(300 + noiseSD * random.normal()) }
    }
}
