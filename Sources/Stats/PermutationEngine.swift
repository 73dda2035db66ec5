import Kernels

/// Settings of a permutation test.
public struct PermutationSettings: Sendable, Equatable {
    /// N random resamplings besides the identity; p-values are (1 + count)/(N + 1).
    public var count: Int
    public var seed: UInt64
    /// t contrasts: compare |t| (two-sided) instead of t (one-sided, positive direction).
    public var twoSided: Bool

    public init(count: Int, seed: UInt64, twoSided: Bool = false) {
        self.count = count
        self.seed = seed
        self.twoSided = twoSided
    }
}

/// Permutation inference for one contrast, as GEMMs.
///
/// The unit-norm Freedman–Lane residuals E (participants × tested measures) are fixed; resampling
/// k moves the design instead: its rows are the contrast plan's orthonormal basis with columns
/// permuted (or signs flipped), so W = A_k · E gives every measure's basis coordinates at once,
/// RSS = 1 − ‖w‖², t = w₀/√(RSS/df). Batches of permutations stack their A_k into one
/// (batch·p) × n matrix for `BLAS.multiply`. Measures are cut into fixed blocks and permutations
/// into fixed batches, both set by problem size alone, so every statistic is computed by the same
/// calls whatever the thread count or the chunk that asks for it.
public struct PermutationEngine: Sendable {
    /// Tested measures per GEMM column block (chunk boundaries fall on whole blocks).
    public static let blockSize = 1024
    /// Permutations per GEMM (permutation chunks start on whole batches).
    public static let batchSize = 32

    public let settings: PermutationSettings
    /// Threads for the permutation blocks (results do not depend on it).
    public let parallelism: Parallelism
    public let kind: Contrast.Kind
    public let scheme: ResamplingScheme
    let n: Int
    /// Basis rows in the GEMM (the design's columns minus constant nuisance rows).
    let p: Int
    let rank: Int
    let degreesOfFreedom: Int
    /// p × n basis rows (Float32).
    let basis: [Float]
    /// n × measures unit-norm residuals.
    let residuals: [Float]
    /// Tested measures.
    public let measures: Int

    public init(fit: ObservedFit, settings: PermutationSettings, parallelism: Parallelism) {
        let plan = fit.plan
        self.settings = settings
        self.parallelism = parallelism
        kind = plan.contrast.kind
        scheme = plan.scheme
        n = plan.n
        rank = plan.rank
        degreesOfFreedom = plan.degreesOfFreedom
        // The residuals are orthogonal to every nuisance vector, and permuting rows leaves a constant
        // vector constant: its coordinate is 0 for every permutation, so its GEMM row is skipped.
        let rows = (0..<plan.p).filter { r in
            guard r >= plan.rank, plan.scheme == .permutation else { return true }
            let row = plan.basis[(r * plan.n)..<((r + 1) * plan.n)]
            return row.max()! - row.min()! > 1e-12
        }
        p = rows.count
        basis = rows.flatMap { r in plan.basis[(r * plan.n)..<((r + 1) * plan.n)].map { Float($0) } }
        residuals = fit.residuals
        measures = fit.tested.count
    }

    public var blockCount: Int { (measures + Self.blockSize - 1) / Self.blockSize }

    /// The tested-measure positions of blocks `blocks`.
    public func measureRange(blocks: Range<Int>) -> Range<Int> {
        min(measures, blocks.lowerBound * Self.blockSize)..<min(measures, blocks.upperBound * Self.blockSize)
    }

    /// The measure blocks of chunk `k` (0-based) when the measures are split into `chunks` runs.
    public func blocks(chunk k: Int, of chunks: Int) -> Range<Int> {
        precondition(chunks > 0 && (0..<chunks).contains(k), "chunk index within 0..<chunks")
        return (blockCount * k / chunks)..<(blockCount * (k + 1) / chunks)
    }

    /// The permutations of chunk `k` (0-based) when `count` permutations are split into `chunks`
    /// runs: whole batches, so each permutation is computed by the same GEMM as in a single run.
    public static func permutations(chunk k: Int, of chunks: Int, count: Int) -> Range<Int> {
        precondition(chunks > 0 && (0..<chunks).contains(k), "chunk index within 0..<chunks")
        let batches = (count + batchSize - 1) / batchSize
        let first = batches * k / chunks, last = batches * (k + 1) / chunks
        return min(count + 1, 1 + first * batchSize)..<min(count + 1, 1 + last * batchSize)
    }

    /// Statistics are compared as t (one-sided), |t| (two-sided t) or F.
    var comparesMagnitude: Bool { kind == .t && settings.twoSided }

    // MARK: - Design rows

