import CkptCheckpoint
import CkptFormat
extension InspectReport {
    /// Adds the `layout` section: the detected layout and architecture, or, when detection fails,
    /// `{"kind": null, "summary": "unrecognised (…)", "error": …}`. Never throws: inspect must list
    /// any safetensors file, model or not.
    public mutating func addLayoutSection() {
        do {
            sections.append(("layout", try Layouts.detect(checkpoint).json))
        } catch let CkptError.layout(_, problem) {
            let first = problem.description.split(separator: "\n").first.map(String.init) ?? ""
            sections.append(("layout", .object([
                ("kind", .null),
                ("error", .string(problem.description)),
                ("summary", .string("unrecognised (\(first))")),
            ])))
        } catch {
            sections.append(("layout", .object([
                ("kind", .null),
                ("error", .string("\(error)")),
                ("summary", .string("unrecognised (\(error))")),
            ])))
        }
    }
}
