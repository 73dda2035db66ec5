import Foundation
import NIfTI
import Testing
import TestSupport

/// A real single-node SLURM cluster (munged, slurmctld, slurmd) started once for this suite by
/// `scripts/slurm-cluster.sh` and stopped when the test process ends. If it cannot start, every test here
/// fails with the reason.
enum TestCluster {
    static let folder = NSTemporaryDirectory() + "cohortex-slurm-\(getpid())"

    static let configuration: Result<String, Error> = Result {
        let script = Reference.packageRoot.appendingPathComponent("scripts/slurm-cluster.sh").path
        let run = try Reference.run("/bin/bash", [script, "start", folder])
        guard run.status == 0, let line = run.stdout.split(separator: "\n").first(where: { $0.hasPrefix("SLURM_CONF=") }) else {
            throw ReferenceError.failed("slurm-cluster.sh start", run.stderr + run.stdout)
        }
        atexit {
            let script = Reference.packageRoot.appendingPathComponent("scripts/slurm-cluster.sh").path
            _ = try? Reference.run("/bin/bash", [script, "stop", TestCluster.folder])
        }
        return String(line.dropFirst("SLURM_CONF=".count))
    }

    /// The environment every SLURM client call needs.
    static func environment() throws -> [String: String] { ["SLURM_CONF": try configuration.get()] }

    /// Polls `cohortex status` until nothing is pending or running (and the group job, if any, ended).
    static func wait(for output: String, timeout: TimeInterval = 240) throws -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        var last: ProcessResult?
        while Date() < deadline {
            let status = try Reference.cohortex(["status", output], environment: try environment())
            last = status
            let summary = status.stdout.split(separator: "\n").last.map(String.init) ?? ""
            if !summary.contains("running") && !summary.contains("pending") && !summary.contains("unknown") { return status }
            usleep(500_000)
        }
        throw ReferenceError.failed("waiting for the cluster", last.map { $0.stdout + $0.stderr } ?? "no status")
    }
}

@Suite("SLURM executor", .serialized)
struct SlurmTests {
    @Test("all: participant arrays and a dependent group job; outputs bit-identical to a local run")
    func allLevels() throws {
        let env = try TestCluster.environment()
        let (root, pipeline) = try CohortRunTests.study.get()
        let folder = try Reference.temporaryFolder("cohortex-slurm-all")
        let out = folder + "/out"
        let submit = try Reference.cohortex(["run", root, out, "all", "--pipeline", pipeline, "--executor", "slurm", "--array-limit", "2"],
                                            environment: env)
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(submit.stdout.contains("--dependency=afterany:"), "\(submit.stdout)")
        #expect(submit.stdout.contains("--array=0-4%2"))
        let status = try TestCluster.wait(for: out)
        #expect(status.stdout.contains("5 done") && status.stdout.contains("group done"), "\(status.stdout)")
        // Bit identity with the local run (participant level), sidecars without the job fingerprint.
        var slurm = try CohortRunTests.digest(out), local = try CohortRunTests.digest(try CohortRunTests.reference.get())
        slurm = slurm.filter { !$0.key.hasPrefix("slurm/") && !$0.key.hasPrefix("group/") }
        local = local.filter { !$0.key.hasPrefix("group/") }
        #expect(slurm.keys.sorted() == local.keys.sorted())
        for key in slurm.keys.sorted() where slurm[key] != local[key] { Issue.record("\(key) differs between SLURM and local") }
        // The group job ran the group level on every participant.
        let included = try TSVTable(contentsOf: out + "/group/participants_included.tsv")
        #expect(included.rows.count == 5)
        #expect(FileManager.default.fileExists(atPath: out + "/group/model-seed/glm.json"))
    }

