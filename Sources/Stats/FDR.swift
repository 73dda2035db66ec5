/// False discovery rate control.
public enum FDR {
    /// Benjamini–Hochberg adjusted p-values (q-values), computed exactly as statsmodels'
    /// `multipletests(method="fdr_bh")`: p₍ᵢ₎ / (i/m), running minimum from the largest p down, capped at 1.
    public static func benjaminiHochberg(_ p: [Double]) -> [Double] {
        let m = p.count
        guard m > 0 else { return [] }
        // Ties may come out in any order: the running minimum gives tied p-values the same q.
        let order = p.indices.sorted { p[$0] < p[$1] }
        var q = [Double](repeating: 0, count: m)
        var running = Double.infinity
        for rank in stride(from: m - 1, through: 0, by: -1) {
            let i = order[rank]
            // Same operations as statsmodels: ecdf factor (i+1)/m as a float64, then p divided by it.
            let factor = Double(rank + 1) / Double(m)
            running = min(running, p[i] / factor)
            q[i] = min(running, 1)
        }
        return q
    }
}
