import Foundation
import TestSupport
import Testing

/// `cohortex simulate` run as a user runs it.
@Suite("simulate command")
struct CommandTests {
    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cohortex-simulation-\(UUID().uuidString)").path
    }

    @Test("writes the study, one line per participant and a file count")
    func writes() throws {
        let root = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try Reference.cohortex(["simulate", root, "--participants", "3", "--volumes", "12", "--shape", "10,10,9",
                                             "--voxel-size", "6", "--tr", "1.5", "--legacy", "--cat12", "--no-distractors"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.prefix(3).map { String($0.prefix(6)) } == ["sub-01", "sub-02", "sub-03"])
        #expect(lines.last?.hasPrefix("wrote ") == true)
        #expect(FileManager.default.fileExists(atPath: root + "/derivatives/fmriprep/sub-03/func/sub-03_task-rest_run-2_desc-confounds_regressors.tsv"))
        #expect(FileManager.default.fileExists(atPath: root + "/derivatives/cat12/sub-02/mri/mwp1sub-02_T1w.nii"))
        // Writing again into the now non-empty folder is a data error naming it.
        let again = try Reference.cohortex(["simulate", root])
        #expect(again.status == 1)
        #expect(again.stderr.contains(root) && again.stderr.split(separator: "\n").count == 1, "\(again.stderr)")
    }

    @Test("invalid values are usage errors (exit 64) and write nothing", arguments: [
        ["--participants", "0"], ["--participants", "100"], ["--volumes", "9"], ["--shape", "7,16,16"], ["--shape", "16,16"],
        ["--voxel-size", "0"], ["--voxel-size=-2"], ["--tr", "0"],
    ])
    func usageErrors(arguments: [String]) throws {
        let root = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try Reference.cohortex(["simulate", root] + arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: "), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root))
    }
}
