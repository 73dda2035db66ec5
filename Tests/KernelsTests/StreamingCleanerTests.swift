import Kernels
import Testing
import TestSupport

@Suite("Streaming cleaner: C·X folded frame block by frame block")
struct StreamingCleanerTests {
    static func problem(rows: Int, frames: Int, voxels: Int) -> (c: [Float], x: [Float]) {
        var rng = SeededRandom(seed: 11)
        let c = (0..<(rows * frames)).map { _ in Float(rng.normal()) }
        let x = (0..<(frames * voxels)).map { _ in Float(rng.normal() * 3) }
        return (c, x)
    }

    static func streamed(c: [Float], x: [Float], rows: Int, frames: Int, voxels: Int, blockFrames: Int,
                         parallelism: Parallelism = .available) -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * voxels) { y, count in
            count = rows * voxels
            let cleaner = StreamingCleaner(operatorMatrix: c, rows: rows, frames: frames, voxels: voxels, output: y, blockFrames: blockFrames,
                                           parallelism: parallelism)
            for t in 0..<frames {
                let row = cleaner.row(t)
                for v in 0..<voxels { row[v] = x[t * voxels + v] }
                cleaner.frameDone(t)
            }
            cleaner.finish()
        }
    }

    @Test("equals the float64 product, for blocks that divide the frames and blocks that do not",
          arguments: [1, 7, 16, 32, 200])
    func matchesFloat64Product(blockFrames: Int) {
        let (rows, frames, voxels) = (37, 45, 4100)  // voxels span three column blocks
        let (c, x) = Self.problem(rows: rows, frames: frames, voxels: voxels)
        let y = Self.streamed(c: c, x: x, rows: rows, frames: frames, voxels: voxels, blockFrames: blockFrames)
        var worst = 0.0
        for r in 0..<rows {
            for v in stride(from: 0, to: voxels, by: 3) {
                var exact = 0.0, scale = 0.0
                for t in 0..<frames {
                    let term = Double(c[r * frames + t]) * Double(x[t * voxels + v])
                    exact += term
                    scale += abs(term)
                }
                worst = max(worst, abs(Double(y[r * voxels + v]) - exact) / scale)
            }
        }
        #expect(worst < 1e-6, "largest error relative to Σ|c·x|: \(worst)")
    }

    @Test("bit-identical for 1 and 2 threads")
    func deterministic() {
        let (rows, frames, voxels) = (20, 70, 5000)
        let (c, x) = Self.problem(rows: rows, frames: frames, voxels: voxels)
        let runs: [[UInt32]] = [1, 2].map { threads in
            Self.streamed(c: c, x: x, rows: rows, frames: frames, voxels: voxels, blockFrames: 32,
                          parallelism: Parallelism(threads: threads)).map(\.bitPattern)
        }
        #expect(runs[0] == runs[1])
    }

    @Test("correlating cleaned columns equals float64 Pearson r for each of several seeds")
    func correlateCleanedMatchesReference() {
        let (rows, voxels) = (83, 3000)
        var rng = SeededRandom(seed: 3)
        let seeds: [[Float]] = (0..<3).map { _ in CleaningOperator.zscored((0..<rows).map { _ in rng.normal() }).map(Float.init) }
        var y = [Float](repeating: 0, count: rows * voxels)
        for v in 0..<voxels where v % 97 != 0 {  // every 97th voxel constant zero
            let raw = CleaningOperator.zscored((0..<rows).map { t in Double(seeds[v % 3][t]) * Double(v % 5) + rng.normal() })
            for t in 0..<rows { y[t * voxels + v] = Float(raw[t] * 40) }
        }
        let out = y.withUnsafeBufferPointer { SeedCorrelation.correlateCleaned(cleaned: $0, rows: rows, voxels: voxels, seeds: seeds, parallelism: .available) }
        var worst = 0.0
        for v in 0..<voxels {
            let column = (0..<rows).map { Double(y[$0 * voxels + v]) }
            let ss = column.reduce(0) { $0 + $1 * $1 }
            #expect(abs(Double(out.sumSquares[v]) - ss) <= 1e-4 * max(ss, 1))
            for s in 0..<3 {
                let r = ss == 0 ? 0 : zip(column, seeds[s]).reduce(0) { $0 + $1.0 * Double($1.1) } / (ss * Double(rows - 1)).squareRoot()
                worst = max(worst, abs(r - Double(out.r[s][v])))
                if v % 97 == 0 { #expect(out.r[s][v] == 0) }
            }
        }
        #expect(worst < 1e-5)
    }
}
