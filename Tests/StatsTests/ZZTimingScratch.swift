import Foundation
import Stats
import Testing
import TestSupport
import Kernels

@Suite("scratch timing")
struct ZZTimingScratch {
    @Test func timing() throws {
        guard ProcessInfo.processInfo.environment["SCRATCH_TIMING"] != nil else { return }
        let n = 100, m = 228_000
        let table = StatsFixtures.participants(n: n, seed: 1, groups: ["control", "pain"], missingAge: false)
        let design = try DesignMatrix(table: table, formula: try ModelFormula("~ group + age + mean_fd"))
        var rng = SeededRandom(seed: 3)
        var values = [Float](repeating: 0, count: n * m)
        for i in 0..<(n * m) { values[i] = Float(rng.next() % 10000) / 1000 }
        var t0 = Date()
        let plan = try ContrastPlan(model: try LinearModel(design: design), contrast: try Contrast("pain-control", design: design))
        let fit = ObservedFit(Responses(participants: n, measures: m, values: values), plan: plan)
        print("TIMING fit \(Date().timeIntervalSince(t0))")
        t0 = Date()
        let engine = PermutationEngine(fit: fit, settings: PermutationSettings(count: 320, seed: 1))
        let obs = engine.observed()
        print("TIMING observed32 \(Date().timeIntervalSince(t0))")
        t0 = Date()
        let part = engine.run(blocks: 0..<engine.blockCount, permutations: 1..<321, observed: obs)
        let dt = Date().timeIntervalSince(t0)
        print("TIMING 320 perms \(dt) -> 5000 perms \(dt / 320 * 5000) s; \(part.maxima.prefix(2))")
    }
}
extension ZZTimingScratch {
    @Test func gemmOnly() throws {
        guard ProcessInfo.processInfo.environment["SCRATCH_TIMING"] != nil else { return }
        let n = 100, m = 228_000
        let b = [Float](repeating: 0.2, count: n * m)
        for (rows, bw) in [(96, 1024), (128, 1024), (256, 1024), (384, 1024), (128, 512), (256, 512), (128, 2048), (256, 256)] {
        let a = [Float](repeating: 0.1, count: rows * n)
        var c = [Float](repeating: 0, count: rows * bw)
        let t0 = Date()
        let blocks = (m + bw - 1) / bw
        let reps = 2560 / rows
        for _ in 0..<reps {
            for blk in 0..<blocks {
                let w = min(bw, m - blk * bw)
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                    BLAS.multiply(m: rows, n: w, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress! + blk * bw, ldb: m, c: cp.baseAddress!, ldc: w)
                }}}
            }
        }
        let dt = Date().timeIntervalSince(t0)
        print("TIMING rows \(rows) width \(bw): GFLOP/s \(Double(rows * n * m * 2 * reps) / dt / 1e9)")
        }
    }
}
