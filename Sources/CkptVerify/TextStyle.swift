/// ANSI styling for reports: on for a terminal, off for logs and pipes (the CLI decides with `isatty`).
struct TextStyle: Sendable {
    var color: Bool

    init(color: Bool) { self.color = color }

    static let plain = TextStyle(color: false)

    func wrap(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func red(_ s: String) -> String { wrap(s, "1;31") }
    func green(_ s: String) -> String { wrap(s, "1;32") }
    func yellow(_ s: String) -> String { wrap(s, "33") }
    func bold(_ s: String) -> String { wrap(s, "1") }
    func dim(_ s: String) -> String { wrap(s, "2") }

    /// `s` padded with spaces to `width` characters (never truncated).
    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
