import ArgumentParser
import Foundation
import NIfTI
import Pipeline

struct GMVolumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gm-volume",
        abstract: "Regional gray-matter volume (Σ probability × voxel volume) per atlas region, sphere or ROI mask; TIV with WM and CSF maps.",
        discussion: """
        Writes a TSV (index, name, voxels, volume_mm3, mean_prob) and a JSON sidecar (totals, TIV, \
        invalid-value counts, inputs). Atlases or masks on another grid are mapped onto the GM map's \
        grid by nearest neighbour through the affines (as nilearn's resample_to_img).
        """
    )

    @Option(help: "Gray-matter probability map (fMRIPrep *_label-GM_probseg, CAT12 mwp1*, FSL *_pve_1); repeat for a cohort (with --out-dir).")
    var gm: [String] = []

    @Option(help: "White-matter probability map (for TIV); with several --gm, one per --gm in the same order.")
    var wm: [String] = []

    @Option(help: "CSF probability map (for TIV); with several --gm, one per --gm in the same order.")
    var csf: [String] = []

    @Option(help: "Integer label atlas.")
    var atlas: String?

    @Option(help: "Label table for the atlas: TSV with index and name columns, or `index name` lines.")
    var labels: String?

    @Option(name: .customLong("sphere"), help: "A sphere NAME:x,y,z,r in MNI mm (repeatable).")
    var spheres: [String] = []

    @Option(name: .customLong("roi"), help: "A binary mask NAME:MASK (repeatable).")
    var rois: [String] = []

    @Option(help: "Output TSV (a JSON sidecar with the same stem is written next to it). Default: print the table.")
    var out: String?

    @Option(help: "With several --gm maps: folder for one <stem>_gmvol.tsv/.json per map and the cohort table gmvol.tsv.")
    var outDir: String?

    @Flag(help: "Print the result as JSON instead of a table.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if gm.isEmpty { throw ValidationError("give a gray-matter map with --gm") }
        if gm.count > 1 {
            if outDir == nil { throw ValidationError("several --gm maps need --out-dir") }
            if out != nil || json { throw ValidationError("--out and --json take one --gm map; use --out-dir for a cohort") }
        }
        if atlas == nil && spheres.isEmpty && rois.isEmpty {
            throw ValidationError("give regions: --atlas ATLAS, or --sphere NAME:x,y,z,r / --roi NAME:MASK")
        }
        if atlas != nil && !(spheres.isEmpty && rois.isEmpty) {
            throw ValidationError("--atlas cannot be combined with --sphere/--roi")
        }
        if labels != nil && atlas == nil { throw ValidationError("--labels needs --atlas") }
        if wm.count != csf.count { throw ValidationError("TIV needs both --wm and --csf, one of each per --gm") }
        if !wm.isEmpty && wm.count != gm.count {
            throw ValidationError("give one --wm and one --csf per --gm (\(gm.count) GM, \(wm.count) WM, \(csf.count) CSF maps)")
        }
        if let out, !out.hasSuffix(".tsv") { throw ValidationError("--out must end in .tsv, got \(out)") }
    }

    func run() throws {
        global.apply()
        try reportingErrors {
            let regions: GrayMatterVolume.Regions
            if let atlas {
                regions = .atlas(path: atlas, labels: labels)
            } else {
                let parsedSpheres = try spheres.map { try Sphere(parsing: $0) }
                let masks = try rois.map { spec -> (name: String, path: String) in
                    guard let colon = spec.firstIndex(of: ":"), colon != spec.startIndex, spec.index(after: colon) != spec.endIndex else {
                        throw RegionError.invalidROI(spec: spec, reason: "missing NAME: or path")
                    }
                    return (String(spec[..<colon]), String(spec[spec.index(after: colon)...]))
                }
                regions = .custom(spheres: parsedSpheres, masks: masks)
            }
            if gm.count > 1 || outDir != nil {
                try runCohort(regions: regions)
                return
            }
            let result = try GrayMatterVolume.run(gm: gm[0], wm: wm.first, csf: csf.first, regions: regions)
            for note in result.notes { FileHandle.standardError.write(Data("cohortex: \(note)\n".utf8)) }
            for warning in result.warnings { warn(warning) }
            let inputs = inputList(index: 0)
            let table = GrayMatterVolume.table(result)
            let sidecar = GrayMatterVolume.sidecar(result, inputs: inputs)
            if let out {
                try table.write(to: out)
                try AtomicFile.write(sidecar.rendered(pretty: true) + "\n", to: String(out.dropLast(4)) + ".json")
            }
            if json {
                let rows: [JSONValue] = result.rows.map {
                    .object([("index", .int($0.index)), ("name", .string($0.name)), ("voxels", .int($0.voxels)),
                             ("volume_mm3", .number($0.volumeMM3)), ("mean_prob", .number($0.meanProbability))])
                }
                print(JSONValue.object([("regions", .array(rows)), ("summary", sidecar)]).rendered())
            } else if out == nil {
                print(table.text, terminator: "")
            }
        }
    }

    func inputList(index n: Int) -> [(String, String)] {
        var inputs = [("gm", gm[n])]
        if !wm.isEmpty { inputs += [("wm", wm[n]), ("csf", csf[n])] }
        if let atlas { inputs.append(("atlas", atlas)) }
        if let labels { inputs.append(("labels", labels)) }
        return inputs + spheres.map { ("sphere", $0) } + rois.map { ("roi", $0) }
    }

    /// Every map in parallel; a failing map is reported and skipped, the others are written.
    func runCohort(regions: GrayMatterVolume.Regions) throws {
        let folder = outDir!
        let outcomes = GrayMatterVolume.runCohort(gms: gm, wms: wm.isEmpty ? nil : wm, csfs: csf.isEmpty ? nil : csf, regions: regions)
        var done: [(path: String, result: GrayMatterVolume.Result)] = []
        var failures = 0
        var notesShown = false
        for (n, (path, outcome)) in zip(gm, outcomes).enumerated() {
            switch outcome {
            case .success(let result):
                if !notesShown { result.notes.forEach { FileHandle.standardError.write(Data("cohortex: \($0)\n".utf8)) }; notesShown = true }
                result.warnings.forEach { warn($0) }
                let base = folder + "/" + GrayMatterVolume.stem(of: path) + "_gmvol"
                try GrayMatterVolume.table(result).write(to: base + ".tsv")
                try AtomicFile.write(GrayMatterVolume.sidecar(result, inputs: inputList(index: n)).rendered(pretty: true) + "\n", to: base + ".json")
                done.append((path, result))
            case .failure(let error):
                failures += 1
                FileHandle.standardError.write(Data("cohortex: error: \((error as? LocalizedError)?.errorDescription ?? "\(error)")\n".utf8))
            }
        }
        if !done.isEmpty { try GrayMatterVolume.cohortTable(done).write(to: folder + "/gmvol.tsv") }
        FileHandle.standardError.write(Data("cohortex: \(done.count) of \(gm.count) maps done\(failures > 0 ? ", \(failures) failed" : "")\n".utf8))
        if failures > 0 { throw ExitCode(1) }
    }
}
