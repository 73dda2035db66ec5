import Foundation
import NIfTI
import Pipeline
import Testing
import TestSupport
import Workflow

/// FSL/PALM export of models the built `cohortex glm` fitted: numpy reads the VEST files back to
/// design.tsv's numbers and glm.json's weights exactly, nibabel reads merged_4d frame by frame, and
/// numpy's OLS t from the exported files equals the glm's t map.
@Suite("FSL/PALM export")
struct PALMExportTests {
    /// One glm model to export.
    struct Model: Sendable, CustomStringConvertible {
        let name: String
        let formula: String
        let contrasts: [String]
        let options: [String]
        /// Labels of the t contrasts, in glm.json's order (design.con rows 1, 2, …).
        let tLabels: [String]
        let fTests: Int
        /// Flags the PALM command must carry (and those it must not).
        let palmHas: [String]
        let palmLacks: [String]
        var description: String { name }
    }

    static let models = [
        Model(name: "two groups, TFCE, two-sided", formula: "~ group", contrasts: ["pain-control", "control-pain"],
              options: ["--permutations", "20", "--tfce", "--two-sided", "--seed", "5"], tLabels: ["painMinusControl", "controlMinusPain"],
              fTests: 0, palmHas: ["-n 20", " -T", "-twotail", "-seed 5", "-eb design.grp", "-m mask.nii.gz"], palmLacks: ["-f design.fts", "-ise"]),
        Model(name: "covariate and F contrast, parametric", formula: "~ group + age", contrasts: ["age", "F(group, age)"],
              options: ["--permutations", "0"], tLabels: ["age"],
              fTests: 1, palmHas: ["-n 5000", "-f design.fts", "-t design.con"], palmLacks: [" -T", "-twotail", "-seed"]),
    ]

    static let grid = Grid(nx: 9, ny: 10, nz: 7, affine: .scaling(2, 2, 2.5, origin: (-8, -9, -7)))
    static let context = StageContext(parallelism: .serial)

    /// participants.tsv (group, age) and `maps/sub-XX_stat-z.nii.gz`: zero outside an ellipsoid, a group
    /// effect in one corner, an age slope and noise inside.
    static func cohort(n: Int = 16, seed: UInt64 = 21) throws -> String {
        let folder = try Reference.temporaryFolder("cohortex-palm")
        try FileManager.default.createDirectory(atPath: folder + "/maps", withIntermediateDirectories: true)
        var rng = SeededRandom(seed: seed)
        var rows: [[String]] = []
        for s in 0..<n {
            let id = String(format: "sub-%02d", s + 1)
            let group = s % 2 == 0 ? "control" : "pain"
            let age = 30 + 9 * rng.normal()
            rows.append([id, group, String(format: "%.1f", age)])
            var voxels = [Float](repeating: 0, count: grid.voxelCount)
            for index in 0..<grid.voxelCount {
                let (i, j, k) = grid.coordinates(of: index)
                let inside = pow((Double(i) - 4) / 4.5, 2) + pow((Double(j) - 4.5) / 5, 2) + pow((Double(k) - 3) / 3.5, 2) < 1
                guard inside else { continue }
                let effect = group == "pain" && i < 4 ? 1.5 : 0
                voxels[index] = Float(1 + effect + 0.05 * (age - 30) + rng.normal())
            }
            try NIfTIWriter.write(Volume(grid: grid, voxels: voxels), to: "\(folder)/maps/\(id)_stat-z.nii.gz")
        }
        try TSVTable(columns: ["participant_id", "group", "age"], rows: rows).write(to: folder + "/participants.tsv")
        return folder
    }

    static func reference(_ arguments: [String]) throws -> [String: Any] {
        try Reference.json(try Reference.runPython("group_reference.py", arguments))
    }

    static func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test("design.mat/.con/.fts/.grp, merged_4d and palm_export.json match the model; OLS t from them equals the glm's", arguments: models)
    func export(model: Model) throws {
        let folder = try Self.cohort()
        let run = try Reference.cohortex(["glm", "--participants", folder + "/participants.tsv", "--maps", folder + "/maps/sub-*_stat-z.nii.gz",
                                          "--out", folder + "/model", "--model", model.formula] + model.contrasts.flatMap { ["--contrast", $0] } + model.options)
        try #require(run.status == 0, "\(run.stderr)")
        let out = folder + "/model"
        let ids = try TSVTable(contentsOf: out + "/design.tsv").column("participant_id")
        let maps = ids.map { "\(folder)/maps/\($0)_stat-z.nii.gz" }

        let written = try PALMExport.write(modelFolder: out, maps: maps, context: Self.context)
        var expected: Set<String> = ["design.mat", "design.con", "design.grp", "merged_4d.nii.gz", "palm_export.json"]
        if model.fTests > 0 { expected.insert("design.fts") }
        #expect(Set(written.map { URL(fileURLWithPath: $0).lastPathComponent }) == expected)
        #expect(FileManager.default.fileExists(atPath: out + "/design.fts") == (model.fTests > 0))

        // Header lines as FSL writes them.
        let columns = model.formula == "~ group" ? 2 : 3
        let mat = try Self.text(out + "/design.mat").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(mat.prefix(2)) == ["/NumWaves\t\(columns)", "/NumPoints\t16"])
        #expect(mat[2].hasPrefix("/PPheights\t1.0\t1.0") && mat[3] == "" && mat[4] == "/Matrix" && mat.count == 5 + 16 + 1)

