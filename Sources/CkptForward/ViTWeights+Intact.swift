import CkptCore

extension ViTWeights {
    /// Throws `CkptError.inputResized` when a file the weights are read from has shrunk since it was
    /// opened, or a read of its mapping faulted past its new end (one fstat per file).
    func checkSourcesIntact() throws {
        var seen = Set<ObjectIdentifier>()
        for entry in entries.values {
            for case let .file(file, _, _) in entry.segments where seen.insert(ObjectIdentifier(file)).inserted {
                try file.checkIntact()
            }
        }
    }
}
