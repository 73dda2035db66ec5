import Foundation
import Kernels
import NIfTI
import Pipeline
import Testing
import TestSupport

/// End-to-end: the built `cohortex smooth/alff/reho` binary on files, against the references.
@Suite("cohortex smooth, alff, reho")
struct SpatialCommandTests {
    /// A small 4D BOLD (TR 2 s) with a drift and shared slow signal, its mask and a sample mask.
    static func files(frames: Int = 72) throws -> (folder: String, bold: String, mask: String, sampleMask: String) {
        let folder = try Reference.temporaryFolder()
        let grid = Grid(nx: 10, ny: 9, nz: 8, affine: .scaling(-3, 3, 3.5, origin: (20, -20, -10)))
        var rng = SeededRandom(seed: 11)
        let common = (0..<frames).map { t in 4 * sin(2 * Double.pi * 0.03 * 2 * Double(t)) }
        var values = [Float](repeating: 0, count: grid.voxelCount * frames)
        for t in 0..<frames {
            for i in 0..<grid.voxelCount {
                values[t * grid.voxelCount + i] = Float(800 + Double(i % 13) * 10 + 0.05 * Double(t) + common[t] * Double(i % 3) + 2 * rng.normal())
            }
        }
        let bold = folder + "/bold.nii.gz", mask = folder + "/mask.nii.gz", sampleMask = folder + "/keep.txt"
        try NIfTIWriter.write(Volume(grid: grid, frames: frames, voxels: values, repetitionTime: 2), to: bold)
        let m = (0..<grid.voxelCount).map { i -> Float in
            let (x, y, z) = grid.coordinates(of: i)
            return (x > 0 && y < 8 && (x + y + z) % 9 != 0) ? 1 : 0
        }
        try NIfTIWriter.write(Volume(grid: grid, voxels: m), to: mask, datatype: .uint8)
        let keep = (0..<frames).map { [3, 4, 20, 21, 22, 50].contains($0) ? "0" : "1" }
        try (keep.joined(separator: "\n") + "\n").write(toFile: sampleMask, atomically: true, encoding: .utf8)
        return (folder, bold, mask, sampleMask)
    }

    static func inMask(_ path: String, _ mask: String) throws -> [Float] {
        let m = try NIfTIImage(path: mask).readMask()
        let v = try NIfTIImage(path: path).readVolume()
        return m.indices.map { v.voxels[$0] }
    }

    @Test("smooth: 4D file against nilearn smooth_img to 1e-5, sidecar records the parameters")
    func smooth() throws {
        let f = try Self.files(frames: 4)
        let out = f.folder + "/smooth.nii.gz"
        let run = try Reference.cohortex(["smooth", f.bold, out, "--fwhm", "6"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("anisotropic voxels"))
        try Reference.runPython("spatial_reference.py", ["smooth", f.bold, "6", f.folder + "/nilearn.f32"])
        let nilearn = try Reference.readFloat32(f.folder + "/nilearn.f32")
        let ours = try NIfTIImage(path: out).readVolume()
        #expect(ours.frames == 4 && ours.repetitionTime == 2)
        let worst = zip(ours.voxels, nilearn).map { abs($0 - $1) / abs($1) }.max() ?? 1
        #expect(worst <= 1e-5, "worst relative error \(worst)")
        let sidecar = try Reference.jsonFile(f.folder + "/smooth.json")
        #expect(sidecar["FWHMmm"] as? Double == 6)
        #expect((sidecar["VoxelSizesmm"] as? [Double]) == [3, 3, 3.5])
        #expect(sidecar["Boundary"] as? String == "reflect")
    }

    @Test("alff with a sample mask: Lomb–Scargle maps against the scipy reference to 1e-4; outputs and sidecars")
    func alffCensored() throws {
        let f = try Self.files()
        let a = f.folder + "/alff.nii.gz", fa = f.folder + "/falff.nii", z = f.folder + "/zalff.nii.gz"
        let run = try Reference.cohortex(["alff", "--bold", f.bold, "--mask", f.mask, "--sample-mask", f.sampleMask,
                                          "--out-alff", a, "--out-falff", fa, "--out-zalff", z])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("Lomb–Scargle over the 66 kept volumes"))
        try Reference.runPython("spatial_reference.py", ["alff-nifti", f.bold, f.mask, "0.01", "0.08", f.folder + "/ref.f32", f.sampleMask])
        let ref = try Reference.readFloat32(f.folder + "/ref.f32")
        let alff = try Self.inMask(a, f.mask), falff = try Self.inMask(fa, f.mask)
        let n = alff.count
        let worstA = zip(alff, ref[0..<n]).map { abs($0 - $1) / abs($1) }.max() ?? 1
        let worstF = zip(falff, ref[n...]).map { abs($0 - $1) / abs($1) }.max() ?? 1
        #expect(worstA <= 1e-4 && worstF <= 1e-4, "ALFF \(worstA), fALFF \(worstF)")
        let zs = try Self.inMask(z, f.mask)
        #expect(abs(zs.reduce(0, +) / Float(n)) < 1e-4)
        let sidecar = try Reference.jsonFile(f.folder + "/alff.json")
        #expect(sidecar["SpectrumMethod"] as? String == "lomb-scargle")
        #expect(sidecar["KeptVolumes"] as? Int == 66)
        #expect((sidecar["BandHz"] as? [Double]) == [0.01, 0.08])
        let cleaning = sidecar["Cleaning"] as? [String: Any]
        #expect((cleaning?["CensoredVolumes"] as? [Int]) == [3, 4, 20, 21, 22, 50])
    }

