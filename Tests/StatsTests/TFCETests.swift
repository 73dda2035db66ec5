import Foundation
import NIfTI
import Stats
import Testing
import TestSupport

@Suite("Threshold-free cluster enhancement")
struct TFCETests {
    /// A 14×12×10 map with two blobs of opposite sign over noise, and an ellipsoid mask.
    static func map(seed: UInt64) -> (grid: Grid, values: [Float], mask: [Int]) {
        let grid = Grid(nx: 14, ny: 12, nz: 10, affine: .scaling(2, 2, 2))
        var rng = SeededRandom(seed: seed)
        var values = [Float](repeating: 0, count: grid.voxelCount)
        var mask: [Int] = []
        for k in 0..<grid.nz { for j in 0..<grid.ny { for i in 0..<grid.nx {
            let index = grid.index(i, j, k)
            let r = pow((Double(i) - 6.5) / 7, 2) + pow((Double(j) - 5.5) / 6, 2) + pow((Double(k) - 4.5) / 5, 2)
            let blob = 3.5 * exp(-(pow(Double(i) - 4, 2) + pow(Double(j) - 4, 2) + pow(Double(k) - 4, 2)) / 6)
                - 2.5 * exp(-(pow(Double(i) - 10, 2) + pow(Double(j) - 7, 2) + pow(Double(k) - 6, 2)) / 4)
            values[index] = Float(blob + 0.6 * rng.normal())
            if r < 1 { mask.append(index) }
        }}}
        return (grid, values, mask)
    }

