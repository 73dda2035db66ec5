import Foundation
import Stats
import Testing
import TestSupport

@Suite("Benjamini–Hochberg FDR and the counter-based resampling")
struct FDRAndResamplingTests {
    @Test("BH q-values equal statsmodels multipletests(method=\"fdr_bh\") bit for bit, ties and extremes included")
    func fdrMatchesStatsmodels() throws {
        var rng = SeededRandom(seed: 3)
        var p = (0..<997).map { _ in pow(Double.random(in: 0..<1, using: &rng), 3) }
        p[10] = p[11]; p[12] = p[11]          // ties
        p[20] = 0; p[21] = 1; p[22] = 1e-300  // extremes
        p[30] = 0.05; p[31] = 0.05
        let q = FDR.benjaminiHochberg(p)
        let reference = try StatsFixtures.python("fdr", ["p": p.map { "\($0)" }])
        let expected = (reference["q"] as! [String]).map { Double($0)! }
        #expect(q.count == expected.count)
        let differing = zip(q, expected).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(differing == 0, "\(differing) q-values differ from statsmodels")
        #expect(FDR.benjaminiHochberg([]) == [])
    }

    @Test("Philox4x32-10 reproduces the Random123 known-answer vectors")
    func philoxKnownAnswers() {
        let zero = Philox4x32(key: (0, 0)).block((0, 0, 0, 0))
        #expect([zero.0, zero.1, zero.2, zero.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let ones = Philox4x32(key: (0xffff_ffff, 0xffff_ffff)).block((0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff))
        #expect([ones.0, ones.1, ones.2, ones.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let pi = Philox4x32(key: (0xa409_3822, 0x299f_31d0)).block((0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344))
        #expect([pi.0, pi.1, pi.2, pi.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    @Test("permutation k depends only on (seed, k); permutations are uniform; signs are balanced")
    func resamplingProperties() {
        #expect(Resampling.permutation(count: 9, seed: 5, index: 0) == Array(0..<9))
        #expect(Resampling.permutation(count: 9, seed: 5, index: 77) == Resampling.permutation(count: 9, seed: 5, index: 77))
        #expect(Resampling.permutation(count: 9, seed: 5, index: 77) != Resampling.permutation(count: 9, seed: 6, index: 77))
        // Position of element 0 over 30 000 permutations of 6: each of 6 slots ≈ 5000 (χ² with 5 df).
        var slots = [Int](repeating: 0, count: 6)
        for k in 1...30_000 { slots[Resampling.permutation(count: 6, seed: 1, index: k).firstIndex(of: 0)!] += 1 }
        let chi2 = slots.reduce(0.0) { $0 + pow(Double($1) - 5000, 2) / 5000 }
        #expect(chi2 < 20.5, "χ² = \(chi2) for slots \(slots)")  // 0.999 quantile of χ²₅
        var plus = 0
        for k in 1...2000 { plus += Resampling.signs(count: 50, seed: 2, index: k).filter { $0 > 0 }.count }
        #expect(abs(Double(plus) / 100_000 - 0.5) < 0.006)
    }
}
