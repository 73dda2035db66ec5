import Foundation
import NIfTI
import Simulation
import Testing

/// A study written into a fresh temporary folder for the duration of one closure.
struct WrittenStudy {
    let root: String
    let simulator: StudySimulator
    let manifest: Manifest

    var options: StudySimulator.Options { simulator.options }
    var participants: [SimulatedParticipant] { simulator.participants }

    /// Writes a study with `options` into a new temporary folder, runs `body`, then removes the folder
    /// (a closure rather than a deinit: the files must outlive every read, whatever ARC decides).
    static func with<T>(_ options: StudySimulator.Options, _ body: (WrittenStudy) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cohortex-simulation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let simulator = StudySimulator(options: options)
        let root = folder + "/study"
        let manifest = try simulator.write(to: root)
        return try body(WrittenStudy(root: root, simulator: simulator, manifest: manifest))
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    func image(_ relative: String) throws -> Volume { try NIfTIImage(path: path(relative)).readVolume() }

    func header(_ relative: String) throws -> NIfTIHeader { try NIfTIImage(path: path(relative)).header }

    func table(_ relative: String) throws -> TSVTable { try TSVTable(contentsOf: path(relative)) }

    func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(relative)))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func bytes(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(relative))) }

    /// Every file under the root, found on disk (not from the manifest), relative and sorted.
    func filesOnDisk() -> [String] {
        let base = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var out: [String] = []
        while let item = walker.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + item, isDirectory: &isFolder), !isFolder.boolValue { out.append(item) }
        }
        return out.sorted()
    }

    /// The preprocessed runs in template space, named here independently of the simulator's own naming.
    var runs: [StudyRun] {
        participants.flatMap { p in p.acquisitions.map { StudyRun(participant: p, acquisition: $0, layout: options.layout) } }
    }
}

/// One participant's run and the fMRIPrep paths that belong to it.
struct StudyRun: CustomStringConvertible {
    let participant: SimulatedParticipant
    let acquisition: SimulatedParticipant.Acquisition
    let layout: StudySimulator.Layout

    /// `derivatives/fmriprep/sub-XX[/ses-Y]/func/sub-XX[_ses-Y]_task-rest[_run-Z]`.
    var prefix: String {
        let session = acquisition.session.map { "_ses-\($0)" } ?? ""
        let folder = "derivatives/fmriprep/\(participant.id)" + (acquisition.session.map { "/ses-\($0)" } ?? "") + "/func"
        return "\(folder)/\(participant.id)\(session)_task-rest" + (acquisition.run.map { "_run-\($0)" } ?? "")
    }

    var space: String { "_space-MNI152NLin2009cAsym" + (layout == .modern ? "_res-2" : "") }
    var bold: String { prefix + space + "_desc-preproc_bold.nii.gz" }
    var mask: String { prefix + space + "_desc-brain_mask.nii.gz" }
    var confounds: String { prefix + (layout == .modern ? "_desc-confounds_timeseries" : "_desc-confounds_regressors") + ".tsv" }
    var confoundsSidecar: String { confounds.replacingOccurrences(of: ".tsv", with: ".json") }

    var description: String { (prefix as NSString).lastPathComponent }
}

/// Small numeric helpers for the checks.
enum Numerics {
    static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(max(x.count, 1)) }

    static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let ma = mean(a), mb = mean(b)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return sab / (saa * sbb).squareRoot()
    }

    /// `y` minus its least-squares fit on `regressors` (each the length of `y`; add a constant yourself),
    /// by the normal equations with partial pivoting: small, well-conditioned designs only.
    static func residuals(_ y: [Double], on regressors: [[Double]]) -> [Double] {
        let p = regressors.count
        var a = [[Double]](repeating: [Double](repeating: 0, count: p + 1), count: p)
        for i in 0..<p {
            for j in 0..<p { a[i][j] = zip(regressors[i], regressors[j]).reduce(0) { $0 + $1.0 * $1.1 } }
            a[i][p] = zip(regressors[i], y).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for c in 0..<p {
            let pivot = (c..<p).max { abs(a[$0][c]) < abs(a[$1][c]) } ?? c
            a.swapAt(c, pivot)
            guard abs(a[c][c]) > 1e-300 else { continue }
            for r in 0..<p where r != c {
                let f = a[r][c] / a[c][c]
                for k in c...p { a[r][k] -= f * a[c][k] }
            }
        }
        let beta = (0..<p).map { abs(a[$0][$0]) > 1e-300 ? a[$0][p] / a[$0][$0] : 0 }
        return y.indices.map { t in y[t] - (0..<p).reduce(0) { $0 + beta[$1] * regressors[$1][t] } }
    }

    /// Linear indices of `grid` voxels whose centres are within `radius` mm of `point`.
    static func sphere(_ grid: Grid, _ point: (Double, Double, Double), radius: Double) -> [Int] {
        (0..<grid.voxelCount).filter { v in
            let (i, j, k) = grid.coordinates(of: v)
            let p = grid.affine.apply(Double(i), Double(j), Double(k))
            let d2 = (p.0 - point.0) * (p.0 - point.0) + (p.1 - point.1) * (p.1 - point.1) + (p.2 - point.2) * (p.2 - point.2)
            return d2 <= radius * radius
        }
    }

    /// The mean over `voxels` of each frame of `volume`.
    static func meanSeries(_ volume: Volume, _ voxels: [Int]) -> [Double] {
        let n = volume.grid.voxelCount
        return (0..<volume.frames).map { t in voxels.reduce(0.0) { $0 + Double(volume.voxels[t * n + $1]) } / Double(voxels.count) }
    }
}
