@testable import CkptCore
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The writer's kernel copy through a 1 MiB pipe (`SplicePipe`): copy_file_range's contract, for
/// ranges that cross several pipe steps and land at another offset than they were read from.
final class SplicePipeTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "ckpt-splice-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// 3 MiB + 5 bytes of a patterned file, opened for reading.
    func source() throws -> (fd: Int32, bytes: [UInt8]) {
        let bytes = (0..<(3 << 20) + 5).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
        let path = folder + "/source"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        return (fd, bytes)
    }

    func destination(_ name: String, flags: Int32 = 0) -> Int32 {
        let fd = open(folder + "/" + name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | flags, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        return fd
    }

    func contents(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))) }

    func testCopiesAShiftedRangeAcrossPipeStepsAndStopsAtTheEnd() throws {
        guard let pipe = SplicePipe() else { throw XCTSkip("this system gives no 1 MiB pipe; the writer uses copy_file_range") }
        let (input, bytes) = try source()
        defer { close(input) }
        let output = destination("out")
        let header = [UInt8](repeating: 0x20, count: 100)  // the destination is 100 bytes ahead
        XCTAssertEqual(header.withUnsafeBytes { write(output, $0.baseAddress, $0.count) }, 100)
        var offset: Int64 = 7
        let count = bytes.count - 7 - 3
        var copied = 0
        while copied < count {
            let n = pipe.copy(from: input, offset: &offset, to: output, count: count - copied)
            XCTAssertGreaterThan(n, 0, "errno \(errno)")
            if n <= 0 { break }
            copied += n
        }
        XCTAssertEqual(offset, Int64(7 + count))
        // The last 3 bytes, then the end of the input.
        XCTAssertEqual(pipe.copy(from: input, offset: &offset, to: output, count: 1 << 20), 3)
        XCTAssertEqual(pipe.copy(from: input, offset: &offset, to: output, count: 1 << 20), 0)
        XCTAssertEqual(close(output), 0)
        XCTAssertEqual(try contents("out"), header + bytes[7...])
    }

    /// A destination splice refuses (append mode) gives -1 and EINVAL with nothing written and the
    /// pipe empty: the same pipe then copies into another file from the same offset.
    func testRefusedDestinationLeavesThePipeEmpty() throws {
        guard let pipe = SplicePipe() else { throw XCTSkip("this system gives no 1 MiB pipe; the writer uses copy_file_range") }
        let (input, bytes) = try source()
        defer { close(input) }
        let appending = destination("append", flags: O_APPEND)
        var offset: Int64 = 11
        XCTAssertEqual(pipe.copy(from: input, offset: &offset, to: appending, count: 4096), -1)
        XCTAssertEqual(errno, EINVAL)
        XCTAssertEqual(offset, 11)
        close(appending)
        let output = destination("out")
        XCTAssertEqual(pipe.copy(from: input, offset: &offset, to: output, count: 4096), 4096)
        close(output)
        XCTAssertEqual(try contents("out"), Array(bytes[11..<(11 + 4096)]))
        // Its size, not Data(contentsOf:): FoundationEssentials leaks its read buffer for an empty file.
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: folder + "/append"))[.size] as? Int, 0)
    }
}
