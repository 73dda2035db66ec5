import Foundation
import Kernels
import NIfTI
import Testing
import TestSupport

/// ALFF/fALFF against a numpy/scipy reference written from XCP-D's definition
/// (scipy `signal.periodogram`, `signal.lombscargle`), to 1e-4 relative.
@Suite("ALFF and fALFF")
struct ALFFTests {
    /// rows × voxels of BOLD-like signal: slow oscillations at voxel-specific frequencies, a drift and noise.
    static func series(rows: Int, voxels: Int, tr: Double, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var out = [Float](repeating: 0, count: rows * voxels)
        for v in 0..<voxels {
            let f = 0.005 + 0.2 * Double(v % 17) / 17 / tr
            let amp = 5 + Double(v % 5)
            for t in 0..<rows {
                let time = Double(t) * tr
                out[t * voxels + v] = Float(900 + amp * sin(2 * .pi * f * time + Double(v)) + 0.02 * time + 3 * rng.normal())
            }
        }
        return out
    }

    static func reference(_ data: [Float], rows: Int, voxels: Int, tr: Double, band: (Double, Double), kept: [Int]?) throws -> (alff: [Float], falff: [Float]) {
        let folder = try Reference.temporaryFolder()
        try Reference.writeFloat32(data, to: folder + "/x.f32")
        var args = ["alff", folder + "/x.f32", "\(rows)", "\(voxels)", "\(tr)", "\(band.0)", "\(band.1)", folder + "/out.f32"]
        if let kept { args.append(kept.map(String.init).joined(separator: ",")) }
        try Reference.runPython("spatial_reference.py", args)
        let out = try Reference.readFloat32(folder + "/out.f32")
        return (Array(out[0..<voxels]), Array(out[voxels...]))
    }

    static func expectClose(_ ours: [Float], _ expected: [Float], _ tolerance: Float, _ label: String) {
        #expect(ours.count == expected.count)
        let worst = zip(ours, expected).map { abs($0 - $1) / max(abs($1), 1e-12) }.max() ?? 0
        #expect(worst <= tolerance, "\(label): worst relative error \(worst)")
    }

    @Test("periodogram (no censoring), even and odd lengths, two bands: scipy reference to 1e-4", arguments: [(120, 2.0), (121, 0.8)])
    func periodogram(rows: Int, tr: Double) throws {
        let voxels = 37
        let data = Self.series(rows: rows, voxels: voxels, tr: tr, seed: UInt64(rows))
        for band in [(0.01, 0.08), (0.02, 0.1)] {
            let plan = try ALFFPlan(repetitionTime: tr, frames: rows, low: band.0, high: band.1)
            #expect(plan.method == .periodogram)
            let maps = data.withUnsafeBufferPointer { ALFF.compute($0, rows: rows, voxels: voxels, plan: plan, parallelism: .available) }
            let ref = try Self.reference(data, rows: rows, voxels: voxels, tr: tr, band: band, kept: nil)
            Self.expectClose(maps.alff, ref.alff, 1e-4, "ALFF n=\(rows) band \(band)")
            Self.expectClose(maps.falff, ref.falff, 1e-4, "fALFF n=\(rows) band \(band)")
        }
    }

