/// DINOHead keys. The MLP keys are the same in every spelling; the weight-normed last layer has two
/// spellings (see `WeightNormSpelling`), converted by renaming g and v.
enum HeadTable {
    /// The spelling-independent name (`last_layer.g` / `last_layer.v` for the last layer) and the
    /// spelling it was written in, or nil for a name that is not a DINOHead key.
    static func canonical(_ name: String) -> (name: String, spelling: WeightNormSpelling?)? {
        for spelling in WeightNormSpelling.allCases {
            if name == spelling.gKey { return ("last_layer.g", spelling) }
            if name == spelling.vKey { return ("last_layer.v", spelling) }
        }
        for leaf in ["weight", "bias"] {
            if let index = Pattern.match("mlp.{i}.\(leaf)", name), let index, index % 2 == 0 {
                return (name, nil)
            }
        }
        return nil
    }

    /// The name of a canonical key in `spelling`.
    static func spelled(_ canonical: String, _ spelling: WeightNormSpelling) -> String {
        switch canonical {
        case "last_layer.g": return spelling.gKey
        case "last_layer.v": return spelling.vKey
        default: return canonical
        }
    }

    /// Canonical keys and shapes of a head, in state_dict order.
    static func keys(for h: HeadArchitecture) -> [(name: String, shape: [Int])] {
        var out: [(name: String, shape: [Int])] = []
        for layer in 0..<h.layers {
            let rows = layer == h.layers - 1 ? h.bottleneckDim : h.hiddenDim
            let cols = layer == 0 ? h.inDim : h.hiddenDim
            out.append(("mlp.\(2 * layer).weight", [rows, cols]))
            out.append(("mlp.\(2 * layer).bias", [rows]))
        }
        out.append(("last_layer.g", [h.outDim, 1]))
        out.append(("last_layer.v", [h.outDim, h.bottleneckDim]))
        return out
    }
}
