import Foundation
import NIfTI
import Pipeline
import Testing
import TestSupport

/// Cleaning that leaves (almost) no degrees of freedom must not produce maps: ν below 10 is an error
/// naming the run, ν, the kept volumes and the confounds; below 30 a warning; ν is in every sidecar.
@Suite("Effective degrees of freedom after cleaning")
struct DegreesOfFreedomTests {
    static let grid = Grid(nx: 8, ny: 9, nz: 7, affine: .scaling(3, 3, 3, origin: (-12, -12, -9)))

    /// A run of `frames` volumes (TR 2), full mask, a two-region atlas and a 24P confounds table.
    static func run(frames: Int) throws -> (folder: String, bold: String, mask: String, atlas: String, confounds: String) {
        let folder = try Reference.temporaryFolder()
        var rng = SeededRandom(seed: 31)
        let n = grid.voxelCount
        let values = (0..<(n * frames)).map { _ in Float(1000 + 10 * rng.normal()) }
        try NIfTIWriter.write(Volume(grid: grid, frames: frames, voxels: values, repetitionTime: 2), to: folder + "/bold.nii.gz")
        try NIfTIWriter.write(Volume(grid: grid, voxels: [Float](repeating: 1, count: n)), to: folder + "/mask.nii.gz", datatype: .uint8)
        try NIfTIWriter.write(Volume(grid: grid, voxels: (0..<n).map { Float(1 + $0 % 2) }), to: folder + "/atlas.nii.gz", datatype: .uint8)
        let motion = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
        let series = motion.map { _ in (0..<frames).map { _ in rng.normal() } }
        var columns: [(String, [String])] = []
        for (name, x) in zip(motion, series) {
            let derivative = (0..<frames).map { $0 == 0 ? Double.nan : x[$0] - x[$0 - 1] }
            let text = { (v: [Double]) in v.map { $0.isNaN ? "n/a" : String($0) } }
            columns += [(name, text(x)), (name + "_derivative1", text(derivative)),
                        (name + "_power2", text(x.map { $0 * $0 })), (name + "_derivative1_power2", text(derivative.map { $0 * $0 }))]
        }
        var table = columns.map(\.0).joined(separator: "\t") + "\n"
        for t in 0..<frames { table += columns.map { $0.1[t] }.joined(separator: "\t") + "\n" }
        try table.write(toFile: folder + "/confounds.tsv", atomically: true, encoding: .utf8)
        return (folder, folder + "/bold.nii.gz", folder + "/mask.nii.gz", folder + "/atlas.nii.gz", folder + "/confounds.tsv")
    }

    /// The command line of `command` on run `r` writing into `r.folder/out`, and its main output.
    static func arguments(_ command: String, _ r: (folder: String, bold: String, mask: String, atlas: String, confounds: String),
                          strategy: String) -> (arguments: [String], output: String) {
        let out = r.folder + "/out"
        let cleaning = ["--confounds", r.confounds, "--strategy", strategy]
        switch command {
        case "seed-map":
            return (["seed-map", "--bold", r.bold, "--mask", r.mask, "--sphere", "c:0,0,0,4", "--out-z", out + "/z.nii.gz"] + cleaning, out + "/z.nii.gz")
        case "conmat":
            return (["conmat", "--bold", r.bold, "--atlas", r.atlas, "--out", out + "/m.tsv"] + cleaning, out + "/m.tsv")
        case "alff":
            return (["alff", "--bold", r.bold, "--mask", r.mask, "--out-alff", out + "/a.nii.gz"] + cleaning, out + "/a.nii.gz")
        default:
            return (["reho", "--bold", r.bold, "--mask", r.mask, "--out", out + "/r.nii.gz"] + cleaning, out + "/r.nii.gz")
        }
    }

    @Test("24P on 12 volumes: refused, one line naming the run, ν, kept volumes and strategy; nothing written",
          arguments: ["seed-map", "conmat", "alff", "reho"])
    func refusedBelowMinimum(command: String) throws {
        let r = try Self.run(frames: 12)
        let (arguments, output) = Self.arguments(command, r, strategy: "24P")
        let run = try Reference.cohortex(arguments)
        #expect(run.status == 1, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stderr)")
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("cohortex: error: " + r.bold + ": cleaning leaves 0.0 effective degrees of freedom of 12 kept volumes"), "\(line)")
        #expect(line.contains("24P") && line.contains("at least 10") && !line.contains("--"), "\(line)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("6P on 36 volumes: ν = 36 − 2 − 6 = 28, a warning, and ν in the sidecar", arguments: ["seed-map", "conmat", "alff", "reho"])
    func warnsAndRecords(command: String) throws {
        let r = try Self.run(frames: 36)
        let (arguments, output) = Self.arguments(command, r, strategy: "6P")
        let run = try Reference.cohortex(arguments)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("cohortex: warning: " + r.bold + ": cleaning leaves 28.0 effective degrees of freedom of 36 kept volumes"), "\(run.stderr)")
        let sidecar = try Reference.jsonFile(String(output.dropLast(output.hasSuffix(".gz") ? 7 : 4)) + ".json")
        let recorded: Double?
        if command == "alff" || command == "reho" {
            recorded = (sidecar["Cleaning"] as? [String: Any])?["EffectiveDegreesOfFreedom"] as? Double
        } else {
            recorded = ((sidecar["Runs"] as? [[String: Any]])?.first)?["EffectiveDegreesOfFreedom"] as? Double
        }
        #expect(abs((recorded ?? 0) - 28) < 1e-6, "\(String(describing: recorded))")
    }
}
