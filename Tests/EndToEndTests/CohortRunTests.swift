import Foundation
import NIfTI
import Testing
import TestSupport

/// `cohortex run` end to end on a study from `cohortex simulate`: plan, participant level, resume, kills,
/// failure isolation, safety, and equality with the single commands.
@Suite("Cohort runs", .serialized)
struct CohortRunTests {
    /// The pipeline every test runs: a seed map, ALFF, ReHo and regional GM — every participant-level stage.
    static let pipeline = """
    name: cohort-test
    description: every participant-level stage on a tiny study
    space: MNI152NLin2009cAsym
    denoising:
      strategy: 6P
      fd_threshold: 0.5
      min_segment: 3
      high_pass: 0.01
    seed_map:
      seeds:
        - {name: PAG, centre: [0, -32, -10], radius: 10}
      pearson_r: true
    connectivity:
      atlas: atlas.nii.gz
      name: Octants
    alff:
      band: [0.01, 0.1]
    reho:
      neighbourhood: 27
    structural:
      source: fmriprep
      cortical: [ctx-lh-rostralmiddlefrontal, ctx-rh-rostralmiddlefrontal]
      subcortical: [Left-Thalamus, Right-Thalamus]
    session: "1"
    qc:
      max_mean_fd: 0.5
    group:
      models:
        - name: seed
          input: seed-map:PAG
          formula: "~ group + mean_fd"
          contrasts: [pain-control, control-pain]
          references: {group: control}
          permutations: 99
          two_sided: false
          clusters: {threshold: z=2.3, forming_threshold: p=0.01, atlas: atlas.nii.gz}
        - name: gm
          input: gm-volume
          formula: "~ group + tiv_mm3"
          contrasts: [pain-control]
          permutations: 99
        - name: severity
          input: seed-map:PAG
          formula: "~ pain_severity"
          contrasts: [pain_severity]
          optional: true

    """

    /// The test pipeline with one setting changed, for a file written elsewhere: the atlas (relative to the
    /// original file) is named by its absolute path.
    static func variant(of pipelineFile: String, _ old: String, _ new: String) -> String {
        let atlas = (pipelineFile as NSString).deletingLastPathComponent + "/atlas.nii.gz"
        return pipeline.replacingOccurrences(of: old, with: new).replacingOccurrences(of: "atlas: atlas.nii.gz", with: "atlas: \(atlas)")
    }

    /// One simulated study shared by the tests (read-only: every test writes its own output folder).
    static let study: Result<(root: String, pipeline: String), Error> = Result {
        let folder = try Reference.temporaryFolder("cohortex-cohort")
        let root = folder + "/study"
        let sim = try Reference.cohortex(["simulate", root, "--participants", "5", "--seed", "7", "--shape", "16,16,16",
                                          "--volumes", "40"])
        guard sim.status == 0 else { throw ReferenceError.failed("cohortex simulate", sim.stderr) }
        let pipeline = folder + "/pipeline.yaml"
        try Self.pipeline.write(toFile: pipeline, atomically: true, encoding: .utf8)
        // An 8-region atlas on the BOLD grid (the octants of the brain mask), beside the pipeline file.
        let mask = try NIfTIImage(path: root + "/derivatives/fmriprep/sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_desc-brain_mask.nii.gz")
        let inside = try mask.readVolume().voxels
        let grid = mask.grid
        var labels = [Float](repeating: 0, count: grid.voxelCount)
        for index in 0..<grid.voxelCount where inside[index] > 0 {
            let (i, j, k) = grid.coordinates(of: index)
            labels[index] = Float(1 + (i >= grid.nx / 2 ? 1 : 0) + (j >= grid.ny / 2 ? 2 : 0) + (k >= grid.nz / 2 ? 4 : 0))
        }
        try NIfTIWriter.write(Volume(grid: grid, voxels: labels), to: folder + "/atlas.nii.gz", datatype: .int16)
        return (root, pipeline)
    }