    @Test("a failing participant is reported by status with its error and log, and resubmitted once its file is fixed")
    func failAndResubmit() throws {
        let env = try TestCluster.environment()
        let (root, pipeline) = try CohortRunTests.study.get()
        let folder = try Reference.temporaryFolder("cohortex-slurm-fail")
        let copy = folder + "/study"
        try FileManager.default.copyItem(atPath: root, toPath: copy)
        let bold = "/derivatives/fmriprep/sub-04/func/sub-04_task-rest_space-MNI152NLin2009cAsym_res-2_desc-preproc_bold.nii.gz"
        let original = try Data(contentsOf: URL(fileURLWithPath: copy + bold))
        try original.prefix(original.count / 2).write(to: URL(fileURLWithPath: copy + bold))
        let out = folder + "/out"
        let submit = try Reference.cohortex(["run", copy, out, "participant", "--pipeline", pipeline, "--executor", "slurm"], environment: env)
        #expect(submit.status == 0, "\(submit.stderr)")
        let status = try TestCluster.wait(for: out)
        #expect(status.status == 1)
        let line = status.stdout.split(separator: "\n").first { $0.hasPrefix("sub-04") }.map(String.init) ?? ""
        #expect(line.contains("failed") && line.contains("sub-04_task-rest") && line.contains("/logs/participant-"), "\(status.stdout)")
        #expect(status.stdout.contains("4 done, 1 failed"), "\(status.stdout)")
        // Fix the file; resubmit only the failed one.
        try original.write(to: URL(fileURLWithPath: copy + bold))
        let again = try Reference.cohortex(["run", copy, out, "participant", "--pipeline", pipeline, "--executor", "slurm", "--resubmit-failed"],
                                           environment: env)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("--array=0-0"), "\(again.stdout)")
        let fixed = try TestCluster.wait(for: out)
        #expect(fixed.status == 0 && fixed.stdout.contains("1 done"), "\(fixed.stdout)")
        #expect(FileManager.default.fileExists(atPath: out + "/sub-04/func/sub-04_task-rest_desc-linc_qc.tsv"))
    }

    @Test("hostile paths (spaces, quotes, $(…)) are quoted in every script; the dry run submits nothing")
    func quoting() throws {
        let env = try TestCluster.environment()
        let (root, pipeline) = try CohortRunTests.study.get()
        let folder = try Reference.temporaryFolder("cohortex-slurm-quote")
        let hostile = folder + "/it's a \"study\" $(touch PWNED)"
        try FileManager.default.copyItem(atPath: root, toPath: hostile)
        let out = folder + "/out `touch PWNED2`; echo"
        let dry = try Reference.cohortex(["run", hostile, out, "participant", "--pipeline", pipeline, "--executor", "slurm", "--dry-run",
                                          "--participant-label", "01", "--sbatch-arg=--comment=x y"], environment: env)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("'--comment=x y'"))
        #expect(!FileManager.default.fileExists(atPath: out))
        let run = try Reference.cohortex(["run", hostile, out, "participant", "--pipeline", pipeline, "--executor", "slurm",
                                          "--participant-label", "01"], environment: env)
        #expect(run.status == 0, "\(run.stderr)")
        let status = try TestCluster.wait(for: out)
        #expect(status.stdout.contains("1 done"), "\(status.stdout)")
        #expect(FileManager.default.fileExists(atPath: out + "/sub-01/func/sub-01_task-rest_desc-linc_qc.tsv"))
        for path in [folder + "/PWNED", folder + "/PWNED2", FileManager.default.currentDirectoryPath + "/PWNED"] {
            #expect(!FileManager.default.fileExists(atPath: path), "a quoted word was executed: \(path)")
        }
    }

    @Test("group permutations split over an array of chunk tasks equal the single-process group level bit for bit")
    func chunkedGroupPermutations() throws {
        let env = try TestCluster.environment()
        let (root, pipeline) = try CohortRunTests.study.get()
        let folder = try Reference.temporaryFolder("cohortex-slurm-chunks")
        let local = (folder + "/local" as NSString).standardizingPath, split = (folder + "/split" as NSString).standardizingPath
        let whole = try Reference.cohortex(["run", root, local, "all", "--pipeline", pipeline, "--jobs", "2", "-q"])
        #expect(whole.status == 0, "\(whole.stdout)\(whole.stderr)")
        let participant = try Reference.cohortex(["run", root, split, "participant", "--pipeline", pipeline, "--jobs", "2", "-q"])
        #expect(participant.status == 0, "\(participant.stderr)")
        let submit = try Reference.cohortex(["run", root, split, "group", "--pipeline", pipeline, "--executor", "slurm", "--group-chunks", "3"],
                                            environment: env)
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(submit.stdout.contains("--array=1-3"), "\(submit.stdout)")
        #expect(submit.stdout.contains("--dependency=afterany:"), "\(submit.stdout)")
        let status = try TestCluster.wait(for: split)
        #expect(status.stdout.contains("group chunks 3/3 done") && status.stdout.contains("group done"), "\(status.stdout)")
        // Every permuted model left three chunk files; the model without permutations ran whole in the group job.
        for model in ["seed", "gm"] {
            let chunks = (try? FileManager.default.contentsOfDirectory(atPath: split + "/group/model-\(model)/chunks")) ?? []
            #expect(chunks.sorted() == ["chunk-1of3.glmchunk", "chunk-2of3.glmchunk", "chunk-3of3.glmchunk"], "model \(model): \(chunks)")
        }
        // Bit identity of every group output (maps, tables, FWE p-values); glm.json differs only in naming its chunk folder.
        var ours = try CohortRunTests.digest(split + "/group"), theirs = try CohortRunTests.digest(local + "/group")
        ours = ours.filter { !$0.key.contains("/chunks/") }
        for (key, data) in ours where key.hasSuffix("glm.json") {
            var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            var inference = try #require(object["inference"] as? [String: Any], "\(key) has no inference block")
            #expect(inference["combined_from_chunks"] as? String == split + "/group/" + key.replacingOccurrences(of: "/glm.json", with: "/chunks"))
            inference["combined_from_chunks"] = nil
            object["inference"] = inference
            ours[key] = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        }
        // Sidecars name their own output folder: compare them with the local folder's path read as the split one's.
        func escaped(_ path: String) -> String { path.replacingOccurrences(of: "/", with: "\\/") }
        for (key, data) in theirs where key.hasSuffix(".json") {
            let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: escaped(local), with: escaped(split))
            theirs[key] = Data(text.utf8)
        }
        #expect(ours.keys.sorted() == theirs.keys.sorted())
        #expect(ours.keys.contains("model-seed/glm.json"))
        for key in ours.keys.sorted() where ours[key] != theirs[key] { Issue.record("group/\(key) differs between the split and the single run") }
        // A later local group run finds every model up to date.
        let again = try Reference.cohortex(["run", root, split, "group", "--pipeline", pipeline])
        #expect(again.status == 0 && again.stdout.components(separatedBy: "up to date").count >= 3, "\(again.stdout)")
    }
}
