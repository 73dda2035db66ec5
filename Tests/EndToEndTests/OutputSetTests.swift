import Foundation
import NIfTI
import Testing
import TestSupport

/// A command's outputs are one unit: written to temporaries, swapped in with the sidecar last, the
/// previous set restored on failure. Failures are injected deterministically through the fault hook
/// of the system-call file (`COHORTEX_FAULT`), not by racing `kill -9`.
@Suite("Output sets: all or nothing")
struct OutputSetTests {
    /// The sample BOLD and mask, and a folder for outputs.
    static func setUp() throws -> (folder: String, arguments: (String) -> [String]) {
        let folder = try Reference.temporaryFolder()
        let sample = Reference.packageRoot.path + "/sample-data"
        let arguments = { (radius: String) in
            ["seed-map", "--bold", sample + "/sub-demo_bold.nii.gz", "--mask", sample + "/sub-demo_mask.nii.gz",
             "--sphere", "C:0,-18,0,\(radius)", "--out-z", folder + "/z.nii.gz", "--out-r", folder + "/r.nii.gz"]
        }
        return (folder, arguments)
    }

    /// Every file in `folder` by name, with its bytes.
    static func contents(_ folder: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return out
    }

    @Test("the sidecar lists each output's size and CRC-64/XZ, as an independent implementation computes them")
    func sidecarDescribesItsOutputs() throws {
        let (folder, arguments) = try Self.setUp()
        let run = try Reference.cohortex(arguments("12"))
        #expect(run.status == 0, "\(run.stderr)")
        let outputs = try #require(try Reference.jsonFile(folder + "/z.json")["Outputs"] as? [[String: Any]])
        #expect(outputs.compactMap { $0["Path"] as? String } == ["z.nii.gz", "r.nii.gz"])
        for entry in outputs {
            let path = folder + "/" + (entry["Path"] as! String)
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            #expect(entry["Bytes"] as? Int == size)
            let crc = try Reference.runPython("nifti_reference.py", ["crc64", path]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(entry["CRC64"] as? String == crc, "\(path)")
        }
    }

    @Test("disk full on any write: exit 1, the previous set byte for byte, no temporary left", arguments: [1, 2, 3])
    func diskFullKeepsThePreviousSet(write: Int) throws {
        let (folder, arguments) = try Self.setUp()
        #expect(try Reference.cohortex(arguments("12")).status == 0)
        let before = try Self.contents(folder)
        let run = try Reference.cohortex(arguments("9"), environment: ["COHORTEX_FAULT": "write-enospc:\(write)"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("No space left on device") && run.stderr.contains("no output was changed"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").filter { $0.hasPrefix("cohortex: error:") }.count == 1)
        #expect(try Self.contents(folder) == before)
    }

    @Test("killed after any rename: never a sidecar beside outputs it does not describe; a rerun completes the set and removes the leftovers",
          arguments: 1...6)
    func killedMidSwap(rename: Int) throws {
        let (folder, arguments) = try Self.setUp()
        #expect(try Reference.cohortex(arguments("12")).status == 0)
        let killed = try Reference.cohortex(arguments("9"), environment: ["COHORTEX_FAULT": "exit-after-rename:\(rename)"])
        #expect(killed.status == 86)
        // Whatever sidecar is visible describes exactly the files beside it.
        if let outputs = try? Reference.jsonFile(folder + "/z.json")["Outputs"] as? [[String: Any]] {
            for entry in outputs {
                let path = folder + "/" + (entry["Path"] as! String)
                let data = try? Data(contentsOf: URL(fileURLWithPath: path))
                #expect(data != nil && entry["Bytes"] as? Int == data?.count, "rename \(rename): \(path) does not match its sidecar")
            }
        }
        // The rerun gives what an uninterrupted run gives, and no hidden file survives.
        #expect(try Reference.cohortex(arguments("9")).status == 0)
        let resumed = try Self.contents(folder)
        #expect(resumed.keys.allSatisfy { !$0.hasPrefix(".") }, "\(resumed.keys.sorted())")
        let clean = try Self.setUp()
        #expect(try Reference.cohortex(clean.arguments("9")).status == 0)
        let reference = try Self.contents(clean.folder)
        #expect(resumed["z.nii.gz"] == reference["z.nii.gz"] && resumed["r.nii.gz"] == reference["r.nii.gz"])
    }

    @Test("leftovers of a dead process are removed; a live process's temporaries are not touched")
    func staleTemporaries() throws {
        let (folder, arguments) = try Self.setUp()
        let host = TemporaryName.hostTag
        // A process that is alive for the whole test, and a pid that cannot be running with that start time.
        let live = Process()
        live.executableURL = URL(fileURLWithPath: "/bin/sleep")
        live.arguments = ["60"]
        try live.run()
        defer { live.terminate() }
        let stat = try String(contentsOfFile: "/proc/\(live.processIdentifier)/stat", encoding: .utf8)
        let start = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")[19]
        let liveName = ".z.nii.gz.tmp-\(host)-\(live.processIdentifier)-\(start)-7"
        let deadName = ".z.nii.gz.tmp-\(host)-\(live.processIdentifier)-1-7"
        let foreignOld = ".r.nii.gz.prev-otherhost-12-34-7"
        for name in [liveName, deadName, foreignOld] { try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        let old = Date(timeIntervalSinceNow: -2 * 24 * 3600)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder + "/" + foreignOld)
        #expect(try Reference.cohortex(arguments("12")).status == 0)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: folder))
        #expect(names.contains(liveName))
        #expect(!names.contains(deadName) && !names.contains(foreignOld))
    }
}
