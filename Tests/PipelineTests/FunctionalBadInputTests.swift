import Foundation
import Kernels
import NIfTI
import Pipeline
import Testing
import TestSupport

/// Bad functional inputs: each is a clear error naming the file (and column, run or seed).
@Suite("seed-map and conmat: bad input")
struct FunctionalBadInputTests {
    static let grid = Grid(nx: 8, ny: 9, nz: 7, affine: .scaling(3, 3, 3, origin: (-12, -12, -9)))

    /// A small run: BOLD (frames volumes, TR 2 unless `tr` is nil), full mask, confounds with `rows` rows.
    static func run(frames: Int = 40, rows: Int? = nil, tr: Double? = 2, fd: (Int) -> Double = { _ in 0.1 }) throws -> (bold: String, mask: String, confounds: String) {
        let folder = try Reference.temporaryFolder()
        var rng = SeededRandom(seed: 17)
        let n = grid.voxelCount
        let values = (0..<(n * frames)).map { _ in Float(1000 + 10 * rng.normal()) }
        try NIfTIWriter.write(Volume(grid: grid, frames: frames, voxels: values, repetitionTime: tr), to: folder + "/bold.nii.gz")
        try NIfTIWriter.write(Volume(grid: grid, voxels: [Float](repeating: 1, count: n)), to: folder + "/mask.nii.gz", datatype: .uint8)
        let names = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z", "framewise_displacement"]
        var text = names.joined(separator: "\t") + "\n"
        for t in 0..<(rows ?? frames) {
            text += (0..<6).map { _ in String(rng.normal()) }.joined(separator: "\t") + "\t" + (t == 0 ? "n/a" : String(fd(t))) + "\n"
        }
        try text.write(toFile: folder + "/confounds.tsv", atomically: true, encoding: .utf8)
        return (folder + "/bold.nii.gz", folder + "/mask.nii.gz", folder + "/confounds.tsv")
    }

    static let seed = Seed.sphere(Sphere(name: "centre", x: 0, y: 0, z: 0, radius: 4))