    /// One uninterrupted run every comparison uses.
    static let reference: Result<String, Error> = Result {
        let (root, pipeline) = try study.get()
        let out = try Reference.temporaryFolder("cohortex-cohort-ref") + "/out"
        let run = try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "--jobs", "2", "-q"])
        guard run.status == 0 else { throw ReferenceError.failed("cohortex run", run.stdout + run.stderr) }
        return out
    }

    /// Every output file (logs excluded) by relative path; JSON sidecars without the `Job` fingerprint,
    /// which names the output folder.
    static func digest(_ folder: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            let path = folder + "/" + relative
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
                  !relative.hasPrefix("logs/") else { continue }
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            if relative.hasSuffix(".json"), var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
                object["Job"] = nil
                data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            }
            result[relative] = data
        }
        return result
    }

    /// Every file under `folder` with its inode and modification time.
    static func stamps(_ folder: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/" + relative)
            guard attributes[.type] as? FileAttributeType == .typeRegular, !relative.hasPrefix("logs/") else { continue }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            result[relative] = "\(attributes[.systemFileNumber] ?? 0)@\(modified)"
        }
        return result
    }

    @Test("dry run: the plan lists participants, stages and predicted memory, and writes nothing")
    func dryRun() throws {
        let (root, pipeline) = try Self.study.get()
        let out = try Reference.temporaryFolder("cohortex-cohort-dry") + "/out"
        let before = try Self.stamps(root)
        let run = try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "--dry-run"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("found: 5 participant(s)"))
        #expect(run.stdout.contains("stages: seed-map, conmat, alff, reho, qc, gm-volume"), "\(run.stdout)")
        #expect(run.stdout.contains("sub-02\tseed-map\tses-1\twill run (not run yet)"))
        #expect(run.stdout.contains("sub-03\talff\trun-2\twill run"))
        #expect(run.stdout.contains("Nothing was written."))
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try Self.stamps(root) == before)
    }

    @Test("participant level: XCP-D names, dataset_description, QC tables; nothing written in the BIDS folder")
    func participantLevel() throws {
        let (root, _) = try Self.study.get()
        let out = try Self.reference.get()
        let files = try Self.digest(out)
        for name in [
            "dataset_description.json",
            "sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-z_boldmap.nii.gz",
            "sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-z_boldmap.json",
            "sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-r_boldmap.nii.gz",
            "sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_stat-alff_boldmap.nii.gz",
            "sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_stat-falff_boldmap.nii.gz",
            "sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_stat-reho_boldmap.nii.gz",
            "sub-01/func/sub-01_task-rest_desc-linc_qc.tsv",
            "sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_atlas-Octants_stat-pearsoncorrelation_relmat.tsv",
            "sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_atlas-Octants_stat-fisherz_relmat.tsv",
            "sub-01/func/sub-01_task-rest_space-MNI152NLin2009cAsym_res-2_atlas-Octants_stat-mean_timeseries.tsv",
            "sub-01/anat/sub-01_desc-aparcaseg_stat-gmvolume_morph.tsv",
            "sub-02/ses-1/func/sub-02_ses-1_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-z_boldmap.nii.gz",
            "sub-02/ses-2/func/sub-02_ses-2_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-z_boldmap.nii.gz",
            "sub-03/func/sub-03_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-z_boldmap.nii.gz",
            "sub-03/func/sub-03_task-rest_run-1_space-MNI152NLin2009cAsym_res-2_stat-reho_boldmap.nii.gz",
            "sub-03/func/sub-03_task-rest_run-2_space-MNI152NLin2009cAsym_res-2_stat-reho_boldmap.nii.gz",
        ] {
            #expect(files[name] != nil, "missing \(name)")
        }
        // Distractors (other spaces and tasks) produced nothing.
        #expect(!files.keys.contains { $0.contains("task-other") || $0.contains("space-T1w") || $0.contains("MNI152NLin6Asym") })
        let description = try Reference.jsonFile(out + "/dataset_description.json")
        #expect(description["DatasetType"] as? String == "derivative")
        let generated = try #require((description["GeneratedBy"] as? [[String: Any]])?.first)
        #expect(generated["Name"] as? String == "Cohortex" && generated["Pipeline"] as? String == "cohort-test")
        #expect((generated["ConfigurationHash"] as? String)?.count == 16)
        // The two-run participant's QC table has one row per run; the seed-map sidecar says the runs were combined.
        let qc = try TSVTable(contentsOf: out + "/sub-03/func/sub-03_task-rest_desc-linc_qc.tsv")
        #expect(qc.rows.count == 2 && qc.columns.contains("mean_fd") && qc.columns.contains("num_censored_volumes"))
        #expect(try qc.column("run") == ["1", "2"])
        let sidecar = try Reference.jsonFile(out + "/sub-03/func/sub-03_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-z_boldmap.json")
        #expect((sidecar["Runs"] as? [Any])?.count == 2)
        #expect((sidecar["Measure"] as? String)?.contains("mean over runs") == true)
        // Region names a person can read, from the built-in FreeSurfer table.
        let gm = try TSVTable(contentsOf: out + "/sub-01/anat/sub-01_desc-aparcaseg_stat-gmvolume_morph.tsv")
        #expect(try gm.column("name").contains("ctx-lh-rostralmiddlefrontal"))
        #expect(try gm.column("name").contains("Left-Thalamus"))
        #expect(!(try gm.column("name")).contains { $0.hasPrefix("label-") })
        // The BIDS folder is untouched apart from nothing: no file under it is newer than the study.
        #expect(!FileManager.default.fileExists(atPath: root + "/derivatives/cohortex"))
    }

    @Test("the run's outputs equal the single commands' byte for byte (sidecars without provenance keys)")
    func equalsSingleCommands() throws {
        // The run records inputs by their standardised absolute path (the temporary folder's name has a `//`).
        let root = (try Self.study.get().root as NSString).standardizingPath
        let out = try Self.reference.get()
        let single = try Reference.temporaryFolder("cohortex-cohort-single")
        let f = root + "/derivatives/fmriprep/sub-03/func/sub-03_task-rest_"
        let space = "space-MNI152NLin2009cAsym_res-2_"
        let cleaning = ["--strategy", "6P", "--fd-threshold", "0.5", "--min-segment", "3", "--high-pass", "0.01"]
        let seed = try Reference.cohortex(["seed-map", "--bold", f + "run-1_" + space + "desc-preproc_bold.nii.gz",
                                           "--bold", f + "run-2_" + space + "desc-preproc_bold.nii.gz",
                                           "--confounds", f + "run-1_desc-confounds_timeseries.tsv",
                                           "--confounds", f + "run-2_desc-confounds_timeseries.tsv",
                                           "--mask", f + "run-1_" + space + "desc-brain_mask.nii.gz",
                                           "--sphere", "PAG:0,-32,-10,10", "--out-z", single + "/z.nii.gz", "--out-r", single + "/r.nii.gz"] + cleaning)
        #expect(seed.status == 0, "\(seed.stderr)")
        let stem = out + "/sub-03/func/sub-03_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-"
        #expect(try Data(contentsOf: URL(fileURLWithPath: single + "/z.nii.gz")) == Data(contentsOf: URL(fileURLWithPath: stem + "z_boldmap.nii.gz")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: single + "/r.nii.gz")) == Data(contentsOf: URL(fileURLWithPath: stem + "r_boldmap.nii.gz")))
        let provenance: Set<String> = ["Job", "Outputs", "Software", "SoftwareVersion", "CommandLine"]
        func strip(_ path: String) throws -> Data {
            var object = try Reference.jsonFile(path)
            for key in provenance { object[key] = nil }
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        }
        #expect(try strip(single + "/z.json") == strip(stem + "z_boldmap.json"))

        let gm = try Reference.cohortex(["gm-volume", "--gm", root + "/derivatives/fmriprep/sub-01/anat/sub-01_label-GM_probseg.nii.gz",
                                         "--wm", root + "/derivatives/fmriprep/sub-01/anat/sub-01_label-WM_probseg.nii.gz",
                                         "--csf", root + "/derivatives/fmriprep/sub-01/anat/sub-01_label-CSF_probseg.nii.gz",
                                         "--atlas", root + "/derivatives/fmriprep/sub-01/anat/sub-01_desc-aparcaseg_dseg.nii.gz",
                                         "--labels", "freesurfer", "--out", single + "/gm.tsv"])
        #expect(gm.status == 0, "\(gm.stderr)")
        #expect(try String(contentsOfFile: single + "/gm.tsv", encoding: .utf8)
                == String(contentsOfFile: out + "/sub-01/anat/sub-01_desc-aparcaseg_stat-gmvolume_morph.tsv", encoding: .utf8))

        let g = root + "/derivatives/fmriprep/sub-01/func/sub-01_task-rest_"
        let reho = try Reference.cohortex(["reho", "--bold", g + space + "desc-preproc_bold.nii.gz", "--mask", g + space + "desc-brain_mask.nii.gz",
                                           "--confounds", g + "desc-confounds_timeseries.tsv", "--neighbourhood", "27",
                                           "--out", single + "/reho.nii.gz"] + cleaning)
        #expect(reho.status == 0, "\(reho.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: single + "/reho.nii.gz"))
                == Data(contentsOf: URL(fileURLWithPath: out + "/sub-01/func/sub-01_task-rest_" + space + "stat-reho_boldmap.nii.gz")))
    }

    @Test("a rerun does nothing: no job runs, no output's inode or modification time changes")
    func rerunDoesNothing() throws {
        let (root, pipeline) = try Self.study.get()
        let out = try Reference.temporaryFolder("cohortex-cohort-rerun") + "/out"
        let first = try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "-q"])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Self.stamps(out)
        let second = try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("0 done, 5 up to date, 0 failed"), "\(second.stdout)")
        #expect(try Self.stamps(out) == before)
    }

    @Test("a changed parameter redoes only what depends on it")
    func changedParameter() throws {
        let (root, pipeline) = try Self.study.get()
        let folder = try Reference.temporaryFolder("cohortex-cohort-change")
        let out = folder + "/out"
        #expect(try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "-q"]).status == 0)
        let before = try Self.stamps(out)
        let changed = folder + "/changed.yaml"
        try Self.variant(of: pipeline, "band: [0.01, 0.1]", "band: [0.01, 0.08]").write(toFile: changed, atomically: true, encoding: .utf8)
        let run = try Reference.cohortex(["run", root, out, "participant", "--pipeline", changed])
        #expect(run.status == 0, "\(run.stderr)")
        let after = try Self.stamps(out)
        let redone = Set(after.keys.filter { after[$0] != before[$0] }).subtracting(["dataset_description.json"])
        #expect(!redone.isEmpty && redone.allSatisfy { $0.contains("alff") }, "\(redone.sorted())")
        // Every ALFF output (6 runs: 3 single-run participants, 2 sessions, 2 runs) was redone.
        #expect(redone.filter { $0.hasSuffix("stat-alff_boldmap.nii.gz") }.count == 7)
    }

    @Test("--jobs 1 and --jobs 2 give bit-identical outputs")
    func jobsInvariance() throws {
        let (root, pipeline) = try Self.study.get()
        let out = try Reference.temporaryFolder("cohortex-cohort-jobs1") + "/out"
        let run = try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "--jobs", "1", "--threads", "1", "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let a = try Self.digest(out), b = try Self.digest(try Self.reference.get())
        #expect(a.keys.sorted() == b.keys.sorted())
        for key in a.keys.sorted() where a[key] != b[key] { Issue.record("\(key) differs between --jobs 1 and --jobs 2") }
    }

    @Test("killed at several points (fault hook) and resumed: bit-identical to the uninterrupted run, no temporaries left",
          arguments: [1, 4, 9, 17, 30])
    func killAndResume(rename: Int) throws {
        let (root, pipeline) = try Self.study.get()
        let out = try Reference.temporaryFolder("cohortex-cohort-kill") + "/out"
        let killed = try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "-q"],
                                            environment: ["COHORTEX_FAULT": "exit-after-rename:\(rename)"])
        #expect(killed.status == 86, "\(killed.stderr)")
        let resumed = try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "--jobs", "2", "-q"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let a = try Self.digest(out), b = try Self.digest(try Self.reference.get())
        #expect(a.keys.sorted() == b.keys.sorted())
        for key in a.keys.sorted() where a[key] != b[key] { Issue.record("\(key) differs after a kill at rename \(rename)") }
        #expect(!a.keys.contains { ($0 as NSString).lastPathComponent.hasPrefix(".") })
    }

    @Test("a real SIGKILL mid-run, then resume: bit-identical")
    func sigkill() throws {
        let (root, pipeline) = try Self.study.get()
        let out = try Reference.temporaryFolder("cohortex-cohort-sigkill") + "/out"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Reference.cohortexBinary)
        process.arguments = ["run", root, out, "participant", "--pipeline", pipeline, "-q"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Kill once some outputs exist (the run takes several seconds; poll, never sleep a fixed time).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (try? Self.digest(out).count) ?? 0 < 8 { usleep(20_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let resumed = try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "-q"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let a = try Self.digest(out), b = try Self.digest(try Self.reference.get())
        #expect(a.keys.sorted() == b.keys.sorted())
        for key in a.keys.sorted() where a[key] != b[key] { Issue.record("\(key) differs after SIGKILL") }
    }

    @Test("a corrupt participant is reported and skipped; the others finish; exit status 1")
    func corruptParticipant() throws {
        let (root, pipeline) = try Self.study.get()
        let folder = try Reference.temporaryFolder("cohortex-cohort-corrupt")
        let copy = folder + "/study"
        try FileManager.default.copyItem(atPath: root, toPath: copy)
        let bold = copy + "/derivatives/fmriprep/sub-04/func/sub-04_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz"
        let data = try Data(contentsOf: URL(fileURLWithPath: bold))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: bold))
        let out = folder + "/out"
        let run = try Reference.cohortex(["run", copy, out, "participant", "--pipeline", pipeline])
        #expect(run.status == 1)
        #expect(run.stdout.contains("sub-04\tfailed"), "\(run.stdout)")
        #expect(run.stdout.contains("4 done, 0 up to date, 1 failed"), "\(run.stdout)")
        let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("sub-04") } ?? ""
        #expect(line.contains("sub-04_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz"))
        #expect(FileManager.default.fileExists(atPath: out + "/sub-05/func/sub-05_task-rest_desc-linc_qc.tsv"))
        // sub-04's structural job does not depend on the BOLD series and still ran.
        #expect(FileManager.default.fileExists(atPath: out + "/sub-04/anat/sub-04_desc-aparcaseg_stat-gmvolume_morph.tsv"))
        #expect(!FileManager.default.fileExists(atPath: out + "/sub-04/func/sub-04_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-z_boldmap.nii.gz"))
    }

    @Test("refusals: hostile labels (exit 64), output inside the BIDS folder, unknown participant", arguments: [
        (["--participant-label", "../x"], Int32(64), "letters and digits"),
        (["--participant-label", "sub-01/.."], Int32(64), "letters and digits"),
        (["--session-label", "1\u{7}"], Int32(64), "letters and digits"),
        (["--participant-label", "99"], Int32(1), "no derivatives for participant(s) sub-99"),
        (["--space", "MNI152NLin2009cAsym:res-1"], Int32(1), "space MNI152NLin2009cAsym:res-1 not found"),
        (["--pipeline", "no-such-preset"], Int32(1), "neither a pipeline file nor a preset"),
    ])
    func refusals(extra: [String], status: Int32, message: String) throws {
        let (root, pipeline) = try Self.study.get()
        let out = try Reference.temporaryFolder("cohortex-cohort-refuse") + "/out"
        let arguments = extra.first == "--pipeline" ? extra : ["--pipeline", pipeline] + extra
        let run = try Reference.cohortex(["run", root, out, "participant"] + arguments)
        #expect(run.status == status, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("an output folder inside the BIDS dataset is refused unless it is derivatives/<name>")
    func outputInsideDataset() throws {
        let (root, pipeline) = try Self.study.get()
        let run = try Reference.cohortex(["run", root, root + "/sub-01/out", "participant", "--pipeline", pipeline, "--dry-run"])
        #expect(run.status == 1 && run.stderr.contains("is inside the BIDS dataset"), "\(run.stderr)")
        let allowed = try Reference.cohortex(["run", root, root + "/derivatives/cohortex", "participant", "--pipeline", pipeline, "--dry-run"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let input = try Reference.cohortex(["run", root, root + "/derivatives/fmriprep", "participant", "--pipeline", pipeline, "--dry-run"])
        #expect(input.status == 1 && input.stderr.contains("is an input derivatives folder"), "\(input.stderr)")
    }

    @Test("group level: design with mean_fd and TIV measured at the participant level, GLMs equal to the single glm command, QC exclusions listed")
    func groupLevel() throws {
        let (root, pipeline) = try Self.study.get()
        let folder = try Reference.temporaryFolder("cohortex-cohort-group")
        let out = folder + "/out"
        // Its own participant level: outputs copied elsewhere no longer match their fingerprints (they name their folder).
        #expect(try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "-q", "--jobs", "2"]).status == 0)
        let before = try Self.stamps(out)
        let dry = try Reference.cohortex(["run", root, out, "group", "--pipeline", pipeline, "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("5 participant(s) would be included, 0 excluded"), "\(dry.stdout)\(dry.stderr)")
        #expect(try Self.stamps(out) == before && !FileManager.default.fileExists(atPath: out + "/group"))
        let run = try Reference.cohortex(["run", root, out, "group", "--pipeline", pipeline])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("5 participant(s) included, 0 excluded"), "\(run.stdout)")
        #expect(run.stdout.contains("pain-control:") && run.stdout.contains("tests pain > control"))
        #expect(run.stdout.contains("model severity: skipped (participants.tsv has no pain_severity)"))
        // mean_fd: the QC table's runs weighted by their volumes; tiv_mm3: the GM sidecar's.
        let design = try TSVTable(contentsOf: out + "/group/participants_included.tsv")
        #expect(Array(design.columns.suffix(2)) == ["mean_fd", "tiv_mm3"])
        let ids = try design.column("participant_id")
        for (n, id) in ids.enumerated() {
            let qcPath = id == "sub-02" ? out + "/sub-02/ses-1/func/sub-02_ses-1_task-rest_desc-linc_qc.tsv" : out + "/\(id)/func/\(id)_task-rest_desc-linc_qc.tsv"
            let qc = try TSVTable(contentsOf: qcPath)
            let fd = try qc.numericColumn("mean_fd").map { $0! }, volumes = try qc.numericColumn("num_volumes").map { $0! }
            let expected = zip(fd, volumes).map { $0 * $1 }.reduce(0, +) / volumes.reduce(0, +)
            #expect(abs(Double(try design.column("mean_fd")[n])! - expected) < 1e-12)
            let gm = try Reference.jsonFile(out + "/\(id)/anat/\(id)_desc-aparcaseg_stat-gmvolume_morph.json")
            #expect(abs(Double(try design.column("tiv_mm3")[n])! - (gm["TotalIntracranialVolumeMM3"] as! Double)) < 1e-6)
        }
        // The seed model equals `cohortex glm` on the same participants file and maps, byte for byte.
        let maps = ids.map { id in
            id == "sub-02" ? out + "/sub-02/ses-1/func/sub-02_ses-1_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-z_boldmap.nii.gz"
                : out + "/\(id)/func/\(id)_task-rest_space-MNI152NLin2009cAsym_res-2_desc-PAG_stat-z_boldmap.nii.gz"
        }
        let pattern = folder + "/maps/*.nii.gz"
        try FileManager.default.createDirectory(atPath: folder + "/maps", withIntermediateDirectories: true)
        for map in maps { try FileManager.default.createSymbolicLink(atPath: folder + "/maps/" + (map as NSString).lastPathComponent, withDestinationPath: map) }
        let glm = try Reference.cohortex(["glm", "--participants", out + "/group/model-seed/participants.tsv", "--model", "~ group + mean_fd",
                                          "--contrast", "pain-control", "--contrast", "control-pain", "--reference", "group=control",
                                          "--maps", pattern, "--permutations", "99", "--out", folder + "/single"])
        #expect(glm.status == 0, "\(glm.stderr)")
        for name in ["contrast-painMinusControl_stat-t.nii.gz", "contrast-painMinusControl_stat-pfwe.nii.gz",
                     "contrast-controlMinusPain_stat-z.nii.gz", "design.tsv", "mask.nii.gz"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/single/" + name))
                    == Data(contentsOf: URL(fileURLWithPath: out + "/group/model-seed/" + name)), "\(name)")
        }
        // Regional model: cortical volumes from volume_mm3, subcortical from label_volume_mm3.
        let regions = try TSVTable(contentsOf: out + "/group/model-gm/regions.tsv")
        let sub1 = try TSVTable(contentsOf: out + "/sub-01/anat/sub-01_desc-aparcaseg_stat-gmvolume_morph.tsv")
        let names = try sub1.column("name")
        let row = try #require(regions.rows.first { $0[0] == "sub-01" })
        #expect(row[1] == (try sub1.column("volume_mm3"))[names.firstIndex(of: "ctx-lh-rostralmiddlefrontal")!])
        #expect(row[3] == (try sub1.column("label_volume_mm3"))[names.firstIndex(of: "Left-Thalamus")!])
        // The models as FSL/PALM files; motion by group; QC-FC over the 28 edges of the 8-region atlas.
        for name in ["design.mat", "design.con", "design.grp", "merged_4d.nii.gz", "palm_export.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/group/model-seed/" + name), "\(name)")
        }
        // Cluster tables named with the pipeline's atlas (labels without a table: label-N).
        let clusters = try TSVTable(contentsOf: out + "/group/model-seed/contrast-painMinusControl_clusters.tsv")
        #expect(clusters.columns.contains("peak_label") && clusters.columns.contains("regions"))
        #expect(try clusters.column("regions").allSatisfy { $0 != "n/a" })
        // Cluster-extent inference from the pipeline's forming threshold.
        #expect(clusters.columns.contains("p_fwe_size"))
        #expect(FileManager.default.fileExists(atPath: out + "/group/model-seed/contrast-painMinusControl_stat-clusterpfwe.nii.gz"))
        let merged = try NIfTIImage(path: out + "/group/model-seed/merged_4d.nii.gz")
        #expect(merged.header.frames == 5)
        let motion = try TSVTable(contentsOf: out + "/group/motion_by_group.tsv")
        let groups = try design.column("group"), fdValues = try design.column("mean_fd").map { Double($0)! }
        for row in motion.rows {
            let values = zip(groups, fdValues).filter { $0.0 == row[0] }.map(\.1)
            #expect(Int(row[1]) == values.count)
            #expect(abs(Double(row[2])! - values.reduce(0, +) / Double(values.count)) < 1e-12)
        }
        #expect(run.stdout.contains("mean FD control vs pain: Welch t ="), "\(run.stdout)")
        let edges = try TSVTable(contentsOf: out + "/group/qcfc/qcfc_edges.tsv")
        #expect(edges.rows.count == 28)
        #expect(run.stdout.contains("QC-FC (5 participants, 28 edges)"), "\(run.stdout)")
        // A rerun finds every model up to date.
        let again = try Reference.cohortex(["run", root, out, "group", "--pipeline", pipeline])
        #expect(again.stdout.contains("model seed: up to date") && again.stdout.contains("model gm: up to date"), "\(again.stdout)")

        // A stricter QC rule excludes participants, listed with the rule they broke.
        let strict = folder + "/strict.yaml"
        try Self.variant(of: pipeline, "max_mean_fd: 0.5", "max_mean_fd: 0.2").write(toFile: strict, atomically: true, encoding: .utf8)
        let fds = try design.column("mean_fd").map { Double($0)! }
        let expectedOut = zip(ids, fds).filter { $0.1 > 0.2 }.map(\.0)
        let strictRun = try Reference.cohortex(["run", root, out, "group", "--pipeline", strict])
        let excluded = try TSVTable(contentsOf: out + "/group/participants_excluded.tsv")
        #expect(try excluded.column("participant_id") == expectedOut, "\(strictRun.stdout)")
        #expect(try excluded.column("reason").allSatisfy { $0.hasPrefix("QC: mean FD") && $0.contains("above 0.2 mm") })
    }

    @Test("group level refuses to guess: several sessions and none named")
    func groupSessionAmbiguous() throws {
        let (root, pipeline) = try Self.study.get()
        let folder = try Reference.temporaryFolder("cohortex-cohort-group2")
        let noSession = folder + "/p.yaml"
        try (try String(contentsOfFile: pipeline, encoding: .utf8)).replacingOccurrences(of: "session: \"1\"\n", with: "")
            .write(toFile: noSession, atomically: true, encoding: .utf8)
        let run = try Reference.cohortex(["run", root, try Self.reference.get(), "group", "--pipeline", noSession])
        #expect(run.status == 1)
        #expect(run.stderr.contains("sub-02 has several sessions (ses-1, ses-2)"), "\(run.stderr)")
    }

    @Test("a memory budget smaller than any job: every job runs alone, in plan order, and says why")
    func memoryBudget() throws {
        let (root, pipeline) = try Self.study.get()
        let out = try Reference.temporaryFolder("cohortex-cohort-mem") + "/out"
        let run = try Reference.cohortex(["run", root, out, "participant", "--pipeline", pipeline, "--jobs", "2", "--mem-gb", "0.001", "-v"])
        #expect(run.status == 0, "\(run.stderr)")
        let events = run.stderr.split(separator: "\n").compactMap { line -> String? in
            if line.contains(": running (") { return "start" }
            if line.contains(": done in ") || line.contains(": up to date") { return "end" }
            return nil
        }
        #expect(events.count > 10)
        // Strictly alternating: never two jobs at once.
        #expect(events.enumerated().allSatisfy { $0.element == ($0.offset % 2 == 0 ? "start" : "end") }, "\(events)")
        #expect(run.stderr.contains("exceeds the memory budget 1 MB; it runs alone"))
        // And the outputs are the same as with no limit.
        let a = try Self.digest(out), b = try Self.digest(try Self.reference.get())
        #expect(a == b)
    }
}
