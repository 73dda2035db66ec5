import ArgumentParser
import Foundation
import NIfTI
import Pipeline

struct GMVolumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gm-volume",
        abstract: "Regional gray-matter volume (Σ probability × voxel volume) per atlas region, sphere or ROI mask; TIV with WM and CSF maps.",
        discussion: """
        Writes a TSV (index, name, voxels, volume_mm3, mean_prob, label_volume_mm3) and a JSON sidecar (totals, TIV, \
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

    @Option(name: .customLong("sphere"), help: "A sphere NAME:x,y,z,r in MNI mm (repeatable).", transform: parsing(Sphere.init(parsing:)))
    var spheres: [Sphere] = []

    @Option(name: .customLong("roi"), help: "A binary mask NAME:MASK (repeatable).", transform: parsing(NamedMask.init(parsing:)))
    var rois: [NamedMask] = []

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
        _ = try validated(request) { try $0.validate() }
    }

    /// The stage request the flags describe.
    var request: GrayMatterVolume.Request {
        let maps = gm.indices.map { n in GrayMatterVolume.Maps(gm: gm[n], wm: wm.isEmpty ? nil : wm[n], csf: csf.isEmpty ? nil : csf[n]) }
        let regions: RegionDefinition = atlas.map { .atlas(path: $0, labels: labels) } ?? .custom(spheres: spheres, masks: rois)
        let destination: GrayMatterVolume.Destination = outDir.map { .folder(path: $0) } ?? out.map { .table(path: $0) } ?? .none
        return GrayMatterVolume.Request(maps: maps, regions: regions, destination: destination)
    }

    func run() throws {
        try reportingErrors {
            let outcome = try GrayMatterVolume.run(request, context: global.context)
            if outDir != nil {
                outcome.failures.forEach { printError($0.error) }
                let failed = outcome.failures.count
                note("\(outcome.measured.count) of \(gm.count) maps done\(failed > 0 ? ", \(failed) failed" : "")")
                if failed > 0 { throw ExitCode(1) }
                return
            }
            let result = outcome.measured[0].result
            if json {
                let rows: [JSONValue] = result.rows.map {
                    .object([("index", .int($0.index)), ("name", .string($0.name)), ("voxels", .int($0.voxels)),
                             ("volume_mm3", .number($0.volumeMM3)), ("mean_prob", .number($0.meanProbability))])
                }
                let summary = GrayMatterVolume.provenance(result, maps: request.maps[0], regions: request.regions).json
                print(JSONValue.object([("regions", .array(rows)), ("summary", summary)]).rendered())
            } else if out == nil {
                print(GrayMatterVolume.table(result).text, terminator: "")
            }
        }
    }
}
