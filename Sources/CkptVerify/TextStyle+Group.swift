extension TextStyle {
    /// One group of findings in a text report: `heading (count)` (bold, or yellow after `warning: `), then
    /// at most `limit` of `items` and how many more there are. Shared by `verify` and `verify --release`.
    func group(_ heading: String, warning: Bool, items: [String], limit: Int) -> [String] {
        let title = "\(heading) (\(items.count))"
        var out = [warning ? yellow("warning: " + title) : bold(title)]
        out += items.prefix(limit)
        if items.count > limit { out.append("  … and \(items.count - limit) more (--json lists all)") }
        return out
    }
}
