import Foundation
import NIfTI
import Testing
import TestSupport

/// README promises that had no test: `--threads` for smooth and conmat, and the mean-normalised and
/// z-scored ALFF/fALFF/ReHo maps.
@Suite("Thread counts and whole-mask normalisations")
struct ThreadsAndNormalisationTests {
    static let sample = Reference.packageRoot.path + "/sample-data"

    @Test("smooth (4D, streamed) and conmat give identical bytes for 1, 2 and 3 threads")
    func threads() throws {
        let folder = try Reference.temporaryFolder()
        let mask = try NIfTIImage(path: Self.sample + "/sub-demo_mask.nii.gz").readVolume3D()
        var atlas = mask
        for i in atlas.voxels.indices where atlas.voxels[i] != 0 { atlas.voxels[i] = Float(1 + mask.grid.coordinates(of: i).2 * 3 / mask.grid.nz) }
        try NIfTIWriter.write(atlas, to: folder + "/atlas.nii.gz", datatype: .uint8)
        var smoothed: [Data] = [], matrices: [Data] = []
        for threads in ["1", "2", "3"] {
            let s = try Reference.cohortex(["smooth", Self.sample + "/sub-demo_bold.nii.gz", folder + "/s\(threads).nii.gz", "--fwhm", "8",
                                            "--threads", threads])
            #expect(s.status == 0, "\(s.stderr)")
            smoothed.append(try Data(contentsOf: URL(fileURLWithPath: folder + "/s\(threads).nii.gz")))
            let c = try Reference.cohortex(["conmat", "--bold", Self.sample + "/sub-demo_bold.nii.gz", "--atlas", folder + "/atlas.nii.gz",
                                            "--high-pass", "0.01", "--out", folder + "/m\(threads).tsv", "--threads", threads])
            #expect(c.status == 0, "\(c.stderr)")
            matrices.append(try Data(contentsOf: URL(fileURLWithPath: folder + "/m\(threads).tsv")))
        }
        #expect(smoothed.allSatisfy { $0 == smoothed[0] } && matrices.allSatisfy { $0 == matrices[0] })
    }

    @Test("mALFF, zALFF, mfALFF, zfALFF and zReHo are the maps' mean-normalised and z-scored copies over the mask (numpy)")
    func normalisedMaps() throws {
        let folder = try Reference.temporaryFolder()
        let bold = Self.sample + "/sub-demo_bold.nii.gz", maskPath = Self.sample + "/sub-demo_mask.nii.gz"
        let alff = try Reference.cohortex(["alff", "--bold", bold, "--mask", maskPath, "--out-alff", folder + "/alff.nii.gz",
                                           "--out-falff", folder + "/falff.nii.gz", "--out-malff", folder + "/malff.nii.gz",
                                           "--out-zalff", folder + "/zalff.nii.gz", "--out-mfalff", folder + "/mfalff.nii.gz",
                                           "--out-zfalff", folder + "/zfalff.nii.gz"])
        #expect(alff.status == 0, "\(alff.stderr)")
        let reho = try Reference.cohortex(["reho", "--bold", bold, "--mask", maskPath, "--out", folder + "/reho.nii.gz",
                                           "--out-zreho", folder + "/zreho.nii.gz"])
        #expect(reho.status == 0, "\(reho.stderr)")
        let mask = try NIfTIImage(path: maskPath).readMask()
        for (base, derived) in [("alff", ["malff", "zalff"]), ("falff", ["mfalff", "zfalff"]), ("reho", ["zreho"])] {
            for name in derived {
                let json = try Reference.runPython("spatial_reference.py", ["normalise", folder + "/\(base).nii.gz", maskPath,
                                                                            name.hasPrefix("z") ? "z" : "mean"])
                let expected = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [Double]
                let ours = try NIfTIImage(path: folder + "/\(name).nii.gz").readVolume3D().voxels
                let worst = zip(mask.indices, expected).map { abs(Double(ours[$0]) - $1) / max(1e-3, abs($1)) }.max() ?? 1
                #expect(expected.count == mask.count && worst < 1e-5, "\(name): worst relative error \(worst)")
            }
        }
    }
}
