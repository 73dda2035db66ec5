import Foundation
import Kernels
import NIfTI
import Stats
import Testing
import TestSupport

@Suite("Permutation inference")
struct PermutationTests {
    /// A two-group design with covariates fitted to `measures` responses (group effect on a third of them).
    static func groupFit(n: Int, measures: Int, seed: UInt64, spec: String = "pain-control", formula: String = "~ group + age + sex",
                         groups: [String] = ["control", "pain"]) throws -> (design: DesignMatrix, values: [Double], fit: ObservedFit) {
        let table = StatsFixtures.participants(n: n, seed: seed, groups: groups, missingAge: false)
        let design = try DesignMatrix(table: table, formula: try ModelFormula(formula))
        let values = StatsFixtures.select(StatsFixtures.responses(table, measures: measures, seed: seed + 1, effect: 0.6),
                                          table: table, participants: design.participants)
        let plan = try ContrastPlan(model: try LinearModel(design: design), contrast: try Contrast(spec, design: design))
        return (design, values, ObservedFit(Responses(participants: n, measures: measures, values: values), plan: plan, parallelism: .available))
    }

    /// Largest gap between two empirical distribution functions (two-sample Kolmogorov–Smirnov D).
    static func ksDistance(_ a: [Double], _ b: [Double]) -> Double {
        let sa = a.sorted(), sb = b.sorted()
        var i = 0, j = 0, d = 0.0
        while i < sa.count && j < sb.count {
            let x = min(sa[i], sb[j])
            while i < sa.count && sa[i] <= x { i += 1 }
            while j < sb.count && sb[j] <= x { j += 1 }
            d = max(d, abs(Double(i) / Double(sa.count) - Double(j) / Double(sb.count)))
        }
        return d
    }

    /// Runs Cohortex and nilearn `permuted_ols` on the same data and count; checks the statistics
    /// agree to 1e-5, the max-t null distributions agree (KS, α = 0.001), and each FWE p-value lies
    /// within 5 binomial standard deviations (of the difference of two N-permutation estimates).
    func compareWithNilearn(fit: ObservedFit, design: DesignMatrix, values: [Double], tested: [Double], confounds: [[Double]]?,
                            twoSided: Bool, count: Int) throws {
        let settings = PermutationSettings(count: count, seed: 42, twoSided: twoSided)
        let engine = PermutationEngine(fit: fit, settings: settings, parallelism: .available)
        let observed = engine.observed()
        let partial = engine.run(blocks: 0..<engine.blockCount, permutations: 1..<(count + 1), observed: observed)
        let ours = PermutationResult.familyWise(observed: engine.compared(observed), maxima: partial.maxima)
        let reference = try StatsFixtures.python("permuted", [
            "responses": try StatsFixtures.writeDoubles(values), "measures": fit.statistic.count,
            "tested": tested, "confounds": confounds as Any, "n_perm": count, "two_sided": twoSided, "seed": 0,
        ])
        let t = StatsFixtures.doubles(reference["t"]), pFWE = StatsFixtures.doubles(reference["p_fwe"])
        let h0 = StatsFixtures.doubles(reference["h0_max_t"])
        for j in fit.statistic.indices {
            #expect(StatsFixtures.relativeError(fit.statistic[j], t[j], floor: 1e-3) < 1e-5, "t of measure \(j)")
            #expect(abs(Double(observed[j]) - fit.statistic[j]) <= 1e-4 * max(1, abs(fit.statistic[j])), "Float32 path of measure \(j)")
        }
        let d = Self.ksDistance(partial.maxima.map(Double.init), h0)
        #expect(d < 1.95 * (2.0 / Double(count)).squareRoot(), "KS distance of the max-t null distributions: \(d)")
        var worst = 0.0
        for j in fit.statistic.indices {
            let p = (ours[j] + pFWE[j]) / 2
            let sd = (2 * p * (1 - p) / Double(count)).squareRoot()
            worst = max(worst, abs(ours[j] - pFWE[j]) / (5 * sd + 2 / Double(count)))
        }
        #expect(worst <= 1, "FWE p-values differ from nilearn by more than 5 binomial SDs (worst ratio \(worst))")
        #expect(ours.contains { $0 < 0.05 }, "the planted group effect is detected")
        // Uncorrected permutation p-values estimate the parametric ones (normal errors).
        let uncorrected = PermutationResult.uncorrected(partial.exceedances, count: count)
        let parametric = fit.pValues(twoSided: twoSided)
        for j in fit.statistic.indices {
            let p = parametric[j], sd = (p * (1 - p) / Double(count)).squareRoot()
            #expect(abs(uncorrected[j] - p) <= 5 * sd + 2 / Double(count), "measure \(j): permutation p \(uncorrected[j]) vs parametric \(p)")
        }
    }

