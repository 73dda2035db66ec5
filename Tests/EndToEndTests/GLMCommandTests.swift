import Foundation
import NIfTI
import Testing
import TestSupport

/// End-to-end: the built `cohortex glm` binary.
@Suite("cohortex glm end to end")
struct GLMCommandTests {
    static let model = ["--model", "~ group + age + sex"]

    @Test("maps: t equals numpy OLS on the nibabel-read maps; intents, fills, sidecar and design are written; no NaN")
    func mapsEndToEnd() throws {
        let folder = try GroupFixtures.cohort()
        let run = try GroupFixtures.glm(folder, Self.model + ["--contrast", "pain-control", "--contrast", "F(group, age)",
                                                             "--permutations", "300", "--seed", "7", "--tfce"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("group: reference level control"))
        let out = folder + "/out"
        let t = try NIfTIImage(path: out + "/contrast-painMinusControl_stat-t.nii.gz")
        #expect(t.header.intentCode == 3 && t.header.intentParameters[0] == 20)  // 24 participants − 4 columns
        #expect(try NIfTIImage(path: out + "/contrast-FgroupAge_stat-F.nii.gz").header.intentParameters.prefix(2) == [2, 20])
        #expect(try NIfTIImage(path: out + "/contrast-painMinusControl_stat-pfwe.nii.gz").header.intentCode == 22)
        #expect(try NIfTIImage(path: out + "/contrast-painMinusControl_stat-z.nii.gz").header.intentCode == 5)

        // t against numpy least squares on the maps as nibabel reads them.
        let design = try TSVTable(contentsOf: out + "/design.tsv")
        let participants = try design.column("participant_id")
        let rows = try design.rows.map { row in try row.dropFirst().map { field -> Double in
            guard let v = Double(field) else { throw ReferenceError.failed("design.tsv", field) }
            return v
        } }
        let reference = try StatsFixtures.python("maps", [
            "maps": participants.map { "\(folder)/maps/\($0)_stat-z.nii.gz" }, "mask": out + "/mask.nii.gz",
            "design": rows, "contrast": [0, 1, 0, 0], "all_maps": true, "f_rows": [[0, 1, 0, 0], [0, 0, 1, 0]],
        ])
        let expected = StatsFixtures.doubles(reference["t"])
        let tValues = try GroupFixtures.read(out + "/contrast-painMinusControl_stat-t.nii.gz")
        let maskVoxels = try GroupFixtures.read(out + "/mask.nii.gz")
        let inMask = maskVoxels.indices.filter { maskVoxels[$0] != 0 }
        #expect(inMask.count == expected.count && inMask.count == (0..<GroupFixtures.grid.voxelCount).filter(GroupFixtures.inBrain).count)
        var worst = 0.0
        for (k, index) in inMask.enumerated() {
            worst = max(worst, StatsFixtures.relativeError(Double(tValues[index]), expected[k], floor: 1e-2))
        }
        #expect(worst < 1e-5, "worst relative t error \(worst)")
        // Every other parametric map against scipy/statsmodels on the same fit (float32 maps: 1e-4 relative).
        for (kind, key, file) in [("effect", "effect", "painMinusControl"), ("z", "z", "painMinusControl"), ("p", "p", "painMinusControl"),
                                  ("pfdr", "pfdr", "painMinusControl"), ("g", "g", "painMinusControl"), ("F", "F", "FgroupAge")] {
            let values = try GroupFixtures.read(out + "/contrast-\(file)_stat-\(kind).nii.gz")
            let reference = StatsFixtures.doubles(reference[key])
            #expect(reference.count == inMask.count, "\(kind)")
            let error = zip(inMask, reference).map { StatsFixtures.relativeError(Double(values[$0]), $1, floor: 1e-3) }.max() ?? 1
            #expect(error < 1e-4, "worst relative \(kind) error \(error)")
        }

        let names = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".nii.gz") }
        #expect(names.count == 21)  // 11 + 9 contrast maps and the mask
        for name in names {
            let values = try GroupFixtures.read(out + "/" + name)
            #expect(values.allSatisfy { $0.isFinite }, "\(name) holds NaN or Inf")
            if name.contains("_stat-p") || name.contains("pfwe") || name.contains("pperm") || name.contains("pfdr") {
                #expect(values.enumerated().allSatisfy { maskVoxels[$0.offset] != 0 || $0.element == 1 }, "\(name): p = 1 outside the mask")
                #expect(values.allSatisfy { $0 > 0 && $0 <= 1 })
            }
        }
        let pfwe = try GroupFixtures.read(out + "/contrast-painMinusControl_stat-tfcepfwe.nii.gz")
        #expect(pfwe.contains { $0 < 0.05 }, "the planted blob survives TFCE-FWE")

