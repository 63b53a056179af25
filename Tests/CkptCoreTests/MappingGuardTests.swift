@testable import CkptCore
import CkptKit
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The SIGBUS guard: a file truncated while a lend of its mapping is running (the case the size check
/// before each lend cannot catch) makes the lend throw `inputResized`; the process survives the fault.
final class MappingGuardTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "ckpt-mappingguard-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// A file of `count` bytes, all 1, and its path.
    func makeFile(_ name: String, count: Int) throws -> String {
        let path = folder + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: 1, count: count)))
        return path
    }

    /// Sums one byte per page of `raw`, so every page is touched.
    static func touchEveryPage(_ raw: UnsafeRawBufferPointer) -> Int {
        stride(from: 0, to: raw.count, by: 4096).reduce(0) { $0 + Int(raw[$1]) }
    }

    func assertResized(_ error: Error, path: String, openedSize: Int, currentSize: Int, _ context: String) {
        XCTAssertEqual(error as? CkptError, .inputResized(path: path, openedSize: openedSize, currentSize: currentSize), context)
        XCTAssertTrue("\(error)".contains("\(path) changed size while being read"), "\(context): \(error)")
    }

    func testTruncationInsideALendThrowsInsteadOfSIGBUS() throws {
        let size = 1 << 20
        let path = try makeFile("a.bin", count: size)
        let file = try MappedFile(path: path)
        let before = MappingGuard.absorbedCount
        var sum = 0
        XCTAssertThrowsError(try file.withBytes(offset: 0, count: size) { raw in
            XCTAssertEqual(truncate(path, 8192), 0)
            sum = Self.touchEveryPage(raw)  // Pages past 8192 now fault; the guard maps zeros there.
        }) { assertResized($0, path: path, openedSize: size, currentSize: 8192, "lend during which the file shrank") }
        XCTAssertEqual(sum, 2, "the two pages still in the file read their bytes, the absorbed tail reads zeros")
        XCTAssertGreaterThan(MappingGuard.absorbedCount, before)
        // Once a fault was absorbed the mapping is poisoned: even bytes still in the file are refused.
        XCTAssertThrowsError(try file.withBytes(offset: 0, count: 16) { $0.count }) {
            assertResized($0, path: path, openedSize: size, currentSize: 8192, "lend after the fault")
        }
    }

    /// Faults on other threads (the forward pass and OpenBLAS run on several) are absorbed too, and an
    /// error thrown by the body because of the zeros it read is replaced by the size change.
    func testFaultsOnWorkerThreadsAndBodyErrorsReportTheSizeChange() throws {
        let size = 8 << 20
        let path = try makeFile("b.bin", count: size)
        let file = try MappedFile(path: path)
        struct SawZeros: Error {}
        XCTAssertThrowsError(try file.withBytes(offset: 0, count: size) { raw in
            XCTAssertEqual(truncate(path, 0), 0)
            let chunks = 8, chunk = size / chunks
            let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks)
            defer { sums.deallocate() }
            // Addresses cross into the workers as integers: the buffers outlive concurrentPerform, and
            // each worker touches only its own chunk and slot.
            let source = UInt(bitPattern: raw.baseAddress), slots = UInt(bitPattern: sums.baseAddress)
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let start = UnsafeRawPointer(bitPattern: source)! + i * chunk
                UnsafeMutablePointer<Int>(bitPattern: slots)![i] =
                    Self.touchEveryPage(UnsafeRawBufferPointer(start: start, count: chunk))
            }
            if sums.contains(0) { throw SawZeros() }
        }) { assertResized($0, path: path, openedSize: size, currentSize: 0, "lend with faults on worker threads") }
    }

    /// A mapping that is closed and another that reuses its slot start clean.
    func testUnfaultedMappingsAreUnaffected() throws {
        let a = try makeFile("c.bin", count: 1 << 16)
        do {
            let file = try MappedFile(path: a)
            XCTAssertThrowsError(try file.withBytes(offset: 0, count: 1 << 16) { raw in
                XCTAssertEqual(truncate(a, 0), 0)
                _ = Self.touchEveryPage(raw)
            })
        }
        let b = try makeFile("d.bin", count: 1 << 16)
        let file = try MappedFile(path: b)
        XCTAssertEqual(try file.withBytes(offset: 0, count: 1 << 16) { Self.touchEveryPage($0) }, 16)
    }

    /// Opting out is only possible before the handler is installed: once a file is mapped, `optOut()` says
    /// false and the guard stays (an application must opt out before it opens any file).
    func testOptOutAfterAMappingIsRefused() throws {
        let path = try makeFile("e.bin", count: 8192)
        let file = try MappedFile(path: path)
        XCTAssertFalse(SIGBUSGuard.optOut())
        XCTAssertEqual(try file.withBytes(offset: 0, count: 8192) { Self.touchEveryPage($0) }, 2)
    }
}
