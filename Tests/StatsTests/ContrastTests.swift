import NIfTI
import Stats
import Testing
import TestSupport

@Suite("Contrast grammar")
struct ContrastTests {
    static func design() throws -> DesignMatrix {
        var table = StatsFixtures.participants(n: 30, seed: 8)
        table.columns.append("site")
        for r in table.rows.indices { table.rows[r].append(["1", "2", "10"][r % 3]) }
        return try DesignMatrix(table: table, formula: try ModelFormula("~ group + age + C(site)"))
    }

    @Test("level differences, slopes, the mean, columns, weights and F forms map to the intended weights and labels")
    func forms() throws {
        let d = try Self.design()
        #expect(d.columnNames == ["intercept", "group[pain]", "group[recovered]", "age", "site[2]", "site[10]"])
        let cases: [(String, [[Double]], String, Contrast.Kind)] = [
            ("pain-control", [[0, 1, 0, 0, 0, 0]], "painMinusControl", .t),
            ("control-pain", [[0, -1, 0, 0, 0, 0]], "controlMinusPain", .t),
            ("recovered-pain", [[0, -1, 1, 0, 0, 0]], "recoveredMinusPain", .t),
            ("-age", [[0, 0, 0, -1, 0, 0]], "negAge", .t),
            ("mean", [[1, 0, 0, 0, 0, 0]], "mean", .t),
            ("group[recovered]", [[0, 0, 1, 0, 0, 0]], "grouprecovered", .t),
            ("10-2", [[0, 0, 0, 0, -1, 1]], "10Minus2", .t),  // numeric levels of C(site): a difference, not weights
            ("0,0,0,1,0,0", [[0, 0, 0, 1, 0, 0]], "c1", .t),
            ("[0 1 0 0 0 0; 0 0 1 0 0 0]", [[0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]], "c1", .f),
            ("F(group)", [[0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]], "Fgroup", .f),
            ("F(pain-control, age)", [[0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0]], "FpainMinusControlAge", .f),
            ("pvc=pain-control", [[0, 1, 0, 0, 0, 0]], "pvc", .t),
        ]
        for (spec, weights, label, kind) in cases {
            let c = try Contrast(spec, design: d)
            #expect(c.weights == weights, "\(spec)")
            #expect(c.label == label, "\(spec)")
            #expect(c.kind == kind, "\(spec)")
        }
        #expect(try Contrast("pain-control", design: d).effectSize == .twoGroups(term: "group", first: "pain", second: "control"))
        #expect(try Contrast("age", design: d).effectSize == nil)
        #expect(try Contrast("mean", design: d).effectSize == nil)  // with factors the intercept is the reference level's mean
    }

    @Test("malformed contrasts are refused with the vocabulary that would work")
    func errors() throws {
        let d = try Self.design()
        #expect(throws: StatsError.self) { try Contrast("group", design: d) }
        #expect(throws: StatsError.self) { try Contrast("pain-pain", design: d) }
        #expect(throws: StatsError.self) { try Contrast("F(group, pain-control, recovered-control)", design: d) }  // dependent rows
        #expect(throws: StatsError.self) { try Contrast("0,0,0,0,0,0", design: d) }
        #expect(throws: StatsError.self) { try Contrast("bmi", design: d) }
        #expect(throws: StatsError.self) { try Contrast("a b=age", design: d) }
        do {
            _ = try Contrast("pain-healthy", design: d)
            Issue.record("expected an error")
        } catch let error as StatsError {
            #expect(error.description.contains("levels are group: control, pain, recovered; site: 1, 2, 10"))
        }
    }
}
