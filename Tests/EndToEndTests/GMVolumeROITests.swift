import Foundation
import Testing
import TestSupport

/// `gm-volume --roi NAME:MASK` (README: "regional gray-matter volume per … ROI mask"; "an atlas (or ROI
/// mask) on another grid is carried onto the map's grid by nearest neighbour") against numpy/nilearn.
@Suite("cohortex gm-volume --roi")
struct GMVolumeROITests {
    @Test("ROI masks on the GM grid, an oblique grid and an x-flipped grid: voxels, Σ p × voxel volume and mean p as numpy after nilearn's nearest resampling")
    func roiVolumesMatchNumpy() throws {
        let f = try GMVolumeCommandTests.folder.get()
        try Reference.runPython("gm_reference.py", ["make-rois", f])
        let masks = ["same", "oblique", "las"].map { f + "/roi_\($0).nii.gz" }
        let out = try Reference.temporaryFolder() + "/rois.tsv"
        let run = try Reference.cohortex(["gm-volume", "--gm", f + "/gm.nii.gz", "--roi", "SAME:" + masks[0], "--roi", "OBLIQUE:" + masks[1],
                                          "--roi", "LAS:" + masks[2], "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(try Reference.runPython("gm_reference.py", ["roi", f + "/gm.nii.gz"] + masks).utf8)) as? [[Any]])
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines.first == ["index", "name", "voxels", "volume_mm3", "mean_prob", "label_volume_mm3"])
        let rows = Array(lines.dropFirst())
        try #require(rows.count == 3)
        for (n, (row, name)) in zip(rows, ["SAME", "OBLIQUE", "LAS"]).enumerated() {
            #expect(row[0] == "\(n + 1)" && row[1] == name)
            let voxels = try #require(reference[n][0] as? Int)
            let volume = try #require(reference[n][1] as? Double)
            let mean = try #require(reference[n][2] as? Double)
            #expect(voxels > 500, "the ROI must be substantial")
            #expect(Int(row[2]) == voxels, "\(name): \(row[2]) voxels, numpy \(voxels)")
            #expect(abs((Double(row[3]) ?? .nan) - volume) <= 1e-9 * volume, "\(name): volume \(row[3]) vs numpy \(volume)")
            #expect(abs((Double(row[4]) ?? .nan) - mean) <= 1e-9, "\(name): mean \(row[4]) vs numpy \(mean)")
            #expect(abs((Double(row[5]) ?? .nan) - Double(voxels) * 8) <= 1e-9 * Double(voxels) * 8, "\(name): label volume = voxels × 2³ mm³")
        }
    }
}
