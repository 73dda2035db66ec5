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

    @Option(help: ArgumentHelp("Neighbourhood size: 7 (faces), 19 (faces and edges) or 27 (the full cube).", valueName: "7|19|27"),
            transform: parseNeighbourhood)
    var neighbourhood: ReHoNeighbourhood = .vertices

    @Option(help: "ReHo map (float32 NIfTI; a JSON sidecar is written beside it).")
    var out: String

    @Option(name: .customLong("out-zreho"), help: "z-scored ReHo within the mask.")
    var outZReHo: String?

    @OptionGroup var global: GlobalOptions

    /// The stage request the flags describe.
    var request: ReHoStage.Request {
        get throws {
            ReHoStage.Request(run: try input.run, mask: input.mask, denoising: input.cleaning.options,
                              neighbourhood: neighbourhood, output: out, zScored: outZReHo)
        }
    }

    func validate() throws {
        _ = try validated(try request) { try $0.validate() }
    }

    func run() throws {
        try reportingErrors {
            let outcome = try ReHoStage.run(try request, context: global.context)
            reportTiming(outcome.timer)
        }
    }
}
