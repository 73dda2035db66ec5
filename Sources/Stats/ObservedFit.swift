import Kernels

/// Why a measure is left out of inference (its statistic is written as 0 and its p-values as 1).
public enum MeasureStatus: UInt8, Sendable {
    case ok
    /// The same value for every participant (e.g. outside the brain): no variance to test.
    case constant
    /// NaN or ±Inf for at least one participant.
    case nonFinite
    /// Residual variance zero to rounding: the design fits the data exactly.
    case perfectFit
}

/// A contrast fitted to every measure of the original data, in Float64, plus the Freedman–Lane
/// residuals (Float32) of the measures that are tested, for the permutation engine.
public struct ObservedFit: Sendable {
    public let plan: ContrastPlan
    /// c·β̂ for t contrasts (0 for F).
    public var estimate: [Double]
    /// Standard error of the estimate (t contrasts; 0 for F).
    public var standardError: [Double]
    /// t or F.
    public var statistic: [Double]
    public var status: [MeasureStatus]
    /// Indices of the tested (`.ok`) measures; the permutation engine works on these, in order.
    public var tested: [Int]
    /// Freedman–Lane residuals of the tested measures, each scaled to unit norm:
    /// participants × tested.count, row-major.
    public var residuals: [Float]

    /// Measures per block of the fitting loop.
    static let block = 256