        // numpy, skipping the /… lines, gets design.tsv's numbers and glm.json's weights back exactly.
        let files = try Self.reference(["palm-files", out])
        #expect(files["design_equal"] as? Bool == true, "design.mat vs design.tsv: \(files)")
        #expect(files["design_shape"] as? [Int] == [16, columns])
        #expect((files["mat_header"] as? [String: String])?["NumWaves"] == "\(columns)")
        #expect(files["t_rows_equal"] as? [Bool] == Array(repeating: true, count: model.tLabels.count))
        let conHeader = try #require(files["con_header"] as? [String: String])
        #expect(conHeader["ContrastName1"] == model.tLabels[0] && conHeader["NumWaves"] == "\(columns)")
        #expect(conHeader["NumContrasts"] == "\((files["con_rows"] as? [Any])?.count ?? -1)" && conHeader["RequiredEffect"] != nil)
        if model.fTests > 0 {
            #expect(files["f_tests_equal"] as? [Bool] == [true])
            let fts = try #require(files["fts_header"] as? [String: String])
            #expect(fts["NumWaves"] == conHeader["NumContrasts"] && fts["NumContrasts"] == "1")
        }
        #expect(files["grp_ones"] as? Bool == true && files["grp_rows"] as? Int == 16)

        // nibabel: frame i is map i, bit for bit, on the maps' grid.
        let merged = try Self.reference(["merged", out] + maps)
        #expect(merged["shape"] as? [Int] == [9, 10, 7, 16] && merged["dtype"] as? String == "float32")
        #expect(merged["frames_equal"] as? [Bool] == Array(repeating: true, count: 16))
        #expect(merged["affine_equal"] as? Bool == true)

        // numpy OLS on merged_4d with design.mat and each t row of design.con equals the glm's t map.
        for (row, label) in model.tLabels.enumerated() {
            let t = try Self.reference(["palm-t", out, "\(row + 1)", label])
            let error = try #require((t["max_relative_error"] as? NSNumber)?.doubleValue)
            #expect((t["voxels"] as? Int ?? 0) > 100)
            #expect(error <= 1e-4, "contrast \(label): worst relative t error \(error)")
        }

