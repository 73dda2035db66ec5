import Foundation
import NIfTI
import Pipeline

/// The participants' maps stacked as one 4D image in design order (randomise's and PALM's `-i`).
extension PALMExport {
    /// Maps checked against the design: one per row, the row's participant, all 3D on one grid.
    struct MapStack: Sendable {
        var paths: [String]
        var grid: Grid
        var spaceCode: Int32
    }

    /// Checks the maps from their headers alone (nothing is written if any is wrong): the count, each
    /// file name's `sub-<label>` against its design row, one frame each, the first map's grid.
    static func checkMaps(_ paths: [String], participants: [String], design: String) throws -> MapStack {
        guard paths.count == participants.count else {
            throw PALMExportError.mapCount(design: design, rows: participants.count, maps: paths.count)
        }
        for (row, (path, participant)) in zip(paths, participants).enumerated() {
            let found = participantLabel(in: URL(fileURLWithPath: path).lastPathComponent)
            // `sub-01` and `01` name the same participant in participants.tsv.
            guard found == label(of: participant) else {
                throw PALMExportError.participantMismatch(path: path, row: row + 1, expected: participant, found: found)
            }
        }
        guard let firstPath = paths.first else { throw PALMExportError.mapCount(design: design, rows: participants.count, maps: 0) }
        let first = try NIfTIImage(path: firstPath)
        for (n, path) in paths.enumerated() {
            let image = n == 0 ? first : try NIfTIImage(path: path)
            guard image.header.frames == 1 else { throw PALMExportError.notThreeD(path: path, frames: image.header.frames) }
            try image.checkVoxelDataSize()
            guard image.grid.matches(first.grid) else {
                throw PALMExportError.gridMismatch(path: path, reference: firstPath, detail: first.grid.difference(from: image.grid))
            }
        }
        let header = first.header
        // Keep the maps' space (sform code, else qform code; 2 "aligned" when neither is set).
        let code = header.sformCode > 0 ? header.sformCode : header.qformCode > 0 ? header.qformCode : 2
        return MapStack(paths: paths, grid: first.grid, spaceCode: Int32(code))
    }

    /// Streams the maps, one frame at a time, into a float32 4D image on the first map's grid.
    static func mergedStage(_ stack: MapStack, to path: String) throws -> StagedFile {
        try NIfTIWriter.stageFrames(to: path, grid: stack.grid, frames: stack.paths.count, repetitionTime: nil,
                                    description: "cohortex palm-export: maps in design order", spaceCode: stack.spaceCode) { emit in
            for map in stack.paths {
                let volume = try NIfTIImage(path: map).readVolume3D()
                // Checked before staging; checked again so a file replaced meanwhile is an error, not a short frame.
                guard volume.grid.matches(stack.grid) else {
                    throw PALMExportError.gridMismatch(path: map, reference: stack.paths[0], detail: stack.grid.difference(from: volume.grid))
                }
                try volume.voxels.withUnsafeBufferPointer { try emit($0) }
            }
        }
    }

    /// The participant label of a BIDS file name's `sub-<label>` entity.
    static func participantLabel(in name: String) -> String? {
        for part in name.split(separator: "_") where part.hasPrefix("sub-") {
            let label = part.dropFirst(4).prefix { $0.isLetter || $0.isNumber }
            if !label.isEmpty { return String(label) }
        }
        return nil
    }

    /// `sub-01` → `01`; a bare label is kept.
    static func label(of participant: String) -> String {
        participant.hasPrefix("sub-") ? String(participant.dropFirst(4)) : participant
    }
}
