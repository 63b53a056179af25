import Glibc

/// A value that threads share, read and written only under a pthread mutex.
///
/// Not `Synchronization.Mutex`: on Linux that one parks threads with raw futex calls, which
/// ThreadSanitizer does not see, so TSan reports every access made under it as a race and the
/// sanitizer run (`scripts/sanitize.sh thread`, part of CI) fails. `pthread_mutex_lock` is one of the
/// calls TSan intercepts, so under this lock the race checks keep working. (Foundation's `NSLock` is
/// the same mutex, but the library is built on FoundationEssentials, which has no `NSLock`.)
package final class Locked<Value: Sendable>: @unchecked Sendable {  // `value` is read and written only with `mutex` held
    // The mutex needs an address that never moves, so it lives in its own allocation.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` on the value with the lock held.
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