    @Test("alff without censoring matches the periodogram reference; identical output for --threads 1 and 2")
    func alffPlainAndThreads() throws {
        let f = try Self.files()
        var outputs: [Data] = []
        for threads in ["1", "2"] {
            let a = f.folder + "/alff\(threads).nii"
            let run = try Reference.cohortex(["alff", "--bold", f.bold, "--mask", f.mask, "--out-alff", a, "--threads", threads])
            #expect(run.status == 0, "\(run.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: a)))
        }
        #expect(outputs[0] == outputs[1])
        try Reference.runPython("spatial_reference.py", ["alff-nifti", f.bold, f.mask, "0.01", "0.08", f.folder + "/ref.f32"])
        let ref = try Reference.readFloat32(f.folder + "/ref.f32")
        let alff = try Self.inMask(f.folder + "/alff1.nii", f.mask)
        let worst = zip(alff, ref).map { abs($0 - $1) / abs($1) }.max() ?? 1
        #expect(worst <= 1e-4, "ALFF \(worst)")
    }

    @Test("reho: CLI map equals the scipy reference on the same cleaned signal (19 neighbours, censored); threads agree")
    func reho() throws {
        let f = try Self.files()
        var outputs: [Data] = []
        for threads in ["1", "2"] {
            let out = f.folder + "/reho\(threads).nii.gz"
            let run = try Reference.cohortex(["reho", "--bold", f.bold, "--mask", f.mask, "--neighbourhood", "19",
                                              "--sample-mask", f.sampleMask, "--out", out, "--threads", threads])
            #expect(run.status == 0, "\(run.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        #expect(outputs[0] == outputs[1])
        let signal = try RestingStateSignal.load(bold: f.bold, mask: f.mask, sampleMask: f.sampleMask, minimumFrames: 3, purpose: "ReHo",
                                                 parallelism: .available)
        try Reference.writeFloat32(signal.keptRows, to: f.folder + "/kept.f32")
        try Reference.runPython("spatial_reference.py", ["reho", f.folder + "/kept.f32", "66", f.mask, "19", f.folder + "/w.f64"])
        let ref = try Data(contentsOf: URL(fileURLWithPath: f.folder + "/w.f64")).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        let ours = try Self.inMask(f.folder + "/reho1.nii.gz", f.mask)
        let worst = zip(ours, ref).map { abs(Double($0) - $1) }.max() ?? 1
        #expect(worst <= 1e-6, "ReHo \(worst)")
        let sidecar = try Reference.jsonFile(f.folder + "/reho1.json")
        #expect(sidecar["Neighbourhood"] as? Int == 19)
    }

    @Test("bad input: clear errors naming the file")
    func badInput() throws {
        // 12 volumes: detrending leaves 10 degrees of freedom, the fewest accepted.
        let f = try Self.files(frames: 12)
        let out = f.folder + "/x.nii.gz"
        func fails(_ args: [String], _ fragments: [String], status: Int32 = 1) throws {
            let run = try Reference.cohortex(args)
            #expect(run.status == status, "\(args): \(run.stderr)")
            for fragment in fragments { #expect(run.stderr.contains(fragment), "\(args): \(run.stderr)") }
        }
        // 12 volumes at TR 0.5 s cannot resolve 0.01–0.08 Hz.
        try fails(["alff", "--bold", f.bold, "--mask", f.mask, "--out-alff", out, "--tr", "0.5"], [f.bold, "0.01–0.08 Hz", "TR 0.5 s", "12 volumes"])
        // Empty mask.
        let empty = f.folder + "/empty.nii.gz"
        try NIfTIWriter.write(Volume(zeros: Grid(nx: 10, ny: 9, nz: 8, affine: .scaling(-3, 3, 3.5, origin: (20, -20, -10)))), to: empty)
        try fails(["reho", "--bold", f.bold, "--mask", empty, "--out", out], [empty, "mask is empty"])
        // NaN inside the mask.
        var nanVolume = try NIfTIImage(path: f.bold).readVolume()
        let maskIndex = try NIfTIImage(path: f.mask).readMask().indices[5]
        nanVolume.voxels[3 * nanVolume.grid.voxelCount + maskIndex] = .nan
        let nanBold = f.folder + "/nan.nii.gz"
        try NIfTIWriter.write(nanVolume, to: nanBold)
        // NaN inside the mask: the voxel is zeroed and reported, as in seed-map; never NaN written.
        let nanOut = f.folder + "/nan-reho.nii.gz"
        let nanRun = try Reference.cohortex(["reho", "--bold", nanBold, "--mask", f.mask, "--out", nanOut])
        #expect(nanRun.status == 0 && nanRun.stderr.contains(nanBold) && nanRun.stderr.contains("1 in-mask voxel(s) hold NaN/Inf"))
        #expect(try NIfTIImage(path: nanOut).readVolume().voxels.allSatisfy { $0.isFinite })
        // A 3D image where a series is needed.
        try fails(["alff", "--bold", f.mask, "--mask", f.mask, "--out-alff", out], [f.mask, "4D series"])
        // Sample mask of the wrong length, and censoring leaving too little.
        let short = f.folder + "/short.txt"
        try "1\n1\n0\n".write(toFile: short, atomically: true, encoding: .utf8)
        try fails(["reho", "--bold", f.bold, "--mask", f.mask, "--sample-mask", short, "--out", out], [short, "3 values for 12 volumes"])
        // Grid mismatch, bad options (usage errors exit 64).
        let other = f.folder + "/other.nii.gz"
        try NIfTIWriter.write(Volume(zeros: Grid(nx: 4, ny: 4, nz: 4, affine: .identity)), to: other)
        try fails(["reho", "--bold", f.bold, "--mask", other, "--out", out], [other, "grid differs"])
        try fails(["reho", "--bold", f.bold, "--mask", f.mask, "--out", out, "--neighbourhood", "8"], ["7, 19 or 27"], status: 64)
        try fails(["alff", "--bold", f.bold, "--mask", f.mask, "--out-alff", out, "--band", "0.1,0.01"], ["--band"], status: 64)
        try fails(["smooth", f.bold, out, "--fwhm", "-2"], ["--fwhm"], status: 64)
        try fails(["smooth", f.folder + "/missing.nii", out, "--fwhm", "2"], [f.folder + "/missing.nii"])
        #expect(!FileManager.default.fileExists(atPath: out), "no output is left behind by a failed run")
    }
}
