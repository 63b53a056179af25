import Dispatch

/// A value computed on a background thread while the caller does other work, collected once with `value()`.
final class Prefetch<Value: Sendable>: @unchecked Sendable {  // `result` is written once before `done` is signalled and read only after waiting for it
    private var result: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            result = Result { try work() }
            done.signal()
        }
    }

    /// Waits for the value (or rethrows the work's error).
    func value() throws -> Value {
        done.wait()
        defer { done.signal() }
        return try result!.get()
    }
}
