import Foundation

/// FSL's VEST text format (read by randomise, Glm, PALM's `palm_vestread` and any reader that skips
/// the `/…` header lines): `/Key<TAB>value` header lines, a blank line, `/Matrix`, then one row per
/// line with tab-separated values.
extension PALMExport {
    /// A number as written in VEST files: Swift's shortest text that reads back as the same Float64
    /// (FSL writes `%e` with 6 digits, which would not reproduce the glm's design exactly).
    static func number(_ value: Double) -> String { "\(value)" }

    /// Peak-to-peak height of a column, as FSL's Glm writes it in `/PPheights`: max − min, or the
    /// constant's magnitude for a constant column such as the intercept (FSL writes 1 for a column of ones).
    static func peakToPeak(_ values: [Double]) -> Double {
        guard let low = values.min(), let high = values.max() else { return 0 }
        return high > low ? high - low : abs(high)
    }

    static func matrixLines(_ rows: [[String]]) -> String {
        rows.map { $0.joined(separator: "\t") + "\n" }.joined()
    }

    /// `design.mat`: the design rows of design.tsv, in its order.
    static func designMatrixText(_ model: Model) -> String {
        let heights = model.columns.indices.map { c in peakToPeak(model.rows.map { $0[c] }) }
        return "/NumWaves\t\(model.columns.count)\n"
            + "/NumPoints\t\(model.rows.count)\n"
            + "/PPheights\t" + heights.map(number).joined(separator: "\t") + "\n"
            + "\n/Matrix\n"
            + matrixLines(model.rows.map { $0.map(number) })
    }

    /// `design.con`: one row per t contrast, then the F contrasts' rows (see `ContrastLayout`).
    /// `/PPheights` per contrast: the peak-to-peak height of X·c, the fitted signal of a unit effect
    /// (informational: no reader uses it); `/RequiredEffect` is a placeholder 0 for every contrast —
    /// FEAT derives it from first-level noise estimates a group model does not have, and neither
    /// randomise nor PALM reads it.
    static func contrastText(_ model: Model, layout: ContrastLayout) -> String {
        var text = ""
        for (n, row) in layout.rows.enumerated() { text += "/ContrastName\(n + 1)\t\(row.name)\n" }
        let heights = layout.rows.map { row in
            peakToPeak(model.rows.map { design in zip(design, row.weights).reduce(0.0) { $0 + $1.0 * $1.1 } })
        }
        text += "/NumWaves\t\(model.columns.count)\n"
        text += "/NumContrasts\t\(layout.rows.count)\n"
        text += "/PPheights\t" + heights.map(number).joined(separator: "\t") + "\n"
        text += "/RequiredEffect\t" + layout.rows.map { _ in "0" }.joined(separator: "\t") + "\n"
        text += "\n/Matrix\n"
        return text + matrixLines(layout.rows.map { $0.weights.map(number) })
    }

    /// `design.fts`: one row per F contrast, 1 for each design.con row it combines.
    static func fTestText(_ layout: ContrastLayout) -> String {
        "/NumWaves\t\(layout.rows.count)\n"
            + "/NumContrasts\t\(layout.fTests.count)\n"
            + "\n/Matrix\n"
            + matrixLines(layout.fTests.map { test in layout.rows.indices.map { test.rows.contains($0) ? "1" : "0" } })
    }

    /// `design.grp`: one exchangeability block holding every participant (free exchange, randomise's
    /// default and what Cohortex's permutations assume).
    static func groupText(rows: Int) -> String {
        "/NumWaves\t1\n"
            + "/NumPoints\t\(rows)\n"
            + "\n/Matrix\n"
            + String(repeating: "1\n", count: rows)
    }
}
