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
        try diff(a, b, analyses: (try? Layouts.analyze(a), try? Layouts.analyze(b)), atol: atol)
    }

    /// `diff(_:_:atol:)` with each side's layout analysis already made (nil: not detected).
    package static func diff(_ a: Checkpoint, _ b: Checkpoint, analyses: (Layouts.Analysis?, Layouts.Analysis?),
                             atol: Double?) throws -> CheckpointDiff {
        let da = analyses.0?.detected
        let db = analyses.1?.detected
        var right = b.tensors
        var mapped = false
        if let da, let db, let ab = analyses.1 {
            switch da.kind {
            case .dinoHead:
                if let ha = da.head, let hb = db.head, db.kind != .dinoHead || hb.weightNorm != ha.weightNorm {
                    right = try Layouts.convertHead(ab, weightNorm: ha.weightNorm).tensors
                    mapped = true
                }
            case .dinov2Train:
                break  // compared by name: both sides keep every branch and buffer
            default:
                if db.architecture != nil, db.kind != da.kind || db.prefix != da.prefix {
                    right = try Layouts.convertBackbone(ab, to: da.kind).tensors.map { $0.renamed(da.prefix + $0.name) }
                    mapped = true
                }
            }
        }
        let (entries, onlyA, onlyB) = try compare(a.tensors, right, atol: atol)
        return CheckpointDiff(pathA: a.path, pathB: b.path, layoutA: da?.kind.rawValue, layoutB: db?.kind.rawValue,
                              mapped: mapped, atol: atol, entries: entries, onlyInA: onlyA, onlyInB: onlyB)
    }
}
