import CkptCheckpoint
import CkptCore
/// Reading a DINOHead (either weight-norm spelling) into canonical tensors and recovering its shape.
extension Layouts {
    static func readHead(_ c: Checkpoint, names: [String], prefix: String) throws
        -> (tensors: [String: TensorEntry], arch: HeadArchitecture)
    {
        var canonical: [String: TensorEntry] = [:]
        var unexpected: [String] = []
        var spellings = Set<WeightNormSpelling>()
        var layers = 0
        for name in names {
            let local = String(name.dropFirst(prefix.count))
            guard let (key, spelling) = HeadTable.canonical(local) else { unexpected.append(name); continue }
            if let spelling { spellings.insert(spelling) }
            if key.hasPrefix("mlp."), let index = Pattern.match("mlp.{i}.weight", key) ?? Pattern.match("mlp.{i}.bias", key), let index {
                layers = max(layers, index / 2 + 1)
            }
            canonical[key] = c[name]!.renamed(key)
        }
        if spellings.count > 1 {
            throw LayoutError(path: c.path, problem: .inconsistent(["the head's last layer mixes the legacy (weight_g/weight_v) and parametrized (original0/original1) spellings"]))
        }
        let spelling = spellings.first ?? .legacy
        func spelled(_ k: String) -> String { prefix + HeadTable.spelled(k, spelling) }
        let first = canonical["mlp.0.weight"]?.shape, last = canonical["mlp.\(2 * max(layers - 1, 0)).weight"]?.shape
        let v = canonical["last_layer.v"]?.shape
        guard let first, first.count == 2, let last, last.count == 2, let v, v.count == 2 else {
            let need = ["mlp.0.weight", "mlp.\(2 * max(layers - 1, 0)).weight", "last_layer.v"].filter { canonical[$0] == nil }.map(spelled)
            throw LayoutError(path: c.path, problem: need.isEmpty
                ? .inconsistent(["DINOHead weights mlp.0.weight, mlp.\(2 * max(layers - 1, 0)).weight and the last layer's v must be matrices"])
                : .tensorsDoNotMatch(layout: .dinoHead, architecture: nil, missing: need, unexpected: unexpected, wrongShape: []))
        }
        let arch = HeadArchitecture(inDim: first[1], hiddenDim: layers > 1 ? first[0] : last[0], bottleneckDim: last[0],
                                    outDim: v[0], layers: layers, weightNorm: spelling)
        var missing: [String] = [], wrongShape: [String] = []
        let expected = HeadTable.keys(for: arch)
        for (key, shape) in expected {
            guard let entry = canonical[key] else { missing.append(spelled(key)); continue }
            if entry.shape != shape { wrongShape.append("\(spelled(key)): expected \(shape), found \(entry.shape)") }
        }
        let expectedNames = Set(expected.map(\.name))
        unexpected += canonical.keys.filter { !expectedNames.contains($0) }.map(spelled)
        if !missing.isEmpty || !unexpected.isEmpty || !wrongShape.isEmpty {
            throw LayoutError(path: c.path, problem: .tensorsDoNotMatch(
                layout: .dinoHead, architecture: arch.summary, missing: missing, unexpected: unexpected.sorted(), wrongShape: wrongShape))
        }
        return (canonical, arch)
    }
}
