import Benchmark
import Foundation
import Geometry
import Kernels

// In-memory kernels on the benchmark problem's sizes (200 volumes × 228,000 in-mask voxels; a 2 mm
// 91×109×91 grid), beside the machine's memory-read floor (GB/s = 0.182 GB of input / wall time).
// The cleaning + correlation line measures the path seed-map runs: the streaming cleaner folding
// C·X block by block (24P, band-pass 0.01–0.1 Hz), then one pass of Pearson r against a cleaned seed.

let frames = 200, voxels = 228_000
let parallelism = Parallelism.available

/// SplitMix64: quick deterministic data (the system generator makes a syscall per number).
struct FastRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The shared problem: a frames × voxels series, its first-frame shift, a seed and the 24P + band-pass operator.
struct Problem {
    let data: [Float]
    let shift: [Float]
    let seed: [Float]
    let cleaning: CleaningOperator

    static let shared: Problem = {
        var rng = FastRandom(state: 0x9E37_79B9_7F4A_7C15)
        let data = (0..<(frames * voxels)).map { _ in Float.random(in: -50...50, using: &rng) }
        let seed = CleaningOperator.zscored((0..<frames).map { _ in Double.random(in: -1...1, using: &rng) }).map(Float.init)
        let confounds = (0..<24).map { _ in (0..<frames).map { _ in Double.random(in: -1...1, using: &rng) } }
        let cleaning = try! CleaningOperator(frames: frames, confounds: confounds,
                                             parameters: CleaningParameters(repetitionTime: 2, highPass: 0.01, lowPass: 0.1))
        return Problem(data: data, shift: [Float](repeating: 1000, count: voxels), seed: seed, cleaning: cleaning)
    }()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                                           timeUnits: .microseconds, maxDuration: .seconds(30), maxIterations: 15)
    Benchmark("memory-read floor (sum of every float)") { benchmark in
        let problem = Problem.shared
        benchmark.startMeasurement()
        let sum = problem.data.withUnsafeBufferPointer {
            SeedCorrelation.readFloor(data: $0, frames: frames, voxels: voxels, parallelism: parallelism)
        }
        benchmark.stopMeasurement()
        blackHole(sum)
    }

    Benchmark("fused standardise + correlate (already-denoised input)") { benchmark in
        let problem = Problem.shared
        benchmark.startMeasurement()
        let out = problem.data.withUnsafeBufferPointer {
            SeedCorrelation.correlateStandardized(data: $0, frames: frames, voxels: voxels, shift: problem.shift,
                                                  seed: problem.seed, parallelism: parallelism)
        }
        benchmark.stopMeasurement()
        blackHole(out.r[0][0])
    }

    Benchmark("streaming cleaner + correlation (24P, band-pass; the seed-map path)") { benchmark in
        let problem = Problem.shared
        let c = problem.cleaning, rows = c.rows
        let matrix = c.matrix.map(Float.init)
        benchmark.startMeasurement()
        let cleaned = [Float](unsafeUninitializedCapacity: rows * voxels) { y, count in
            count = rows * voxels
            let cleaner = StreamingCleaner(operatorMatrix: matrix, rows: rows, frames: frames, voxels: voxels, output: y,
                                           parallelism: parallelism)
            problem.data.withUnsafeBufferPointer { x in
                for t in 0..<frames {
                    cleaner.row(t).update(from: x.baseAddress! + t * voxels, count: voxels)
                    cleaner.frameDone(t)
                }
            }
            cleaner.finish()
        }
        let cleanedSeed = CleaningOperator.zscored(c.apply(problem.seed.map(Double.init))).map(Float.init)
        let (r, _) = cleaned.withUnsafeBufferPointer {
            SeedCorrelation.correlateCleaned(cleaned: $0, rows: rows, voxels: voxels, seeds: [cleanedSeed], parallelism: parallelism)
        }
        benchmark.stopMeasurement()
        blackHole(r[0][0])
    }

    Benchmark("Gaussian smoothing 6 mm, 91×109×91×200 in memory", configuration: .init(maxIterations: 5)) { benchmark in
        var rng = FastRandom(state: 0x5151)
        let grid = Grid(nx: 91, ny: 109, nz: 91, affine: Affine(rows: [[-2, 0, 0, 90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1]]))
        var volume = Volume(grid: grid, frames: 200, voxels: (0..<(grid.voxelCount * 200)).map { _ in Float.random(in: 0...1000, using: &rng) })
        let smoother = GaussianSmoother(fwhm: 6, affine: grid.affine)
        benchmark.startMeasurement()
        blackHole(smoother.smooth(&volume, parallelism: parallelism))
        benchmark.stopMeasurement()
    }
}