        let sidecar = try Reference.jsonFile(out + "/palm_export.json")
        #expect(sidecar["Stage"] as? String == "palm-export" && sidecar["RowOrder"] as? [String] == ids)
        let commands = try #require(sidecar["Commands"] as? [String: String])
        let palm = try #require(commands["palm"]), randomise = try #require(commands["randomise"])
        #expect(palm.hasPrefix("palm -i merged_4d.nii.gz -d design.mat -t design.con"))
        for flag in model.palmHas { #expect(palm.contains(flag), "palm command lacks \(flag): \(palm)") }
        for flag in model.palmLacks { #expect(!palm.contains(flag), "palm command has \(flag): \(palm)") }
        #expect(randomise.hasPrefix("randomise -i merged_4d.nii.gz -o randomise -d design.mat -t design.con") && randomise.contains("-e design.grp"))
        #expect((sidecar["Outputs"] as? [[String: Any]])?.count == expected.count - 1)

        // Same inputs, same bytes.
        let names = expected.sorted()
        let before = try names.map { try Data(contentsOf: URL(fileURLWithPath: "\(out)/\($0)")) }
        _ = try PALMExport.write(modelFolder: out, maps: maps, context: Self.context)
        #expect(try names.map { try Data(contentsOf: URL(fileURLWithPath: "\(out)/\($0)")) } == before)
    }

    // MARK: - A hand-written model: exact file text and the error cases

    /// design.tsv (3 participants × intercept, group[pain]), glm.json with a t and an F contrast, and three maps.
    static func tinyModel() throws -> (folder: String, maps: [String]) {
        let folder = try Reference.temporaryFolder("cohortex-palm-tiny")
        try TSVTable(columns: ["participant_id", "intercept", "group[pain]"],
                     rows: [["sub-01", "1.0", "0.0"], ["sub-02", "1.0", "1.0"], ["sub-03", "1.0", "0.0"]]).write(to: folder + "/design.tsv")
        let glm = #"{"contrasts": [{"label": "pain", "specification": "group[pain]", "type": "t", "weights": [[0.0, 1.0]], "columns": ["intercept", "group[pain]"], "tail": "one-sided (positive direction)"}, {"label": "Fboth", "specification": "[1 0; 0 1]", "type": "F", "weights": [[1.0, 0.0], [0.0, 1.0]], "columns": ["intercept", "group[pain]"]}], "inference": {"permutations": 0}}"#
        try glm.write(toFile: folder + "/glm.json", atomically: true, encoding: .utf8)
        let small = Grid(nx: 3, ny: 2, nz: 2, affine: .scaling(2, 2, 2))
        let maps = try (1...3).map { s -> String in
            let path = String(format: "%@/sub-%02d_stat-z.nii.gz", folder, s)
            try NIfTIWriter.write(Volume(grid: small, voxels: (0..<12).map { Float($0 * s) }), to: path)
            return path
        }
        return (folder, maps)
    }

    @Test("exact VEST text: headers, shortest round-trip numbers, F rows appended or reused, one exchangeability block")
    func vestText() throws {
        let (folder, _) = try Self.tinyModel()
        let written = try PALMExport.write(modelFolder: folder, maps: nil, context: Self.context)
        #expect(written.map { URL(fileURLWithPath: $0).lastPathComponent } == ["design.mat", "design.con", "design.fts", "design.grp", "palm_export.json"])
        #expect(try Self.text(folder + "/design.mat") == "/NumWaves\t2\n/NumPoints\t3\n/PPheights\t1.0\t1.0\n\n/Matrix\n1.0\t0.0\n1.0\t1.0\n1.0\t0.0\n")
        #expect(try Self.text(folder + "/design.con") == """
            /ContrastName1\tpain
            /ContrastName2\tFboth_row1
            /NumWaves\t2
            /NumContrasts\t2
            /PPheights\t1.0\t1.0
            /RequiredEffect\t0\t0

            /Matrix
            0.0\t1.0
            1.0\t0.0

            """)
        #expect(try Self.text(folder + "/design.fts") == "/NumWaves\t2\n/NumContrasts\t1\n\n/Matrix\n1\t1\n")
        #expect(try Self.text(folder + "/design.grp") == "/NumWaves\t1\n/NumPoints\t3\n\n/Matrix\n1\n1\n1\n")
        let sidecar = try Reference.jsonFile(folder + "/palm_export.json")
        let contrasts = try #require(sidecar["Contrasts"] as? [[String: Any]])
        #expect(contrasts[0]["design_con_rows"] as? [Int] == [1] && contrasts[1]["design_con_rows"] as? [Int] == [2, 1])
        #expect(contrasts[1]["design_fts_row"] as? Int == 1)
        let palm = (sidecar["Commands"] as? [String: String])?["palm"]
        #expect(palm == "palm -i merged_4d.nii.gz -d design.mat -t design.con -f design.fts -eb design.grp -n 5000 -o palm")
    }

    @Test("errors: missing design.tsv, map count, participant order, grid — each named, nothing written")
    func errors() throws {
        let empty = try Reference.temporaryFolder("cohortex-palm-empty")
        let missing = #expect(throws: PALMExportError.self) { try PALMExport.write(modelFolder: empty, maps: nil, context: Self.context) }
        #expect(missing == .missingDesign(path: empty + "/design.tsv"))
        #expect(missing?.description == "\(empty)/design.tsv: no such file (expected the design table `cohortex glm` writes beside glm.json)")

        let (folder, maps) = try Self.tinyModel()
        let count = #expect(throws: PALMExportError.self) {
            try PALMExport.write(modelFolder: folder, maps: Array(maps.prefix(2)), context: Self.context)
        }
        #expect(count == .mapCount(design: folder + "/design.tsv", rows: 3, maps: 2))
        #expect(count?.description.contains("2 map(s) given for the 3 participant rows") == true)

        let order = #expect(throws: PALMExportError.self) {
            try PALMExport.write(modelFolder: folder, maps: [maps[1], maps[0], maps[2]], context: Self.context)
        }
        #expect(order == .participantMismatch(path: maps[1], row: 1, expected: "sub-01", found: "02"))
        #expect(order?.description == "\(maps[1]): map 1 belongs to sub-02; design row 1 is sub-01")

        let shifted = folder + "/other/sub-03_stat-z.nii.gz"
        try NIfTIWriter.write(Volume(grid: Grid(nx: 3, ny: 2, nz: 2, affine: .scaling(2, 2, 2, origin: (4, 0, 0))),
                                     voxels: [Float](repeating: 1, count: 12)), to: shifted)
        let grid = #expect(throws: PALMExportError.self) {
            try PALMExport.write(modelFolder: folder, maps: [maps[0], maps[1], shifted], context: Self.context)
        }
        guard case .gridMismatch(let path, let reference, let detail)? = grid else {
            Issue.record("expected a grid mismatch, got \(String(describing: grid))")
            return
        }
        #expect(path == shifted && reference == maps[0] && detail.contains("origin (4, 0, 0)"))
        #expect(grid?.description.contains("every map must share the first map's grid") == true)
        // Nothing of the export was written by the failed calls.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(!names.contains("design.mat") && !names.contains("merged_4d.nii.gz") && !names.contains("palm_export.json"))
    }
}
