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
}