    @Test("Freedman–Lane with covariates agrees with nilearn permuted_ols (two-sided and one-sided)", arguments: [true, false])
    func freedmanLaneMatchesNilearn(twoSided: Bool) throws {
        let (design, values, fit) = try Self.groupFit(n: 36, measures: 150, seed: 100)
        #expect(fit.plan.methodDescription == "Freedman-Lane")
        let column = { (name: String) in (0..<design.rowCount).map { design[$0, design.columnNames.firstIndex(of: name)!] } }
        try compareWithNilearn(fit: fit, design: design, values: values, tested: column("group[pain]"),
                               confounds: (0..<design.rowCount).map { [column("age")[$0], column("sex[M]")[$0]] },
                               twoSided: twoSided, count: 2000)
    }

    @Test("sign-flipping for a one-sample test agrees with nilearn permuted_ols")
    func signFlipMatchesNilearn() throws {
        let table = StatsFixtures.participants(n: 30, seed: 200, groups: ["pain"], missingAge: false)
        let design = try DesignMatrix(table: table, formula: try ModelFormula("~ 1"))
        // Everyone is in "pain": the first third has mean 10.8, the rest 10; centred on 10 most measures are null.
        let values = StatsFixtures.select(StatsFixtures.responses(table, measures: 90, seed: 201).map { $0.map { $0 - 10 } },
                                          table: table, participants: design.participants)
        let plan = try ContrastPlan(model: try LinearModel(design: design), contrast: try Contrast("mean", design: design))
        #expect(plan.scheme == .signFlip)
        let fit = ObservedFit(Responses(participants: 30, measures: 90, values: values), plan: plan, parallelism: .available)
        try compareWithNilearn(fit: fit, design: design, values: values, tested: [Double](repeating: 1, count: 30),
                               confounds: nil, twoSided: true, count: 2000)
    }

    @Test("measure chunks combine into exactly the single run's maxima, counts and FWE p-values")
    func measureChunksCombineExactly() throws {
        let (_, _, fit) = try Self.groupFit(n: 28, measures: 2600, seed: 300)
        let engine = PermutationEngine(fit: fit, settings: PermutationSettings(count: 150, seed: 9, twoSided: true), parallelism: .available)
        #expect(engine.blockCount == 3)
        let observed = engine.observed()
        let whole = engine.run(blocks: 0..<3, permutations: 1..<151, observed: observed)
        let single = try PermutationResult(combining: [whole], measures: engine.measures, permutations: 150)
        for chunks in [2, 3] {
            let parts = (0..<chunks).reversed().map { k in
                engine.run(blocks: engine.blocks(chunk: k, of: chunks), permutations: 1..<151, observed: observed)
            }
            let combined = try PermutationResult(combining: parts, measures: engine.measures, permutations: 150)
            #expect(combined.maxima.map(\.bitPattern) == single.maxima.map(\.bitPattern), "\(chunks) chunks")
            #expect(combined.exceedances == single.exceedances)
            let target = engine.compared(observed)
            #expect(PermutationResult.familyWise(observed: target, maxima: combined.maxima)
                    == PermutationResult.familyWise(observed: target, maxima: single.maxima))
        }
        let partsMissing = [engine.run(blocks: 0..<1, permutations: 1..<151, observed: observed)]
        #expect(throws: ChunkError.self) { try PermutationResult(combining: partsMissing, measures: engine.measures, permutations: 150) }
    }

    @Test("permutation chunks (whole batches) combine exactly; 1 and 2 threads give identical bits")
    func permutationChunksAndThreads() throws {
        let (_, _, fit) = try Self.groupFit(n: 25, measures: 1500, seed: 400, spec: "F(group)", formula: "~ group + age",
                                            groups: ["control", "pain", "recovered"])
        let count = 100
        let engine = PermutationEngine(fit: fit, settings: PermutationSettings(count: count, seed: 3), parallelism: .serial)
        let observed = engine.observed()
        let one = engine.run(blocks: 0..<engine.blockCount, permutations: 1..<(count + 1), observed: observed)
        let twoThreads = PermutationEngine(fit: fit, settings: PermutationSettings(count: count, seed: 3), parallelism: Parallelism(threads: 2))
        let two = twoThreads.run(blocks: 0..<engine.blockCount, permutations: 1..<(count + 1), observed: observed)
        #expect(one.maxima.map(\.bitPattern) == two.maxima.map(\.bitPattern))
        #expect(one.exceedances == two.exceedances)
        let parts = (0..<3).map { k in
            engine.run(blocks: 0..<engine.blockCount, permutations: PermutationEngine.permutations(chunk: k, of: 3, count: count), observed: observed)
        }
        #expect(parts.map(\.permutations) == [1..<33, 33..<65, 65..<101])
        let combined = try PermutationResult(combining: parts, measures: engine.measures, permutations: count)
        #expect(combined.maxima.map(\.bitPattern) == one.maxima.map(\.bitPattern))
        #expect(combined.exceedances == one.exceedances)
    }
}
