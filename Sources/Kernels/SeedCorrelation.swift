/// Seed-to-voxel correlation fused with cleaning: for each fixed block of voxels, the cleaned block
/// Y = C·X (one SGEMM, cache-resident) is reduced at once to Σy² and ⟨y, s⟩ for every seed s, so the
/// cleaned data never exist in memory as a whole and the raw data are read once.
public enum SeedCorrelation {
    /// Voxels per block (fixed, so results do not depend on the thread count).
    public static let blockVoxels = 1024

    public struct Output: Sendable {
        /// One map per seed: Pearson r of the cleaned voxel and cleaned seed series (0 where excluded).
        public var r: [[Float]]
        /// Σ over kept volumes of the cleaned, centred voxel series squared (0 ⇒ zero variance).
        public var cleanedSumSquares: [Float]
        /// Mean and sample SD of the raw series over all input frames (for tSNR).
        public var rawMean: [Float]
        public var rawSD: [Float]

        public init(r: [[Float]], cleanedSumSquares: [Float], rawMean: [Float], rawSD: [Float]) {
            self.r = r
            self.cleanedSumSquares = cleanedSumSquares
            self.rawMean = rawMean
            self.rawSD = rawSD
        }
    }

    /// - Parameters:
    ///   - data: frames × voxels, row-major, each voxel shifted by its first-frame value (`shift`), which
    ///     keeps float32 products exact to the fluctuations rather than the large mean signal.
    ///   - operatorMatrix: the cleaning operator C (rows × frames, row-major, float32).
    ///   - constantResponse: C·1; the shift contributes `shift[v]·C·1` back (zero when C removes constants).
    ///   - seeds: cleaned seed series, each z-scored with ddof 1 (length `rows`).
    public static func correlate(data: UnsafeBufferPointer<Float>, frames: Int, voxels: Int, shift: [Float],
                                 operatorMatrix: [Float], rows: Int, constantResponse: [Float],
                                 seeds: [[Float]], parallelism: Parallelism) -> Output {
        precondition(data.count == frames * voxels && operatorMatrix.count == rows * frames, "shape mismatch")
        let k = seeds.count
        let seedMatrix = (0..<rows).flatMap { t in seeds.map { $0[t] } }  // rows × k
        let needsConstant = constantResponse.contains { abs($0) > 1e-6 }
        var r = [Float](repeating: 0, count: k * voxels)
        var sumSquares = [Float](repeating: 0, count: voxels)
        var rawMean = [Float](repeating: 0, count: voxels)
        var rawSD = [Float](repeating: 0, count: voxels)
        let blocks = (voxels + blockVoxels - 1) / blockVoxels
        let norm = Float((Double(rows - 1)).squareRoot())
        r.withUnsafeMutableBufferPointer { rOut in
        sumSquares.withUnsafeMutableBufferPointer { ssOut in
        rawMean.withUnsafeMutableBufferPointer { meanOut in
        rawSD.withUnsafeMutableBufferPointer { sdOut in
        operatorMatrix.withUnsafeBufferPointer { op in
        seedMatrix.withUnsafeBufferPointer { sm in
        shift.withUnsafeBufferPointer { x0 in
        constantResponse.withUnsafeBufferPointer { c1 in
            let shared = UnsafeSendableBox((data, rOut, ssOut, meanOut, sdOut, op, sm, x0, c1))
            parallelism.forEach(chunks: blocks) { b in
                let (data, rOut, ssOut, meanOut, sdOut, op, sm, x0, c1) = shared.value
                let v0 = b * blockVoxels
                let width = min(blockVoxels, voxels - v0)
                let y = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * width)
                let dots = UnsafeMutableBufferPointer<Float>.allocate(capacity: k * width)
                defer { y.deallocate(); dots.deallocate() }
                // Y = C · X[:, v0..<v0+width]
                BLAS.multiplySerial(m: rows, n: width, k: frames, a: op.baseAddress!, lda: frames,
                                    b: data.baseAddress! + v0, ldb: voxels, c: y.baseAddress!, ldc: width)
                if needsConstant {
                    for t in 0..<rows {
                        let c = c1[t], row = y.baseAddress! + t * width
                        for v in 0..<width { row[v] += c * x0[v0 + v] }
                    }
                }
                // Σy² per voxel, and the seed dot products as one small GEMM: (k × rows)·(rows × width).
                let ss = ssOut.baseAddress! + v0
                for v in 0..<width { ss[v] = 0 }
                for t in 0..<rows {
                    let row = y.baseAddress! + t * width
                    for v in 0..<width { ss[v] += row[v] * row[v] }
                }
                BLAS.multiplySerial(m: k, n: width, k: rows, a: sm.baseAddress!, lda: k, transposeA: true,
                                    b: y.baseAddress!, ldb: width, c: dots.baseAddress!, ldc: width)
                for s in 0..<k {
                    for v in 0..<width {
                        let denominator = ss[v].squareRoot() * norm
                        rOut[s * voxels + v0 + v] = denominator > 0 ? dots[s * width + v] / denominator : 0
                    }
                }
                // Raw mean and SD (shifted data: exact to the fluctuations).
                let mean = meanOut.baseAddress! + v0, sd = sdOut.baseAddress! + v0
                for v in 0..<width { mean[v] = 0; sd[v] = 0 }
                for t in 0..<frames {
                    let row = data.baseAddress! + t * voxels + v0
                    for v in 0..<width { mean[v] += row[v]; sd[v] += row[v] * row[v] }
                }
                let n = Float(frames)
                for v in 0..<width {
                    let s1 = mean[v], s2 = sd[v]
                    sd[v] = (max(0, s2 - s1 * s1 / n) / max(n - 1, 1)).squareRoot()
                    mean[v] = x0[v0 + v] + s1 / n
                }
            }
        } } } } } } } }
        return Output(r: (0..<k).map { Array(r[($0 * voxels)..<(($0 + 1) * voxels)]) },
                      cleanedSumSquares: sumSquares, rawMean: rawMean, rawSD: rawSD)
    }
}

