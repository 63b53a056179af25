import XCTest
import CkptKit
@testable import CkptPth

/// The restricted unpickler on bytecode produced by CPython's `pickle.dumps` (bytes pasted from
/// `python -c 'print(list(pickle.dumps(v, proto)))'`) and on hand-made hostile bytecode.
final class PickleMachineTests: XCTestCase {
    /// Machines of this test, emptied at teardown (as PthReader does once it has read the result) so
    /// self-referencing containers do not outlive the test (LeakSanitizer runs this suite).
    private var machines: [PickleMachine] = []

    override func tearDown() {
        for i in machines.indices { machines[i].breakReferenceCycles() }
        machines = []
        super.tearDown()
    }

    private func run(_ bytes: [UInt8]) throws -> PickleValue {
        var m = PickleMachine(path: "t.pkl") { _ in XCTFail("no persistent ids here"); return .none }
        defer { machines.append(m) }
        return try m.run(bytes)
    }

    /// A list that holds itself and is then dropped from the stack (POP) and from the memo (its slot
    /// reused) is still emptied by the cleanup, so it is freed. FuzzPth found this leak under
    /// LeakSanitizer: the cleanup used to walk only from the stack and the memo.
    func testSelfHoldingListDroppedFromStackAndMemoIsFreed() throws {
        var m = PickleMachine(path: "t.pkl") { _ in XCTFail("no persistent ids here"); return .none }
        // PROTO 2, EMPTY_LIST, MEMOIZE, BINGET 0, APPEND (the list into itself), POP, NONE, BINPUT 0, STOP
        let bytes: [UInt8] = [0x80, 2, 0x5D, 0x94, 0x68, 0, 0x61, 0x30, 0x4E, 0x71, 0, 0x2E]
        XCTAssertEqual(try m.run(bytes).kindName, "None")
        weak var list: PickleList?
        if case let .list(l)? = m.built.first {
            XCTAssertTrue(l.items.count == 1, "the list holds itself")
            list = l
        }
        XCTAssertNotNil(list)
        m.breakReferenceCycles()
        XCTAssertNil(list, "the self-holding list outlived the cleanup")
    }

    /// Integers as CPython writes them (BININT1, BININT, LONG1 incl. the int64 extremes).
    func testIntegersFromCPython() throws {
        let cases: [(Int?, [UInt8])] = [
            (Int.min, [128, 2, 138, 8, 0, 0, 0, 0, 0, 0, 0, 128, 46]),
            (Int.max, [128, 2, 138, 8, 255, 255, 255, 255, 255, 255, 255, 127, 46]),
            (255, [128, 2, 75, 255, 46]),
            (-1, [128, 2, 74, 255, 255, 255, 255, 46]),
            (nil, [128, 2, 138, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 46]),  // 2**64: too big, kept as its size
            (0, [128, 2, 75, 0, 46]),
            (-129, [128, 2, 74, 127, 255, 255, 255, 46]),
        ]
        for (value, bytes) in cases {
            let v = try run(bytes)
            switch (value, v) {
            case let (n?, .int(i)): XCTAssertEqual(i, n, "\(bytes)")
            case (nil, .bigInt(9)): break
            default: XCTFail("\(String(describing: value)): got \(v)")
            }
        }
    }

    /// `{'a': [1, 2.5, None, True, 'x'], 'b': (1,)}` under protocols 2 and 5 (FRAME, MEMOIZE).
    func testContainersFromCPython() throws {
        let p2: [UInt8] = [128, 2, 125, 113, 0, 40, 88, 1, 0, 0, 0, 97, 113, 1, 93, 113, 2, 40, 75, 1, 71, 64, 4, 0, 0, 0, 0, 0, 0, 78, 136, 88, 1, 0, 0, 0, 120, 113, 3, 101, 88, 1, 0, 0, 0, 98, 113, 4, 75, 1, 133, 113, 5, 117, 46]
        let p5: [UInt8] = [128, 5, 149, 38, 0, 0, 0, 0, 0, 0, 0, 125, 148, 40, 140, 1, 97, 148, 93, 148, 40, 75, 1, 71, 64, 4, 0, 0, 0, 0, 0, 0, 78, 136, 140, 1, 120, 148, 101, 140, 1, 98, 148, 75, 1, 133, 148, 117, 46]
        for (proto, bytes) in [(2, p2), (5, p5)] {
            guard case let .dict(d) = try run(bytes) else { XCTFail("protocol \(proto): not a dict"); continue }
            XCTAssertEqual(d.entries.count, 2, "protocol \(proto)")
            guard case .string("a") = d.entries[0].key, case let .list(l) = d.entries[0].value,
                  case .string("b") = d.entries[1].key, case let .tuple(t) = d.entries[1].value else {
                XCTFail("protocol \(proto): wrong structure"); continue
            }
            XCTAssertEqual(l.items.map(\.scalarText), ["1", "2.5", "None", "True", "\"x\""], "protocol \(proto)")
            XCTAssertEqual(t.map(\.scalarText), ["1"], "protocol \(proto)")
        }
    }

