import CkptCore
extension Manifest {
    /// Every difference between this (the signed-off manifest) and `actual` (the candidate's), as
    /// verify problems naming the tensor or file. A tensor whose bytes appear under another name is a
    /// `renamed` problem rather than a missing plus an unexpected one; a dtype relabelled over the same
    /// bytes (F32 → I32) is a `dtype` problem that says the bytes are unchanged.
    public func differences(to actual: Manifest) -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        let expectedByName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let actualByName = Dictionary(actual.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var extra = actual.tensors.filter { expectedByName[$0.name] == nil }

        for e in tensors {
            guard let a = actualByName[e.name] else {
                if let i = extra.firstIndex(where: { $0.sha256 == e.sha256 && $0.dtype == e.dtype && $0.shape == e.shape }) {
                    let moved = extra.remove(at: i)
                    problems.append(VerifyProblem(
                        key: e.name, kind: .renamed, expected: .string(e.name), actual: .string(moved.name),
                        detail: "the signed-off bytes of \(e.name) are stored as \(moved.name)"))
                } else {
                    problems.append(VerifyProblem(
                        key: e.name, kind: .missing, expected: Self.summaryJSON(e), actual: .null,
                        detail: "in the manifest (\(e.dtype) \(Shapes.text(e.shape))) but not in the checkpoint"))
                }
                continue
            }
            if e.dtype != a.dtype {
                let same = e.sha256 == a.sha256
                problems.append(VerifyProblem(
                    key: e.name, kind: .dtype, expected: .string(e.dtype), actual: .string(a.dtype),
                    detail: same ? "relabelled from \(e.dtype) to \(a.dtype) over identical bytes"
                                 : "expected \(e.dtype), found \(a.dtype)"))
            }
            if e.shape != a.shape {
                problems.append(VerifyProblem(
                    key: e.name, kind: .shape, expected: Shapes.json(e.shape), actual: Shapes.json(a.shape),
                    detail: "expected \(Shapes.text(e.shape)), found \(Shapes.text(a.shape))"))
            }
            if e.sha256 != a.sha256 {
                problems.append(VerifyProblem(
                    key: e.name, kind: .bytes, expected: .string(e.sha256), actual: .string(a.sha256),
                    detail: "tensor bytes hash to \(a.sha256.prefix(12))…, signed off as \(e.sha256.prefix(12))…"))
            }
        }
        for a in extra {
            problems.append(VerifyProblem(
                key: a.name, kind: .unexpected, expected: .null, actual: Self.summaryJSON(a),
                detail: "not in the manifest (\(a.dtype) \(Shapes.text(a.shape)))"))
        }

        // A single file is compared whatever it is called (a candidate is often named differently
        // from the release); shards of a folder are matched by name.
        let pairs: [(File?, File?)]
        if files.count == 1, actual.files.count == 1 {
            pairs = [(files[0], actual.files[0])]
        } else {
            let actualFiles = Dictionary(actual.files.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let expectedNames = Set(files.map(\.name))
            pairs = files.map { ($0, actualFiles[$0.name]) } + actual.files.filter { !expectedNames.contains($0.name) }.map { (nil, $0) }
        }
        for (f, g) in pairs {
            switch (f, g) {
            case let (f?, g?) where f.sha256 != g.sha256 || f.bytes != g.bytes:
                problems.append(VerifyProblem(
                    key: f.name, kind: .file, expected: .string(f.sha256), actual: .string(g.sha256),
                    detail: f.bytes == g.bytes
                        ? "file SHA-256 \(g.sha256.prefix(12))… differs from the signed-off \(f.sha256.prefix(12))… (same size, \(f.bytes) bytes)"
                        : "file is \(g.bytes) bytes, \(f.bytes) signed off (SHA-256 \(g.sha256.prefix(12))… vs \(f.sha256.prefix(12))…)"))
            case let (f?, nil):
                problems.append(VerifyProblem(key: f.name, kind: .file, expected: .string(f.sha256), actual: .null,
                                              detail: "file \(f.name) of the manifest is not part of the checkpoint"))
            case let (nil, g?):
                problems.append(VerifyProblem(key: g.name, kind: .file, expected: .null, actual: .string(g.sha256),
                                              detail: "file \(g.name) is not in the manifest"))
            default:
                break
            }
        }

        let expectedMeta = metadata ?? [], actualMeta = actual.metadata ?? []
        let em = Dictionary(expectedMeta, uniquingKeysWith: { a, _ in a })
        let am = Dictionary(actualMeta, uniquingKeysWith: { a, _ in a })
        for key in Set(em.keys).union(am.keys).sorted() where em[key] != am[key] {
            problems.append(VerifyProblem(
                key: key, kind: .metadata, expected: em[key].map { .string($0) } ?? .null,
                actual: am[key].map { .string($0) } ?? .null,
                detail: "__metadata__ \"\(key)\": expected \(em[key].map { "\"\($0)\"" } ?? "absent"), found \(am[key].map { "\"\($0)\"" } ?? "absent")"))
        }
        return problems.sorted(by: VerifyProblem.reportOrder)
    }

    static func summaryJSON(_ t: Tensor) -> JSONValue {
        .object([("dtype", .string(t.dtype)), ("shape", Shapes.json(t.shape)), ("sha256", .string(t.sha256))])
    }
}
