import Foundation
import Kernels
import NIfTI
import Stats
import Testing
import TestSupport

@Suite("GLM against statsmodels OLS")
struct LinearModelTests {
    static let groupColumn = StatsFixtures.groupColumn

    @Test("t and F statistics, one-sided p, estimates and standard errors match statsmodels to 1e-5 relative")
    func matchesStatsmodels() throws {
        let table = StatsFixtures.participants(n: 45, seed: 11)
        let folder = try Reference.temporaryFolder()
        try table.write(to: folder + "/participants.tsv")
        let formula = try ModelFormula("~ group + age + sex + mean_fd")
        let design = try DesignMatrix(table: table, formula: formula)
        #expect(design.dropped == [DroppedParticipant(id: "sub-006", reason: "missing value in age")])
        #expect(design.columnNames == ["intercept", "group[pain]", "group[recovered]", "age", "sex[M]", "mean_fd"])
        let model = try LinearModel(design: design)
        let measures = 30
        let all = StatsFixtures.responses(table, measures: measures, seed: 12)
        let values = StatsFixtures.select(all, table: table, participants: design.participants)
        let y = Responses(participants: design.rowCount, measures: measures, values: values)

        let g = Self.groupColumn
        let specs: [(String, [String: Any])] = [
            ("pain-control", ["kind": "t", "weights": ["\(g)[T.pain]": 1.0]]),
            ("recovered-pain", ["kind": "t", "weights": ["\(g)[T.recovered]": 1.0, "\(g)[T.pain]": -1.0]]),
            ("-age", ["kind": "t", "weights": ["age": -1.0]]),
            ("[0 0 0 0 1 0]", ["kind": "t", "weights": ["C(sex, Treatment('F'))[T.M]": 1.0]]),
            ("F(group)", ["kind": "F", "rows": [["\(g)[T.pain]": 1.0], ["\(g)[T.recovered]": 1.0]]]),
            ("F(group, mean_fd)", ["kind": "F", "rows": [["\(g)[T.pain]": 1.0], ["\(g)[T.recovered]": 1.0], ["mean_fd": 1.0]]]),
        ]
        let reference = try StatsFixtures.python("ols", [
            "participants": folder + "/participants.tsv",
            "responses": try StatsFixtures.writeDoubles(values), "measures": measures,
            "formula": "y ~ \(g) + age + C(sex, Treatment('F')) + mean_fd",
            "tests": specs.map(\.1),
            "hedges": ["\(g)[T.pain]": 1.0],
        ])
        #expect(reference["df"] as? Double == Double(model.degreesOfFreedom))
        let tests = reference["tests"] as! [[String: Any]]
        for (n, (spec, _)) in specs.enumerated() {
            let contrast = try Contrast(spec, design: design)
            let fit = ObservedFit(y, plan: try ContrastPlan(model: model, contrast: contrast), parallelism: .available)
            let p = fit.pValues(twoSided: false)
            let ref = tests[n]
            let stat = StatsFixtures.doubles(ref["stat"]), refP = StatsFixtures.doubles(ref["p"])
            var worstStat = 0.0, worstP = 0.0
            for j in 0..<measures {
                worstStat = max(worstStat, StatsFixtures.relativeError(fit.statistic[j], stat[j], floor: 1e-3))
                worstP = max(worstP, abs(p[j] - refP[j]) / max(refP[j], 1e-12))
            }
            #expect(worstStat < 1e-5, "\(spec): worst relative error of the statistic \(worstStat)")
            #expect(worstP < 1e-5, "\(spec): worst relative error of p \(worstP)")
            if contrast.kind == .t {
                let estimate = StatsFixtures.doubles(ref["estimate"]), se = StatsFixtures.doubles(ref["se"])
                for j in 0..<measures {
                    #expect(StatsFixtures.relativeError(fit.estimate[j], estimate[j], floor: 1e-3) < 1e-8, "\(spec) estimate \(j)")
                    #expect(StatsFixtures.relativeError(fit.standardError[j], se[j]) < 1e-8, "\(spec) se \(j)")
                }
            }
            if spec == "pain-control" {
                let g = try #require(fit.hedgesG())
                let refG = StatsFixtures.doubles(reference["g"])
                for j in 0..<measures { #expect(StatsFixtures.relativeError(g[j], refG[j], floor: 1e-3) < 1e-8, "g \(j)") }
            } else if contrast.kind == .f {
                #expect(fit.hedgesG() == nil)
            }
        }
    }

    @Test("a one-sample model (~ 1 + age) tests the mean at the mean age; the z of t matches statsmodels' p")
    func oneSampleIntercept() throws {
        let table = StatsFixtures.participants(n: 24, seed: 21, groups: ["pain"], missingAge: false)
        let folder = try Reference.temporaryFolder()
        try table.write(to: folder + "/participants.tsv")
        let design = try DesignMatrix(table: table, formula: try ModelFormula("~ age"))
        let model = try LinearModel(design: design)
        let measures = 12
        let values = StatsFixtures.select(StatsFixtures.responses(table, measures: measures, seed: 22).map { $0.map { $0 - 10.1 } },
                                          table: table, participants: design.participants)
        let y = Responses(participants: design.rowCount, measures: measures, values: values)
        let contrast = try Contrast("mean", design: design)
        #expect(contrast.effectSize == .oneSample)
        let plan = try ContrastPlan(model: model, contrast: contrast)
        #expect(plan.scheme == .signFlip)
        let fit = ObservedFit(y, plan: plan, parallelism: .available)
        let reference = try StatsFixtures.python("ols", [
            "participants": folder + "/participants.tsv",
            "responses": try StatsFixtures.writeDoubles(values), "measures": measures,
            "formula": "y ~ center(age)", "tests": [["kind": "t", "weights": ["Intercept": 1.0]]],
        ])
        let ref = (reference["tests"] as! [[String: Any]])[0]
        let stat = StatsFixtures.doubles(ref["stat"]), refP = StatsFixtures.doubles(ref["p"])
        let z = fit.zScores()
        for j in 0..<measures {
            #expect(StatsFixtures.relativeError(fit.statistic[j], stat[j], floor: 1e-3) < 1e-5)
            // z has the same upper tail as t: P(Z > z) = p.
            let zTail = 0.5 * erfc(z[j] / 2.0.squareRoot())
            #expect(abs(zTail - refP[j]) <= 1e-6 * max(refP[j], 1e-6), "z tail \(zTail) vs p \(refP[j])")
        }
    }

    @Test("Hedges' g without covariates is the classic pooled-SD g with J = 1 − 3/(4(n₁+n₂) − 9)")
    func hedgesWithoutCovariates() throws {
        let table = StatsFixtures.participants(n: 19, seed: 31, groups: ["control", "pain"], missingAge: false)
        let design = try DesignMatrix(table: table, formula: try ModelFormula("~ group"))
        let values = StatsFixtures.select(StatsFixtures.responses(table, measures: 3, seed: 32), table: table, participants: design.participants)
        let fit = ObservedFit(Responses(participants: design.rowCount, measures: 3, values: values),
                              plan: try ContrastPlan(model: try LinearModel(design: design), contrast: try Contrast("pain-control", design: design)),
                              parallelism: .available)
        let g = try #require(fit.hedgesG())
        let groups = try table.column("group")
        for j in 0..<3 {
            let a = (0..<19).filter { groups[$0] == "pain" }.map { values[$0 * 3 + j] }
            let b = (0..<19).filter { groups[$0] == "control" }.map { values[$0 * 3 + j] }
            let ref = try StatsFixtures.python("hedges", ["a": a, "b": b])
            #expect(StatsFixtures.relativeError(g[j], ref["g"] as! Double) < 1e-10)
        }
    }

    @Test("nifticdf from many threads at once gives the serial results (its cdflib state is behind a lock)")
    func distributionsAreThreadSafe() {
        let t = (0..<300_000).map { Double($0 % 997) / 90 - 5 }
        let serial = t.map { Distributions.pValue($0, kind: .t, degreesOfFreedom: (1, 37), twoSided: true) }
        var parallel = [Double](repeating: -1, count: t.count)
        parallel.withUnsafeMutableBufferPointer { out in
            let box = UnsafeSendableBox(out)
            DispatchQueue.concurrentPerform(iterations: 4) { w in
                for i in stride(from: w, to: t.count, by: 4) {
                    box.value[i] = Distributions.pValue(t[i], kind: .t, degreesOfFreedom: (1, 37), twoSided: true)
                }
            }
        }
        let differing = zip(parallel, serial).filter { $0.0 != $0.1 }.count
        #expect(differing == 0, "\(differing) of \(t.count) p-values differ when computed concurrently")
        #expect(abs(Distributions.tUpperTail(1.3125, degreesOfFreedom: 96) - 0.09624) < 1e-4)
    }
}
