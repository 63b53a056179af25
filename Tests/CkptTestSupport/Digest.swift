import CkptKit

/// Lower-case hex SHA-256, the form the golden JSON files use.
public func sha256Hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    // libcrypto is a build dependency of the package: without it there is no test run to speak of.
    do { return try Hashing.sha256(bytes: Array(bytes)) } catch { preconditionFailure("SHA-256 unavailable: \(error)") }
}

/// SHA-256 of a whole file.
public func sha256Hex(file path: String) throws -> String {
    sha256Hex(try readBytes(path))
}
