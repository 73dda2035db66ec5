import Foundation
import Kernels
import Testing
import TestSupport

/// The cleaning operator against nilearn 0.14's `signal.clean` on the same signals and confounds.
@Suite("Cleaning operator matches nilearn signal.clean")
struct CleaningOperatorTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var detrend = true
        var highPass: Double? = nil
        var lowPass: Double? = nil
        var confounds = 0
        var censored: [Int] = []
        /// nilearn 0.14.1 fills the mirrored frames (−k−1) instead of the censored ones when the
        /// censoring is not mirror-symmetric; compare such cases with its documented behaviour
        /// (PATCH_NILEARN_INTERPOLATION, see fc_reference.py).
        var patch = false
        var description: String { name }
    }

    static let frames = 120
    static let cases: [Case] = [
        Case(name: "detrend only"),
        Case(name: "no detrend, no filter", detrend: false),
        Case(name: "high-pass", highPass: 0.01),
        Case(name: "low-pass", lowPass: 0.1),
        Case(name: "band-pass", highPass: 0.01, lowPass: 0.1),
        Case(name: "confounds", confounds: 6),
        Case(name: "band-pass + confounds", highPass: 0.01, lowPass: 0.08, confounds: 24),
        Case(name: "censoring without filter", confounds: 6, censored: [0, 1, 40, 41, 42, 90, 119]),
        Case(name: "censoring with band-pass (spline interpolation)", highPass: 0.01, lowPass: 0.1, confounds: 6,
             censored: [0, 1, 2, 40, 41, 42, 90, 117, 118, 119], patch: true),
        Case(name: "asymmetric censoring with high-pass and confounds", highPass: 0.008, confounds: 12,
             censored: [0, 7, 8, 33, 34, 35, 36, 80, 101, 115], patch: true),
        Case(name: "collinear confounds", confounds: 3),
        Case(name: "interior censoring with band-pass", highPass: 0.01, lowPass: 0.1, censored: [40, 41, 42, 90]),
        Case(name: "head censoring with detrend only", censored: [0, 1, 2]),
        Case(name: "head censoring with high-pass", highPass: 0.01, censored: [0, 1, 2]),
    ]

    @Test("C · x, z-scored, equals nilearn's cleaned signal", arguments: cases)
    func matchesNilearn(c: Case) throws {
        var rng = SeededRandom(seed: 99)
        let t = Self.frames, v = 7
        var signals = [Double](repeating: 0, count: t * v) // t × v, C order
        for j in 0..<v {
            let level = 1000.0 * Double(j + 1)
            for i in 0..<t { signals[i * v + j] = level + 20 * sin(Double(i * (j + 1)) / 9) + 5 * rng.normal() + 0.5 * Double(i) }
        }
        var confoundColumns: [[Double]] = (0..<c.confounds).map { _ in (0..<t).map { _ in rng.normal() } }
        if c.name == "collinear confounds" { confoundColumns.append(confoundColumns[0].enumerated().map { 2 * $1 + confoundColumns[1][$0] }) }
        let kept = c.censored.isEmpty ? nil : (0..<t).filter { !c.censored.contains($0) }
        let folder = try Reference.temporaryFolder()
        try signals.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: folder + "/x.f64")) }
        var params: [String: Any] = ["detrend": c.detrend, "t_r": 2.0]
        if let h = c.highPass { params["high_pass"] = h }
        if let l = c.lowPass { params["low_pass"] = l }
        if let kept { params["sample_mask"] = kept }
        if !confoundColumns.isEmpty {
            let rowMajor = (0..<t).flatMap { i in confoundColumns.map { $0[i] } }
            try rowMajor.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: folder + "/c.f64")) }
            params["confounds_f64"] = folder + "/c.f64"
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: params), as: UTF8.self)
        try Reference.runPython("fc_reference.py", ["clean", folder + "/x.f64", String(t), String(v), json, folder + "/y.f64"],
                                environment: c.patch ? ["PATCH_NILEARN_INTERPOLATION": "1"] : [:])
        let expected = try Data(contentsOf: URL(fileURLWithPath: folder + "/y.f64")).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }

        let op = try CleaningOperator(frames: t, kept: kept, confounds: confoundColumns,
                                      parameters: CleaningParameters(repetitionTime: 2, detrend: c.detrend, highPass: c.highPass, lowPass: c.lowPass))
        let rows = op.rows
        #expect(expected.count == rows * v, "nilearn returned \(expected.count / v) volumes, the operator \(rows)")
        var worst = 0.0
        for j in 0..<v {
            let ours = CleaningOperator.zscored(op.apply((0..<t).map { signals[$0 * v + j] }))
            for i in 0..<rows { worst = max(worst, abs(ours[i] - expected[i * v + j])) }
        }
        #expect(worst < 1e-6, "\(c.name): max |Δ| = \(worst) in z units")
    }

    @Test("effective degrees of freedom tr(CCᵀ)²/tr((CCᵀ)²) equal numpy's on nilearn's operator",
          arguments: [cases[5], cases[4], cases[7], cases[2]])
    func effectiveDegreesOfFreedom(c: Case) throws {
        var rng = SeededRandom(seed: 5)
        let t = 60
        let confoundColumns: [[Double]] = (0..<c.confounds).map { _ in (0..<t).map { _ in rng.normal() } }
        let censored = c.censored.filter { $0 < t }
        let kept = censored.isEmpty ? nil : (0..<t).filter { !censored.contains($0) }
        var params: [String: Any] = ["detrend": c.detrend, "t_r": 2.0]
        if let h = c.highPass { params["high_pass"] = h }
        if let l = c.lowPass { params["low_pass"] = l }
        if let kept { params["sample_mask"] = kept }
        if !confoundColumns.isEmpty {
            let folder = try Reference.temporaryFolder()
            let rowMajor = (0..<t).flatMap { i in confoundColumns.map { $0[i] } }
            try rowMajor.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: folder + "/c.f64")) }
            params["confounds_f64"] = folder + "/c.f64"
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: params), as: UTF8.self)
        let expected = try #require(Double(try Reference.runPython("fc_reference.py", ["dof", String(t), json])
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let op = try CleaningOperator(frames: t, kept: kept, confounds: confoundColumns,
                                      parameters: CleaningParameters(repetitionTime: 2, detrend: c.detrend, highPass: c.highPass, lowPass: c.lowPass))
        let nu = op.effectiveDegreesOfFreedom
        #expect(abs(nu - expected) <= 1e-6 * expected, "\(c.name): ν = \(nu), numpy \(expected)")
        if !c.filters {
            // A pure projection: kept volumes − (mean, trend, confounds).
            #expect(abs(nu - Double(op.rows - 2 - c.confounds)) < 1e-6, "\(c.name): ν = \(nu)")
        }
    }
}

extension CleaningOperatorTests.Case {
    var filters: Bool { highPass != nil || lowPass != nil }
}