    @Test func confoundRowsMustMatchVolumes() throws {
        let r = try Self.run(rows: 38)
        #expect(throws: ConfoundError.rowCountMismatch(path: r.confounds, rows: 38, volumes: 40, bold: r.bold)) {
            try SeedMap.compute(runs: [FunctionalRun(bold: r.bold, confounds: r.confounds)], maskPath: r.mask, seeds: [Self.seed],
                            options: DenoisingOptions(strategy: .sixP), parallelism: .available)
        }
    }

    @Test func missingStrategyColumnIsNamedWithTheAvailableOnes() throws {
        let r = try Self.run()
        do {
            _ = try SeedMap.compute(runs: [FunctionalRun(bold: r.bold, confounds: r.confounds)], maskPath: r.mask, seeds: [Self.seed],
                                options: DenoisingOptions(strategy: .twentyFourP), parallelism: .available)
            Issue.record("expected an error")
        } catch let ConfoundError.missingColumns(path, strategy, missing, available) {
            #expect(path == r.confounds && strategy == "24P")
            #expect(missing.contains("trans_x_derivative1") && missing.count == 18)
            #expect(available.contains("framewise_displacement"))
        }
    }

    @Test func tooFewVolumesAfterScrubbingNamesTheRun() throws {
        let r = try Self.run(fd: { $0 % 3 == 0 ? 0.9 : 0.1 })
        do {
            _ = try SeedMap.compute(runs: [FunctionalRun(bold: r.bold, confounds: r.confounds)], maskPath: r.mask, seeds: [Self.seed],
                                options: DenoisingOptions(strategy: .sixP, censoring: Censoring(fdThreshold: 0.5)), parallelism: .available)
            Issue.record("expected an error")
        } catch let SignalError.tooFewVolumes(run, kept, frames, _, minimum) {
            #expect(minimum == 10)
            #expect(run == r.bold && kept < 10 && frames == 40)
        }
    }

    @Test func maskOnAnotherGridIsRefused() throws {
        let r = try Self.run()
        let other = try Reference.temporaryFolder() + "/mask.nii"
        try NIfTIWriter.write(Volume(grid: Grid(nx: 8, ny: 9, nz: 7, affine: .scaling(2, 2, 2)), voxels: [Float](repeating: 1, count: 504)), to: other, datatype: .uint8)
        #expect(throws: NIfTIError.self) {
            try SeedMap.compute(runs: [FunctionalRun(bold: r.bold)], maskPath: other, seeds: [Self.seed], options: DenoisingOptions(), parallelism: .available)
        }
    }

    @Test func filteringWithoutAnyTRIsAnError() throws {
        let r = try Self.run(tr: 0)
        #expect(throws: SignalError.missingRepetitionTime(path: r.bold)) {
            try SeedMap.compute(runs: [FunctionalRun(bold: r.bold)], maskPath: r.mask, seeds: [Self.seed],
                            options: DenoisingOptions(cleaning: CleaningParameters(highPass: 0.01)), parallelism: .available)
        }
        // …and --tr rescues it.
        let ok = try SeedMap.compute(runs: [FunctionalRun(bold: r.bold)], maskPath: r.mask, seeds: [Self.seed],
                                 options: DenoisingOptions(cleaning: CleaningParameters(repetitionTime: 2, highPass: 0.01)), parallelism: .available)
        #expect(ok.qc[0].repetitionTime == 2)
    }

    @Test func sphereOutsideTheMaskNamesTheSeed() throws {
        let r = try Self.run()
        let far = Seed.sphere(Sphere(name: "nowhere", x: 200, y: 0, z: 0, radius: 5))
        #expect(throws: RegionError.self) {
            try SeedMap.compute(runs: [FunctionalRun(bold: r.bold)], maskPath: r.mask, seeds: [far], options: DenoisingOptions(), parallelism: .available)
        }
        let error = #expect(throws: RegionError.self) { try far.positions(in: try NIfTIImage(path: r.mask).readMask(), parallelism: .available) }
        #expect(error.map { "\($0)".contains("nowhere") } == true, "\(String(describing: error))")
    }

    @Test func threeDimensionalBoldIsRefused() throws {
        let r = try Self.run()
        #expect(throws: SignalError.notFourD(path: r.mask, frames: 1, needed: 2, purpose: "a functional run")) {
            try SeedMap.compute(runs: [FunctionalRun(bold: r.mask)], maskPath: r.mask, seeds: [Self.seed], options: DenoisingOptions(), parallelism: .available)
        }
    }

    @Test(arguments: ["12P", "columns", "regex:(["])
    func unknownStrategies(text: String) {
        #expect(throws: ConfoundError.self) { try ConfoundStrategy(parsing: text) }
    }

    @Test("strategy column sets follow fMRIPrep's names")
    func strategyColumns() throws {
        #expect(try ConfoundStrategy.sixP.columns(available: []) == ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"])
        #expect(try ConfoundStrategy.twentyFourP.columns(available: []).count == 24)
        let thirtySix = try ConfoundStrategy.thirtySixP.columns(available: [])
        #expect(thirtySix.count == 36 && thirtySix.contains("global_signal_derivative1_power2") && thirtySix.contains("white_matter_power2"))
        let components = (0..<8).flatMap { n in ["a", "c", "w"].map { String(format: "\($0)_comp_cor_%02d", n) } }
        let old = try ConfoundStrategy.aCompCor.columns(available: components.filter { $0.hasPrefix("a_") })
        #expect(old.count == 29 && old.last == "a_comp_cor_04")
        let new = try ConfoundStrategy.aCompCor.columns(available: components)
        #expect(new.count == 34 && new.contains("c_comp_cor_04") && new.contains("w_comp_cor_04") && !new.contains("a_comp_cor_00"))
        // Fewer retained components than five (fMRIPrep keeps 50% of the variance): those there are, as nilearn.
        let fewer = try ConfoundStrategy.aCompCor.columns(available: ["c_comp_cor_00", "c_comp_cor_01", "c_comp_cor_02", "w_comp_cor_00", "w_comp_cor_01"])
        #expect(Array(fewer.dropFirst(24)) == ["c_comp_cor_00", "c_comp_cor_01", "c_comp_cor_02", "w_comp_cor_00", "w_comp_cor_01"])
        // Component 00 is always required: a table without any is a missing-column error, not a silent 24P.
        #expect(try ConfoundStrategy.aCompCor.columns(available: []).last == "a_comp_cor_00")
        #expect(try ConfoundStrategy(parsing: "regex:^rot_").columns(available: ["rot_x", "trans_x", "rot_z"]) == ["rot_x", "rot_z"])
    }

    @Test("scrubbing: FD outliers, then kept segments shorter than the minimum, as nilearn's optimize_scrub")
    func scrubbingSegments() {
        var fd = [Double](repeating: 0.1, count: 30)
        fd[0] = .nan
        for t in [3, 10, 13, 25] { fd[t] = 0.9 }
        let plan = Censoring(fdThreshold: 0.5, minSegment: 5).keptVolumes(frames: 30, fd: fd, dvars: nil)
        // Segments: 0-2 (3 < 5: censored), 4-9 (kept), 11-12 (censored), 14-24 (kept), 26-29 (4 < 5: censored).
        #expect(plan.kept == Array(4...9) + Array(14...24))
        #expect(plan.motionOutliers == 4)
    }
}
