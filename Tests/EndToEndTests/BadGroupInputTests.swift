import Foundation
import NIfTI
import Stats
import Testing
import TestSupport

/// Bad input: one clear `cohortex: error:` line (exit 1) or a warning naming the participants,
/// columns or files involved — never NaN in an output.
@Suite("glm bad input")
struct BadGroupInputTests {
    static let model = ["--model", "~ group + age + sex", "--contrast", "pain-control", "--permutations", "20"]

    /// Runs glm on an edited cohort; returns the process result and the folder.
    static func run(_ extra: [String] = [], model: [String] = BadGroupInputTests.model,
                    edit: @escaping (inout [[String]], inout [String: [Float]]) -> Void) throws -> (ProcessResult, String) {
        let folder = try GroupFixtures.cohort(n: 12, edit: edit)
        return (try GroupFixtures.glm(folder, model + extra), folder)
    }

    static func expectError(_ result: ProcessResult, _ fragments: [String]) {
        #expect(result.status == 1, "exit status \(result.status): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("cohortex: error: "), "\(result.stderr)")
        for f in fragments { #expect(result.stderr.contains(f), "missing \"\(f)\" in: \(result.stderr)") }
    }

    @Test("collinear covariates: the error names the column and the combination")
    func rankDeficient() throws {
        let folder = try GroupFixtures.cohort(n: 12)
        var table = try TSVTable(contentsOf: folder + "/participants.tsv")
        table.columns.append("age_months")
        for r in table.rows.indices { table.rows[r].append(String(Double(table.rows[r][2])! * 12)) }
        try table.write(to: folder + "/participants.tsv")
        let run = try GroupFixtures.glm(folder, ["--model", "~ group + age + age_months", "--contrast", "pain-control"])
        Self.expectError(run, ["rank-deficient", "age_months", "12·age"])
    }

    @Test("a group with one participant is refused, naming the level and the participant")
    func smallGroup() throws {
        let (result, _) = try Self.run { rows, _ in
            for r in rows.indices where rows[r][1] == "pain" { rows[r][1] = "control" }
            rows[4][1] = "pain"
        }
        Self.expectError(result, ["group", "\"pain\"", "1 participant", "sub-05"])
    }

    @Test("participants without maps and maps without participants are warned about by name; the run goes on")
    func unmatchedParticipants() throws {
        let (result, folder) = try Self.run { rows, maps in
            maps["sub-03"] = nil
            maps["sub-99"] = maps["sub-04"]
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("have no map") && result.stderr.contains("sub-03"))
        #expect(result.stderr.contains("not in") && result.stderr.contains("sub-99"))
        let sidecar = try Reference.jsonFile(folder + "/out/glm.json")
        let dropped = (sidecar["participants"] as! [String: Any])["dropped"] as! [[String: Any]]
        #expect(dropped.first?["participant_id"] as? String == "sub-03")
        #expect(((sidecar["participants"] as! [String: Any])["unlisted_data"] as! [String]) == ["sub-99"])
    }

    @Test("maps on different grids: the error names the file and the reference")
    func differentGrids() throws {
        let folder = try GroupFixtures.cohort(n: 12)
        let shifted = Grid(nx: GroupFixtures.grid.nx, ny: GroupFixtures.grid.ny, nz: GroupFixtures.grid.nz, affine: .scaling(2, 2, 2))
        try NIfTIWriter.write(Volume(grid: shifted, voxels: try GroupFixtures.read(folder + "/maps/sub-07_stat-z.nii.gz")),
                              to: folder + "/maps/sub-07_stat-z.nii.gz")
        Self.expectError(try GroupFixtures.glm(folder, Self.model), ["sub-07_stat-z.nii.gz", "grid differs", "sub-01_stat-z.nii.gz"])
    }

    @Test("constant and NaN voxels are counted and warned about; they get t = 0 and p = 1, never NaN")
    func constantAndNonFiniteVoxels() throws {
        let constant = GroupFixtures.grid.index(6, 7, 5), broken = GroupFixtures.grid.index(7, 7, 5)
        let folder = try GroupFixtures.cohort(n: 12) { _, maps in
            for id in maps.keys { maps[id]![constant] = 3 }
            maps["sub-02"]![broken] = .nan
        }
        var maskVoxels = [Float](repeating: 0, count: GroupFixtures.grid.voxelCount)
        for i in 0..<GroupFixtures.grid.voxelCount where GroupFixtures.inBrain(i) { maskVoxels[i] = 1 }
        maskVoxels[0] = 1  // outside the brain: zero in every map, so constant too
        try NIfTIWriter.write(Volume(grid: GroupFixtures.grid, voxels: maskVoxels), to: folder + "/mask.nii.gz", datatype: .uint8)
        let run = try GroupFixtures.glm(folder, Self.model + ["--mask", folder + "/mask.nii.gz"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("2 voxels are constant across participants"))
        #expect(run.stderr.contains("1 voxel has NaN or Inf") && run.stderr.contains("sub-02 (1)"))
        for kind in ["t", "z", "effect", "g", "p", "pfdr", "pfwe", "pperm"] {
            let values = try GroupFixtures.read(folder + "/out/contrast-painMinusControl_stat-\(kind).nii.gz")
            #expect(values.allSatisfy { $0.isFinite }, "stat-\(kind)")
            let fill: Float = kind.hasPrefix("p") ? 1 : 0
            #expect(values[constant] == fill && values[broken] == fill && values[0] == fill, "stat-\(kind)")
        }
        let tested = try GroupFixtures.read(folder + "/out/mask.nii.gz")
        #expect(tested[constant] == 0 && tested[broken] == 0 && tested[0] == 0)
        let sidecar = try Reference.jsonFile(folder + "/out/glm.json")
        let excluded = (sidecar["input"] as! [String: Any])["voxels_not_tested"] as! [String: Int]
        #expect(excluded == ["constant": 2, "non_finite": 1, "perfect_fit": 0])
    }

    @Test("unknown columns, levels and malformed options are reported precisely")
    func vocabularyErrors() throws {
        let folder = try GroupFixtures.cohort(n: 12)
        Self.expectError(try GroupFixtures.glm(folder, ["--model", "~ group + bmi", "--contrast", "pain-control"]),
                         ["no column \"bmi\"", "available: participant_id, group, age, sex"])
        Self.expectError(try GroupFixtures.glm(folder, ["--model", "~ group + age", "--contrast", "pain-healthy"]),
                         ["pain-healthy", "levels are group: control, pain"])
        Self.expectError(try GroupFixtures.glm(folder, ["--model", "~ group + age", "--contrast", "pain-control",
                                                        "--reference", "group=healthy"]),
                         ["group=healthy", "levels: control, pain"])
        Self.expectError(try GroupFixtures.glm(folder, ["--model", "~ group * age", "--contrast", "pain-control"]), ["interaction"])
        Self.expectError(try GroupFixtures.glm(folder, ["--model", "~ group + age", "--contrast", "0,1"]), ["2 weights for 3 design columns"])
        let usage = try GroupFixtures.glm(folder, ["--model", "~ group", "--contrast", "pain-control", "--chunk", "4/3"])
        #expect(usage.status == 64 && usage.stderr.contains("--chunk must be k/N"))
        let both = try Reference.cohortex(["glm", "--participants", folder + "/participants.tsv", "--model", "~ group",
                                           "--contrast", "pain-control", "--out", folder + "/x"])
        #expect(both.status == 64 && both.stderr.contains("exactly one of --maps and --table"))
        Self.expectError(try Reference.cohortex(["glm", "--participants", folder + "/participants.tsv", "--model", "~ group",
                                                 "--contrast", "pain-control", "--maps", folder + "/nothing/sub-*.nii.gz", "--out", folder + "/x"]),
                         ["no file matches"])
    }

    @Test("the design reports dropped rows, the reference level, centring and refuses single-level or constant columns")
    func designDetails() throws {
        let table = StatsFixtures.participants(n: 12, seed: 1)
        let design = try DesignMatrix(table: table, formula: try ModelFormula("~ C(sex) + age"), references: ["sex": "M"])
        #expect(design.columnNames == ["intercept", "sex[F]", "age"])
        #expect(design.factor("sex")?.reference == "M")
        let ages = (0..<design.rowCount).map { design[$0, 2] }
        #expect(abs(ages.reduce(0, +)) < 1e-9)
        #expect(throws: StatsError.singleLevel(column: "group", level: "pain")) {
            try DesignMatrix(table: table, formula: try ModelFormula("~ group"), excluded: Dictionary(uniqueKeysWithValues:
                try table.column("participant_id").enumerated().filter { $0.offset % 3 != 1 }.map { ($0.element, "test") }))
        }
        var constant = table
        for r in constant.rows.indices { constant.rows[r][4] = "0.2" }
        #expect(throws: StatsError.constantColumn(column: "mean_fd", value: 0.2)) {
            try DesignMatrix(table: constant, formula: try ModelFormula("~ mean_fd"))
        }
        #expect(throws: StatsError.self) { try ModelFormula("y ~ group") }
        #expect(throws: StatsError.self) { try ModelFormula("~ group - 1") }
    }
}
