import Foundation
import NIfTI

/// Writes a study's files under one root, each atomically, and remembers their relative paths.
struct StudyWriter {
    let root: String
    private(set) var files: [String] = []

    /// Opens `root` for writing: created when absent, refused when it is a file or a non-empty folder
    /// (a simulated study must never mix with other data).
    init(root: String) throws {
        self.root = root
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw SimulationError.outputNotAFolder(path: root) }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            guard contents.isEmpty else { throw SimulationError.outputNotEmpty(path: root) }
        } else {
            do { try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true) } catch {
                throw SimulationError.cannotCreateFolder(path: root, reason: (error as NSError).localizedFailureReason
                    ?? error.localizedDescription)
            }
        }
    }

    private mutating func absolute(_ relative: String) -> String {
        files.append(relative)
        return (root as NSString).appendingPathComponent(relative)
    }

    /// Pretty JSON (two-space indent, keys in the order given) with a trailing newline.
    mutating func json(_ value: JSONValue, to relative: String) throws {
        try AtomicFile.write(value.rendered(pretty: true) + "\n", to: absolute(relative))
    }

    mutating func text(_ text: String, to relative: String) throws {
        try AtomicFile.write(text, to: absolute(relative))
    }

    mutating func table(_ table: TSVTable, to relative: String) throws {
        try table.write(to: absolute(relative))
    }

    /// A NIfTI-1 image; `spaceCode` 4 (MNI) for template-space images, 1 (scanner) for native ones.
    mutating func image(_ volume: Volume, to relative: String, datatype: NIfTIDataType = .float32, spaceCode: Int32) throws {
        try NIfTIWriter.write(volume, to: absolute(relative), datatype: datatype, description: "cohortex simulate",
                              spaceCode: spaceCode)
    }
}
