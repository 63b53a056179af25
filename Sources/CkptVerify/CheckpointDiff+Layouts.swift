import CkptCheckpoint
import CkptForward
import CkptLayout
import CkptCore
extension CheckpointDiff {
    /// Compares `b` with `a`, first mapping `b` into `a`'s layout when the two differ (between any
    /// backbone layouts, either DINOHead spelling, a training checkpoint's teacher). The mapping renames
    /// and regroups byte ranges, so identical weights stay bit-identical (a layout whose spelling
    /// computes values, see `Layouts.Conversion.notes`, can differ in the last bits). When either
    /// layout cannot be detected the tensors are compared by name as they are.
    public static func diff(_ a: Checkpoint, _ b: Checkpoint, atol: Double?) throws -> CheckpointDiff {
        let da = try? Layouts.detect(a)
        let db = try? Layouts.detect(b)
        var right = b.tensors
        var mapped = false
        if let da, let db {
            switch da.kind {
            case .dinoHead:
                if let ha = da.head, let hb = db.head, db.kind != .dinoHead || hb.weightNorm != ha.weightNorm {
                    right = try Layouts.headTensors(b, weightNorm: ha.weightNorm)
                    mapped = true
                }
            case .dinov2Train:
                break  // compared by name: both sides keep every branch and buffer
            default:
                if db.architecture != nil, db.kind != da.kind || db.prefix != da.prefix {
                    right = try Layouts.backboneTensors(b, as: da.kind).map { $0.renamed(da.prefix + $0.name) }
                    mapped = true
                }
            }
        }
        let (entries, onlyA, onlyB) = try compare(a.tensors, right, atol: atol)
        return CheckpointDiff(pathA: a.path, pathB: b.path, layoutA: da?.kind.rawValue, layoutB: db?.kind.rawValue,
                              mapped: mapped, atol: atol, entries: entries, onlyInA: onlyA, onlyInB: onlyB)
    }
}
