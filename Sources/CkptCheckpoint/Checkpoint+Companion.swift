import CkptCore

extension Checkpoint {
    /// The DINOHead file shipped next to these HF weights (`dino_head.safetensors` in the folder, or
    /// next to the file), opened.
    /// - Parameter neededBy: what asks for it (a flag such as `--head-output`), for the message.
    /// - Throws: `CkptError.companionMissing` when there is no such file.
    public func companionHead(neededBy: String) throws -> Checkpoint {
        let dir = FileSystem.kind(of: path) == .directory ? path : FileSystem.directoryName(path)
        let head = FileSystem.join(dir, HFDirectory.headName)
        guard FileSystem.kind(of: head) == .file else { throw CkptError.companionMissing(path: head, neededBy: neededBy) }
        return try Checkpoint.open(head)
    }
}
