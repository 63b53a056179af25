import Crypto
import Foundation

/// Lower-case hex SHA-256, the form the golden JSON files use.
public func sha256Hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    SHA256.hash(data: Array(bytes)).map { String(format: "%02x", $0) }.joined()
}

/// SHA-256 of a whole file.
public func sha256Hex(file path: String) throws -> String {
    sha256Hex(try readBytes(path))
}
