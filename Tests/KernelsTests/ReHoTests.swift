import Foundation
import Kernels
import NIfTI
import Testing
import TestSupport

/// ReHo (Kendall's W) against a numpy/scipy reference (scipy.stats.rankdata, AFNI's tie-corrected W), to 1e-6.
@Suite("ReHo")
struct ReHoTests {
    /// A mask with holes and voxels on every face of the grid, and rounded (tied) series sharing a common signal.
    static func fixture(rows: Int, seed: UInt64) throws -> (mask: VoxelMask, maskPath: String, data: [Float]) {
        let grid = Grid(nx: 9, ny: 8, nz: 7, affine: .scaling(2, 2, 2))
        var rng = SeededRandom(seed: seed)
        let indices = (0..<grid.voxelCount).filter { i in
            let (x, y, z) = grid.coordinates(of: i)
            return (x + 2 * y + 3 * z) % 11 != 0 && !(x == 4 && y == 4)
        }
        let mask = VoxelMask(grid: grid, indices: indices)
        let maskPath = try Reference.temporaryFolder() + "/mask.nii.gz"
        try NIfTIWriter.write(mask.scatter([Float](repeating: 1, count: indices.count)), to: maskPath, datatype: .uint8)
        let common = (0..<rows).map { _ in rng.normal() }
        var data = [Float](repeating: 0, count: rows * indices.count)
        for p in indices.indices {
            let weight = Double(p % 4) / 3
            for t in 0..<rows { data[t * indices.count + p] = Float((weight * common[t] + rng.normal()) * 2).rounded() }
        }
        return (mask, maskPath, data)
    }

