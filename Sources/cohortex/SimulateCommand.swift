import ArgumentParser
import Foundation
import Simulation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a deterministic synthetic study: raw BIDS stubs with fMRIPrep (and optionally CAT12) derivatives.",
        discussion: """
        Participants alternate pain/control (sub-02 has two sessions, sub-03 two runs). Resting-state BOLD on an \
        MNI152NLin2009cAsym-like grid carries a PAG signal that drives the mPFC, more weakly in the pain group; \
        confounds, masks and segmentations are consistent with it. The same options and seed give identical bytes. \
        OUTPUT_DIR must be new or empty.
        """
    )

    @Argument(help: "Folder to write the study into (created; must be empty if it exists).")
    var output: String

    @Option(help: "Number of participants (1–99).")
    var participants: Int = 6

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Template/BOLD grid in voxels, X,Y,Z (each at least 8).")
    var shape: GridShape = GridShape(x: 16, y: 16, z: 16)

    @Option(name: .customLong("voxel-size"), help: "Template/BOLD voxel size in millimetres.")
    var voxelSize: Double = 8

    @Option(help: "BOLD volumes per run (at least 10; volume 0 is non-steady-state).")
    var volumes: Int = 40

    @Option(name: .customLong("tr"), help: "Repetition time in seconds.")
    var repetitionTime: Double = 2

    @Flag(help: "fMRIPrep 20.2 naming: no res- entity, desc-confounds_regressors.")
    var legacy = false

    @Flag(help: "Also write CAT12 outputs (mwp1/mwp2, TIV report).")
    var cat12 = false

    @Flag(name: .customLong("no-distractors"), help: "Leave out the files discovery must ignore (other spaces, tasks, reports).")
    var noDistractors = false

    @OptionGroup var global: GlobalOptions

    var options: StudySimulator.Options {
        StudySimulator.Options(participants: participants, seed: seed, nx: shape.x, ny: shape.y, nz: shape.z,
                               voxelSize: voxelSize, volumes: volumes, repetitionTime: repetitionTime,
                               layout: legacy ? .legacy : .modern, cat12: cat12, distractors: !noDistractors)
    }

    func validate() throws {
        do { try options.validate() } catch {
            throw ValidationError(Self.hint(for: error).map { "\(describe(error)) (check \($0))" } ?? describe(error))
        }
    }

    /// The flag behind an invalid option (the library's messages never name flags).
    static func hint(for error: Error) -> String? {
        switch error {
        case SimulationError.participantsOutOfRange: return "--participants"
        case SimulationError.tooFewVolumes: return "--volumes"
        case SimulationError.shapeTooSmall: return "--shape"
        case SimulationError.invalidVoxelSize: return "--voxel-size"
        case SimulationError.invalidRepetitionTime: return "--tr"
        case SimulationError.studyTooLarge: return "--shape and --volumes"
        default: return nil
        }
    }

    func run() throws {
        try reportingErrors {
            let simulator = StudySimulator(options: options)
            let manifest = try simulator.write(to: output)
            for p in simulator.participants {
                let acquisitions = p.acquisitions.count == 1 ? "1 run" : "\(p.acquisitions.count) runs"
                let clinical = p.painIntensity.map { String(format: ", pain %.1f", $0) } ?? ""
                print("\(p.id)  \(p.group.rawValue), age \(p.age), \(p.sex)\(clinical), \(acquisitions)")
            }
            print("wrote \(manifest.files.count) files to \(output)")
        }
    }
}

/// `--shape X,Y,Z`: three positive integers.
struct GridShape: ExpressibleByArgument, Equatable {
    var x: Int
    var y: Int
    var z: Int

    init(x: Int, y: Int, z: Int) { (self.x, self.y, self.z) = (x, y, z) }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let x = parts[0], let y = parts[1], let z = parts[2] else { return nil }
        (self.x, self.y, self.z) = (x, y, z)
    }

    var defaultValueDescription: String { "\(x),\(y),\(z)" }
}
