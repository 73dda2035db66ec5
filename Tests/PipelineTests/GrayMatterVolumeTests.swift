import Foundation
import NIfTI
import Pipeline
import Testing
import TestSupport

/// Regional GM volume against numpy's `np.bincount(weights=…)` and nilearn's nearest-neighbour resampling.
@Suite("Regional gray-matter volume")
struct GrayMatterVolumeTests {
    /// MNI-grid maps (1 mm uncompressed, 2 mm gzip) made once by `gm_reference.py make-maps`.
    static let made: [Int: Result<String, Error>] = [1: make(1), 2: make(2)]

    static func make(_ res: Int) -> Result<String, Error> {
        Result {
            let folder = try Reference.temporaryFolder("cohortex-gm\(res)")
            try Reference.runPython("gm_reference.py", ["make-maps", folder, String(res)])
            return folder
        }
    }

    static func folder(_ res: Int) throws -> String { try made[res]!.get() }
    static func gm(_ res: Int) throws -> String { try folder(res) + (res == 1 ? "/gm.nii" : "/gm.nii.gz") }

    /// label → (voxels, volume, mean) from the Python reference.
    static func reference(_ args: [String]) throws -> [Int: (Int, Double, Double?)] {
        let json = try Reference.json(try Reference.runPython("gm_reference.py", args))
        var out: [Int: (Int, Double, Double?)] = [:]
        for (key, value) in json {
            let v = value as! [Any]
            out[Int(key)!] = (v[0] as! Int, v[1] as! Double, v[2] as? Double)
        }
        return out
    }

    static func expectAgreement(_ result: GrayMatterVolume.Result, _ reference: [Int: (Int, Double, Double?)], _ label: String) {
        let rows = Dictionary(uniqueKeysWithValues: result.rows.map { ($0.index, $0) })
        var compared = 0
        for (index, expected) in reference where expected.0 > 0 {
            guard let row = rows[index] else { Issue.record("\(label): region \(index) missing"); continue }
            #expect(row.voxels == expected.0, "\(label): voxels of region \(index)")
            #expect(abs(row.volumeMM3 - expected.1) <= 1e-6 * expected.1, "\(label): volume of region \(index)")
            #expect(abs((row.meanProbability ?? .nan) - (expected.2 ?? .nan)) <= 1e-6 * (expected.2 ?? 1), "\(label): mean of region \(index)")
            compared += 1
        }
        #expect(compared >= 50, "\(label): too few regions compared (\(compared))")
        for row in result.rows where (reference[row.index]?.0 ?? 0) == 0 { #expect(row.voxels == 0) }
    }

    @Test("atlas on the map's grid: 1 mm and 2 mm MNI grids agree with np.bincount", arguments: [1, 2])
    func sameGrid(res: Int) throws {
        let folder = try Self.folder(res)
        let atlas = folder + (res == 1 ? "/atlas.nii" : "/atlas.nii.gz")
        let result = try GrayMatterVolume.measure(gm: try Self.gm(res), regions: .atlas(path: atlas, labels: folder + "/labels.tsv"), parallelism: .available)
        #expect(!result.resampledRegions)
        Self.expectAgreement(result, try Self.reference(["regional", try Self.gm(res), atlas]), "\(res) mm")
        #expect(result.voxelVolumeMM3 == Double(res * res * res))
    }

    @Test("atlas on another grid (other resolution, oblique, LAS) agrees with nilearn's nearest-neighbour resampling",
          arguments: ["2mm", "oblique", "las"])
    func resampledAtlas(grid: String) throws {
        let folder = try Self.folder(1)
        let atlas = folder + "/atlas_\(grid).nii.gz"
        let result = try GrayMatterVolume.measure(gm: try Self.gm(1), regions: .atlas(path: atlas, labels: nil), parallelism: .available)
        #expect(result.resampledRegions)
        #expect(result.notes.contains { $0.contains("nearest neighbour") })
        Self.expectAgreement(result, try Self.reference(["regional", try Self.gm(1), atlas]), grid)
    }

    @Test("a 1 mm atlas mapped onto a 2 mm map")
    func downsampledAtlas() throws {
        let atlas = try Self.folder(2) + "/atlas_1mm.nii.gz"
        let result = try GrayMatterVolume.measure(gm: try Self.gm(2), regions: .atlas(path: atlas, labels: nil), parallelism: .available)
        Self.expectAgreement(result, try Self.reference(["regional", try Self.gm(2), atlas]), "1mm→2mm")
    }

    @Test("spheres agree with a distance mask built in world coordinates")
    func spheres() throws {
        let specs = ["dlPFC_L:-40,36,28,10", "thalamus_L:-10,-18,6,8", "PAG:0,-30,-10,6", "edge:89,0,0,12"]
        let result = try GrayMatterVolume.measure(gm: try Self.gm(2), regions: .custom(spheres: try specs.map(Sphere.init(parsing:)), masks: []), parallelism: .available)
        let reference = try Self.reference(["spheres", try Self.gm(2)] + specs)
        for (n, row) in result.rows.enumerated() {
            let expected = reference[n + 1]!
            #expect(row.index == n + 1 && row.name == specs[n].components(separatedBy: ":")[0])
            #expect(row.voxels == expected.0, "voxels of \(row.name)")
            #expect(abs(row.volumeMM3 - expected.1) <= 1e-9 * max(1, expected.1), "volume of \(row.name)")
        }
        #expect(result.rows[0].voxels > 100)
    }

    @Test("total GM, WM, CSF and TIV agree with numpy")
    func totalsAndTIV() throws {
        let f = try Self.folder(2)
        let result = try GrayMatterVolume.measure(gm: f + "/gm.nii.gz", wm: f + "/wm.nii.gz", csf: f + "/csf.nii.gz",
                                              regions: .atlas(path: f + "/atlas.nii.gz", labels: nil), parallelism: .available)
        func total(_ name: String) throws -> Double {
            try JSONSerialization.jsonObject(with: Data(try Reference.runPython("gm_reference.py", ["total", f + "/\(name).nii.gz"]).utf8), options: .fragmentsAllowed) as! Double
        }
        let (gm, wm, csf) = (try total("gm"), try total("wm"), try total("csf"))
        #expect(abs(result.totalGrayMatterMM3 - gm) <= 1e-9 * gm)
        #expect(abs(result.totalWhiteMatterMM3! - wm) <= 1e-9 * wm)
        #expect(abs(result.tivMM3! - (gm + wm + csf)) <= 1e-9 * (gm + wm + csf))
    }

    @Test("label tables: BIDS TSV and FSL-style LUT give the same names; missing labels become label-<index>")
    func labelTables() throws {
        let f = try Self.folder(2)
        let tsv = try LabelTable(contentsOf: f + "/labels.tsv")
        let lut = try LabelTable(contentsOf: f + "/labels.txt")
        #expect(tsv.name(of: 8) == "region_008" && lut.name(of: 8) == "region_008")
        #expect(tsv.name(of: 98) == "label-98" && lut.name(of: 98) == "region_098")
        let result = try GrayMatterVolume.measure(gm: f + "/gm.nii.gz", regions: .atlas(path: f + "/atlas.nii.gz", labels: f + "/labels.tsv"), parallelism: .available)
        let missing = result.rows.filter { $0.index % 7 == 0 }
        #expect(!missing.isEmpty && missing.allSatisfy { $0.name == "label-\($0.index)" })
        #expect(result.warnings.contains { $0.contains("missing from the label table") })
    }
}
