import Foundation
import Testing
import TestSupport

/// The structural chain a GM study runs: gm-volume over a cohort, then glm on its regional table.
@Suite("gm-volume cohort table into glm --table")
struct RegionalGroupTests {
    @Test("pain-control t from glm on gmvol.tsv equals scipy's two-sample t on the same table")
    func chain() throws {
        let folder = try GMVolumeCommandTests.folder.get()
        let cohort = try Reference.temporaryFolder()
        var participants = "participant_id\tgroup\tage\n"
        var gmArgs: [String] = []
        for i in 1...8 {
            let id = String(format: "sub-%02d", i)
            let pain = i % 2 == 0
            let map = cohort + "/\(id)_label-GM_probseg.nii.gz"
            // Pain participants lose gray matter (a 3–6 % scale), controls vary a little.
            try Reference.runPython("gm_reference.py", ["scaled", folder + "/gm.nii.gz", map, String(pain ? 0.94 + 0.005 * Double(i) : 0.99 + 0.003 * Double(i))])
            participants += "\(id)\t\(pain ? "pain" : "control")\t\(30 + i)\n"
            gmArgs += ["--gm", map]
        }
        try participants.write(toFile: cohort + "/participants.tsv", atomically: true, encoding: .utf8)
        let volumes = try Reference.cohortex(["gm-volume", "--atlas", folder + "/atlas.nii.gz", "--labels", folder + "/labels.tsv",
                                              "--out-dir", cohort + "/gm"] + gmArgs)
        #expect(volumes.status == 0, "\(volumes.stderr)")
        let glm = try Reference.cohortex(["glm", "--participants", cohort + "/participants.tsv", "--model", "~ group",
                                          "--contrast", "pain-control", "--table", cohort + "/gm/gmvol.tsv", "--permutations", "200",
                                          "--out", cohort + "/glm"])
        #expect(glm.status == 0, "\(glm.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: cohort + "/glm")
        let statsFile = try #require(files.first { $0.hasSuffix("_stats.tsv") })
        let lines = try String(contentsOfFile: cohort + "/glm/" + statsFile, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let header = lines[0]
        let tColumn = try #require(header.firstIndex(of: "t")), regionColumn = try #require(header.firstIndex(of: "region"))
        let row = try #require(lines.first { $0[regionColumn] == "total_gm_mm3" })
        let scipy = try JSONSerialization.jsonObject(with: Data(try Reference.runPython("gm_reference.py",
            ["ttest", cohort + "/gm/gmvol.tsv", cohort + "/participants.tsv", "total_gm_mm3"]).utf8), options: .fragmentsAllowed) as! Double
        #expect(abs(Double(row[tColumn])! - scipy) <= 1e-5 * abs(scipy), "glm t \(row[tColumn]) vs scipy \(scipy)")
        #expect(scipy < -3, "the simulated gray-matter loss is visible")
    }
}
