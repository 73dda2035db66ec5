import Foundation
import Testing
import TestSupport

/// `header --json` `affine` and `pixdim` when the sform is not to be used (README: "sform when
/// sform_code > 0, else qform when qform_code > 0, else nibabel's pixdim fallback"), against nibabel's
/// `get_best_affine()` and `get_zooms()` on files nibabel wrote with a decoy sform.
@Suite("cohortex header --json affine fallbacks")
struct HeaderAffineFallbackTests {
    @Test("qform-only (qfac ±1) and code-less files: affine = nibabel's get_best_affine(), pixdim = get_zooms(), codes reported")
    func fallbackAffinesMatchNibabel() throws {
        let folder = try Reference.temporaryFolder()
        let reference = try Reference.json(try Reference.runPython("nifti_reference.py", ["make-affine-fallbacks", folder]))
        #expect(reference.count == 4)
        for (name, value) in reference {
            let expected = try #require(value as? [String: Any])
            let run = try Reference.cohortex(["header", folder + "/" + name, "--json"])
            #expect(run.status == 0, "\(name): \(run.stderr)")
            let header = try Reference.json(run.stdout)
            let ours = try #require(header["affine"] as? [[Double]], "\(name)")
            let theirs = try #require(expected["affine"] as? [[Double]])
            let difference = zip(ours.joined(), theirs.joined()).map { abs($0 - $1) }.max() ?? .infinity
            #expect(ours.count == 4 && difference < 1e-5, "\(name): affine \(ours) vs nibabel \(theirs)")
            let pixdim = try #require(header["pixdim"] as? [Double], "\(name)")
            let zooms = try #require(expected["zooms"] as? [Double])
            #expect(pixdim.count == zooms.count && zip(pixdim, zooms).allSatisfy { abs($0 - $1) < 1e-6 }, "\(name): pixdim \(pixdim) vs \(zooms)")
            let codes = try #require(expected["codes"] as? [Int])
            #expect(header["qform_code"] as? Int == codes[0] && header["sform_code"] as? Int == codes[1], "\(name)")
        }
    }
}
