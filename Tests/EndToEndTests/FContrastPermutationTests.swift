import Foundation
import NIfTI
import Testing
import TestSupport

/// `glm --contrast "F(group, age)" --permutations N`: max-F FWE p-values of the built binary against an
/// independent numpy Freedman–Lane permutation test (nilearn's permuted_ols has no F-test).
@Suite("cohortex glm F-contrast permutations")
struct FContrastPermutationTests {
    @Test("F(group, age) max-F FWE p-values agree with a numpy Freedman–Lane reference within Monte Carlo error")
    func fMaxStatisticMatchesNumpy() throws {
        let folder = try GroupFixtures.cohort(seed: 1)
        let count = 1000
        let run = try GroupFixtures.glm(folder, ["--model", "~ group + age + sex", "--contrast", "F(group, age)",
                                                 "--permutations", "\(count)", "--seed", "5"])
        #expect(run.status == 0, "\(run.stderr)")
        let out = folder + "/out"
        let design = try TSVTable(contentsOf: out + "/design.tsv")
        #expect(design.columns == ["participant_id", "intercept", "group[pain]", "age", "sex[M]"], "\(design.columns)")
        let rows = try design.rows.map { row in try row.dropFirst().map { field -> Double in
            guard let v = Double(field) else { throw ReferenceError.failed("design.tsv", field) }
            return v
        } }
        let participants = try design.column("participant_id")
        let reference = try StatsFixtures.python("permuted-f", [
            "maps": participants.map { "\(folder)/maps/\($0)_stat-z.nii.gz" }, "mask": out + "/mask.nii.gz",
            "design": rows, "f_rows": [[0, 1, 0, 0], [0, 0, 1, 0]], "n_perm": count, "seed": 1,
        ])
        let expectedF = StatsFixtures.doubles(reference["F"]), expectedP = StatsFixtures.doubles(reference["p_fwe"])
        let mask = try GroupFixtures.read(out + "/mask.nii.gz")
        let inMask = mask.indices.filter { mask[$0] != 0 }
        try #require(inMask.count == expectedF.count)
        let f = try GroupFixtures.read(out + "/contrast-FgroupAge_stat-F.nii.gz")
        let pfwe = try GroupFixtures.read(out + "/contrast-FgroupAge_stat-pfwe.nii.gz")
        var worstF = 0.0, worst = 0.0
        for (k, index) in inMask.enumerated() {
            worstF = max(worstF, StatsFixtures.relativeError(Double(f[index]), expectedF[k], floor: 1e-3))
            let ours = Double(pfwe[index]), theirs = expectedP[k]
            let p = (ours + theirs) / 2
            let sd = (2 * p * (1 - p) / Double(count)).squareRoot()
            worst = max(worst, abs(ours - theirs) / (5 * sd + 2 / Double(count)))
        }
        #expect(worstF < 1e-4, "worst relative F error \(worstF)")
        #expect(worst <= 1, "max-F FWE p-values differ from numpy's by more than 5 binomial SDs (worst ratio \(worst))")
        // A non-trivial comparison: both significant and clearly null voxels, with intermediate p-values.
        #expect(expectedP.contains { $0 < 0.05 } && expectedP.contains { $0 > 0.5 })
        #expect(expectedP.contains { $0 > 0.1 && $0 < 0.9 })
    }
}
