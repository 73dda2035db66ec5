extension CleaningOperator {
    /// The effective degrees of freedom left in a cleaned series, ν = tr(CCᵀ)² / tr((CCᵀ)²)
    /// (Satterthwaite's approximation for white noise through the linear operator C; Worsley & Friston 1995).
    /// For a pure projection it is the kept volumes minus the rank removed (mean, trend, confounds);
    /// filtering and interpolation lower it further. Near 0 the cleaned series is rounding noise.
    public var effectiveDegreesOfFreedom: Double {
        let r = rows, t = inputFrames
        guard r > 0, t > 0 else { return 0 }
        // G = C Cᵀ (r × r, symmetric): tr(G) = Σ Gᵢᵢ and tr(G²) = Σ Gᵢⱼ².
        var g = [Double](repeating: 0, count: r * r)
        matrix.withUnsafeBufferPointer { c in
            g.withUnsafeMutableBufferPointer { g in
                BLAS.multiply(m: r, n: r, k: t, a: c.baseAddress!, lda: t, b: c.baseAddress!, ldb: t, transposeB: true,
                              c: g.baseAddress!, ldc: r)
            }
        }
        var trace = 0.0, squares = 0.0
        for i in 0..<r { trace += g[i * r + i] }
        for x in g { squares += x * x }
        // The ratio is scale-free, so an operator that leaves only rounding noise (as many regressors as
        // volumes) would still score its noise's spread; C is built from unit impulses, so a retained
        // direction contributes O(1) to tr(CCᵀ) and a trace this small means nothing is left.
        return trace > 1e-8 ? trace * trace / squares : 0
    }
}
