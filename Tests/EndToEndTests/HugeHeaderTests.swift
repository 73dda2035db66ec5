import Foundation
import NIfTI
import Testing
import TestSupport

/// Headers that claim far more voxels than their file holds (a 4 KB file saying 2048³ float32) must be
/// refused before anything is allocated for them, in every command that reads voxels. The binary runs
/// under an address-space limit, so a regression (an allocation of the claimed size) aborts and fails
/// the test instead of exhausting the machine.
@Suite("Headers claiming a huge image")
struct HugeHeaderTests {
    /// 4 GiB of address space: plenty for these small inputs, far below any claimed size.
    static func cohortex(_ arguments: [String]) throws -> ProcessResult {
        try Reference.run("/usr/bin/prlimit", ["--as=4294967296", Reference.cohortexBinary] + arguments)
    }

    /// A valid small `.nii` (4×3×2 float32) whose dims are patched to `dims`: the file keeps its 96 data bytes.
    static func claiming(_ dims: [Int16], name: String, folder: String) throws -> (path: String, claimed: Int, available: Int) {
        var bytes = try BadFiles.validFile()
        BadFiles.patchInt16(&bytes, at: 40, Int16(dims.count))
        for (axis, size) in dims.enumerated() { BadFiles.patchInt16(&bytes, at: 42 + 2 * axis, size) }
        BadFiles.patchFloat(&bytes, at: 92, 2)  // pixdim[4]: a TR for 4D claims
        let claimed = dims.reduce(4) { $0 * Int($1) }
        let path = folder + "/" + name
        if name.hasSuffix(".gz") {
            let gz = try BadFiles.gzip(bytes)
            try Data(gz).write(to: URL(fileURLWithPath: path))
            return (path, claimed, 1032 * gz.count)
        }
        if name.hasSuffix(".hdr") {
            // A pair: the 348-byte header (magic "ni1", vox_offset 0) and the data in the .img.
            var header = Array(bytes.prefix(348))
            BadFiles.patchFloat(&header, at: 108, 0)
            for (i, c) in "ni1\0".utf8.enumerated() { header[344 + i] = c }
            try Data(header).write(to: URL(fileURLWithPath: path))
            try Data(bytes.dropFirst(352)).write(to: URL(fileURLWithPath: String(path.dropLast(4)) + ".img"))
            return (path, claimed, bytes.count - 352)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, claimed, bytes.count - 352)
    }