    /// Rows of A for permutations `range` (index 0 is the identity): (range.count · p) × n.
    func designRows(_ range: Range<Int>) -> [Float] {
        var rows = [Float](repeating: 0, count: range.count * p * n)
        for (slot, index) in range.enumerated() {
            let base = slot * p * n
            switch scheme {
            case .permutation:
                // Participant i takes row π[i] of the residuals: A[r][π[i]] = basis[r][i].
                let pi = Resampling.permutation(count: n, seed: settings.seed, index: index)
                for r in 0..<p { for i in 0..<n { rows[base + r * n + pi[i]] = basis[r * n + i] } }
            case .signFlip:
                let s = Resampling.signs(count: n, seed: settings.seed, index: index)
                for r in 0..<p { for i in 0..<n { rows[base + r * n + i] = Float(s[i]) * basis[r * n + i] } }
            }
        }
        return rows
    }

    // MARK: - Statistics of one block

    /// Working memory for one block and one batch.
    final class Scratch {
        let products: UnsafeMutablePointer<Float>
        init(capacity: Int) { products = .allocate(capacity: capacity) }
        deinit { products.deallocate() }
    }

    func makeScratch() -> Scratch { Scratch(capacity: Self.batchSize * p * Self.blockSize) }

    /// Statistics (t or F, signed) of `batch` resamplings for block `block`: `batch` rows of the
    /// block's width, written to `out` with row stride `stride`.
    func statistics(block: Int, rows: UnsafePointer<Float>, batch: Int, scratch: Scratch,
                    out: UnsafeMutablePointer<Float>, stride: Int) {
        let range = measureRange(blocks: block..<(block + 1))
        let width = range.count
        guard width > 0 else { return }
        residuals.withUnsafeBufferPointer { e in
            BLAS.multiply(m: batch * p, n: width, k: n, a: rows, lda: n,
                          b: e.baseAddress! + range.lowerBound, ldb: measures, c: scratch.products, ldc: width,
                          parallelism: .serial)  // one block of a parallel loop
        }
        let invDF = 1 / Float(degreesOfFreedom)
        let invRank = 1 / Float(rank)
        for k in 0..<batch {
            Self.statisticRow(scratch.products + k * p * width, p: p, rank: rank, width: width,
                              kind: kind, invDF: invDF, invRank: invRank, out: out + k * stride)
        }
    }

    /// RSS below this fraction of ‖residual‖² (= 1) is clamped, bounding |t| by √(df/1e-6).
    static let rssFloor: Float = 1e-6

