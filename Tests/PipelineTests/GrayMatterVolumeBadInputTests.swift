import Foundation
import NIfTI
import Pipeline
import Testing
import TestSupport

@Suite("Regional gray-matter volume: bad input")
struct GrayMatterVolumeBadInputTests {
    static let grid = Grid(nx: 10, ny: 12, nz: 8, affine: .scaling(2, 2, 2, origin: (-10, -12, -8)))

    static func write(_ values: [Float], grid: Grid = grid, name: String, type: NIfTIDataType = .float32) throws -> String {
        let path = try Reference.temporaryFolder() + "/" + name
        try NIfTIWriter.write(Volume(grid: grid, voxels: values), to: path, datatype: type)
        return path
    }

    static func gmValues() -> [Float] { (0..<grid.voxelCount).map { Float($0 % 10) / 10 } }

    @Test func nonIntegerAtlasNamesTheVoxel() throws {
        var atlas = [Float](repeating: 1, count: Self.grid.voxelCount)
        atlas[Self.grid.index(3, 4, 5)] = 2.5
        let atlasPath = try Self.write(atlas, name: "atlas.nii.gz")
        #expect(throws: RegionError.nonIntegerLabel(path: atlasPath, voxel: [3, 4, 5], value: 2.5)) {
            try GrayMatterVolume.measure(gm: try Self.write(Self.gmValues(), name: "gm.nii.gz"), regions: .atlas(path: atlasPath, labels: nil), parallelism: .available)
        }
    }

    @Test func nanAndOutOfRangeProbabilitiesAreCountedAndNaNExcluded() throws {
        var gm = Self.gmValues()
        gm[0] = .nan; gm[1] = .nan; gm[2] = -0.25; gm[3] = 1.5
        let atlas = [Float](repeating: 1, count: Self.grid.voxelCount)
        let result = try GrayMatterVolume.measure(gm: try Self.write(gm, name: "gm.nii"), regions: .atlas(path: try Self.write(atlas, name: "a.nii", type: .int16), labels: nil), parallelism: .available)
        #expect(result.nanVoxels == 2 && result.belowZero == 1 && result.aboveOne == 1)
        #expect(result.rows[0].voxels == Self.grid.voxelCount - 2)
        let expected = gm.filter { !$0.isNaN }.reduce(0.0) { $0 + Double($1) } * 8
        #expect(abs(result.rows[0].volumeMM3 - expected) < 1e-9)
        #expect(result.warnings.contains { $0.contains("2 NaN") })
        #expect(result.rows[0].volumeMM3.isFinite)
    }

    @Test func nonOverlappingFieldOfViewIsAnError() throws {
        let far = Grid(nx: 10, ny: 12, nz: 8, affine: .scaling(2, 2, 2, origin: (500, 500, 500)))
        let atlasPath = try Self.write([Float](repeating: 3, count: far.voxelCount), grid: far, name: "far.nii.gz")
        let gmPath = try Self.write(Self.gmValues(), name: "gm.nii.gz")
        #expect(throws: RegionError.noOverlap(path: atlasPath, reference: gmPath)) {
            try GrayMatterVolume.measure(gm: gmPath, regions: .atlas(path: atlasPath, labels: nil), parallelism: .available)
        }
    }

    @Test func regionOutsideTheFieldOfViewIsReportedWithZeroVoxels() throws {
        let wide = Grid(nx: 20, ny: 12, nz: 8, affine: .scaling(2, 2, 2, origin: (-10, -12, -8)))
        var atlas = [Float](repeating: 1, count: wide.voxelCount)
        for k in 0..<8 { for j in 0..<12 { for i in 15..<20 { atlas[wide.index(i, j, k)] = 2 } } } // beyond x = 10
        let result = try GrayMatterVolume.measure(gm: try Self.write(Self.gmValues(), name: "gm.nii"),
                                              regions: .atlas(path: try Self.write(atlas, grid: wide, name: "wide.nii.gz"), labels: nil), parallelism: .available)
        #expect(result.rows.map(\.index) == [1, 2])
        #expect(result.rows[1].voxels == 0 && result.rows[1].volumeMM3 == 0 && result.rows[1].meanProbability == nil)
        #expect(result.warnings.contains { $0.contains("region 2") && $0.contains("outside") })
    }

    @Test func unparsableLabelTableNamesTheLine() throws {
        let path = try Reference.temporaryFolder() + "/lut.txt"
        try "1 first\n2 second\nthird line without index\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: RegionError.unparsableLabelTable(path: path, line: 3, text: "third line without index")) {
            try LabelTable(contentsOf: path)
        }
    }

    @Test(arguments: ["PAG:0,-30", "PAG:0,-30,-10,-2", ":0,0,0,4", "PAG 0,0,0,4"])
    func malformedSpheres(spec: String) {
        #expect(throws: RegionError.self) { try Sphere(parsing: spec) }
    }

    @Test func gmMapOnAnotherGridThanWMIsAnError() throws {
        let other = Grid(nx: 5, ny: 5, nz: 5, affine: .identity)
        let wm = try Self.write([Float](repeating: 0.5, count: other.voxelCount), grid: other, name: "wm.nii")
        let csf = try Self.write([Float](repeating: 0.5, count: other.voxelCount), grid: other, name: "csf.nii")
        #expect(throws: NIfTIError.self) {
            try GrayMatterVolume.measure(gm: try Self.write(Self.gmValues(), name: "gm.nii"), wm: wm, csf: csf,
                                     regions: .custom(spheres: [Sphere(name: "s", x: 0, y: 0, z: 0, radius: 4)], masks: []), parallelism: .available)
        }
    }
}

@Suite("FSL atlas XML label files")
struct FSLAtlasXMLTests {
    @Test("zero-based XML indices name image values index + 1; entities decoded")
    func readsFSLXML() throws {
        let path = try Reference.temporaryFolder() + "/HarvardOxford-Cortical.xml"
        try """
        <?xml version="1.0" encoding="ISO-8859-1"?>
        <atlas version="1.0">
          <header><name>Harvard-Oxford Cortical Structural Atlas</name><type>Probabilistic</type></header>
          <data>
            <label index="0" x="48" y="94" z="35">Frontal Pole</label>
            <label index="1" x="25" y="70" z="32">Insular Cortex</label>
            <label x="1" index="6" y="2" z="3">Inferior Temporal Gyrus, anterior &amp; posterior</label>
          </data>
        </atlas>
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let table = try LabelTable(contentsOf: path)
        #expect(table.names == [1: "Frontal Pole", 2: "Insular Cortex", 7: "Inferior Temporal Gyrus, anterior & posterior"])
        #expect(table.name(of: 3) == "label-3")
    }

    @Test("an XML file without label elements, or a label without an index, names the file and line")
    func badXML() throws {
        let folder = try Reference.temporaryFolder()
        try "<atlas><data></data></atlas>\n".write(toFile: folder + "/empty.xml", atomically: true, encoding: .utf8)
        #expect(throws: RegionError.unparsableLabelTable(path: folder + "/empty.xml", line: 1,
                                                          text: "no <label index=\"…\">name</label> element in this XML file")) {
            try LabelTable(contentsOf: folder + "/empty.xml")
        }
        try "<atlas>\n<data>\n<label x=\"1\">Nameless</label>\n</data></atlas>\n".write(toFile: folder + "/noindex.xml", atomically: true, encoding: .utf8)
        #expect(throws: RegionError.unparsableLabelTable(path: folder + "/noindex.xml", line: 3, text: "<label x=\"1\">Nameless</label>")) {
            try LabelTable(contentsOf: folder + "/noindex.xml")
        }
    }
}
