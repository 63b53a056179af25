import XCTest
@testable import CkptPth
import CkptKit

/// Tuples nested without bound: a million TUPLE1 opcodes (1 MB of pickle) used to build a chain whose
/// release recursed once per level and overflowed the stack (SIGSEGV, found by the hostile-memory
/// corpus). The machine now refuses nesting past `Limits.maxTupleDepth`, while shallow tuples shared
/// through the memo (a DAG, as torch writes size/stride tuples) stay accepted.
final class PickleNestingTests: XCTestCase {
    func testDeepTupleChainIsRefusedNotACrash() {
        var m = PickleMachine(path: "deep.pkl") { _ in .none }
        defer { m.breakReferenceCycles() }
        let pickle: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]  // NONE, TUPLE1 × 10⁶
        XCTAssertThrowsError(try m.run(pickle)) { error in
            XCTAssertTrue("\(error)".contains("tuples nested deeper than 256 levels at offset 259"), "\(error)")
        }
    }

    func testNestingUpToTheLimitAndSharedTuplesAreAccepted() throws {
        var m = PickleMachine(path: "ok.pkl") { _ in .none }
        defer { m.breakReferenceCycles() }
        XCTAssertNoThrow(try m.run([0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 256) + [0x2E]))
        // t = (None,); u = (t, t) through the memo; (u, u): depth 3 of a DAG.
        var shared = PickleMachine(path: "dag.pkl") { _ in .none }
        defer { shared.breakReferenceCycles() }
        let value = try shared.run([0x80, 0x02, 0x4E, 0x85, 0x71, 0x00, 0x68, 0x00, 0x86, 0x71, 0x01, 0x68, 0x01, 0x86, 0x2E])
        guard case let .tuple(outer) = value, outer.count == 2, case let .tuple(inner) = outer[0], inner.count == 2 else {
            return XCTFail("expected ((t, t), (t, t)), got \(value.kindName)")
        }
    }
}