    /// Globals outside the allow-list are refused when they are named, before anything could call them.
    func testForbiddenGlobalsAreRefusedByName() {
        let cases: [(String, [UInt8])] = [
            // pickle.dumps(subprocess.Popen, 2): Python's fix_imports spells it `commands.Popen`
            ("commands.Popen", [128, 2, 99, 99, 111, 109, 109, 97, 110, 100, 115, 10, 80, 111, 112, 101, 110, 10, 113, 0, 46]),
            // pickle.dumps(builtins.exec, 4): STACK_GLOBAL
            ("builtins.exec", [128, 4, 149, 21, 0, 0, 0, 0, 0, 0, 0, 140, 8, 98, 117, 105, 108, 116, 105, 110, 115, 148, 140, 4, 101, 120, 101, 99, 148, 147, 148, 46]),
        ]
        for (global, bytes) in cases {
            XCTAssertThrowsError(try run(bytes), global) { error in
                XCTAssertEqual(error as? CkptError, .unsafePickle(path: "t.pkl", global: global))
            }
        }
    }

    /// Opcodes that call classes or import through the extension registry are refused, as are
    /// broken streams; the message names the opcode or the problem.
    func testRefusedOpcodesAndBrokenStreams() {
        let cases: [(String, [UInt8], String)] = [
            ("INST", [128, 2, 40] + Array("i__main__\nX\n.".utf8), "INST calls an arbitrary class"),
            ("OBJ", [128, 2, 40, 111, 46], "OBJ calls an arbitrary class"),
            ("EXT1", [128, 2, 130, 1, 46], "EXT1 imports from the extension registry"),
            ("protocol 1", [128, 1, 78, 46], "protocol 1 is not supported"),
            ("no STOP", [128, 2, 78], "truncated"),
            ("BINGET unknown", [128, 2, 104, 7, 46], "memo GET of unknown index 7"),
            ("REDUCE a str", [128, 2, 140, 1, 97, 41, 82, 46], "REDUCE at offset 6 calls a str"),
            ("string past end", [128, 2, 88, 255, 255, 255, 127, 46], "truncated"),
            ("unbalanced MARK", [128, 2, 40, 78, 46], "unbalanced"),
        ]
        for (what, bytes, message) in cases {
            XCTAssertThrowsError(try run(bytes), what) { error in
                XCTAssertTrue("\(error)".contains(message), "\(what): \(error)")
            }
        }
    }

    /// Memo and stack limits stop a pickle that would grow without bound.
    func testLimits() {
        var m = PickleMachine(path: "t.pkl") { _ in .none }
        m.limits.maxStack = 100
        let pushes = [UInt8](repeating: 78, count: 101)  // 101 × NONE
        XCTAssertThrowsError(try m.run([128, 2] + pushes + [46])) { error in
            XCTAssertTrue("\(error)".contains("stack grew past 100"), "\(error)")
        }
        var m2 = PickleMachine(path: "t.pkl") { _ in .none }
        m2.limits.maxMemo = 3
        // NONE, then MEMOIZE four times
        XCTAssertThrowsError(try m2.run([128, 4, 78, 148, 148, 148, 148, 46])) { error in
            XCTAssertTrue("\(error)".contains("memo grew past 3"), "\(error)")
        }
    }

    /// A self-referencing list (`l = []; l.append(l)`, from CPython) unpickles, and naming tensors
    /// in a dict that contains itself stops at the depth limit instead of recursing forever.
    func testCyclesAreBounded() throws {
        guard case let .list(l) = try run([128, 2, 93, 113, 0, 104, 0, 97, 46]),
              case let .list(inner) = l.items.first else { return XCTFail("not a self-containing list") }
        XCTAssertTrue(inner === l)
        // d = {}; d['a'] = d  →  EMPTY_DICT BINPUT 0 SHORT_BINUNICODE 'a' BINGET 0 SETITEM STOP
        guard case let .dict(d) = try run([128, 4, 125, 113, 0, 140, 1, 97, 104, 0, 115, 46]) else { return XCTFail("not a dict") }
        var f = PthReader.Flattener(path: "t.pth")
        XCTAssertThrowsError(try f.walk(d, name: "", depth: 0)) { error in
            XCTAssertTrue("\(error)".contains("too deep or too large"), "\(error)")
        }
    }
}
