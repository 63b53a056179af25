import Dispatch

/// Runs `first` and `second` at the same time on two threads and returns both results once both have
/// finished. When either throws, the first one's error is rethrown (the second's when only it failed).
package func bothAtOnce<A: Sendable, B: Sendable>(
    _ first: @Sendable () throws -> A, _ second: @Sendable () throws -> B
) throws -> (A, B) {
    let a = Locked<Result<A, any Error>?>(nil), b = Locked<Result<B, any Error>?>(nil)
    DispatchQueue.concurrentPerform(iterations: 2) { index in
        if index == 0 {
            let result = Result(catching: first)
            a.withLock { $0 = result }
        } else {
            let result = Result(catching: second)
            b.withLock { $0 = result }
        }
    }
    // concurrentPerform returns after both iterations: both results are set.
    return (try a.withLock { $0! }.get(), try b.withLock { $0! }.get())
}
