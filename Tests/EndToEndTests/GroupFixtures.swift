import Foundation
import NIfTI
import TestSupport

/// Small map cohorts on disk for the end-to-end and bad-input tests.
enum GroupFixtures {
    static let grid = Grid(nx: 14, ny: 16, nz: 12, affine: .scaling(2, 2, 2, origin: (-14, -16, -12)))

    /// Inside an ellipsoid "brain".
    static func inBrain(_ index: Int) -> Bool {
        let (i, j, k) = grid.coordinates(of: index)
        return pow((Double(i) - 6.5) / 6.5, 2) + pow((Double(j) - 7.5) / 7.5, 2) + pow((Double(k) - 5.5) / 5.5, 2) < 1
    }

    /// Writes participants.tsv and `maps/sub-XX_stat-z.nii.gz` (zero outside the brain, a pain
    /// effect in a blob, an age effect everywhere); returns the folder.
    @discardableResult
    static func cohort(n: Int = 24, seed: UInt64 = 1, folder: String? = nil,
                       edit: (inout [[String]], inout [String: [Float]]) -> Void = { _, _ in }) throws -> String {
        let folder = try folder ?? Reference.temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder + "/maps", withIntermediateDirectories: true)
        var rng = SeededRandom(seed: seed)
        var rows: [[String]] = []
        var maps: [String: [Float]] = [:]
        for s in 0..<n {
            let id = String(format: "sub-%02d", s + 1)
            let group = s % 2 == 0 ? "control" : "pain"
            let age = 30 + 10 * rng.normal()
            rows.append([id, group, String(format: "%.1f", age), s % 3 == 0 ? "F" : "M"])
            var voxels = [Float](repeating: 0, count: grid.voxelCount)
            for index in 0..<grid.voxelCount where inBrain(index) {
                let (i, j, k) = grid.coordinates(of: index)
                let blob = exp(-(pow(Double(i) - 4, 2) + pow(Double(j) - 5, 2) + pow(Double(k) - 5, 2)) / 6)
                voxels[index] = Float(1 + (group == "pain" ? 1.2 * blob : 0) + 0.02 * (age - 30) + rng.normal())
            }
            maps[id] = voxels
        }
        edit(&rows, &maps)
        try TSVTable(columns: ["participant_id", "group", "age", "sex"], rows: rows).write(to: folder + "/participants.tsv")
        for (id, voxels) in maps {
            try NIfTIWriter.write(Volume(grid: grid, voxels: voxels), to: "\(folder)/maps/\(id)_stat-z.nii.gz")
        }
        return folder
    }

    /// `cohortex glm` on a cohort folder with extra arguments.
    static func glm(_ folder: String, _ extra: [String], out: String = "out") throws -> ProcessResult {
        try Reference.cohortex(["glm", "--participants", folder + "/participants.tsv", "--maps", folder + "/maps/sub-*_stat-z.nii.gz",
                                "--out", folder + "/" + out] + extra)
    }

    /// The voxels of a written map.
    static func read(_ path: String) throws -> [Float] {
        try NIfTIImage(path: path).readVolume3D().voxels
    }
}
