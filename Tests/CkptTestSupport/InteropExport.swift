import Foundation

/// Files our writer produced during the test run, handed to `scripts/interop_safetensors.py`, which
/// reads them with the Python `safetensors` library and compares every tensor with what the test
/// expected. Active only when the environment variable `CKPT_INTEROP_DIR` names a folder.
public enum InteropExport {
    /// What a tensor in the written file must hold, taken from the test's source data, never from
    /// reading the output back with CkptKit.
    public struct Expected {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        public let bytes: [UInt8]

        public init(name: String, dtype: String, shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    public static var directory: String? {
        guard let dir = ProcessInfo.processInfo.environment["CKPT_INTEROP_DIR"], !dir.isEmpty else { return nil }
        return dir
    }

    /// Copies `path` to `$CKPT_INTEROP_DIR/<label>.safetensors` with a sidecar
    /// `<label>.expected.json`: `{"metadata": {...}|null, "tensors": [{"name", "dtype", "shape", "hex"}]}`.
    public static func record(_ path: String, label: String, expected: [Expected], metadata: [(String, String)]?) throws {
        guard let dir = directory else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let target = dir + "/" + label + ".safetensors"
        try? FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: path, toPath: target)
        let sidecar: [String: Any] = [
            "metadata": metadata.map { Dictionary($0, uniquingKeysWith: { a, _ in a }) as Any } ?? NSNull(),
            "tensors": expected.map { e -> [String: Any] in
                ["name": e.name, "dtype": e.dtype, "shape": e.shape,
                 "hex": e.bytes.map { String(format: "%02x", $0) }.joined()]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: sidecar, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: dir + "/" + label + ".expected.json"))
    }
}
