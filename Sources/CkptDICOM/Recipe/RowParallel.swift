import Dispatch

/// A pointer the recipe's workers share; each worker writes only its own rows or columns.
struct SendablePointer<T>: @unchecked Sendable {  // workers write disjoint index ranges, read-only elsewhere
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

/// Splits `0..<count` into contiguous chunks run on up to two threads (the machines we target have few
/// cores, and the recipe is a small part of a pipeline). Every index is computed by the same code whatever
/// the split, so the result does not depend on it.
enum RowParallel {
    static func forEach(_ count: Int, work: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let chunks = work >= 1 << 18 && count >= 2 ? 2 : 1
        if chunks == 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body((count * c / chunks)..<(count * (c + 1) / chunks))
        }
    }
}
