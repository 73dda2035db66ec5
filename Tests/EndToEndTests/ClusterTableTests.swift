import Foundation
import NIfTI
import Testing
import TestSupport

/// `cohortex glm --report-threshold`: cluster tables, local maxima and the cluster-index image against
/// scipy.ndimage.label on the maps the run wrote (`Tests/Reference/cluster_reference.py`).
@Suite("Cluster tables")
struct ClusterTableTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let threshold: String
        let twoSided: Bool
        let connectivity: Int
        let peakDistance: Double
        var testDescription: String { "\(threshold), \(twoSided ? "two" : "one")-sided, \(connectivity)-connected, peaks \(peakDistance) mm apart" }
    }

    /// An atlas of four slabs along x (label 0 in the last slab) and its label table.
    static func atlas(folder: String) throws -> (path: String, labels: String, names: [String: String]) {
        let grid = GroupFixtures.grid
        var voxels = [Float](repeating: 0, count: grid.voxelCount)
        for index in 0..<grid.voxelCount {
            let (i, _, _) = grid.coordinates(of: index)
            voxels[index] = Float(min(i / 4 + 1, 4) % 4)
        }
        let path = folder + "/atlas.nii.gz", labels = folder + "/atlas_labels.tsv"
        try NIfTIWriter.write(Volume(grid: grid, voxels: voxels), to: path, datatype: .int16)
        let names = ["1": "Left slab", "2": "Middle slab", "3": "Right slab"]
        try TSVTable(columns: ["index", "name"], rows: names.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }).write(to: labels)
        return (path, labels, names)
    }

    @Test("clusters, peaks and the index image equal scipy's", arguments: [
        Case(threshold: "z=2.3", twoSided: true, connectivity: 6, peakDistance: 8),
        Case(threshold: "z=1.6", twoSided: false, connectivity: 26, peakDistance: 4),
        Case(threshold: "pfwe=0.3", twoSided: true, connectivity: 18, peakDistance: 6),
    ])
    func againstScipy(_ c: Case) throws {
        let folder = try GroupFixtures.cohort(seed: 11)
        let atlas = try Self.atlas(folder: folder)
        var arguments = ["--model", "~ group + age", "--contrast", "pain-control", "--report-threshold", c.threshold,
                         "--connectivity", String(c.connectivity), "--peak-distance", String(c.peakDistance),
                         "--cluster-atlas", atlas.path, "--cluster-labels", atlas.labels,
                         "--permutations", c.threshold.hasPrefix("pfwe") ? "199" : "0", "--seed", "3"]
        if c.twoSided { arguments.append("--two-sided") }
        let run = try GroupFixtures.glm(folder, arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let out = folder + "/out"
        let parts = c.threshold.split(separator: "=")
        let spec: [String: Any] = [
            "folder": out, "contrast": "painMinusControl", "kind": String(parts[0]), "value": Double(parts[1])!,
            "two_sided": c.twoSided, "connectivity": c.connectivity, "peak_distance": c.peakDistance,
            "atlas": atlas.path, "labels": atlas.names,
        ]
        let specPath = folder + "/cluster_spec.json"
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specPath))
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(Reference.runPython("cluster_reference.py", ["clusters", specPath]).utf8)) as? [String: Any])
        let expected = try #require(reference["clusters"] as? [[String: Any]])
        #expect(reference["index_equal"] as? Bool == true, "the cluster-index image differs from scipy's labelling")
        #expect(expected.count >= (c.threshold.hasPrefix("z") ? 3 : 1), "the fixture should give clusters, got \(expected.count)")

        let table = try TSVTable(contentsOf: out + "/contrast-painMinusControl_clusters.tsv")
        #expect(table.rows.count == expected.count)
        func number(_ row: [String], _ column: String) throws -> Double {
            let i = try #require(table.columns.firstIndex(of: column), "no column \(column)")
            return try #require(Double(row[i]), "\(column): \(row[i])")
        }
        func text(_ row: [String], _ column: String) throws -> String { row[try #require(table.columns.firstIndex(of: column))] }
        for (row, e) in zip(table.rows, expected) {
            #expect(try number(row, "voxels") == Double(e["voxels"] as! Int))
            #expect(try text(row, "sign") == e["sign"] as! String)
            #expect(abs(try number(row, "volume_mm3") - (e["volume_mm3"] as! Double)) < 1e-6)
            let peak = e["peak"] as! [Double], cog = e["cog"] as! [Double]
            for (axis, k) in [("x", 0), ("y", 1), ("z", 2)] {
                #expect(abs(try number(row, "peak_\(axis)") - peak[k]) < 1e-3)
                #expect(abs(try number(row, "cog_\(axis)") - cog[k]) < 1e-3, "cluster \(row[0]) cog_\(axis)")
            }
            #expect(abs(try number(row, "peak_t") - (e["peak_t"] as! Double)) <= 1e-5 * abs(e["peak_t"] as! Double))
            #expect(abs(try number(row, "peak_zstat") - (e["peak_z"] as! Double)) <= 1e-5 * max(1, abs(e["peak_z"] as! Double)))
            // The pfwe map is Float32; the table keeps the Float64 value.
            if let p = e["p_fwe"] as? Double { #expect(abs(try number(row, "p_fwe") - p) < 1e-6) }
            #expect(try text(row, "peak_label") == e["peak_label"] as! String)
            // "name: 62.5%; name: 37.5%" against scipy's shares.
            let shares = try text(row, "regions").components(separatedBy: "; ").map { part -> (String, Double) in
                let split = part.components(separatedBy: ": ")
                return (split[0], Double(split[1].dropLast())!)
            }
            let theirs = e["shares"] as! [String: Double]
            #expect(Set(shares.map(\.0)) == Set(theirs.keys))
            for (name, share) in shares { #expect(abs(share - theirs[name]!) <= 0.05 + 1e-9, "\(name)") }
            #expect(zip(shares, shares.dropFirst()).allSatisfy { $0.1 >= $1.1 }, "regions largest share first")
        }

        let peaks = try TSVTable(contentsOf: out + "/contrast-painMinusControl_peaks.tsv")
        let expectedPeaks = try #require(reference["peaks"] as? [[String: Any]])
        #expect(peaks.rows.count == expectedPeaks.count)
        for (row, e) in zip(peaks.rows, expectedPeaks) {
            #expect(Int(row[0]) == e["cluster"] as? Int)
            let xyz = e["xyz"] as! [Double]
            for k in 0..<3 { #expect(abs(Double(row[2 + k])! - xyz[k]) < 1e-3) }
            #expect(abs(Double(row[5])! - (e["t"] as! Double)) <= 1e-5 * abs(e["t"] as! Double))
        }

        let index = try NIfTIImage(path: out + "/contrast-painMinusControl_clusters.nii.gz")
        #expect(index.header.intentCode == 1002)
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/glm.json"))) as? [String: Any])
        let clusters = try #require((sidecar["inference"] as? [String: Any])?["clusters"] as? [String: Any])
        #expect(clusters["connectivity"] as? Int == c.connectivity && clusters["threshold"] as? String == c.threshold)
    }

    @Test("refusals: FWE thresholds without permutations or TFCE, labels without an atlas, a regional table")
    func refusals() throws {
        let folder = try GroupFixtures.cohort(n: 8)
        let base = ["--model", "~ group", "--contrast", "pain-control"]
        for (extra, message) in [
            (["--report-threshold", "pfwe=0.05", "--permutations", "0"], "needs --permutations > 0"),
            (["--report-threshold", "tfce-pfwe=0.05", "--permutations", "9"], "needs --tfce"),
            (["--report-threshold", "z=3.1", "--cluster-labels", "freesurfer"], "--cluster-labels names the regions of --cluster-atlas"),
            (["--report-threshold", "q=0.05"], "--report-threshold must be"),
            (["--report-threshold", "z=3.1", "--connectivity", "8"], "--connectivity must be 6, 18 or 26"),
        ] {
            let run = try GroupFixtures.glm(folder, base + extra)
            #expect(run.status == 64, "\(extra): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(extra): \(run.stderr)")
        }
    }

    @Test("cluster-extent and cluster-mass FWE: observed cluster sizes equal nilearn's; p-values within Monte Carlo error of nilearn permuted_ols(threshold=…)",
          arguments: [true, false])
    func clusterInferenceAgainstNilearn(twoSided: Bool) throws {
        let folder = try GroupFixtures.cohort(seed: 21)
        let permutations = 999
        var arguments = ["--model", "~ group + age", "--contrast", "pain-control", "--cluster-threshold", "p=0.01",
                         "--permutations", String(permutations), "--seed", "5", "--report-threshold", "cluster-pfwe=0.999"]
        if twoSided { arguments.append("--two-sided") }
        let run = try GroupFixtures.glm(folder, arguments)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("lenient"), "a p = 0.01 forming threshold is lenient: \(run.stderr)")
        let out = folder + "/out"
        let design = try TSVTable(contentsOf: out + "/design.tsv")
        let ids = try design.column("participant_id")
        let spec: [String: Any] = [
            "maps": ids.map { "\(folder)/maps/\($0)_stat-z.nii.gz" }, "mask": out + "/mask.nii.gz",
            "tested": try design.column("group[pain]").map { Double($0)! },
            "confounds": try design.column("age").map { [Double($0)!] },
            "threshold": 0.01, "two_sided": twoSided, "n_perm": permutations, "seed": 3,
        ]
        let specPath = folder + "/nilearn_spec.json"
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specPath))
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(Reference.runPython("cluster_reference.py", ["nilearn-clusters", specPath]).utf8)) as? [String: Any])
        let theirSize = reference["size"] as! [Double], theirSizeP = reference["size_p"] as! [Double], theirMassP = reference["mass_p"] as! [Double]
        let mask = try GroupFixtures.read(out + "/mask.nii.gz")
        let inside = mask.indices.filter { mask[$0] != 0 }
        #expect(inside.count == theirSize.count)
        let size = try GroupFixtures.read(out + "/contrast-painMinusControl_stat-clustersize.nii.gz")
        let sizeP = try GroupFixtures.read(out + "/contrast-painMinusControl_stat-clusterpfwe.nii.gz")
        let massP = try GroupFixtures.read(out + "/contrast-painMinusControl_stat-clustermasspfwe.nii.gz")
        // Observed clusters: the same sizes at every voxel (t agrees to float precision; none sits on the threshold).
        let sizeMismatches = zip(inside, theirSize).filter { Double(size[$0.0]) != $0.1 }.count
        #expect(sizeMismatches == 0, "\(sizeMismatches) voxels with another cluster size than nilearn's")
        #expect(theirSize.contains { $0 > 0 }, "the fixture should have clusters")
        // Per cluster (its peak voxel): p-values of two independent permutation runs of N each differ by
        // Monte Carlo error, SD ≈ sqrt(2 p (1 − p) / N); allow 4 SD + 0.01 (the schemes differ slightly:
        // Freedman–Lane here, permuting the design with its confounds in nilearn).
        let table = try TSVTable(contentsOf: out + "/contrast-painMinusControl_clusters.tsv")
        #expect(!table.rows.isEmpty)
        var compared = 0
        for (n, voxel) in inside.enumerated() where theirSize[n] > 0 {
            for (ours, theirs) in [(Double(sizeP[voxel]), theirSizeP[n]), (Double(massP[voxel]), theirMassP[n])] {
                let p = (ours + theirs) / 2
                let tolerance = 4 * (2 * p * (1 - p) / Double(permutations)).squareRoot() + 0.01
                #expect(abs(ours - theirs) <= tolerance, "voxel \(voxel): ours \(ours), nilearn \(theirs)")
            }
            compared += 1
        }
        #expect(compared > 0)
        #expect(table.columns.contains("p_fwe_size") && table.columns.contains("p_fwe_mass"))
        // Voxel-wise max-T FWE p at every voxel, within the same Monte Carlo bound.
        let theirFWE = reference["fwe_p"] as! [Double]
        let fwe = try GroupFixtures.read(out + "/contrast-painMinusControl_stat-pfwe.nii.gz")
        var outside = 0
        for (n, voxel) in inside.enumerated() {
            let ours = Double(fwe[voxel]), theirs = theirFWE[n], p = (ours + theirs) / 2
            if abs(ours - theirs) > 4 * (2 * p * (1 - p) / Double(permutations)).squareRoot() + 0.01 { outside += 1 }
        }
        #expect(outside == 0, "\(outside) of \(inside.count) voxel FWE p-values outside the Monte Carlo bound")
        #expect(fwe.contains { $0 < 0.2 }, "the comparison should reach small p-values, where the bound is tight")
    }

    @Test("cluster inference split into permutation chunks equals the single run bit for bit")
    func clusterInferenceChunks() throws {
        let folder = try GroupFixtures.cohort(n: 16, seed: 4)
        let base = ["--model", "~ group", "--contrast", "pain-control", "--cluster-threshold", "z=2.3", "--two-sided",
                    "--permutations", "250", "--seed", "9"]
        #expect(try GroupFixtures.glm(folder, base, out: "whole").status == 0)
        for k in 1...3 { #expect(try GroupFixtures.glm(folder, base + ["--chunk", "\(k)/3"], out: "chunks").status == 0) }
        let combined = try GroupFixtures.glm(folder, base + ["--from-chunks", folder + "/chunks"], out: "combined")
        #expect(combined.status == 0, "\(combined.stderr)")
        for kind in ["clustersize", "clusterpfwe", "clustermasspfwe", "pfwe", "t"] {
            let name = "/contrast-painMinusControl_stat-\(kind).nii.gz"
            #expect(try GroupFixtures.read(folder + "/whole" + name) == GroupFixtures.read(folder + "/combined" + name), "\(kind)")
        }
        #expect(try GroupFixtures.read(folder + "/whole/contrast-painMinusControl_stat-clusterpfwe.nii.gz").contains { $0 < 1 })
    }

    @Test("TFCE equals nilearn's calculate_tfce × dh (its own 100 steps; fslmaths leaves dh out), 6 and 26 neighbours",
          arguments: [(6, true), (6, false), (26, true)])
    func tfceAgainstNilearn(connectivity: Int, twoSided: Bool) throws {
        let folder = try GroupFixtures.cohort(n: 16, seed: 31)
        var arguments = ["--model", "~ group + age", "--contrast", "pain-control", "--tfce", "--permutations", "19",
                         "--connectivity", String(connectivity)]
        if twoSided { arguments.append("--two-sided") }
        let run = try GroupFixtures.glm(folder, arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let out = folder + "/out"
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/glm.json"))) as? [String: Any])
        let contrast = try #require((sidecar["contrasts"] as? [[String: Any]])?.first)
        let dh = try #require((contrast["permutation"] as? [String: Any])?["tfce_dh"] as? Double)
        let tfceInfo = try #require((sidecar["inference"] as? [String: Any])?["tfce"] as? [String: Any])
        #expect(tfceInfo["connectivity"] as? Int == connectivity)
        let spec: [String: Any] = ["tmap": out + "/contrast-painMinusControl_stat-t.nii.gz", "mask": out + "/mask.nii.gz",
                                   "two_sided": twoSided, "connectivity": connectivity]
        let specPath = folder + "/tfce_spec.json"
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specPath))
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(Reference.runPython("cluster_reference.py", ["nilearn-tfce", specPath]).utf8)) as? [String: Any])
        let theirs = (reference["tfce"] as! [Double]).map { $0 * dh }
        let ours = try GroupFixtures.read(out + "/contrast-painMinusControl_stat-tfce.nii.gz")
        let t = try GroupFixtures.read(out + "/contrast-painMinusControl_stat-t.nii.gz")
        // The top threshold: nilearn's linspace ends exactly at the maximum; ours is 100·(max/100), which can
        // land one ulp above it and drop the peak voxel from the last step. Those voxels may differ by one
        // step's contribution (cluster of 1: 1^E · max^H · dh); every other voxel agrees to 1e-5.
        let top = t.map { twoSided ? abs($0) : $0 }.max()!
        let scale = theirs.map(abs).max()!
        #expect(scale > 0)
        var worst = 0.0
        for i in ours.indices {
            let difference = abs(Double(ours[i]) - theirs[i])
            if (twoSided ? abs(t[i]) : t[i]) == top {
                #expect(difference <= Double(top) * Double(top) * dh * 1.0001, "peak voxel \(i): \(ours[i]) vs \(theirs[i])")
            } else {
                worst = max(worst, difference / max(abs(theirs[i]), 1e-3 * scale))
            }
        }
        #expect(worst < 1e-5, "worst relative difference \(worst)")
    }
}
