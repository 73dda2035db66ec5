import Foundation
import NIfTI
import Pipeline
import Testing
import TestSupport

/// Seed-to-voxel maps from the built binary against nilearn 0.14 maskers on the same data and parameters.
@Suite("seed-map matches nilearn")
struct SeedMapTests {
    /// Two small fMRIPrep-like runs (3 mm, 120 volumes), made once.
    static let made: Result<String, Error> = Result {
        let folder = try Reference.temporaryFolder("cohortex-fc")
        try Reference.runPython("fc_reference.py", ["make-run", folder, "--size", "small", "--frames", "120", "--seed", "3", "--run", "1"])
        try Reference.runPython("fc_reference.py", ["make-run", folder, "--size", "small", "--frames", "120", "--seed", "4", "--run", "2"])
        return folder
    }

    static func bold(_ run: Int) throws -> String { try made.get() + "/sub-01_task-rest_run-\(run)_space-MNI_desc-preproc_bold.nii.gz" }
    static func confounds(_ run: Int) throws -> String { try made.get() + "/sub-01_task-rest_run-\(run)_desc-confounds_timeseries.tsv" }
    static func mask() throws -> String { try made.get() + "/sub-01_task-rest_run-1_space-MNI_desc-brain_mask.nii.gz" }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var flags: [String]
        var reference: String
        var runs = [1]
        /// nilearn 0.14.1 interpolates mirrored volumes (see fc_reference.py); patch it when censoring with a filter.
        var patch = false
        var confounds = true
        var description: String { name }
    }

    static let acompcor = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"].flatMap { [$0, $0 + "_derivative1", $0 + "_power2", $0 + "_derivative1_power2"] }
        + (0..<5).map { String(format: "c_comp_cor_%02d", $0) } + (0..<5).map { String(format: "w_comp_cor_%02d", $0) }

    static let cases: [Case] = [
        Case(name: "PAG sphere, 24P, band-pass, FD+DVARS scrubbing",
             flags: ["--sphere", "PAG:0,-30,-10,6", "--strategy", "24P", "--fd-threshold", "0.5", "--dvars-threshold", "1.5", "--high-pass", "0.01", "--low-pass", "0.1"],
             reference: #"{"sphere": [0, -30, -10, 6], "strategy": "24P", "fd_threshold": 0.5, "dvars_threshold": 1.5, "high_pass": 0.01, "low_pass": 0.1, "t_r": 2.0}"#,
             patch: true),
        Case(name: "PAG sphere, 36P, FD scrubbing without filter (censoring only)",
             flags: ["--sphere", "PAG:0,-30,-10,6", "--strategy", "36P", "--fd-threshold", "0.5"],
             reference: #"{"sphere": [0, -30, -10, 6], "strategy": "36P", "fd_threshold": 0.5, "t_r": 2.0}"#),
        Case(name: "PAG sphere, 24P, FD scrubbing with --min-segment 2 (nilearn scrub=2)",
             flags: ["--sphere", "PAG:0,-30,-10,6", "--strategy", "24P", "--fd-threshold", "0.4", "--min-segment", "2"],
             reference: #"{"sphere": [0, -30, -10, 6], "strategy": "24P", "fd_threshold": 0.4, "scrub": 2, "t_r": 2.0}"#),
        Case(name: "mPFC seed mask, 6P, high-pass, no detrend",
             flags: ["--seed-mask", "SEEDMASK", "--strategy", "6P", "--high-pass", "0.01", "--no-detrend"],
             reference: #"{"seed_mask": "SEEDMASK", "strategy": "6P", "high_pass": 0.01, "detrend": false, "t_r": 2.0}"#),
        // Low-pass at 0.15 Hz: at 0.08 Hz the 34 aCompCor regressors leave ν ≈ 7 of 117 volumes, which is refused.
        Case(name: "atlas-label seed, aCompCor (24P + 5 CSF + 5 WM components), low-pass, 3 dummy scans",
             flags: ["--seed-label", "ATLAS:3", "--strategy", "acompcor", "--low-pass", "0.15", "--dummy-scans", "3"],
             reference: #"{"seed_label": ["ATLAS", 3], "columns": ACOMPCOR, "low_pass": 0.15, "dummy": 3, "t_r": 2.0}"#),
        Case(name: "two runs averaged in Fisher z, 24P, band-pass",
             flags: ["--sphere", "PAG:0,-30,-10,6", "--strategy", "24P", "--high-pass", "0.01", "--low-pass", "0.1"],
             reference: #"{"sphere": [0, -30, -10, 6], "strategy": "24P", "high_pass": 0.01, "low_pass": 0.1, "t_r": 2.0}"#,
             runs: [1, 2]),
        Case(name: "6 mm smoothing before cleaning (nilearn maskers' smoothing_fwhm), 24P, band-pass",
             flags: ["--sphere", "PAG:0,-30,-10,6", "--strategy", "24P", "--high-pass", "0.01", "--low-pass", "0.1", "--smoothing-fwhm", "6"],
             reference: #"{"sphere": [0, -30, -10, 6], "strategy": "24P", "high_pass": 0.01, "low_pass": 0.1, "t_r": 2.0, "smoothing_fwhm": 6}"#),
        Case(name: "already-denoised input: no detrend, filter or confounds (fused one-pass kernel)",
             flags: ["--sphere", "PAG:0,-30,-10,8", "--no-detrend"],
             reference: #"{"sphere": [0, -30, -10, 8], "detrend": false, "t_r": 2.0}"#, confounds: false),
    ]

    static func substitute(_ text: String) throws -> String {
        let f = try made.get()
        let columns = "[" + acompcor.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        return text.replacingOccurrences(of: "SEEDMASK", with: f + "/seed_mpfc.nii.gz").replacingOccurrences(of: "ATLAS", with: f + "/atlas.nii.gz")
            .replacingOccurrences(of: "ACOMPCOR", with: columns)
    }

    @Test("Fisher z maps agree with nilearn to max |Δz| < 1e-3", arguments: cases)
    func agreesWithNilearn(c: Case) throws {
        let out = try Reference.temporaryFolder()
        var args = ["seed-map", "--mask", try Self.mask(), "--out-z", out + "/z.nii.gz", "--out-r", out + "/r.nii.gz"]
        for run in c.runs { args += ["--bold", try Self.bold(run)] + (c.confounds ? ["--confounds", try Self.confounds(run)] : []) }
        args += try c.flags.map(Self.substitute)
        let ours = try Reference.cohortex(args)
        #expect(ours.status == 0, "\(ours.stderr)")

        let json = try Self.substitute(c.reference)
        let bolds = try c.runs.map(Self.bold).joined(separator: ",")
        try Reference.runPython("fc_reference.py", ["seed-map", bolds, try Self.mask(), json, out + "/ref.nii.gz"],
                                environment: c.patch ? ["PATCH_NILEARN_INTERPOLATION": "1"] : [:])

        let z = try NIfTIImage(path: out + "/z.nii.gz").readVolume().voxels
        let expected = try NIfTIImage(path: out + "/ref.nii.gz").readVolume().voxels
        let mask = try NIfTIImage(path: try Self.mask()).readMask()
        // Constant and NaN/Inf voxels: nilearn standardises rounding noise (or NaN) into arbitrary values;
        // Cohortex excludes them per run (counted in the sidecar), so they are not compared — and a voxel
        // excluded in every run must be exactly 0.
        var excludedIn = [Int: Int]()
        for run in c.runs {
            let bold = try NIfTIImage(path: try Self.bold(run)).readVolume()
            let n = bold.grid.voxelCount
            for i in mask.indices {
                let series = (0..<bold.frames).map { bold.voxels[$0 * n + i] }
                if series.contains(where: { !$0.isFinite }) || series.allSatisfy({ $0 == series[0] }) { excludedIn[i, default: 0] += 1 }
            }
        }
        #expect(excludedIn.count == 5 * c.runs.count)
        // (Smoothing first replaces NaN/Inf by 0 and blends constant voxels with their neighbours, as nilearn.)
        let smoothed = c.flags.contains("--smoothing-fwhm")
        for (i, runs) in excludedIn where runs == c.runs.count && !smoothed { #expect(z[i] == 0) }
        let constant = Set(excludedIn.keys)
        var worst: Float = 0, compared = 0
        for i in mask.indices where expected[i] != 0 && !constant.contains(i) {
            worst = max(worst, abs(z[i] - expected[i]))
            compared += 1
        }
        #expect(compared > 5000)
        #expect(worst < 1e-3, "\(c.name): max |Δz| = \(worst)")
        #expect(z.allSatisfy { $0.isFinite }, "no NaN/Inf is ever written")
        let r = try NIfTIImage(path: out + "/r.nii.gz")
        let zImage = try NIfTIImage(path: out + "/z.nii.gz")
        let boldGrid = try NIfTIImage(path: try Self.bold(1)).grid
        #expect(r.header.intentCode == 2)
        #expect(zImage.header.intentCode == 5)
        #expect(r.grid.matches(boldGrid))
        let maxSignal = expected.map(abs).max() ?? 0
        #expect(maxSignal > 0.3, "the test data must carry real connectivity")
    }

    @Test("QC sidecar: FD, scrubbed volumes, tSNR, seed voxels; excluded voxels counted, never NaN")
    func sidecar() throws {
        let out = try Reference.temporaryFolder()
        let run = try Reference.cohortex(["seed-map", "--bold", try Self.bold(1), "--confounds", try Self.confounds(1), "--mask", try Self.mask(),
                                          "--sphere", "PAG:0,-30,-10,6", "--fd-threshold", "0.5", "--out-z", out + "/z.nii.gz"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("zero variance") && run.stderr.contains("NaN/Inf"))
        let json = try Reference.jsonFile(out + "/z.json")
        let qc = try #require((json["Runs"] as? [[String: Any]])?.first)
        // Exact counts from nilearn (scrub sample mask, sphere selection) and numpy (FD, tSNR): dropping the
        // min-segment rule or one non-steady-state volume changes them.
        let reference = try Reference.json(try Reference.runPython("fc_reference.py", [
            "qc", try Self.bold(1), try Self.confounds(1), try Self.mask(), #"{"sphere": [0, -30, -10, 6], "strategy": "24P", "fd_threshold": 0.5}"#]))
        #expect(qc["Volumes"] as? Int == 120)
        #expect(qc["CensoredVolumes"] as? Int == reference["censored"] as? Int, "\(reference)")
        #expect(qc["NonSteadyStateVolumes"] as? Int == 1 && reference["non_steady"] as? Int == 1)
        #expect(abs((qc["MeanFramewiseDisplacement"] as? Double ?? 0) - (reference["mean_fd"] as! Double)) < 1e-9)
        #expect(abs((qc["MaxFramewiseDisplacement"] as? Double ?? 0) - (reference["max_fd"] as! Double)) < 1e-9)
        #expect(abs((qc["MedianTSNR"] as? Double ?? 0) / (reference["median_tsnr"] as! Double) - 1) < 1e-4)
        #expect(qc["SeedVoxels"] as? Int == reference["seed_voxels"] as? Int)
        #expect(qc["ZeroVarianceVoxelsExcluded"] as? Int == 3)
        #expect(qc["NonFiniteVoxelsExcluded"] as? Int == 2)
        #expect(json["ExcludedVoxels"] as? Int == 5)
        #expect(json["ConfoundStrategy"] as? String == "24P")
    }

    @Test("identical maps for 1 and 2 threads")
    func deterministic() throws {
        let out = try Reference.temporaryFolder()
        for threads in ["1", "2"] {
            let run = try Reference.cohortex(["seed-map", "--bold", try Self.bold(1), "--confounds", try Self.confounds(1), "--mask", try Self.mask(),
                                              "--sphere", "PAG:0,-30,-10,6", "--high-pass", "0.01", "--low-pass", "0.1", "--threads", threads,
                                              "--out-z", out + "/z\(threads).nii"])
            #expect(run.status == 0)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/z1.nii")) == Data(contentsOf: URL(fileURLWithPath: out + "/z2.nii")))
    }

    @Test("several seeds in one pass give each seed's single-seed map, named by {seed}")
    func severalSeeds() throws {
        let out = try Reference.temporaryFolder()
        let common = ["--bold", try Self.bold(1), "--confounds", try Self.confounds(1), "--mask", try Self.mask(), "--high-pass", "0.01", "--low-pass", "0.1"]
        let both = try Reference.cohortex(["seed-map"] + common + ["--sphere", "PAG:0,-30,-10,6", "--seed-mask", try Self.made.get() + "/seed_mpfc.nii.gz",
                                                                 "--out-z", out + "/seed-{seed}_z.nii.gz"])
        #expect(both.status == 0, "\(both.stderr)")
        let single = try Reference.cohortex(["seed-map"] + common + ["--sphere", "PAG:0,-30,-10,6", "--out-z", out + "/pag.nii.gz"])
        #expect(single.status == 0)
        let a = try NIfTIImage(path: out + "/seed-PAG_z.nii.gz").readVolume().voxels
        let b = try NIfTIImage(path: out + "/pag.nii.gz").readVolume().voxels
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(FileManager.default.fileExists(atPath: out + "/seed-seed_mpfc_z.nii.gz"))
        #expect((try Reference.jsonFile(out + "/seed-seed_mpfc_z.json"))["Seed"] as? String == "mask " + (try Self.made.get()) + "/seed_mpfc.nii.gz")
        let clash = try Reference.cohortex(["seed-map"] + common + ["--sphere", "PAG:0,-30,-10,6", "--sphere", "B:0,50,0,6", "--out-z", out + "/x.nii.gz"])
        #expect(clash.status == 64 && clash.stderr.contains("with 2 seeds the output names need {seed}"), "\(clash.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/x.nii.gz"))
    }
}
