import Foundation
import NIfTI
import Simulation
import Testing

@Suite("Determinism")
struct DeterminismTests {
    @Test("the same options and seed give byte-identical files", arguments: [StudySimulator.Layout.modern, .legacy])
    func identicalBytes(layout: StudySimulator.Layout) throws {
        let options = StudySimulator.Options(participants: 4, seed: 7, layout: layout, cat12: true)
        try WrittenStudy.with(options) { first in
            try WrittenStudy.with(options) { second in
                #expect(first.manifest == second.manifest)
                #expect(first.filesOnDisk() == first.manifest.files)
                var differing: [String] = []
                for file in first.manifest.files where try first.bytes(file) != second.bytes(file) { differing.append(file) }
                #expect(differing == [])
            }
        }
    }

    @Test("a different seed changes every BOLD series and the participants")
    func differentSeed() throws {
        try WrittenStudy.with(.init(participants: 3, seed: 1, distractors: false)) { a in
            try WrittenStudy.with(.init(participants: 3, seed: 2, distractors: false)) { b in
                #expect(a.manifest.files == b.manifest.files)
                for run in a.runs {
                    let (first, second) = (try a.bytes(run.bold), try b.bytes(run.bold))
                    #expect(first != second, "\(run)")
                }
                #expect(a.participants.map(\.headScale) != b.participants.map(\.headScale))
            }
        }
    }
}