    @Test("censored volumes: Lomb–Scargle over the kept volumes, scipy reference to 1e-4", arguments: [100, 131])
    func lombScargle(rows: Int) throws {
        let voxels = 29, tr = 1.5
        let data = Self.series(rows: rows, voxels: voxels, tr: tr, seed: 77)
        let censored: Set<Int> = [0, 1, 17, 18, 19, 40, 63, 64, rows - 1]
        let kept = (0..<rows).filter { !censored.contains($0) }
        let plan = try ALFFPlan(repetitionTime: tr, frames: rows, kept: kept)
        #expect(plan.method == .lombScargle)
        let maps = data.withUnsafeBufferPointer { ALFF.compute($0, rows: rows, voxels: voxels, plan: plan, parallelism: .available) }
        let ref = try Self.reference(data, rows: rows, voxels: voxels, tr: tr, band: (0.01, 0.08), kept: kept)
        Self.expectClose(maps.alff, ref.alff, 1e-4, "ALFF censored n=\(rows)")
        Self.expectClose(maps.falff, ref.falff, 1e-4, "fALFF censored n=\(rows)")

        // Rows already censored (as a cleaning step that drops them gives): same spectrum, so the same
        // fALFF; ALFF then takes σ from the kept rows instead of all rows.
        var keptOnly: [Float] = []
        for t in kept { keptOnly += data[(t * voxels)..<((t + 1) * voxels)] }
        let dropped = keptOnly.withUnsafeBufferPointer { ALFF.compute($0, rows: kept.count, voxels: voxels, plan: plan, parallelism: .available) }
        Self.expectClose(dropped.falff, maps.falff, 1e-6, "fALFF from kept rows")
        for v in 0..<voxels {
            func sd(_ xs: [Double]) -> Double { let m = xs.reduce(0, +) / Double(xs.count); return (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count)).squareRoot() }
            let all = sd((0..<rows).map { Double(data[$0 * voxels + v]) }), some = sd(kept.map { Double(data[$0 * voxels + v]) })
            #expect(abs(Double(dropped.alff[v]) / Double(maps.alff[v]) - some / all) < 1e-5)
        }
    }

    @Test("a constant voxel gives 0 in both maps; maps are identical for 1 and 2 threads")
    func constantAndDeterministic() throws {
        let rows = 90, voxels = 600
        var data = Self.series(rows: rows, voxels: voxels, tr: 2, seed: 3)
        for t in 0..<rows { data[t * voxels + 5] = 42 }
        let plan = try ALFFPlan(repetitionTime: 2, frames: rows, kept: Array(0..<rows).filter { $0 % 7 != 3 })
        var results: [ALFF.Maps] = []
        for threads in [1, 2] {
            results.append(data.withUnsafeBufferPointer {
                ALFF.compute($0, rows: rows, voxels: voxels, plan: plan, parallelism: Parallelism(threads: threads))
            })
        }
        #expect(results[0] == results[1])
        #expect(results[0].alff[5] == 0 && results[0].falff[5] == 0)
        #expect(results[0].alff[6] > 0)
    }

    @Test("plan errors name the band and the TR")
    func planErrors() {
        // 8 volumes at TR 2 s: bins 0, 0.0625, … Hz; the nearest-bin band [0, 1) holds only DC.
        let short = #expect(throws: ALFFPlanError.self) { try ALFFPlan(repetitionTime: 2, frames: 8) }
        let text = short.map { "\($0)" } ?? ""
        #expect(text.contains("0.01–0.08 Hz") && text.contains("TR 2.0 s") && text.contains("8 volumes")
                && text.contains("at least 10 volumes"), "\(text)")
        // 12 volumes do resolve one bin (0.0417 Hz), as XCP-D's nearest-bin rule has it.
        #expect((try? ALFFPlan(repetitionTime: 2, frames: 12))?.bandBins == 0..<2)
        let nyquist = #expect(throws: ALFFPlanError.self) { try ALFFPlan(repetitionTime: 8, frames: 200, low: 0.01, high: 0.08) }
        #expect(nyquist.map { "\($0)".contains("Nyquist") } == true, "\(String(describing: nyquist))")
        #expect(throws: ALFFPlanError.tooFewKept(kept: 2, volumes: 100)) { try ALFFPlan(repetitionTime: 2, frames: 100, kept: [3, 9]) }
        #expect(throws: ALFFPlanError.invalidBand(low: 0.08, high: 0.01)) { try ALFFPlan(repetitionTime: 2, frames: 100, low: 0.08, high: 0.01) }
        #expect(throws: ALFFPlanError.invalidRepetitionTime(0)) { try ALFFPlan(repetitionTime: 0, frames: 100) }
    }

    @Test("mean-normalised and z-scored maps")
    func standardized() {
        let (m, z) = MaskStandardization.standardized([1, 2, 3, 6])
        #expect(m == [Float(1.0 / 3), Float(2.0 / 3), 1, 2])  // mean 3
        let sd: Double = (14.0 / 4).squareRoot()  // deviations −2, −1, 0, 3 from the mean 3
        #expect(abs(Double(z[0]) - (-2 / sd)) < 1e-6 && abs(Double(z[3]) - 3 / sd) < 1e-6)
    }
}
