import Foundation
import NIfTI
import Testing
import TestSupport

@Suite("TSV tables")
struct TSVTableTests {
    static func write(_ text: String) throws -> String {
        let path = try Reference.temporaryFolder() + "/participants.tsv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func readsBIDSParticipants() throws {
        let path = try Self.write("participant_id\tgroup\tage\r\nsub-01\tpain\t41\r\nsub-02\tcontrol\tn/a\r\n\n")
        let table = try TSVTable(contentsOf: path)
        #expect(table.columns == ["participant_id", "group", "age"])
        #expect(try table.column("group") == ["pain", "control"])
        #expect(try table.numericColumn("age") == [41, nil])
    }

    @Test func raggedRowNamesTheLine() throws {
        let path = try Self.write("a\tb\n1\t2\n3\n")
        #expect(throws: TableError.raggedRow(path: path, line: 3, expected: 2, found: 1)) { try TSVTable(contentsOf: path) }
    }

    @Test func missingColumnListsTheAvailableOnes() throws {
        let table = try TSVTable(contentsOf: try Self.write("participant_id\tage\nsub-01\t3\n"))
        #expect(throws: TableError.missingColumn(path: table.path, column: "group", available: ["participant_id", "age"])) {
            try table.column("group")
        }
    }

    @Test func nonNumericValueNamesColumnAndLine() throws {
        let table = try TSVTable(contentsOf: try Self.write("id\tage\ns1\t40\ns2\tforty\n"))
        #expect(throws: TableError.notNumeric(path: table.path, column: "age", line: 3, value: "forty")) {
            try table.numericColumn("age")
        }
    }

    @Test func roundTripsThroughAnAtomicWrite() throws {
        let table = TSVTable(columns: ["index", "name"], rows: [["1", "dlPFC_L"], ["2", "thalamus"]])
        let path = try Reference.temporaryFolder() + "/regions.tsv"
        try table.write(to: path)
        let back = try TSVTable(contentsOf: path)
        #expect(back.columns == table.columns && back.rows == table.rows)
    }
}
