import ArgumentParser
import Kernels
import Pipeline
import Stats
import Testing
@testable import cohortex

/// Every subcommand parsed in-process: flags become the stage request they describe, and a malformed
/// value is a usage error (exit 64) at parse time — before any file is opened.
@Suite("Command-line parsing")
struct ParseTests {
    static func parse<T: ParsableCommand>(_ arguments: [String], as type: T.Type) throws -> T {
        let command = try Cohortex.parseAsRoot(arguments)
        return try #require(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    /// The exit code and message ArgumentParser gives for `arguments`, which must fail to parse.
    static func failure(_ arguments: [String]) -> (code: Int32, message: String) {
        do {
            _ = try Cohortex.parseAsRoot(arguments)
            Issue.record("\(arguments) parsed")
            return (0, "")
        } catch {
            return (Cohortex.exitCode(for: error).rawValue, Cohortex.message(for: error))
        }
    }

    @Test("seed-map: spheres, labels, masks and cleaning flags become one request")
    func seedMap() throws {
        let command = try Self.parse(["seed-map", "--bold", "a.nii.gz", "--bold", "b.nii.gz", "--confounds", "a.tsv", "--confounds", "b.tsv",
                                      "--mask", "m.nii.gz", "--sphere", "PAG:0,-30,-10,6", "--seed-label", "atlas.nii.gz:7",
                                      "--seed-mask", "s.nii.gz", "--strategy", "36P", "--fd-threshold", "0.5", "--high-pass", "0.01",
                                      "--low-pass", "0.1", "--dummy-scans", "2", "--tr", "2", "--smoothing-fwhm", "6",
                                      "--out-z", "z_{seed}.nii.gz", "--out-r", "r_{seed}.nii.gz", "--threads", "3"], as: SeedMapCommand.self)
        let request = try command.request
        #expect(request.runs == [FunctionalRun(bold: "a.nii.gz", confounds: "a.tsv"), FunctionalRun(bold: "b.nii.gz", confounds: "b.tsv")])
        #expect(request.seeds == [.sphere(Sphere(name: "PAG", x: 0, y: -30, z: -10, radius: 6)), .label(atlas: "atlas.nii.gz", index: 7),
                                  .mask(path: "s.nii.gz")])
        #expect(request.denoising.strategy == .thirtySixP)
        #expect(request.denoising.censoring == Censoring(dummyScans: 2, fdThreshold: 0.5))
        #expect(request.denoising.cleaning == CleaningParameters(repetitionTime: 2, highPass: 0.01, lowPass: 0.1))
        #expect(request.denoising.smoothingFWHM == 6)
        #expect(request.paths(seed: "PAG") == ("z_PAG.nii.gz", "r_PAG.nii.gz"))
        #expect(command.global.parallelism == Parallelism(threads: 3))
    }

    @Test("conmat: kind, estimator and outputs")
    func conmat() throws {
        let command = try Self.parse(["conmat", "--bold", "a.nii.gz", "--atlas", "atlas.nii.gz", "--labels", "l.tsv", "--kind", "partial",
                                      "--estimator", "ledoit-wolf", "--strategy", "columns:csf,white_matter", "--out", "m.tsv"],
                                     as: ConmatCommand.self)
        let request = try command.request
        #expect(request.kind == .partial && request.estimator == .ledoitWolf)
        #expect(request.denoising.strategy == .columns(["csf", "white_matter"]))
        #expect(request.zPath == "m_z.tsv" && request.labels == "l.tsv")
    }

    @Test("gm-volume: one map to a table, a cohort to a folder, spheres and ROIs")
    func gmVolume() throws {
        let one = try Self.parse(["gm-volume", "--gm", "gm.nii", "--wm", "wm.nii", "--csf", "csf.nii", "--atlas", "a.nii", "--out", "t.tsv"],
                                 as: GMVolumeCommand.self).request
        #expect(one.maps == [GrayMatterVolume.Maps(gm: "gm.nii", wm: "wm.nii", csf: "csf.nii")])
        #expect(one.regions == .atlas(path: "a.nii", labels: nil) && one.destination == .table(path: "t.tsv"))
        let cohort = try Self.parse(["gm-volume", "--gm", "s1.nii", "--gm", "s2.nii", "--sphere", "dlPFC:-42,36,28,10", "--roi", "THA:tha.nii",
                                     "--out-dir", "out"], as: GMVolumeCommand.self).request
        #expect(cohort.maps.map(\.gm) == ["s1.nii", "s2.nii"] && cohort.destination == .folder(path: "out"))
        #expect(cohort.regions == .custom(spheres: [Sphere(name: "dlPFC", x: -42, y: 36, z: 28, radius: 10)],
                                          masks: [NamedMask(name: "THA", path: "tha.nii")]))
    }

    @Test("alff, reho and smooth")
    func spatial() throws {
        let alff = try Self.parse(["alff", "--bold", "b.nii.gz", "--mask", "m.nii.gz", "--band", "0.01,0.1", "--out-alff", "a.nii.gz",
                                   "--out-zfalff", "z.nii.gz"], as: ALFFCommand.self).request
        #expect(alff.low == 0.01 && alff.high == 0.1 && alff.outputs.zScoredFALFF == "z.nii.gz" && alff.outputs.falff == nil)
        let reho = try Self.parse(["reho", "--bold", "b.nii.gz", "--mask", "m.nii.gz", "--neighbourhood", "19", "--out", "r.nii.gz"],
                                  as: ReHoCommand.self).request
        #expect(reho.neighbourhood == .edges && reho.denoising.strategy == .twentyFourP)
        let smooth = try Self.parse(["smooth", "in.nii.gz", "out.nii.gz", "--fwhm", "6"], as: SmoothCommand.self)
        #expect(smooth.input == "in.nii.gz" && smooth.output == "out.nii.gz" && smooth.fwhm == 6)
    }

    @Test("glm: model, contrasts, references and chunks")
    func glm() throws {
        let request = try Self.parse(["glm", "--participants", "p.tsv", "--model", "~ group + age", "--contrast", "pain-control",
                                      "--contrast=-age", "--maps", "maps/sub-*.nii.gz", "--reference", "group=control", "--tfce",
                                      "--two-sided", "--permutations", "100", "--chunk", "2/4", "--out", "o"], as: GLMCommand.self).request
        #expect(request.contrasts == ["pain-control", "-age"] && request.references == ["group": "control"])
        #expect(request.data == .maps(pattern: "maps/sub-*.nii.gz") && request.tfce && request.twoSided)
        #expect(request.chunk == ChunkSelection(index: 2, count: 4) && request.permutations == 100)
        // Defaults: TFCE over face neighbours, no cluster inference or tables.
        #expect(request.tfceConnectivity == .faces && request.clusterInference == nil && request.clusterReport == nil)
    }

    @Test("glm: cluster inference, cluster tables and connectivity")
    func glmClusters() throws {
        let request = try Self.parse(["glm", "--participants", "p.tsv", "--model", "~ group", "--contrast", "pain-control",
                                      "--maps", "m/*.nii.gz", "--permutations", "99", "--tfce", "--connectivity", "26",
                                      "--cluster-threshold", "z=3.1", "--report-threshold", "cluster-pfwe=0.05", "--peak-distance", "6",
                                      "--cluster-atlas", "a.nii.gz", "--cluster-labels", "freesurfer", "--out", "o"], as: GLMCommand.self).request
        #expect(request.tfceConnectivity == .corners)
        #expect(request.clusterInference?.threshold == .z(3.1) && request.clusterInference?.connectivity == .corners)
        let report = try #require(request.clusterReport)
        #expect(report.threshold == .clusterFWE(0.05) && report.peakDistance == 6 && report.connectivity == .corners)
        #expect(report.atlas == "a.nii.gz" && report.labels == "freesurfer")
    }

    @Test("malformed values are usage errors (64) naming the value", arguments: [
        (["gm-volume", "--gm", "g.nii", "--sphere", "PAG:0,-30,-10"], "needs four numbers"),
        (["seed-map", "--bold", "b", "--mask", "m", "--sphere", "PAG:0,0,0,nan", "--out-z", "z.nii"], "needs four numbers"),
        (["seed-map", "--bold", "b", "--mask", "m", "--seed-label", "atlas.nii", "--out-z", "z.nii"], "ATLAS:INDEX"),
        (["seed-map", "--bold", "b", "--mask", "m", "--sphere", "A:0,0,0,4", "--strategy", "48P", "--out-z", "z.nii"], "48P"),
        (["seed-map", "--bold", "b", "--mask", "m", "--sphere", "A:0,0,0,4", "--tr", "nan", "--out-z", "z.nii"], "--tr must be a finite number"),
        (["seed-map", "--bold", "b", "--mask", "m", "--sphere", "A:0,0,0,4", "--high-pass", "inf", "--out-z", "z.nii"], "--high-pass"),
        (["seed-map", "--bold", "b", "--mask", "m", "--sphere", "A:0,0,0,4", "--sphere", "B:0,0,0,4", "--out-z", "z.nii"], "{seed}"),
        (["seed-map", "--bold", "b", "--mask", "m", "--sphere", "A:0,0,0,4", "--sphere", "A:1,0,0,4", "--out-z", "z{seed}.nii"], "must differ"),
        (["alff", "--bold", "b", "--mask", "m", "--band", "0.1,0.01", "--out-alff", "a.nii"], "--band"),
        (["reho", "--bold", "b", "--mask", "m", "--neighbourhood", "8", "--out", "r.nii"], "7, 19 or 27"),
        (["smooth", "in.nii", "out.hdr", "--fwhm", "4"], ".nii.gz or .nii"),
        (["smooth", "in.nii", "out.nii", "--fwhm", "nan"], "FWHM"),
        (["conmat", "--bold", "b", "--atlas", "a", "--out", "m.csv"], ".tsv"),
        (["glm", "--participants", "p", "--model", "~ 1", "--contrast", "mean", "--table", "t", "--chunk", "5/4", "--out", "o"], "k/N"),
        (["glm", "--participants", "p", "--model", "~ g", "--contrast", "a-b", "--table", "t", "--reference", "g", "--out", "o"], "COLUMN=LEVEL"),
        (["glm", "--participants", "p", "--model", "~ g", "--contrast", "a-b", "--maps", "m", "--cluster-threshold", "p=2", "--out", "o"], "p=A with 0 < A < 1"),
        (["glm", "--participants", "p", "--model", "~ g", "--contrast", "a-b", "--table", "t", "--cluster-threshold", "p=0.001", "--out", "o"], "needs --maps"),
        (["glm", "--participants", "p", "--model", "~ g", "--contrast", "a-b", "--maps", "m", "--report-threshold", "cluster-pfwe=0.05", "--out", "o"], "needs --cluster-threshold"),
        (["run", "b", "o", "participant", "--pipeline", "x", "--group-chunks", "3"], "--executor slurm"),
        (["run", "b", "o", "participant", "--pipeline", "x", "--glm-chunk", "1/2"], "local group level"),
    ] as [([String], String)])
    func usageErrors(arguments: [String], fragment: String) {
        let (code, message) = Self.failure(arguments)
        #expect(code == 64, "\(arguments): \(message)")
        #expect(message.contains(fragment), "\(arguments): \(message)")
    }
}
