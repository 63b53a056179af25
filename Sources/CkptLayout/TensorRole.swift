import CkptCheckpoint
import CkptCore

/// What a backbone tensor is to the forward pass: the one fact the pass needs from `BackboneTable`
/// besides a tensor's name and shape, so it never spells a key itself. An MLP and a SwiGLU model
/// both have an `ffnIn` and an `ffnOut`; the table's conditions pick the rule.
package enum TensorRole: Sendable, Hashable {
    case classToken, positions, registerTokens, patchWeight, patchBias, finalNormWeight, finalNormBias
    case norm1Weight, norm1Bias, qkvWeight, qkvBias, projectionWeight, projectionBias, scale1
    case norm2Weight, norm2Bias, ffnInWeight, ffnInBias, ffnOutWeight, ffnOutBias, scale2
}

extension BackboneTable {
    /// The rule of `role` that applies to a model of `a` (any model, for the embedding roles whose rule
    /// has no FFN condition).
    static func rule(_ role: TensorRole, for a: Architecture? = nil) -> BackboneRule {
        guard let rule = rules.first(where: { $0.role == role && (a.map($0.condition.holds) ?? true) }) else {
            preconditionFailure("no table rule plays \(role) for \(a?.summary ?? "any model")")
        }
        return rule
    }

    /// The canonical name of the embedding tensor playing `role` (the same in every model).
    static func name(of role: TensorRole) -> String { rule(role).name }
}

extension Layouts {
    /// The canonical name and shape of the tensor playing `role` in block `block` (nil for an
    /// embedding or the final norm) of a model of `a`, from `BackboneTable`: what the forward pass
    /// looks tensors up by.
    package static func tensor(_ role: TensorRole, block: Int? = nil, in a: Architecture) -> (name: String, shape: [Int]) {
        let key = BackboneKey(rule: BackboneTable.rule(role, for: a), block: block)
        precondition(key.rule.perBlock == (block != nil), "\(role) is \(key.rule.perBlock ? "" : "not ")a block tensor")
        return (key.name, key.shape(a))
    }
}

extension Layouts {
    /// Whether a model of `a` has a tensor playing `role` (the DINOv3 7B has no qkv bias, DINOv3 no
    /// position table).
    package static func hasTensor(_ role: TensorRole, in a: Architecture) -> Bool {
        BackboneTable.rules.contains { $0.role == role && $0.condition.holds(a) }
    }

    /// The backbone of an analysed checkpoint in canonical form (the table's own names: original
    /// DINOv2 names and DINOv3's extra rules), in table order: what the forward pass reads, for any
    /// model family.
    package static func canonicalBackbone(_ a: Analysis) throws -> Conversion {
        guard let backbone = a.backbone, let arch = a.detected.architecture else {
            throw LayoutError(path: a.checkpoint.path, problem: .notPresent(
                "no backbone: this is \(a.detected.kind == .dinoHead ? "a DINOHead" : "a \(a.detected.kind.rawValue) checkpoint without one")"))
        }
        return Conversion(detected: a.detected, tensors: BackboneTable.keys(for: arch).map { backbone[$0.name]! }, warnings: [])
    }
}