    @Test("TFCE equals the definition computed with one scipy labelling per threshold (one- and two-sided; 6, 18, 26 neighbours)",
          arguments: [false, true], [VoxelConnectivity.faces, .edges, .corners])
    func matchesDefinition(twoSided: Bool, connectivity: VoxelConnectivity) throws {
        let (grid, full, mask) = Self.map(seed: 7)
        let values = mask.map { full[$0] }
        let dh = TFCE.step(for: values, twoSided: twoSided)
        let tfce = TFCE(grid: grid, voxels: mask, connectivity: connectivity)
        let ours = tfce.transform(values, twoSided: twoSided, step: dh)
        let folder = try Reference.temporaryFolder()
        var masked = [Float](repeating: 0, count: grid.voxelCount)
        for index in mask { masked[index] = full[index] }
        try Reference.writeFloat32(masked, to: folder + "/values.f32")
        var maskBytes = [UInt8](repeating: 0, count: grid.voxelCount)
        for index in mask { maskBytes[index] = 1 }
        try Data(maskBytes).write(to: URL(fileURLWithPath: folder + "/mask.u8"))
        let reference = try StatsFixtures.python("tfce", ["values": folder + "/values.f32", "mask": folder + "/mask.u8",
                                                          "shape": grid.shape, "dh": dh, "two_sided": twoSided,
                                                          "connectivity": connectivity.rawValue])
        let expected = StatsFixtures.doubles(reference["tfce"])
        let top = expected.map(abs).max()!
        #expect(top > 1)
        var worst = 0.0
        for (k, index) in mask.enumerated() {
            worst = max(worst, abs(Double(ours[k]) - expected[index]) / max(abs(expected[index]), 1e-3 * top))
        }
        #expect(worst < 1e-5, "worst relative difference \(worst)")
        if !twoSided { #expect(ours.allSatisfy { $0 >= 0 }) } else { #expect(ours.contains { $0 < 0 }) }
    }

    @Test("closed forms: an isolated voxel and a flat cube of k voxels; 26-connectivity joins corners, 6 does not")
    func closedForms() {
        let grid = Grid(nx: 8, ny: 8, nz: 8, affine: .identity)
        // A 2×2×2 cube of height 3 and a voxel of height 2 touching it only at a corner.
        var values = [Float](repeating: 0, count: grid.voxelCount)
        for k in 1...2 { for j in 1...2 { for i in 1...2 { values[grid.index(i, j, k)] = 3 } } }
        values[grid.index(3, 3, 3)] = 2
        // A lone voxel of height 2 far away.
        values[grid.index(6, 6, 6)] = 2
        let tfce = TFCE(grid: grid, voxels: Array(0..<grid.voxelCount), connectivity: .corners)
        let dh = 0.5
        let out = tfce.transform(values, twoSided: false, step: dh)
        let faces = TFCE(grid: grid, voxels: Array(0..<grid.voxelCount), connectivity: .faces).transform(values, twoSided: false, step: dh)
        func sum(_ levels: ClosedRange<Int>, extent: Double) -> Double {
            levels.reduce(0) { $0 + extent.squareRoot() * pow(Double($1) * dh, 2) * dh }
        }
        // Thresholds 0.5…2 see the cube and the corner voxel as one cluster of 9; 2.5…3 the cube alone.
        let cube = sum(1...4, extent: 9) + sum(5...6, extent: 8)
        #expect(abs(Double(out[grid.index(1, 1, 1)]) - cube) < 1e-5 * cube)
        #expect(abs(Double(out[grid.index(3, 3, 3)]) - sum(1...4, extent: 9)) < 1e-5 * cube)
        #expect(abs(Double(out[grid.index(6, 6, 6)]) - sum(1...4, extent: 1)) < 1e-5)
        #expect(out[grid.index(0, 0, 0)] == 0)
        // Face neighbours only: the corner voxel is a cluster of its own, the cube 8 voxels at every level.
        let cubeAlone = sum(1...6, extent: 8)
        #expect(abs(Double(faces[grid.index(1, 1, 1)]) - cubeAlone) < 1e-5 * cubeAlone)
        #expect(abs(Double(faces[grid.index(3, 3, 3)]) - sum(1...4, extent: 1)) < 1e-5)
    }

    @Test("TFCE runs split by permutations combine exactly; their voxel-wise maxima equal a run without TFCE")
    func permutationChunks() throws {
        let grid = Grid(nx: 16, ny: 14, nz: 12, affine: .scaling(2, 2, 2))
        let table = StatsFixtures.participants(n: 20, seed: 500, groups: ["control", "pain"], missingAge: false)
        let design = try DesignMatrix(table: table, formula: try ModelFormula("~ group + age"))
        let values = StatsFixtures.select(StatsFixtures.responses(table, measures: grid.voxelCount, seed: 501),
                                          table: table, participants: design.participants)
        let plan = try ContrastPlan(model: try LinearModel(design: design), contrast: try Contrast("pain-control", design: design))
        let fit = ObservedFit(Responses(participants: 20, measures: grid.voxelCount, values: values), plan: plan, parallelism: .available)
        #expect(fit.tested.count == grid.voxelCount)
        let count = 70
        let engine = PermutationEngine(fit: fit, settings: PermutationSettings(count: count, seed: 5, twoSided: true), parallelism: .available)
        let observed = engine.observed()
        let tfce = TFCE(grid: grid, voxels: fit.tested)
        let dh = TFCE.step(for: observed, twoSided: true)
        let whole = engine.runWithTFCE(permutations: 1..<(count + 1), observed: observed, tfce: tfce, step: dh)
        let parts = (0..<3).map { k in
            engine.runWithTFCE(permutations: PermutationEngine.permutations(chunk: k, of: 3, count: count), observed: observed, tfce: tfce, step: dh)
        }
        let combined = try PermutationResult(combining: parts.reversed(), measures: engine.measures, permutations: count)
        #expect(combined.tfceMaxima!.map(\.bitPattern) == whole.tfceMaxima!.map(\.bitPattern))
        #expect(combined.tfceExceedances == whole.tfceExceedances)
        #expect(combined.maxima.map(\.bitPattern) == whole.maxima.map(\.bitPattern))
        let plain = engine.run(blocks: 0..<engine.blockCount, permutations: 1..<(count + 1), observed: observed)
        #expect(plain.maxima.map(\.bitPattern) == whole.maxima.map(\.bitPattern))
        #expect(plain.exceedances == whole.exceedances)
        #expect(whole.tfceMaxima!.allSatisfy { $0 > 0 })
    }
}