    static func reference(_ data: [Float], rows: Int, maskPath: String, neighbours: Int) throws -> [Double] {
        let folder = try Reference.temporaryFolder()
        try Reference.writeFloat32(data, to: folder + "/x.f32")
        try Reference.runPython("spatial_reference.py", ["reho", folder + "/x.f32", "\(rows)", maskPath, "\(neighbours)", folder + "/w.f64"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/w.f64"))
        return bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    }

    @Test("7, 19 and 27 neighbours, mask holes and grid edges, tied values: reference to 1e-6", arguments: ReHoNeighbourhood.allCases)
    func matchesReference(hood: ReHoNeighbourhood) throws {
        let rows = 40
        let f = try Self.fixture(rows: rows, seed: UInt64(hood.rawValue))
        let w = f.data.withUnsafeBufferPointer { ReHo.compute(series: $0, rows: rows, mask: f.mask, neighbourhood: hood, parallelism: .available) }
        let ref = try Self.reference(f.data, rows: rows, maskPath: f.maskPath, neighbours: hood.rawValue)
        #expect(w.count == ref.count)
        let worst = zip(w, ref).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst <= 1e-6, "\(hood): worst absolute error \(worst)")
        #expect(ref.contains { $0 > 0.3 }, "the common signal gives some concordance")
    }

    @Test("average ranks and the tie term of one column")
    func ranks() {
        var column: [Float] = [3, 1, 3, 2, -0.0, 0]
        let ties = column.withUnsafeMutableBufferPointer { ReHo.rankColumns($0, rows: 6, voxels: 1, parallelism: .serial) }
        #expect(column == [5.5, 3, 5.5, 4, 1.5, 1.5])
        #expect(ties == [12])  // two pairs: 2 · (8 − 2)
    }

    @Test("an isolated voxel has W = 1; constant series give 0; 1 and 3 threads agree bit for bit")
    func edgeCases() {
        let grid = Grid(nx: 5, ny: 5, nz: 5, affine: .identity)
        let mask = VoxelMask(grid: grid, indices: [0, grid.index(2, 2, 2), grid.index(3, 2, 2), grid.index(4, 4, 4)])
        let rows = 12
        var rng = SeededRandom(seed: 1)
        var data = (0..<(rows * 4)).map { _ in Float(rng.normal()) }
        for t in 0..<rows { data[t * 4 + 3] = 7 }  // constant: all ties
        let w = data.withUnsafeBufferPointer { ReHo.compute(series: $0, rows: rows, mask: mask, parallelism: .available) }
        #expect(abs(w[0] - 1) < 1e-6)
        #expect(w[3] == 0)
        let f = try? Self.fixture(rows: 30, seed: 9)
        var results: [[Float]] = []
        for threads in [1, 3] {
            results.append(f!.data.withUnsafeBufferPointer {
                ReHo.compute(series: $0, rows: 30, mask: f!.mask, parallelism: Parallelism(threads: threads))
            })
        }
        #expect(results[0] == results[1])
    }

    @Test("NaN/Inf voxels get 0 and drop out of their neighbours' W, exactly as outside the mask (scipy friedmanchisquare reference)")
    func nonFiniteVoxelsAreLeftOut() throws {
        let folder = try Reference.temporaryFolder()
        let grid = Grid(nx: 8, ny: 7, nz: 6, affine: .scaling(3, 3, 3))
        let n = grid.voxelCount, frames = 40
        var rng = SeededRandom(seed: 23)
        let common = (0..<frames).map { _ in rng.normal() }
        // Each series is 500 + 3 × its ranks (distinct values 3 apart): float32 centring cannot swap or tie
        // two values, so the reference can rank the raw file and still agree to rounding.
        var values = [Float](repeating: 0, count: n * frames)
        for i in 0..<n {
            let noise = (0..<frames).map { t in Double(i % 4) / 2 * common[t] + rng.normal() }
            for (rank, t) in noise.indices.sorted(by: { noise[$0] < noise[$1] }).enumerated() { values[t * n + i] = Float(500 + 3 * rank) }
        }
        let inMask = (0..<n).filter { i in let (x, y, z) = grid.coordinates(of: i); return (x + 2 * y + 3 * z) % 13 != 0 }
        let interior = inMask.filter { i in let (x, y, z) = grid.coordinates(of: i); return x > 0 && x < 7 && y > 0 && y < 6 && z > 0 && z < 5 }
        let allNaN = (0..<10).map { interior[$0 * interior.count / 10] }
        let oneInf = interior[interior.count / 10 + 3], oneNaN = interior[interior.count / 2 + 3]
        for i in allNaN { for t in 0..<frames { values[t * n + i] = .nan } }
        values[17 * n + oneInf] = .infinity
        values[3 * n + oneNaN] = .nan
        let excluded = Set(allNaN + [oneInf, oneNaN])
        #expect(excluded.count == 12)
        let bold = folder + "/bold.nii.gz", mask = folder + "/mask.nii.gz", reduced = folder + "/reduced.nii.gz"
        try NIfTIWriter.write(Volume(grid: grid, frames: frames, voxels: values, repetitionTime: 2), to: bold)
        try NIfTIWriter.write(VoxelMask(grid: grid, indices: inMask).scatter([Float](repeating: 1, count: inMask.count)), to: mask, datatype: .uint8)
        let kept = inMask.filter { !excluded.contains($0) }
        try NIfTIWriter.write(VoxelMask(grid: grid, indices: kept).scatter([Float](repeating: 1, count: kept.count)), to: reduced, datatype: .uint8)
        var maps: [[Float]] = []
        for (m, name) in [(mask, "nan"), (reduced, "reduced")] {
            let out = folder + "/\(name).nii.gz"
            let run = try Reference.cohortex(["reho", "--bold", bold, "--mask", m, "--no-detrend", "--neighbourhood", "27", "--out", out])
            #expect(run.status == 0, "\(run.stderr)")
            maps.append(try NIfTIImage(path: out).readVolume().voxels)
        }
        #expect(excluded.allSatisfy { maps[0][$0] == 0 }, "excluded voxels: \(excluded.sorted().map { maps[0][$0] })")
        let shift = zip(maps[0], maps[1]).map { abs($0 - $1) }.max() ?? 1
        #expect(shift <= 1e-6, "ReHo with NaN voxels differs from ReHo with them outside the mask by \(shift)")
        try Reference.runPython("spatial_reference.py", ["reho-nifti", bold, mask, "27", folder + "/w.f64"])
        let ref = try Data(contentsOf: URL(fileURLWithPath: folder + "/w.f64")).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        #expect(ref.count == n)
        let worst = zip(maps[0], ref).map { abs(Double($0) - $1) }.max() ?? 1
        #expect(worst <= 1e-5, "worst difference from the friedmanchisquare reference \(worst)")
        #expect(ref.contains { $0 > 0.3 }, "the common signal gives some concordance")
    }
}