    /// Exit status 1 and one error line naming the data file, the claimed and the available size.
    static func expectRefused(_ run: ProcessResult, file: String, claimed: Int, available: Int) {
        #expect(run.status == 1, "status \(run.status): \(run.stderr.prefix(400))")
        let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("cohortex: error:") }
        #expect(errors.count == 1, "\(run.stderr.prefix(400))")
        let line = errors.first.map(String.init) ?? ""
        #expect(line.contains(file) && line.contains("\(claimed)") && line.contains("\(available)"), "\(line)")
    }

    /// Every entry of `folder`, hidden temporaries included.
    static func contents(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test("smooth refuses 2048³ in .nii, .nii.gz and .hdr/.img, and 32767⁴ streamed; no file is left behind",
          arguments: [([Int16](repeating: 2048, count: 3), "big.nii"), ([Int16](repeating: 2048, count: 3), "big.nii.gz"),
                      ([Int16](repeating: 2048, count: 3), "big.hdr"), ([Int16](repeating: 32767, count: 4), "big4d.nii"),
                      ([Int16](repeating: 32767, count: 4), "big4d.nii.gz")])
    func smooth(dims: [Int16], name: String) throws {
        let folder = try Reference.temporaryFolder()
        let bad = try Self.claiming(dims, name: name, folder: folder)
        let out = folder + "/out"
        let run = try Self.cohortex(["smooth", bad.path, out + "/s.nii.gz", "--fwhm", "4"])
        let dataFile = name.hasSuffix(".hdr") ? String(bad.path.dropLast(4)) + ".img" : bad.path
        Self.expectRefused(run, file: dataFile, claimed: bad.claimed, available: bad.available)
        #expect(Self.contents(out).isEmpty, "left behind: \(Self.contents(out))")
    }

    @Test("conmat --bold refuses a 32767⁴ claim (plain and gzip)", arguments: ["bold.nii", "bold.nii.gz"])
    func conmat(name: String) throws {
        let folder = try Reference.temporaryFolder()
        let bad = try Self.claiming([Int16](repeating: 32767, count: 4), name: name, folder: folder)
        let atlas = folder + "/atlas.nii.gz"
        let grid = Grid(nx: 6, ny: 6, nz: 6, affine: .scaling(2, 2, 2))
        try NIfTIWriter.write(Volume(grid: grid, voxels: (0..<grid.voxelCount).map { Float($0 % 3) }), to: atlas)
        let out = folder + "/out"
        let run = try Self.cohortex(["conmat", "--bold", bad.path, "--atlas", atlas, "--out", out + "/m.tsv"])
        Self.expectRefused(run, file: bad.path, claimed: bad.claimed, available: bad.available)
        #expect(Self.contents(out).isEmpty, "left behind: \(Self.contents(out))")
    }

    @Test("a gm-volume cohort reports the huge map and writes the others", arguments: ["sub-02_gm.nii", "sub-02_gm.nii.gz"])
    func gmVolumeCohort(name: String) throws {
        let folder = try Reference.temporaryFolder()
        let grid = Grid(nx: 8, ny: 8, nz: 8, affine: .scaling(2, 2, 2))
        var rng = SeededRandom(seed: 5)
        let atlas = folder + "/atlas.nii.gz"
        try NIfTIWriter.write(Volume(grid: grid, voxels: (0..<grid.voxelCount).map { Float($0 % 3) }), to: atlas)
        let good = ["01", "03"].map { folder + "/sub-\($0)_gm.nii.gz" }
        for path in good {
            try NIfTIWriter.write(Volume(grid: grid, voxels: (0..<grid.voxelCount).map { _ in Float(rng.next() % 1000) / 1000 }), to: path)
        }
        let bad = try Self.claiming([2048, 2048, 2048], name: name, folder: folder)
        let out = folder + "/derivatives"
        let run = try Self.cohortex(["gm-volume", "--atlas", atlas, "--out-dir", out, "--gm", good[0], "--gm", bad.path, "--gm", good[1]])
        Self.expectRefused(run, file: bad.path, claimed: bad.claimed, available: bad.available)
        #expect(run.stderr.contains("2 of 3 maps done, 1 failed"), "\(run.stderr.prefix(400))")
        #expect(Self.contents(out) == ["gmvol.tsv", "sub-01_gm_gmvol.json", "sub-01_gm_gmvol.tsv", "sub-03_gm_gmvol.json", "sub-03_gm_gmvol.tsv"])
        let table = try String(contentsOfFile: out + "/gmvol.tsv", encoding: .utf8).split(separator: "\n")
        #expect(table.count == 3 && table[1].hasPrefix("sub-01\t") && table[2].hasPrefix("sub-03\t"))
    }

    @Test("a .gz within deflate's bound that still claims more than the machine's memory is refused, not allocated")
    func gzipClaimBeyondMemory() throws {
        let folder = try Reference.temporaryFolder()
        // Random (incompressible) payload, so the compressed file is as large as the claim needs to pass the
        // 1032:1 bound, while the claim as float32 exceeds physical memory.
        let physical = Int(ProcessInfo.processInfo.physicalMemory)
        let voxels = physical / 4 + (1 << 24)                  // int16 claim: 2 bytes each on disk, 4 in memory
        let payload = voxels * 2 / 1000                        // a little above claim / 1032
        var rng = SeededRandom(seed: 9)
        var bytes = try BadFiles.validFile()
        bytes.removeLast(bytes.count - 352)
        bytes += (0..<payload).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let nz = (voxels + 2048 * 2048 - 1) / (2048 * 2048)
        BadFiles.patchInt16(&bytes, at: 40, 3)
        for (axis, size) in [2048, 2048, nz].enumerated() { BadFiles.patchInt16(&bytes, at: 42 + 2 * axis, Int16(size)) }
        BadFiles.patchInt16(&bytes, at: 70, 4)                 // datatype int16
        BadFiles.patchInt16(&bytes, at: 72, 16)                // bitpix
        let path = folder + "/big.nii.gz"
        try Data(try BadFiles.gzip(bytes)).write(to: URL(fileURLWithPath: path))
        let run = try Self.cohortex(["smooth", path, folder + "/s.nii.gz", "--fwhm", "4"])
        #expect(run.status == 1, "status \(run.status): \(run.stderr.prefix(400))")
        #expect(run.stderr.contains("\(path): holding the whole image needs") && run.stderr.contains("\(physical) bytes of memory"),
                "\(run.stderr.prefix(400))")
        #expect(Self.contents(folder) == ["big.nii.gz"])
    }
}
