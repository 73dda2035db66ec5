import Foundation
import NIfTI
import Simulation
import Testing

/// The public API: options validation, the output folder rule, the participants' ground truth.
@Suite("Simulator API")
struct SimulatorTests {
    @Test("a participant is the same person whatever the study size")
    func participantsAreStable() {
        let small = StudySimulator(options: .init(participants: 3)).participants
        let large = StudySimulator(options: .init(participants: 9)).participants
        for (a, b) in zip(small.prefix(2), large.prefix(2)) {
            #expect(a.age == b.age && a.sex == b.sex && a.headScale == b.headScale && a.coupling == b.coupling)
        }
        // Only the last participant moves abruptly.
        #expect(small.map(\.hasMotionSpikes) == [false, false, true])
        #expect(large.filter(\.hasMotionSpikes).map(\.label) == ["09"])
    }

    @Test("an existing non-empty folder is refused, naming it; an existing empty one is used")
    func refusesNonEmptyRoot() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cohortex-simulation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let simulator = StudySimulator(options: .init(participants: 1, volumes: 10, distractors: false))
        _ = try simulator.write(to: folder)
        #expect(throws: SimulationError.outputNotEmpty(path: folder)) { try simulator.write(to: folder) }
        #expect(SimulationError.outputNotEmpty(path: folder).description.hasPrefix(folder + ":"))
    }

    @Test("invalid options are refused before anything is written", arguments: [
        (StudySimulator.Options(participants: 0), SimulationError.participantsOutOfRange(0)),
        (StudySimulator.Options(participants: 100), SimulationError.participantsOutOfRange(100)),
        (StudySimulator.Options(volumes: 9), SimulationError.tooFewVolumes(9)),
        (StudySimulator.Options(nx: 16, ny: 7, nz: 16), SimulationError.shapeTooSmall(nx: 16, ny: 7, nz: 16)),
        (StudySimulator.Options(voxelSize: 0), SimulationError.invalidVoxelSize(0)),
        (StudySimulator.Options(repetitionTime: -1), SimulationError.invalidRepetitionTime(-1)),
    ])
    func invalidOptions(options: StudySimulator.Options, error: SimulationError) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cohortex-simulation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: error) { try StudySimulator(options: options).write(to: folder) }
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
