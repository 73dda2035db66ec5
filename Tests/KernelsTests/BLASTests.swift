import Kernels
import Testing
import TestSupport

@Suite("Deterministic BLAS products")
struct BLASTests {
    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in Float(rng.normal()) }
    }

    @Test("sgemm with A or Aᵀ matches a float64 triple loop", arguments: [false, true])
    func matchesNaiveProduct(transposeA: Bool) {
        let (m, n, k) = (7, 5000, 33)  // n spans several column blocks
        let a = Self.random(m * k, seed: 1), b = Self.random(k * n, seed: 2)
        var c = [Float](repeating: 0, count: m * n)
        // A stored m×k, or k×m when transposed.
        let stored: [Float] = transposeA ? (0..<(k * m)).map { i in a[(i % m) * k + i / m] } : a
        stored.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: transposeA ? m : k, transposeA: transposeA,
                                  b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n, parallelism: .available)
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in stride(from: 0, to: n, by: 13) {
                let exact = (0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(b[$1 * n + j]) }
                worst = max(worst, abs(Double(c[i * n + j]) - exact))
            }
        }
        #expect(worst < 1e-4)
    }

    @Test("results are bit-identical for 1, 2 and 5 threads")
    func deterministic() {
        let (m, n, k) = (40, 9000, 64)
        let a = Self.random(m * k, seed: 3), b = Self.random(k * n, seed: 4)
        let outputs: [[Float]] = [1, 2, 5].map { threads in
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                BLAS.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n,
                              parallelism: Parallelism(threads: threads))
            } } }
            return c
        }
        #expect(outputs[0].map(\.bitPattern) == outputs[1].map(\.bitPattern))
        #expect(outputs[0].map(\.bitPattern) == outputs[2].map(\.bitPattern))
    }
}
