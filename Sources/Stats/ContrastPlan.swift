/// How permuted data are generated for a contrast.
public enum ResamplingScheme: String, Sendable {
    /// Rows of the (Freedman–Lane) residuals are permuted: exchangeable errors.
    case permutation
    /// Signs of the residuals are flipped: symmetric errors, used when the effect of interest is
    /// constant across participants (a one-sample test), where permuting rows would change nothing.
    case signFlip = "sign-flip"
}

/// A contrast prepared for fitting and permutation.
///
/// The design's column space gets an orthonormal basis whose first `rank` vectors span the
/// contrast's effect (the first one signed along a t contrast) and whose remaining vectors span
/// the nuisance space, span(X·null(C)). With w = basisᵀy and RSS = ‖y‖² − ‖w‖²:
/// t = w₀ / √(RSS/df), F = (Σ_{r<rank} w_r² / rank) / (RSS/df), the estimate c·β̂ = scale·w₀.
/// Freedman–Lane residuals are y minus its projection on the nuisance vectors.
public struct ContrastPlan: Sendable {
    public let contrast: Contrast
    public let n: Int
    public let p: Int
    public let degreesOfFreedom: Int
    /// p × n row-major orthonormal rows: effect directions first, then nuisance.
    public let basis: [Double]
    /// ‖R⁻ᵀc‖ for a t contrast: estimate = scale · w₀ and its standard error scale · σ̂.
    public let estimateScale: Double
    public let scheme: ResamplingScheme
    /// Design columns with zero weight in every contrast row (the nuisance regressors, before partitioning).
    public let nuisanceColumns: [String]
    /// True when the nuisance space is empty or only the constant: Freedman–Lane is then plain permutation.
    public let nuisanceIsConstant: Bool
    /// Hedges' small-sample correction J = 1 − 3/(4·df − 1), when the contrast compares groups.
    public let hedgesCorrection: Double?

    public var rank: Int { contrast.rank }

    /// Partitions `model` for `contrast`.
    public init(model: LinearModel, contrast: Contrast) throws {
        let n = model.n, p = model.p
        for row in contrast.weights where row.count != p {
            throw StatsError.contrastLength(contrast: contrast.specification, found: row.count, columns: model.design.columnNames)
        }
        // Rows of M = C R⁻¹ in Qᵀy coordinates; their orthonormal span is the effect subspace.
        let m = contrast.weights.map { model.solveTransposed($0) }
        let scale = LinearModel.norm(m[0])
        let effect = orthonormalBasis(m, limit: p)
        guard effect.count == contrast.rank else {
            throw StatsError.contrastNotEstimable(contrast: contrast.specification, reason: "its rows are linearly dependent")
        }
        let identity = (0..<p).map { k in (0..<p).map { $0 == k ? 1.0 : 0.0 } }
        let rotation = orthonormalBasis(effect + identity, limit: p)
        precondition(rotation.count == p, "an orthonormal completion always exists")
        var basis = [Double](repeating: 0, count: p * n)
        for row in 0..<p {
            for i in 0..<n {
                var s = 0.0
                for k in 0..<p { s += rotation[row][k] * model.q[i * p + k] }
                basis[row * n + i] = s
            }
        }
        self.contrast = contrast
        self.n = n
        self.p = p
        self.degreesOfFreedom = model.degreesOfFreedom
        self.basis = basis
        self.estimateScale = scale
        // Sign-flip when every X·cᵢ is constant: the effect of interest does not vary between rows.
        let design = model.design
        let constantEffect = contrast.weights.allSatisfy { c in
            let x = (0..<n).map { i in (0..<p).reduce(0.0) { $0 + design[i, $1] * c[$1] } }
            let spread = (x.max() ?? 0) - (x.min() ?? 0)
            return spread <= 1e-9 * max(1, x.map(abs).max() ?? 0)
        }
        self.scheme = constantEffect ? .signFlip : .permutation
        self.nuisanceColumns = (0..<p).filter { j in contrast.weights.allSatisfy { $0[j] == 0 } }.map { design.columns[$0].name }
        let nuisanceRows = (contrast.rank..<p).map { row in (0..<n).map { basis[row * n + $0] } }
        self.nuisanceIsConstant = nuisanceRows.isEmpty
            || (nuisanceRows.count == 1 && (nuisanceRows[0].max()! - nuisanceRows[0].min()!) <= 1e-9)
        if contrast.kind == .t, contrast.effectSize != nil {
            hedgesCorrection = 1 - 3 / (4 * Double(model.degreesOfFreedom) - 1)
        } else {
            hedgesCorrection = nil
        }
    }

    /// The permutation method in words, for sidecars.
    public var methodDescription: String {
        switch (scheme, nuisanceIsConstant) {
        case (.permutation, true): return "permutation"
        case (.permutation, false): return "Freedman-Lane"
        case (.signFlip, true): return "sign-flipping"
        case (.signFlip, false): return "sign-flipping of Freedman-Lane residuals"
        }
    }

    /// Numerator and denominator degrees of freedom of the statistic.
    public var statisticDegreesOfFreedom: (Double, Double) {
        (Double(rank), Double(degreesOfFreedom))
    }
}
