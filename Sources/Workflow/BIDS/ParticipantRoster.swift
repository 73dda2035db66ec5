import Foundation
import NIfTI

/// `participants.tsv` against the derivatives: who is listed, who has data, and the mismatches to report.
public struct ParticipantRoster: Sendable {
    /// The table read, if any.
    public let path: String?
    public let table: TSVTable?
    /// Listed in participants.tsv but with no derivatives.
    public let listedWithoutData: [String]
    /// With derivatives but no row in participants.tsv.
    public let dataWithoutRow: [String]

    /// Reads `file`, else `datasetRoot/participants.tsv` when present; `found` are the labels with derivatives.
    public init(datasetRoot: String, file: String?, found: [String]) throws {
        let candidate = file ?? datasetRoot + "/participants.tsv"
        guard file != nil || FileManager.default.fileExists(atPath: candidate) else {
            path = nil
            table = nil
            listedWithoutData = []
            dataWithoutRow = []
            return
        }
        let table: TSVTable
        do { table = try TSVTable(contentsOf: candidate) } catch {
            throw DiscoveryError.participantsTable(path: candidate, reason: (error as? LocalizedError)?.errorDescription ?? "\(error)")
        }
        guard let column = table.columns.firstIndex(of: "participant_id") else {
            throw DiscoveryError.participantsTable(path: candidate, reason: "no participant_id column (columns: \(table.columns.joined(separator: ", ")))")
        }
        var listed: [String] = []
        for (n, row) in table.rows.enumerated() {
            let id = row[column].trimmingCharacters(in: .whitespaces)
            let label = id.hasPrefix("sub-") ? String(id.dropFirst(4)) : id
            guard BIDSName.isLabel(label) else {
                throw DiscoveryError.participantsTable(path: candidate, reason: "line \(n + 2): participant_id '\(id)' is not sub-<letters and digits>")
            }
            listed.append(label)
        }
        path = candidate
        self.table = table
        listedWithoutData = listed.filter { !found.contains($0) }
        dataWithoutRow = found.filter { !listed.contains($0) }
    }

    /// Lines for the log.
    public var notes: [String] {
        guard let path else { return ["no participants.tsv: the group level will need one"] }
        var notes: [String] = []
        if !listedWithoutData.isEmpty {
            notes.append("\(path): \(listedWithoutData.count) participant(s) listed without derivatives: \(listedWithoutData.map { "sub-\($0)" }.joined(separator: ", "))")
        }
        if !dataWithoutRow.isEmpty {
            notes.append("\(path): \(dataWithoutRow.count) participant(s) with derivatives but no row: \(dataWithoutRow.map { "sub-\($0)" }.joined(separator: ", "))")
        }
        return notes
    }
}