extension SeedCorrelation {
    /// Correlation without a cleaning operator (data already denoised): standardisation and the dot
    /// product fused in one pass over the frames × voxels matrix, so it runs at memory bandwidth.
    /// `seed` must be centred and z-scored (ddof 1) over the same frames. Returns r per voxel
    /// (0 for constant voxels) and each voxel's raw mean and SD.
    public static func correlateStandardized(data: UnsafeBufferPointer<Float>, frames: Int, voxels: Int,
                                             shift: [Float], seed: [Float], parallelism: Parallelism) -> Output {
        precondition(data.count == frames * voxels && seed.count == frames, "shape mismatch")
        var r = [Float](repeating: 0, count: voxels)
        var sumSquares = [Float](repeating: 0, count: voxels)
        var rawMean = [Float](repeating: 0, count: voxels)
        var rawSD = [Float](repeating: 0, count: voxels)
        let width = 2048
        let blocks = (voxels + width - 1) / width
        let n = Float(frames)
        let norm = Float(Double(frames - 1).squareRoot())
        r.withUnsafeMutableBufferPointer { rOut in
        sumSquares.withUnsafeMutableBufferPointer { ssOut in
        rawMean.withUnsafeMutableBufferPointer { meanOut in
        rawSD.withUnsafeMutableBufferPointer { sdOut in
        seed.withUnsafeBufferPointer { s in
        shift.withUnsafeBufferPointer { x0 in
            let shared = UnsafeSendableBox((data, rOut, ssOut, meanOut, sdOut, s, x0))
            parallelism.forEach(chunks: blocks) { b in
                let (data, rOut, ssOut, meanOut, sdOut, s, x0) = shared.value
                let v0 = b * width, w = min(width, voxels - v0)
                let sum = meanOut.baseAddress! + v0, sq = ssOut.baseAddress! + v0, dot = rOut.baseAddress! + v0
                for v in 0..<w { sum[v] = 0; sq[v] = 0; dot[v] = 0 }
                // Four frames per sweep: the accumulators cross the cache a quarter as often.
                var t = 0
                while t + 4 <= frames {
                    let r0 = data.baseAddress! + t * voxels + v0, r1 = r0 + voxels, r2 = r1 + voxels, r3 = r2 + voxels
                    let (s0, s1, s2, s3) = (s[t], s[t + 1], s[t + 2], s[t + 3])
                    for v in 0..<w {
                        let (a, b, c, d) = (r0[v], r1[v], r2[v], r3[v])
                        sum[v] += (a + b) + (c + d)
                        sq[v] += (a * a + b * b) + (c * c + d * d)
                        dot[v] += (a * s0 + b * s1) + (c * s2 + d * s3)
                    }
                    t += 4
                }
                while t < frames {
                    let row = data.baseAddress! + t * voxels + v0
                    let st = s[t]
                    for v in 0..<w {
                        let x = row[v]
                        sum[v] += x
                        sq[v] += x * x
                        dot[v] += x * st
                    }
                    t += 1
                }
                let sd = sdOut.baseAddress! + v0
                for v in 0..<w {
                    let centred = max(0, sq[v] - sum[v] * sum[v] / n)
                    sd[v] = (centred / max(n - 1, 1)).squareRoot()
                    let denominator = centred.squareRoot() * norm
                    dot[v] = denominator > 0 ? dot[v] / denominator : 0
                    sq[v] = centred
                    sum[v] = x0[v0 + v] + sum[v] / n
                }
            }
        } } } } } }
        return Output(r: [r], cleanedSumSquares: sumSquares, rawMean: rawMean, rawSD: rawSD)
    }

