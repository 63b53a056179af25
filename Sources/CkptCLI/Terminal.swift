import CkptKit
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Terminal facts for human output: colour only on a TTY, progress only on a TTY.
enum Terminal {
    /// Standard output is a terminal (not a pipe, file or CI log).
    static var stdoutIsTTY: Bool { isatty(1) == 1 }
    static var stderrIsTTY: Bool { isatty(2) == 1 }

    /// Colour for reports on standard output: only on a terminal, and never with `NO_COLOR`.
    static var color: Bool {
        stdoutIsTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    /// Workers for hashing: both cores once the work is large enough to be worth a second thread.
    static func threads(forBytes bytes: Int) -> Int {
        bytes >= 64 << 20 ? min(2, max(1, ProcessInfo.processInfo.activeProcessorCount)) : 1
    }
}

/// A one-line progress bar on standard error for multi-second work. It draws only on a terminal, only
/// once the work has run for half a second, at most ten times a second, and erases itself at the end.
final class ProgressBar: Sendable {
    private let label: String
    private let start = DispatchTime.now().uptimeNanoseconds
    /// When the bar was last drawn and whether it is on screen; the lock also keeps lines whole.
    private let drawing = Locked((lastDraw: UInt64(0), drawn: false))
    private let enabled: Bool
    private let unit: Unit

    /// What the bar counts: bytes (shown as sizes and MiB/s) or named items (counts, items/s and an ETA).
    enum Unit: Sendable {
        case bytes
        case items(String)
    }

    init(label: String, unit: Unit = .bytes, enabled: Bool = Terminal.stderrIsTTY) {
        self.label = label
        self.unit = unit
        self.enabled = enabled
    }

    /// A counter for `total` bytes that feeds this bar, or nil when the bar would never draw.
    func counter(total: Int) -> ProgressCounter? {
        guard enabled, total > 0 else { return nil }
        return ProgressCounter(total: total) { [self] done, total in update(done, total) }
    }

    /// Reports `done` of `total` units.
    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        drawing.withLock { state in
            guard now - start >= 500_000_000, now - state.lastDraw >= 100_000_000 || done >= total else { return }
            state = (lastDraw: now, drawn: true)
            draw(done, total, now: now)
        }
    }

    private func draw(_ done: Int, _ total: Int, now: UInt64) {
        let fraction = min(1, Double(done) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let seconds = Double(now - start) / 1e9
        let rate = Double(done) / seconds
        let head = "\r\u{1B}[K\(label) " + cFormat("%3ld%%", Int(fraction * 100)) + " \(bar) "
        let line: String
        switch unit {
        case .bytes:
            line = head + "\(InspectReport.humanBytes(done)) / \(InspectReport.humanBytes(total))  "
                + cFormat("%.0f MiB/s", rate / 1_048_576)
        case .items(let name):
            let eta = rate > 0 ? Int((Double(total - done) / rate).rounded()) : 0
            line = head + "\(done) / \(total) \(name)  " + cFormat("%.2f", rate) + " \(name)/s  "
                + cFormat("ETA %ld:%02ld", eta / 60, eta % 60)
        }
        writeStandardError(line)
    }

    /// Erases the bar if it was drawn.
    func finish() {
        drawing.withLock { state in
            if state.drawn { writeStandardError("\r\u{1B}[K") }
            state.drawn = false
        }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    writeStandardError(message + "\n")
}

/// Writes `text` to standard error (descriptor 2, unbuffered like C's `stderr`).
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return
        }
        bytes = bytes.dropFirst(n)
    }
}
