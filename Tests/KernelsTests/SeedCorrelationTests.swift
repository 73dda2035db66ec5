import Kernels
import Testing
import TestSupport

@Suite("Seed correlation kernels")
struct SeedCorrelationTests {
    /// Random shifted data: frames × voxels, large means removed by the per-voxel shift.
    static func data(frames: Int, voxels: Int) -> (data: [Float], shift: [Float], seed: [Float]) {
        var rng = SeededRandom(seed: 5)
        let seedRaw = (0..<frames).map { _ in rng.normal() }
        var data = [Float](repeating: 0, count: frames * voxels)
        var shift = [Float](repeating: 0, count: voxels)
        for v in 0..<voxels {
            let weight = Double(v % 7) / 7 - 0.4
            shift[v] = Float(5000 + v % 300)
            for t in 1..<frames { data[t * voxels + v] = Float(weight * (seedRaw[t] - seedRaw[0]) + 0.5 * rng.normal()) }
            if v % 101 == 0 { for t in 0..<frames { data[t * voxels + v] = 0 } } // constant voxels
        }
        let seed = CleaningOperator.zscored(seedRaw).map(Float.init)
        return (data, shift, seed)
    }

    @Test("the fused one-pass kernel equals float64 Pearson r, and the GEMM kernel with a centring operator")
    func onePassMatchesReference() throws {
        let (frames, voxels) = (90, 5000)
        let (data, shift, seed) = Self.data(frames: frames, voxels: voxels)
        let fused = data.withUnsafeBufferPointer { SeedCorrelation.correlateStandardized(data: $0, frames: frames, voxels: voxels, shift: shift, seed: seed, parallelism: .available) }
        let centring = try CleaningOperator(frames: frames, parameters: CleaningParameters(detrend: false))
        #expect(centring.isCentringOnly)
        let gemm = data.withUnsafeBufferPointer {
            SeedCorrelation.correlate(data: $0, frames: frames, voxels: voxels, shift: shift, operatorMatrix: centring.matrix.map(Float.init),
                                      rows: centring.rows, constantResponse: centring.constantResponse.map(Float.init), seeds: [seed],
                                      parallelism: .available)
        }
        var worst = 0.0, worstGemm = 0.0
        for v in 0..<voxels {
            let x = (0..<frames).map { Double(data[$0 * voxels + v]) + Double(shift[v]) }
            let mean = x.reduce(0, +) / Double(frames)
            let sx = x.map { $0 - mean }
            let ss = sx.reduce(0) { $0 + $1 * $1 }
            let r = ss == 0 ? 0 : zip(sx, seed).reduce(0) { $0 + $1.0 * Double($1.1) } / (ss * Double(frames - 1)).squareRoot()
            worst = max(worst, abs(r - Double(fused.r[0][v])))
            worstGemm = max(worstGemm, abs(r - Double(gemm.r[0][v])))
            if v % 101 == 0 { #expect(fused.r[0][v] == 0 && fused.rawSD[v] == 0) }
            #expect(abs(Double(fused.rawMean[v]) - mean) < 1e-2)
        }
        #expect(worst < 1e-5)
        #expect(worstGemm < 1e-5)
    }

    @Test("bit-identical for 1 and 2 threads")
    func deterministic() {
        let (frames, voxels) = (60, 9000)
        let (data, shift, seed) = Self.data(frames: frames, voxels: voxels)
        let runs: [[Float]] = [1, 2].map { threads in
            data.withUnsafeBufferPointer {
                SeedCorrelation.correlateStandardized(data: $0, frames: frames, voxels: voxels, shift: shift, seed: seed,
                                                      parallelism: Parallelism(threads: threads)).r[0]
            }
        }
        #expect(runs[0].map(\.bitPattern) == runs[1].map(\.bitPattern))
    }
}
