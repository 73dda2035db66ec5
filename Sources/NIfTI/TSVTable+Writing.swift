import Tables

extension TSVTable {
    /// Writes the table to `path` atomically (a temporary renamed into place).
    public func write(to path: String) throws {
        try AtomicFile.write(text, to: path)
    }
}