    /// Fits `plan` to every measure of `y`.
    public init(_ y: Responses, plan: ContrastPlan, parallelism: Parallelism) {
        precondition(y.participants == plan.n, "one response row per design row")
        let n = plan.n, v = y.measures
        let estimate = UnsafeMutableBufferPointer<Double>.allocate(capacity: v)
        let standardError = UnsafeMutableBufferPointer<Double>.allocate(capacity: v)
        let statistic = UnsafeMutableBufferPointer<Double>.allocate(capacity: v)
        let status = UnsafeMutableBufferPointer<MeasureStatus>.allocate(capacity: v)
        let full = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * v)
        defer { for b in [estimate, standardError, statistic] { b.deallocate() }; status.deallocate(); full.deallocate() }
        let blocks = Parallelism.ranges(count: v, chunkSize: Self.block)
        let out = UnsafeSendableBox((estimate, standardError, statistic, status, full))
        plan.basis.withUnsafeBufferPointer { basis in
            let basis = UnsafeSendableBox(basis.baseAddress!)
            parallelism.forEach(chunks: blocks.count) { b in
                let (est, se, stat, st, res) = out.value
                Self.fitBlock(y, plan: plan, basis: basis.value, range: blocks[b],
                              estimate: est.baseAddress!, standardError: se.baseAddress!, statistic: stat.baseAddress!,
                              status: st.baseAddress!, residuals: res.baseAddress!)
            }
        }
        let tested = status.indices.filter { status[$0] == .ok }
        // Keep only the tested measures' residuals, contiguous per participant.
        let residuals = [Float](unsafeUninitializedCapacity: n * tested.count) { buffer, initialized in
            for i in 0..<n {
                for (k, m) in tested.enumerated() { buffer[i * tested.count + k] = full[i * v + m] }
            }
            initialized = n * tested.count
        }
        self.plan = plan
        self.estimate = Array(estimate)
        self.standardError = Array(standardError)
        self.statistic = Array(statistic)
        self.status = Array(status)
        self.tested = tested
        self.residuals = residuals
    }

    /// Fits one block of measures; writes only that block's slots. The arithmetic for a measure
    /// is the same whatever block it falls in (loops over participants and basis rows in fixed order).
    static func fitBlock(_ y: Responses, plan: ContrastPlan, basis q: UnsafePointer<Double>, range: Range<Int>,
                         estimate: UnsafeMutablePointer<Double>, standardError: UnsafeMutablePointer<Double>,
                         statistic: UnsafeMutablePointer<Double>, status: UnsafeMutablePointer<MeasureStatus>,
                         residuals: UnsafeMutablePointer<Float>) {
        let n = plan.n, p = plan.p, rank = plan.rank, v = y.measures, w = range.count
        let df = Double(plan.degreesOfFreedom)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: (n + p + 5) * w)
        defer { scratch.deallocate() }
        let data = scratch, coords = scratch + n * w, rss = coords + p * w
        let nuisanceFree = rss + w, fitted = nuisanceFree + w, nuisance = fitted + w, spread = nuisance + w
        y.load(range, into: data)
        for j in 0..<w {
            let m = range.lowerBound + j
            var allFinite = true, constant = true, mean = 0.0, ss = 0.0
            let first = data[j]
            for i in 0..<n {
                let x = data[i * w + j]
                allFinite = allFinite && x.isFinite
                constant = constant && x == first
                mean += x
            }
            mean /= Double(n)
            for i in 0..<n { let d = data[i * w + j] - mean; ss += d * d }
            spread[j] = ss
            status[m] = !allFinite ? .nonFinite : constant ? .constant : .ok
        }
        // w = basis · y, accumulated participant by participant.
        coords.initialize(repeating: 0, count: p * w)
        for i in 0..<n {
            let row = data + i * w
            for r in 0..<p {
                let qi = q[r * n + i], c = coords + r * w
                for j in 0..<w { c[j] += qi * row[j] }
            }
        }
        rss.initialize(repeating: 0, count: w)
        nuisanceFree.initialize(repeating: 0, count: w)
        for i in 0..<n {
            let row = data + i * w
            fitted.initialize(repeating: 0, count: w)
            nuisance.initialize(repeating: 0, count: w)
            for r in 0..<p {
                let qi = q[r * n + i], c = coords + r * w
                for j in 0..<w { fitted[j] += c[j] * qi }
                if r >= rank { for j in 0..<w { nuisance[j] += c[j] * qi } }
            }
            // Explicit residuals (not ‖y‖² − ‖w‖²): no cancellation when the fit explains most of y.
            for j in 0..<w {
                let e = row[j] - fitted[j]
                rss[j] += e * e
                let fl = row[j] - nuisance[j]
                nuisanceFree[j] += fl * fl
                row[j] = fl  // y is no longer needed: keep the Freedman–Lane residual in its place
            }
        }
        for j in 0..<w {
            let m = range.lowerBound + j
            estimate[m] = 0; standardError[m] = 0; statistic[m] = 0
            if status[m] == .ok, !(rss[j] > 1e-24 * max(spread[j], nuisanceFree[j])) { status[m] = .perfectFit }
            // Residuals scaled to unit norm: t and F do not depend on a measure's scale, and
            // RSS of permuted data is then 1 − ‖w‖² for every measure.
            let scale = status[m] == .ok ? 1 / nuisanceFree[j].squareRoot() : 0
            for i in 0..<n { residuals[i * v + m] = Float(data[i * w + j] * scale) }
            guard status[m] == .ok else { continue }
            let sigma = (rss[j] / df).squareRoot()
            let w0 = coords[j]
            switch plan.contrast.kind {
            case .t:
                statistic[m] = w0 / sigma
                estimate[m] = plan.estimateScale * w0
                standardError[m] = plan.estimateScale * sigma
            case .f:
                var numerator = 0.0
                for r in 0..<rank { numerator += coords[r * w + j] * coords[r * w + j] }
                statistic[m] = numerator / Double(rank) / (sigma * sigma)
            }
        }
    }

    /// Measures left out, by reason.
    public var excludedCounts: [MeasureStatus: Int] {
        var counts: [MeasureStatus: Int] = [:]
        for s in status where s != .ok { counts[s, default: 0] += 1 }
        return counts
    }

    /// Parametric p-values (1 for measures not tested). Serial: nifticdf is not thread-safe.
    public func pValues(twoSided: Bool) -> [Double] {
        let dfs = plan.statisticDegreesOfFreedom
        return statistic.indices.map { m in
            status[m] == .ok ? Distributions.pValue(statistic[m], kind: plan.contrast.kind, degreesOfFreedom: dfs, twoSided: twoSided) : 1
        }
    }

    /// z-equivalents of the statistics (0 for measures not tested).
    public func zScores() -> [Double] {
        let dfs = plan.statisticDegreesOfFreedom
        return statistic.indices.map { m in
            status[m] == .ok ? Distributions.zScore(statistic[m], kind: plan.contrast.kind, degreesOfFreedom: dfs) : 0
        }
    }

    /// Hedges' g = J · estimate / σ̂ for group comparisons (covariate-adjusted standardised
    /// difference; without covariates, the classic pooled-SD g); nil for other contrasts.
    public func hedgesG() -> [Double]? {
        guard let j = plan.hedgesCorrection else { return nil }
        return statistic.indices.map { m in
            guard status[m] == .ok, standardError[m] > 0 else { return 0 }
            let sigma = standardError[m] / plan.estimateScale
            return j * estimate[m] / sigma
        }
    }

    /// Benjamini–Hochberg q-values over the tested measures (1 for the others).
    public func qValues(_ p: [Double]) -> [Double] {
        var q = [Double](repeating: 1, count: p.count)
        let adjusted = FDR.benjaminiHochberg(tested.map { p[$0] })
        for (k, m) in tested.enumerated() { q[m] = adjusted[k] }
        return q
    }
}
