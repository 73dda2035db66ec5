import Foundation
import NIfTI
import Pipeline
import Testing
import TestSupport

/// Missing values in selected confound columns: only fMRIPrep's leading `n/a` of derivative-like columns
/// (first row of `*_derivative1*`, `framewise_displacement`, `dvars`, `std_dvars`) becomes 0; every other
/// `n/a`, `NaN`, empty or infinite cell is an error naming the file, the column and the data rows.
@Suite("Confound tables: missing values")
struct ConfoundTableTests {
    static let motion = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    static let columns = motion.flatMap { [$0, $0 + "_derivative1", $0 + "_power2", $0 + "_derivative1_power2"] }
        + ["framewise_displacement", "std_dvars", "csf"]

    /// A 24P-style table of `rows` rows, fMRIPrep's `n/a` in the first row of derivatives/FD/DVARS, then
    /// `edit(column, row)` may replace any cell (row 0-based; nil keeps the generated one).
    static func table(rows: Int = 20, _ edit: (String, Int) -> String? = { _, _ in nil }) throws -> String {
        var rng = SeededRandom(seed: 3)
        var text = columns.joined(separator: "\t") + "\n"
        for t in 0..<rows {
            text += columns.map { name -> String in
                if let cell = edit(name, t) { return cell }
                let leading = name.contains("_derivative1") || name == "framewise_displacement" || name == "std_dvars"
                return t == 0 && leading ? "n/a" : String(rng.normal())
            }.joined(separator: "\t") + "\n"
        }
        let path = try Reference.temporaryFolder() + "/confounds.tsv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("the leading n/a of derivatives becomes 0; unselected columns are not checked")
    func leadingDerivativeNA() throws {
        let path = try Self.table { name, t in name == "csf" && t == 4 ? "n/a" : nil }
        let (names, values) = try ConfoundsTable(contentsOf: path).select(.twentyFourP)
        let derivative = try #require(names.firstIndex(of: "trans_x_derivative1"))
        #expect(values[derivative][0] == 0)
        #expect(values.allSatisfy { $0.allSatisfy(\.isFinite) })
    }

    @Test("broken cells are errors naming the file, column and 1-based data rows",
          arguments: [("trans_y", "all n/a", [Int](1...20)), ("trans_x", "NaN at row 5", [5]), ("rot_z", "empty at row 3", [3]),
                      ("trans_z_derivative1", "n/a at row 2 too", [2]), ("rot_x", "n/a in the first row", [1]),
                      ("trans_x_power2", "inf at rows 7 and 9", [7, 9]), ("rot_y_derivative1", "NaN in the first row", [1])])
    func brokenCells(column: String, what: String, rows: [Int]) throws {
        let path = try Self.table { name, t in
            guard name == column, rows.contains(t + 1) else { return nil }
            switch what {
            case let w where w.hasPrefix("NaN"): return "NaN"
            case let w where w.hasPrefix("empty"): return ""
            case let w where w.hasPrefix("inf"): return "inf"
            default: return "n/a"
            }
        }
        let table = try ConfoundsTable(contentsOf: path)
        #expect(throws: ConfoundError.nonFiniteValues(path: path, column: column, rows: rows)) { try table.select(.twentyFourP) }
        let message = ConfoundError.nonFiniteValues(path: path, column: column, rows: rows).description
        #expect(message.hasPrefix(path + ": column " + column) && message.contains("1-based") && !message.contains("\n"))
    }

    @Test("dropped dummy rows are not checked")
    func dummyRowsAreDropped() throws {
        let path = try Self.table { name, t in name == "trans_x" && t < 2 ? "n/a" : nil }
        #expect(throws: ConfoundError.nonFiniteValues(path: path, column: "trans_x", rows: [1, 2])) {
            try ConfoundsTable(contentsOf: path).select(.sixP)
        }
        let (_, values) = try ConfoundsTable(contentsOf: path).select(.sixP, from: 2)
        #expect(values.allSatisfy { $0.count == 18 && $0.allSatisfy(\.isFinite) })
    }

    @Test("seed-map end to end: exit 1, one line naming the table, column and row, nothing written")
    func seedMapRefuses() throws {
        let r = try FunctionalBadInputTests.run(frames: 20)
        let path = try Self.table { name, t in name == "rot_y" && t == 11 ? "NaN" : nil }
        let out = try Reference.temporaryFolder() + "/z.nii.gz"
        let run = try Reference.cohortex(["seed-map", "--bold", r.bold, "--mask", r.mask, "--confounds", path, "--strategy", "6P",
                                          "--sphere", "centre:0,0,0,4", "--out-z", out])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr == "cohortex: error: " + ConfoundError.nonFiniteValues(path: path, column: "rot_y", rows: [12]).description + "\n")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