        let sidecar = try Reference.jsonFile(out + "/glm.json")
        let model = sidecar["model"] as! [String: Any]
        let factors = model["factors"] as! [[String: Any]]
        #expect(factors.first?["reference_level"] as? String == "control")
        let inference = sidecar["inference"] as! [String: Any]
        #expect(inference["permutations"] as? Int == 300 && inference["seed"] as? Int == 7)
        let contrasts = sidecar["contrasts"] as! [[String: Any]]
        #expect((contrasts[0]["permutation"] as! [String: Any])["method"] as? String == "Freedman-Lane")
        #expect(sidecar["Software"] as? String == "cohortex" && sidecar["SoftwareVersion"] as? String != nil && sidecar["Stage"] as? String == "glm")
    }

    @Test("--chunk k/N runs combined with --from-chunks give the single run's maps bit for bit; --threads 1 and 2 agree",
          arguments: [false, true])
    func chunksAndThreads(tfce: Bool) throws {
        let folder = try GroupFixtures.cohort(n: 20, seed: 3)
        let args = Self.model + ["--contrast", "pain-control", "--contrast=-age", "--permutations", "100", "--two-sided"] + (tfce ? ["--tfce"] : [])
        #expect(try GroupFixtures.glm(folder, args + ["--threads", "1"], out: "single").status == 0)
        #expect(try GroupFixtures.glm(folder, args + ["--threads", "2"], out: "threads").status == 0)
        for k in 1...3 {
            let run = try GroupFixtures.glm(folder, args + ["--chunk", "\(k)/3"], out: "chunks")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("chunk-\(k)of3.glmchunk"))
        }
        let combined = try GroupFixtures.glm(folder, args + ["--from-chunks", folder + "/chunks"], out: "combined")
        #expect(combined.status == 0, "\(combined.stderr)")
        let maps = ["painMinusControl_stat-pfwe", "painMinusControl_stat-pperm", "negAge_stat-pfwe", "painMinusControl_stat-t"]
            + (tfce ? ["painMinusControl_stat-tfcepfwe", "negAge_stat-tfce"] : [])
        for map in maps {
            let single = try GroupFixtures.read("\(folder)/single/contrast-\(map).nii.gz").map(\.bitPattern)
            #expect(try GroupFixtures.read("\(folder)/combined/contrast-\(map).nii.gz").map(\.bitPattern) == single, "\(map) from chunks")
            #expect(try GroupFixtures.read("\(folder)/threads/contrast-\(map).nii.gz").map(\.bitPattern) == single, "\(map) with 2 threads")
        }
        // A chunk set from other settings is refused, naming the file.
        #expect(try GroupFixtures.glm(folder, args + ["--seed", "2", "--chunk", "1/3"], out: "other").status == 0)
        try FileManager.default.removeItem(atPath: folder + "/chunks/chunk-1of3.glmchunk")
        try FileManager.default.copyItem(atPath: folder + "/other/chunk-1of3.glmchunk", toPath: folder + "/chunks/chunk-1of3.glmchunk")
        let mismatch = try GroupFixtures.glm(folder, args + ["--from-chunks", folder + "/chunks"], out: "bad")
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains("chunk-1of3.glmchunk") && mismatch.stderr.contains("different data or settings"))
    }

    @Test("--table: one row per region with estimate, t, p, p_fwe, q_fdr, g matching statsmodels")
    func regionalTable() throws {
        let folder = try Reference.temporaryFolder()
        let table = StatsFixtures.participants(n: 40, seed: 61, groups: ["control", "pain"])
        try table.write(to: folder + "/participants.tsv")
        let responses = StatsFixtures.responses(table, measures: 9, seed: 62)
        let regions = (0..<9).map { "region\($0 + 1)" }
        let ids = try table.column("participant_id")
        var rows = ids.indices.reversed().map { r in [ids[r]] + responses[r].map { "\($0)" } }  // any row order
        rows[3][2] = "n/a"  // sub-037 has a missing region value
        try TSVTable(columns: ["participant_id"] + regions, rows: rows).write(to: folder + "/regional.tsv")
        let run = try Reference.cohortex(["glm", "--participants", folder + "/participants.tsv", "--table", folder + "/regional.tsv",
                                          "--model", "~ group + age + sex + mean_fd", "--contrast", "pain-control",
                                          "--permutations", "200", "--out", folder + "/out"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("sub-006 (missing value in age)") && run.stderr.contains("sub-037 (n/a in"))
        let out = try TSVTable(contentsOf: folder + "/out/contrast-painMinusControl_stats.tsv")
        #expect(out.columns == ["region", "status", "estimate", "se", "t", "df", "p", "z", "q_fdr", "g", "p_perm", "p_fwe"])
        #expect(try out.column("region") == regions)
        let kept = ids.filter { $0 != "sub-006" && $0 != "sub-037" }
        let values = StatsFixtures.select(responses, table: table, participants: kept)
        let filtered = TSVTable(columns: table.columns, rows: table.rows.filter { kept.contains($0[0]) })
        try filtered.write(to: folder + "/kept.tsv")
        let g = StatsFixtures.groupColumn
        let reference = try StatsFixtures.python("ols", [
            "participants": folder + "/kept.tsv", "responses": try StatsFixtures.writeDoubles(values), "measures": 9,
            "formula": "y ~ \(g) + age + C(sex, Treatment('F')) + mean_fd",
            "tests": [["kind": "t", "weights": ["\(g)[T.pain]": 1.0]]], "hedges": ["\(g)[T.pain]": 1.0],
        ])
        let ref = (reference["tests"] as! [[String: Any]])[0]
        let t = try out.numericColumn("t"), estimate = try out.numericColumn("estimate"), gs = try out.numericColumn("g")
        for j in 0..<9 {
            #expect(StatsFixtures.relativeError(t[j]!, StatsFixtures.doubles(ref["stat"])[j], floor: 1e-3) < 1e-9)
            #expect(StatsFixtures.relativeError(estimate[j]!, StatsFixtures.doubles(ref["estimate"])[j], floor: 1e-3) < 1e-9)
            #expect(StatsFixtures.relativeError(gs[j]!, StatsFixtures.doubles(reference["g"])[j], floor: 1e-3) < 1e-9)
        }
        let pfwe = try out.numericColumn("p_fwe").map { $0! }, q = try out.numericColumn("q_fdr").map { $0! }
        #expect(pfwe.allSatisfy { $0 > 0 && $0 <= 1 } && q.allSatisfy { $0 > 0 && $0 <= 1 })
        let sidecar = try Reference.jsonFile(folder + "/out/glm.json")
        let dropped = (sidecar["participants"] as! [String: Any])["dropped"] as! [[String: Any]]
        #expect(Set(dropped.map { $0["participant_id"] as! String }) == ["sub-006", "sub-037"])
    }
}
