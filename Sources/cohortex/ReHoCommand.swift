import ArgumentParser
import Foundation
import Kernels
import Pipeline

struct ReHoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reho",
        abstract: "Regional homogeneity: Kendall's W of each voxel with its 7, 19 or 27 neighbours (AFNI 3dReHo).",
        discussion: """
        Neighbours outside the mask are left out; ties take their average rank and the denominator is \
        tie-corrected as in AFNI. The signal is cleaned first as in seed-map (confounds, censoring \
        with --fd-threshold or --sample-mask, detrend, optional band-pass); censored volumes are left out.
        """
    )

    @OptionGroup var input: RestingStateInputOptions

    @Option(help: "Neighbourhood size: 7 (faces), 19 (faces and edges) or 27 (the full cube).")
    var neighbourhood: Int = 27

    @Option(help: "ReHo map (float32 NIfTI; a JSON sidecar is written beside it).")
    var out: String

    @Option(name: .customLong("out-zreho"), help: "z-scored ReHo within the mask.")
    var outZReHo: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if ReHoNeighbourhood(rawValue: neighbourhood) == nil {
            throw ValidationError("--neighbourhood must be 7, 19 or 27, got \(neighbourhood)")
        }
    }

    func run() throws {
        global.apply()
        try reportingErrors {
            var timer = PhaseTimer()
            let signal = try timer.measure("read") { try input.load(minimumFrames: 3, purpose: "ReHo") }
            let result = try ReHoStage.run(signal: signal, bold: input.bold, neighbourhood: ReHoNeighbourhood(rawValue: neighbourhood)!,
                                           output: out, zScored: outZReHo)
            result.notes.forEach(note)
            timer.append(result.timer)
            reportTiming(timer)
        }
    }
}
