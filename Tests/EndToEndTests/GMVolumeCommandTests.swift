import Foundation
import Testing
import TestSupport

@Suite("cohortex gm-volume")
struct GMVolumeCommandTests {
    static let folder: Result<String, Error> = Result {
        let folder = try Reference.temporaryFolder("cohortex-gmcli")
        try Reference.runPython("gm_reference.py", ["make-maps", folder, "2"])
        return folder
    }

    @Test("writes the TSV and JSON sidecar; table identical for 1 and 2 threads")
    func writesTableAndSidecar() throws {
        let f = try Self.folder.get()
        var tables: [String] = []
        for threads in ["1", "2"] {
            let out = f + "/out-\(threads)/sub-01_gmvol.tsv"
            let run = try Reference.cohortex(["gm-volume", "--gm", f + "/gm.nii.gz", "--wm", f + "/wm.nii.gz", "--csf", f + "/csf.nii.gz",
                                              "--atlas", f + "/atlas_oblique.nii.gz", "--labels", f + "/labels.txt", "--out", out, "--threads", threads])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("nearest neighbour"))
            tables.append(try String(contentsOfFile: out, encoding: .utf8))
            let sidecar = try Reference.jsonFile(String(out.dropLast(4)) + ".json")
            #expect((sidecar["TotalIntracranialVolumeMM3"] as? Double ?? 0) > 0)
            #expect(sidecar["RegionsResampledNearestNeighbour"] as? Bool == true)
        }
        #expect(tables[0] == tables[1])
        let lines = tables[0].split(separator: "\n")
        #expect(lines[0] == "index\tname\tvoxels\tvolume_mm3\tmean_prob\tlabel_volume_mm3")
        #expect(lines.count > 50)
    }

    @Test("usage errors: no regions, atlas with spheres, half a TIV")
    func usage() throws {
        let f = try Self.folder.get()
        let out = try Reference.temporaryFolder() + "/t.tsv"
        for (arguments, message) in [([] as [String], "give regions"), (["--atlas", f + "/atlas.nii.gz", "--sphere", "a:0,0,0,5"], "--atlas cannot be combined"),
                                     (["--atlas", f + "/atlas.nii.gz", "--wm", f + "/wm.nii.gz"], "TIV needs both --wm and --csf")] {
            let run = try Reference.cohortex(["gm-volume", "--gm", f + "/gm.nii.gz", "--out", out] + arguments)
            #expect(run.status == 64 && run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test("a bad sphere is a usage error (64) explaining the expected form")
    func badSphere() throws {
        let f = try Self.folder.get()
        let run = try Reference.cohortex(["gm-volume", "--gm", f + "/gm.nii.gz", "--sphere", "PAG:0,-30,-10"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("sphere \"PAG:0,-30,-10\": needs four numbers x,y,z,r"))
    }

    @Test("a cohort: every map written, one corrupt map reported and skipped, cohort table for glm")
    func cohortWithABadSubject() throws {
        let f = try Self.folder.get()
        let sub = try Reference.temporaryFolder()
        for id in ["01", "02"] { try FileManager.default.copyItem(atPath: f + "/gm.nii.gz", toPath: sub + "/sub-\(id)_label-GM_probseg.nii.gz") }
        let bad = sub + "/sub-03_label-GM_probseg.nii.gz"
        try Data("not a nifti".utf8).write(to: URL(fileURLWithPath: bad))
        let out = sub + "/derivatives"
        let maps = ["01", "02", "03"].map { sub + "/sub-\($0)_label-GM_probseg.nii.gz" }
        let run = try Reference.cohortex(["gm-volume", "--atlas", f + "/atlas.nii.gz", "--labels", f + "/labels.tsv", "--out-dir", out]
                                         + maps.flatMap { ["--gm", $0] })
        #expect(run.status == 1)
        #expect(run.stderr.contains("cohortex: error: \(bad):"))
        #expect(run.stderr.contains("2 of 3 maps done, 1 failed"))
        let table = try String(contentsOfFile: out + "/gmvol.tsv", encoding: .utf8).split(separator: "\n")
        #expect(table.count == 3)
        #expect(table[0].hasPrefix("participant_id\ttotal_gm_mm3\tregion_005"))
        #expect(table[1].hasPrefix("sub-01\t") && table[2].hasPrefix("sub-02\t"))
        #expect(FileManager.default.fileExists(atPath: out + "/sub-02_label-GM_probseg_gmvol.json"))
        let single = try String(contentsOfFile: out + "/sub-01_label-GM_probseg_gmvol.tsv", encoding: .utf8)
        let direct = try Reference.cohortex(["gm-volume", "--gm", maps[0], "--atlas", f + "/atlas.nii.gz", "--labels", f + "/labels.tsv"])
        #expect(single == direct.stdout)
    }
}
