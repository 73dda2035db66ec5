/// Cubic-spline interpolation with not-a-knot end conditions, as `scipy.interpolate.CubicSpline`
/// (its default), expressed as weights: the interpolated value at x is Σⱼ w[j]·y[j], linear in the knot values.
public enum CubicSpline {
    /// Weights of each knot for every query point: `weights[q][j]`. Knots must be strictly increasing;
    /// queries must lie within [knots.first, knots.last].
    public static func weights(knots x: [Double], queries: [Double]) -> [[Double]] {
        let n = x.count
        precondition(n >= 2, "a spline needs two knots")
        var out = [[Double]](repeating: [Double](repeating: 0, count: n), count: queries.count)
        for j in 0..<n {
            var y = [Double](repeating: 0, count: n)
            y[j] = 1
            let s = slopes(x, y)
            for (q, t) in queries.enumerated() { out[q][j] = evaluate(x, y, s, at: t) }
        }
        return out
    }

    /// Knot slopes of the not-a-knot spline through (x, y).
    static func slopes(_ x: [Double], _ y: [Double]) -> [Double] {
        let n = x.count
        let dx = (0..<(n - 1)).map { x[$0 + 1] - x[$0] }
        let m = (0..<(n - 1)).map { (y[$0 + 1] - y[$0]) / dx[$0] }
        if n == 2 { return [m[0], m[0]] }
        if n == 3 {
            // Not-a-knot at both ends of three knots: the parabola through them.
            let a: [[Double]] = [[1, 1, 0], [dx[1], 2 * (dx[0] + dx[1]), dx[0]], [0, 1, 1]]
            let b = [2 * m[0], 3 * (dx[0] * m[1] + dx[1] * m[0]), 2 * m[1]]
            return solve3(a, b)
        }
        // Tridiagonal system: sub[i]·s[i−1] + diag[i]·s[i] + sup[i]·s[i+1] = rhs[i].
        var sub = [Double](repeating: 0, count: n), diag = sub, sup = sub, rhs = sub
        for i in 1..<(n - 1) {
            sub[i] = dx[i]
            diag[i] = 2 * (dx[i - 1] + dx[i])
            sup[i] = dx[i - 1]
            rhs[i] = 3 * (dx[i] * m[i - 1] + dx[i - 1] * m[i])
        }
        let d0 = x[2] - x[0]
        diag[0] = dx[1]
        sup[0] = d0
        rhs[0] = ((dx[0] + 2 * d0) * dx[1] * m[0] + dx[0] * dx[0] * m[1]) / d0
        let d1 = x[n - 1] - x[n - 3]
        diag[n - 1] = dx[n - 2]
        sub[n - 1] = d1
        rhs[n - 1] = (dx[n - 2] * dx[n - 2] * m[n - 3] + (2 * d1 + dx[n - 2]) * dx[n - 3] * m[n - 2]) / d1
        return thomas(sub, diag, sup, rhs)
    }

    /// Hermite evaluation on the interval containing t.
    static func evaluate(_ x: [Double], _ y: [Double], _ s: [Double], at t: Double) -> Double {
        var lo = 0, hi = x.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if x[mid] <= t { lo = mid } else { hi = mid }
        }
        let h = x[lo + 1] - x[lo]
        let slope = (y[lo + 1] - y[lo]) / h
        let c2 = (3 * slope - 2 * s[lo] - s[lo + 1]) / h
        let c3 = (s[lo] + s[lo + 1] - 2 * slope) / (h * h)
        let d = t - x[lo]
        return y[lo] + d * (s[lo] + d * (c2 + d * c3))
    }

    /// Solves the not-a-knot system. The two end rows are not diagonally dominant, so they are
    /// eliminated first (s₀ and sₙ₋₁ expressed through their neighbours); the remaining rows form a
    /// diagonally dominant tridiagonal system, solved without pivoting.
    static func thomas(_ a: [Double], _ b: [Double], _ c: [Double], _ d: [Double]) -> [Double] {
        let n = b.count
        var sub = a, diag = b, sup = c, rhs = d
        // Row 0: diag₀ s₀ + sup₀ s₁ = rhs₀  →  substitute s₀ into row 1.
        let f0 = sub[1] / diag[0]
        diag[1] -= f0 * sup[0]
        rhs[1] -= f0 * rhs[0]
        sub[1] = 0
        // Row n−1: sub s_{n−2} + diag s_{n−1} = rhs  →  substitute s_{n−1} into row n−2.
        let f1 = sup[n - 2] / diag[n - 1]
        diag[n - 2] -= f1 * sub[n - 1]
        rhs[n - 2] -= f1 * rhs[n - 1]
        sup[n - 2] = 0
        // Thomas algorithm on rows 1…n−2.
        for i in 2..<(n - 1) {
            let w = sub[i] / diag[i - 1]
            diag[i] -= w * sup[i - 1]
            rhs[i] -= w * rhs[i - 1]
        }
        var s = [Double](repeating: 0, count: n)
        s[n - 2] = rhs[n - 2] / diag[n - 2]
        if n - 3 >= 1 {
            for i in stride(from: n - 3, through: 1, by: -1) { s[i] = (rhs[i] - sup[i] * s[i + 1]) / diag[i] }
        }
        s[0] = (rhs[0] - sup[0] * s[1]) / diag[0]
        s[n - 1] = (rhs[n - 1] - sub[n - 1] * s[n - 2]) / diag[n - 1]
        return s
    }

    static func solve3(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = a, r = b
        for col in 0..<3 {
            let p = (col..<3).max { abs(m[$0][col]) < abs(m[$1][col]) }!
            m.swapAt(col, p); r.swapAt(col, p)
            for row in (col + 1)..<3 {
                let f = m[row][col] / m[col][col]
                for k in col..<3 { m[row][k] -= f * m[col][k] }
                r[row] -= f * r[col]
            }
        }
        var x = [0.0, 0.0, 0.0]
        for i in stride(from: 2, through: 0, by: -1) {
            x[i] = (r[i] - (i + 1..<3).reduce(0) { $0 + m[i][$1] * x[$1] }) / m[i][i]
        }
        return x
    }
}
