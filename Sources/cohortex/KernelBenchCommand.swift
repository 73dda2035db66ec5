import ArgumentParser
import Foundation
import Kernels
import NIfTI

/// Hidden: times the in-memory kernels beside the machine's memory-read floor (used by `make bench`).
struct KernelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kernels", abstract: "Time in-memory kernels (for Benchmarks/).", shouldDisplay: false)

    @Option(help: "Volumes.") var frames = 200
    @Option(help: "In-mask voxels.") var voxels = 228_000
    @Option(help: "Repetitions (median reported).") var repeats = 7
    @Option(help: "correlation (seed kernels beside the memory-read floor) or smoothing (6 mm, 91×109×91×N in memory).")
    var kernel = "correlation"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard ["correlation", "smoothing"].contains(kernel) else { throw ValidationError("--kernel must be correlation or smoothing") }
    }

    /// Median wall time of `repeats` calls.
    func median(_ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    /// Gaussian smoothing at 6 mm FWHM of every volume of an in-memory 2 mm 91×109×91 series.
    func smoothing() {
        var rng = FastRandom(state: 0x5151)
        let grid = Grid(nx: 91, ny: 109, nz: 91, affine: Affine(rows: [[-2, 0, 0, 90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1]]))
        let original = Volume(grid: grid, frames: frames, voxels: (0..<(grid.voxelCount * frames)).map { _ in Float.random(in: 0...1000, using: &rng) })
        let smoother = GaussianSmoother(fwhm: 6, affine: grid.affine)
        var volume = original
        var times: [Double] = []
        for _ in 0..<repeats {
            volume.voxels.withUnsafeMutableBufferPointer { v in original.voxels.withUnsafeBufferPointer { _ = v.update(fromContentsOf: $0) } }
            let start = DispatchTime.now().uptimeNanoseconds
            smoother.smooth(&volume, parallelism: global.parallelism)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let seconds = times.sorted()[times.count / 2]
        print(JSONValue.object([
            ("frames", .int(frames)), ("shape", .ints([91, 109, 91, frames])), ("threads", .int(global.parallelism.threads)),
            ("fwhm_mm", .number(6)), ("smoothing_seconds", .number(seconds)), ("checksum", .number(Double(volume.voxels[12345]))),
        ]).rendered())
    }

    func run() throws {
        let parallelism = global.parallelism
        if kernel == "smoothing" { return smoothing() }
        var rng = FastRandom(state: 0x9E37_79B9_7F4A_7C15)
        let count = frames * voxels
        let data = (0..<count).map { _ in Float.random(in: -50...50, using: &rng) }
        let shift = [Float](repeating: 1000, count: voxels)
        let seedRaw = (0..<frames).map { _ in Double.random(in: -1...1, using: &rng) }
        let seed = CleaningOperator.zscored(seedRaw).map(Float.init)
        var sink: Float = 0
        let floor = median { data.withUnsafeBufferPointer { sink += SeedCorrelation.readFloor(data: $0, frames: frames, voxels: voxels, parallelism: parallelism) } }
        let fused = median { data.withUnsafeBufferPointer { sink += SeedCorrelation.correlateStandardized(data: $0, frames: frames, voxels: voxels, shift: shift, seed: seed,
                                                                                     parallelism: parallelism).r[0][0] } }
        let cleaning = try CleaningOperator(frames: frames, confounds: (0..<24).map { _ in (0..<frames).map { _ in Double.random(in: -1...1, using: &rng) } },
                                            parameters: CleaningParameters(repetitionTime: 2, highPass: 0.01, lowPass: 0.1))
        let matrix = cleaning.matrix.map(Float.init), constant = cleaning.constantResponse.map(Float.init)
        let gemm = median {
            data.withUnsafeBufferPointer {
                sink += SeedCorrelation.correlate(data: $0, frames: frames, voxels: voxels, shift: shift, operatorMatrix: matrix,
                                                  rows: cleaning.rows, constantResponse: constant, seeds: [seed],
                                                  parallelism: parallelism).r[0][0]
            }
        }
        let bytes = Double(count * 4)
        print(JSONValue.object([
            ("frames", .int(frames)), ("voxels", .int(voxels)), ("threads", .int(global.parallelism.threads)),
            ("bytes", .number(bytes)),
            ("read_floor_seconds", .number(floor)), ("read_floor_gbps", .number(bytes / floor / 1e9)),
            ("correlation_seconds", .number(fused)), ("correlation_gbps", .number(bytes / fused / 1e9)),
            ("clean_correlate_seconds", .number(gemm)),
            ("clean_correlate_gflops", .number(2 * Double(cleaning.rows) * Double(frames) * Double(voxels) / gemm / 1e9)),
            ("checksum", .number(Double(sink))),
        ]).rendered())
    }
}

/// SplitMix64 for quick benchmark data (the system generator makes a syscall per number).
private struct FastRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