    /// One resampling's statistics from its p rows of basis coordinates.
    @inline(__always)
    static func statisticRow(_ w: UnsafePointer<Float>, p: Int, rank: Int, width: Int, kind: Contrast.Kind,
                             invDF: Float, invRank: Float, out: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(w)
        var j = 0
        // Eight lanes at a time; the scalar tail repeats the same operations in the same order.
        while j + 8 <= width {
            var squares = SIMD8<Float>(repeating: 0), numerator = SIMD8<Float>(repeating: 0)
            for r in 0..<p {
                let x = raw.loadUnaligned(fromByteOffset: (r * width + j) * 4, as: SIMD8<Float>.self)
                squares = squares + x * x
                if r < rank { numerator = numerator + x * x }
            }
            var rss = SIMD8<Float>(repeating: 1) - squares
            rss.replace(with: rssFloor, where: rss .< rssFloor)  // (the generic pointwiseMax is not inlined)
            let value: SIMD8<Float>
            switch kind {
            case .t: value = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) / (rss * invDF).squareRoot()
            case .f: value = (numerator * invRank) / (rss * invDF)
            }
            UnsafeMutableRawPointer(out).storeBytes(of: value, toByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        while j < width {
            var squares: Float = 0, numerator: Float = 0
            for r in 0..<p {
                let x = w[r * width + j]
                squares = squares + x * x
                if r < rank { numerator = numerator + x * x }
            }
            var rss = 1 - squares
            if rss < rssFloor { rss = rssFloor }
            switch kind {
            case .t: out[j] = w[j] / (rss * invDF).squareRoot()
            case .f: out[j] = (numerator * invRank) / (rss * invDF)
            }
            j += 1
        }
    }

    // MARK: - Drivers

    /// Statistics of the original data through the same Float32 path as the permutations: the
    /// values permuted statistics are compared with (t or F, signed).
    public func observed() -> [Float] {
        var out = [Float](repeating: 0, count: measures)
        let rows = designRows(0..<1)
        out.withUnsafeMutableBufferPointer { o in
            let box = UnsafeSendableBox(o.baseAddress!)
            rows.withUnsafeBufferPointer { a in
                let a = UnsafeSendableBox(a.baseAddress!)
                parallelism.forEach(chunks: blockCount) { b in
                    let scratch = makeScratch()
                    let start = measureRange(blocks: b..<(b + 1)).lowerBound
                    statistics(block: b, rows: a.value, batch: 1, scratch: scratch, out: box.value + start, stride: 0)
                }
            }
        }
        return out
    }

    /// The compared form of statistics: |t| for two-sided t, else unchanged.
    public func compared(_ values: [Float]) -> [Float] { comparesMagnitude ? values.map(Self.magnitude) : values }

    /// |x| as the kernels compute it (negatives negated; −0 stays −0), so every path agrees bit for bit.
    @inline(__always)
    static func magnitude(_ x: Float) -> Float { x < 0 ? -x : x }

    /// Permutations in a super-batch: enough to amortise building design rows, bounded to 64 MB.
    var superBatch: Int {
        let perPermutation = max(1, p * n * 4)
        let fits = max(1, (64 << 20) / perPermutation / Self.batchSize)
        return min(64, fits) * Self.batchSize
    }

    /// Voxel-wise maxima and exceedance counts over measure blocks `blocks` and permutations
    /// `permutations` (which must start on a batch boundary: 1 + a multiple of `batchSize`).
    public func run(blocks: Range<Int>, permutations: Range<Int>, observed: [Float]) -> PermutationPartial {
        precondition((permutations.lowerBound - 1) % Self.batchSize == 0, "permutation ranges start on batch boundaries")
        let measureRange = measureRange(blocks: blocks)
        let target = compared(observed)
        var blockMaxima = [Float](repeating: -.infinity, count: blocks.count * permutations.count)
        var exceedances = [UInt32](repeating: 0, count: measureRange.count)
        let magnitude = comparesMagnitude
        for start in Swift.stride(from: permutations.lowerBound, to: permutations.upperBound, by: superBatch) {
            let group = start..<min(permutations.upperBound, start + superBatch)
            let rows = designRows(group)
            rows.withUnsafeBufferPointer { a in
            blockMaxima.withUnsafeMutableBufferPointer { maxima in
            exceedances.withUnsafeMutableBufferPointer { counts in
            target.withUnsafeBufferPointer { target in
                let shared = UnsafeSendableBox((a.baseAddress!, maxima.baseAddress!, counts.baseAddress!, target.baseAddress!))
                parallelism.forEach(chunks: blocks.count) { bi in
                    let (a, maxima, counts, target) = shared.value
                    let block = blocks.lowerBound + bi
                    let range = self.measureRange(blocks: block..<(block + 1))
                    guard !range.isEmpty else { return }
                    let scratch = makeScratch()
                    let row = UnsafeMutablePointer<Float>.allocate(capacity: Self.batchSize * range.count)
                    defer { row.deallocate() }
                    let local = counts + (range.lowerBound - measureRange.lowerBound)
                    for batchStart in Swift.stride(from: group.lowerBound, to: group.upperBound, by: Self.batchSize) {
                        let batch = min(Self.batchSize, group.upperBound - batchStart)
                        statistics(block: block, rows: a + (batchStart - group.lowerBound) * p * n, batch: batch,
                                   scratch: scratch, out: row, stride: range.count)
                        for k in 0..<batch {
                            let slot = bi * permutations.count + (batchStart - permutations.lowerBound + k)
                            maxima[slot] = Self.accumulate(row + k * range.count, width: range.count, magnitude: magnitude,
                                                           target: target + range.lowerBound, counts: local)
                        }
                    }
                }
            }}}}
        }
        var maxima = [Float](repeating: -.infinity, count: permutations.count)
        for bi in 0..<blocks.count {
            for k in 0..<permutations.count { maxima[k] = max(maxima[k], blockMaxima[bi * permutations.count + k]) }
        }
        return PermutationPartial(measures: measureRange, permutations: permutations, maxima: maxima, exceedances: exceedances)
    }

    /// Counts values reaching their targets and returns the row's maximum (of |values| if `magnitude`).
    @inline(__always)
    static func accumulate(_ values: UnsafeMutablePointer<Float>, width: Int, magnitude: Bool,
                           target: UnsafePointer<Float>, counts: UnsafeMutablePointer<UInt32>) -> Float {
        let raw = UnsafeMutableRawPointer(values), traw = UnsafeRawPointer(target), craw = UnsafeMutableRawPointer(counts)
        var top = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= width {
            var v = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            if magnitude { v.replace(with: -v, where: v .< 0) }
            let reached = v .>= traw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            var c = craw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<UInt32>.self)
            c &+= SIMD8<UInt32>(repeating: 0).replacing(with: 1, where: reached)
            craw.storeBytes(of: c, toByteOffset: j * 4, as: SIMD8<UInt32>.self)
            top.replace(with: v, where: v .> top)
            j += 8
        }
        var result = top.max()
        while j < width {
            let v = magnitude ? Self.magnitude(values[j]) : values[j]
            if v >= target[j] { counts[j] += 1 }
            if v > result { result = v }
            j += 1
        }
        return result
    }
}
