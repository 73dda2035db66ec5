import Tables

extension TSVTable {
    /// Writes the table to `path` atomically (a temporary renamed into place).
    public func write(to path: String) throws {
        try AtomicFile.write(text, to: path)
    }

    /// Stages the table for `path` (see `StagedFile`).
    public func stage(to path: String) throws -> StagedFile {
        try AtomicFile.stage(text, to: path)
    }
}
