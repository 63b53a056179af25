import CkptCheckpoint
import CkptCore
extension InspectReport {
    /// Adds the `layout` section: the detected layout and architecture, or, when detection fails,
    /// `{"kind": null, "summary": "unrecognised (…)", "error": …}`. Never throws: inspect must list
    /// any safetensors file, model or not. When no `config.json` gives the head count, a `heads:` line
    /// says which rule chose it.
    public mutating func addLayoutSection() {
        do {
            let detected = try Layouts.detect(checkpoint)
            sections.append(("layout", detected.json))
            if let rule = detected.headsRule, let arch = detected.architecture {
                textLines.append(("heads", Architecture.assumedHeadsText(arch.heads, rule: rule)))
            }
        } catch let error as LayoutError {
            let problem = error.problem
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