    /// Sums every float of `data` with the same blocking as `correlateStandardized`: the machine's
    /// memory-read floor for that data, for benchmarks.
    public static func readFloor(data: UnsafeBufferPointer<Float>, frames: Int, voxels: Int, parallelism: Parallelism) -> Float {
        let width = 4096
        let blocks = (voxels + width - 1) / width
        let partial = parallelism.map(chunks: blocks) { b -> Float in
            let v0 = b * width, w = min(width, voxels - v0)
            var acc = SIMD8<Float>(repeating: 0)
            for t in 0..<frames {
                let row = UnsafeRawPointer(data.baseAddress! + t * voxels + v0)
                var v = 0
                while v + 8 <= w { acc += row.loadUnaligned(fromByteOffset: v * 4, as: SIMD8<Float>.self); v += 8 }
            }
            return acc.sum()
        }
        return partial.reduce(0, +)
    }
}

extension SeedCorrelation {
    /// Pearson r of every already-cleaned voxel series with each seed, in one pass over
    /// `cleaned` (rows × voxels, each column centred by the operator). Seeds must be z-scored
    /// (ddof 1) over the same rows. Returns r per seed (0 where the voxel has no variance) and Σy².
    public static func correlateCleaned(cleaned: UnsafeBufferPointer<Float>, rows: Int, voxels: Int,
                                        seeds: [[Float]], parallelism: Parallelism) -> (r: [[Float]], sumSquares: [Float]) {
        precondition(cleaned.count == rows * voxels && seeds.allSatisfy { $0.count == rows }, "shape mismatch")
        let k = seeds.count
        var r = [Float](repeating: 0, count: k * voxels)
        var sumSquares = [Float](repeating: 0, count: voxels)
        let seedRows = seeds.flatMap { $0 }  // k × rows
        let width = 2048
        let blocks = (voxels + width - 1) / width
        let norm = Float(Double(rows - 1).squareRoot())
        r.withUnsafeMutableBufferPointer { rOut in
        sumSquares.withUnsafeMutableBufferPointer { ssOut in
        seedRows.withUnsafeBufferPointer { s in
            let shared = UnsafeSendableBox((cleaned, rOut, ssOut, s))
            parallelism.forEach(chunks: blocks) { b in
                let (y, rOut, ssOut, s) = shared.value
                let v0 = b * width, w = min(width, voxels - v0)
                let sq = ssOut.baseAddress! + v0
                for v in 0..<w { sq[v] = 0 }
                for seed in 0..<k {
                    let dot = rOut.baseAddress! + seed * voxels + v0
                    let st = s.baseAddress! + seed * rows
                    for v in 0..<w { dot[v] = 0 }
                    // Four rows per sweep; the first seed's sweep also accumulates Σy².
                    var t = 0
                    while t + 4 <= rows {
                        let r0 = y.baseAddress! + t * voxels + v0, r1 = r0 + voxels, r2 = r1 + voxels, r3 = r2 + voxels
                        let (s0, s1, s2, s3) = (st[t], st[t + 1], st[t + 2], st[t + 3])
                        if seed == 0 {
                            for v in 0..<w {
                                let (a, b, c, d) = (r0[v], r1[v], r2[v], r3[v])
                                sq[v] += (a * a + b * b) + (c * c + d * d)
                                dot[v] += (a * s0 + b * s1) + (c * s2 + d * s3)
                            }
                        } else {
                            for v in 0..<w { dot[v] += (r0[v] * s0 + r1[v] * s1) + (r2[v] * s2 + r3[v] * s3) }
                        }
                        t += 4
                    }
                    while t < rows {
                        let row = y.baseAddress! + t * voxels + v0
                        let st = st[t]
                        if seed == 0 { for v in 0..<w { sq[v] += row[v] * row[v] } }
                        for v in 0..<w { dot[v] += row[v] * st }
                        t += 1
                    }
                }
                for v in 0..<w {
                    let denominator = sq[v].squareRoot() * norm
                    for seed in 0..<k {
                        let dot = rOut.baseAddress! + seed * voxels + v0
                        dot[v] = denominator > 0 ? dot[v] / denominator : 0
                    }
                }
            }
        } } }
        return ((0..<k).map { Array(r[($0 * voxels)..<(($0 + 1) * voxels)]) }, sumSquares)
    }
}
