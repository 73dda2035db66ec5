import Kernels
import Testing
import TestSupport

@Suite("Voxel moments")
struct MomentsTests {
    /// Straightforward float64 two-pass reference.
    static func reference(_ values: [Float]) -> (n: Int, nan: Int, inf: Int, sum: Double, mean: Double, sd: Double, min: Float, max: Float) {
        let finite = values.filter { $0.isFinite }.map(Double.init)
        let sum = finite.reduce(0, +)
        let mean = sum / Double(finite.count)
        let ss = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (values.count, values.filter(\.isNaN).count, values.filter(\.isInfinite).count, sum, mean,
                (ss / Double(finite.count - 1)).squareRoot(), values.filter(\.isFinite).min()!, values.filter(\.isFinite).max()!)
    }

    @Test("SIMD accumulation equals a two-pass float64 reference, with non-finite values in every lane", arguments: [1, 7, 8, 9, 64, 1001])
    func matchesReference(count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        var values = (0..<count).map { _ in Float(rng.normal() * 30 + 5000) }
        if count > 16 {
            for lane in 0..<8 where lane < count { values[lane * (count / 9)] = lane % 2 == 0 ? .nan : (lane % 4 == 1 ? .infinity : -.infinity) }
        }
        var m = VoxelMoments()
        values.withUnsafeBufferPointer { m.add($0) }
        let r = Self.reference(values)
        #expect(m.count == r.n && m.nanCount == r.nan && m.infCount == r.inf)
        #expect(abs(m.sum - r.sum) <= 1e-12 * abs(r.sum))
        #expect(abs(m.mean - r.mean) <= 1e-12 * abs(r.mean))
        if count > 2 { #expect(abs(m.standardDeviation - r.sd) <= 1e-9 * r.sd) }
        #expect(m.minimum == r.min && m.maximum == r.max)
    }

    @Test("large mean, small spread: variance keeps its precision")
    func largeMeanPrecision() {
        let values: [Float] = (0..<10_000).map { 1_000_000 + Float($0 % 7) }
        var m = VoxelMoments()
        values.withUnsafeBufferPointer { m.add($0) }
        #expect(abs(m.standardDeviation - Self.reference(values).sd) < 1e-9)
    }

    @Test("masked accumulation sees only the indexed values")
    func masked() {
        let values: [Float] = [1, .nan, 3, 4, .infinity, 6]
        let indices = [0, 1, 3, 5]
        var m = VoxelMoments()
        values.withUnsafeBufferPointer { v in indices.withUnsafeBufferPointer { m.add(v.baseAddress!, at: $0) } }
        #expect(m.count == 4 && m.nanCount == 1 && m.infCount == 0)
        #expect(m.sum == 11 && m.minimum == 1 && m.maximum == 6)
    }
}

@Suite("Deterministic parallelism")
struct ParallelTests {
    @Test("map returns chunk results in chunk order for any thread count")
    func mapOrder() {
        var outputs: [[Double]] = []
        for threads in [1, 2, 3, 8] {
            outputs.append(Parallelism(threads: threads).map(chunks: 37) { c in (0..<1000).reduce(0.0) { $0 + Double($1 * c).squareRoot() } })
        }
        #expect(outputs.allSatisfy { $0 == outputs[0] })
        #expect(outputs[0][36] == (0..<1000).reduce(0.0) { $0 + Double($1 * 36).squareRoot() })
    }

    @Test func ranges() {
        #expect(Parallelism.ranges(count: 10, chunkSize: 4) == [0..<4, 4..<8, 8..<10])
        #expect(Parallelism.ranges(count: 0, chunkSize: 4).isEmpty)
    }
}
