import CkptKit
import CkptTestSupport
import XCTest

/// Converts every upstream-written golden file and compares the result, tensor by tensor and as a
/// whole file, with the file the upstream libraries wrote in the target layout.
final class LayoutConversionTests: XCTestCase {
    /// (source file, target, golden file it must equal). Every source holds the same seed-0 weights.
    static let backboneTable: [(source: String, target: LayoutKind, expected: String)] = [
        ("hf", .dinov2, "dinov2.safetensors"),
        ("hf/model.safetensors", .dinov2, "dinov2.safetensors"),
        ("dinov2.safetensors", .hf, "hf/model.safetensors"),
        ("dinov2-chunked.safetensors", .dinov2, "dinov2.safetensors"),
        ("dinov2-chunked.safetensors", .hf, "hf/model.safetensors"),
        ("train.safetensors", .dinov2, "dinov2.safetensors"),
        ("train-ddp.safetensors", .dinov2, "dinov2.safetensors"),
        ("train-ddp-outer.safetensors", .dinov2, "dinov2.safetensors"),
        ("train.safetensors", .hf, "hf/model.safetensors"),
        ("dinov2.safetensors", .dinov2, "dinov2.safetensors"),
        ("hf", .hf, "hf/model.safetensors"),
    ]

    /// Extra sources only the `tiny` case has.
    static let tinyOnly: [(source: String, target: LayoutKind, expected: String)] = [
        ("classifier", .dinov2, "dinov2.safetensors"),
        ("classifier", .hf, "hf/model.safetensors"),
        ("hf-nomask", .dinov2, "dinov2.safetensors"),  // the synth mask_token is zeros, as we add
        ("hf-nomask", .hf, "hf-nomask/model.safetensors"),  // HF → HF: no mask token invented
    ]

    func testBackboneConversionsEqualUpstreamFiles() throws {
        for name in GoldenCase.tinyCases {
            let g = try GoldenCase(name)
            let out = try temporaryDirectory(self)
            for (i, row) in (Self.backboneTable + (name == "tiny" ? Self.tinyOnly : [])).enumerated() {
                let label = "\(name): \(row.source) → \(row.target.rawValue)"
                let checkpoint = try Checkpoint.open(g.path(row.source))
                let expected = g.file(row.expected)
                try assertTensors(try Layouts.backboneTensors(checkpoint, as: row.target), equal: expected, label)
                let path = "\(out)/\(i).safetensors"
                try LayoutWriter.writeBackbone(checkpoint, layout: row.target, to: path)
                XCTAssertEqual(try Hashing.sha256(file: path), expected.sha256, "\(label): whole file")
                // For scripts/interop_safetensors.py: Python safetensors must read the upstream file's arrays.
                try InteropExport.record(path, label: "layout-\(name)-\(i)-\(row.target.rawValue)",
                                         expected: try upstreamArrays(g.path(row.expected)), metadata: [("format", "pt")])
            }
        }
    }

    func testHeadConversionsEqualUpstreamFiles() throws {
        let table: [(source: String, spelling: WeightNormSpelling?, expected: String)] = [
            ("head-legacy.safetensors", .parametrized, "head-param.safetensors"),
            ("head-param.safetensors", .legacy, "head-legacy.safetensors"),
            ("head-legacy.safetensors", nil, "head-legacy.safetensors"),
            ("head-param.safetensors", nil, "head-param.safetensors"),
            ("train.safetensors", .legacy, "head-legacy.safetensors"),
            ("train-ddp.safetensors", .parametrized, "head-param.safetensors"),
            ("train-ddp-outer.safetensors", nil, "head-legacy.safetensors"),
        ]
        for name in GoldenCase.tinyCases {
            let g = try GoldenCase(name)
            let out = try temporaryDirectory(self)
            for (i, row) in table.enumerated() {
                let label = "\(name): \(row.source) → head \(row.spelling?.rawValue ?? "kept")"
                let checkpoint = try Checkpoint.open(g.path(row.source))
                let expected = g.file(row.expected)
                try assertTensors(try Layouts.headTensors(checkpoint, weightNorm: row.spelling), equal: expected, label)
                let path = "\(out)/\(i).safetensors"
                try LayoutWriter.writeHead(checkpoint, weightNorm: row.spelling, to: path)
                XCTAssertEqual(try Hashing.sha256(file: path), expected.sha256, "\(label): whole file")
            }
        }
    }

    /// The student of a training checkpoint was written with other seeds: it must differ from the
    /// teacher (which equals the release files), so `--from student` really takes the student.
    func testStudentBranchIsNotTheTeacher() throws {
        let g = try GoldenCase("tiny")
        let checkpoint = try Checkpoint.open(g.path("train.safetensors"))
        let teacher = try Layouts.backboneTensors(checkpoint, as: .dinov2, from: .teacher)
        let student = try Layouts.backboneTensors(checkpoint, as: .dinov2, from: .student)
        XCTAssertEqual(teacher.map(\.name), student.map(\.name))
        let expected = g.file("dinov2.safetensors")
        for t in student where t.name != "mask_token" {
            XCTAssertNotEqual(try t.sha256(), expected.tensors[t.name]!.sha256, "student \(t.name) equals the teacher's")
        }
        let studentHead = try Layouts.headTensors(checkpoint, from: .student)
        XCTAssertNotEqual(try studentHead[0].sha256(), g.file("head-legacy.safetensors").tensors[studentHead[0].name]!.sha256)
    }

    /// HF → original → HF and original → HF → original give back the very same bytes, and the very
    /// same file.
    func testRoundTripsAreIdentities() throws {
        for name in GoldenCase.tinyCases {
            let g = try GoldenCase(name)
            let out = try temporaryDirectory(self)
            for (start, via) in [("hf/model.safetensors", LayoutKind.dinov2), ("dinov2.safetensors", .hf)] {
                let back: LayoutKind = via == .dinov2 ? .hf : .dinov2
                let source = try Checkpoint.open(g.path(start))
                let middle = "\(out)/middle-\(via.rawValue).safetensors", end = "\(out)/end-\(via.rawValue).safetensors"
                try LayoutWriter.writeBackbone(source, layout: via, to: middle)
                try LayoutWriter.writeBackbone(try Checkpoint.open(middle), layout: back, to: end)
                XCTAssertEqual(try Hashing.sha256(file: end), try Hashing.sha256(file: g.path(start)), "\(name): \(start) via \(via.rawValue)")
                // In memory, without the intermediate file: every tensor comes back as the very same
                // byte ranges of the source file (fuse then split is the identity on segments).
                let viaTensors = try Layouts.backboneTensors(source, as: via)
                let viaCheckpoint = Checkpoint(path: "(in memory)", kind: .safetensors, tensors: viaTensors,
                                               metadata: nil, config: nil, files: source.files)
                let backTensors = try Layouts.backboneTensors(viaCheckpoint, as: back)
                XCTAssertEqual(backTensors.map(\.name).sorted(), source.names, "\(name): \(start) names via \(via.rawValue)")
                for t in backTensors {
                    XCTAssertEqual(ranges(t), ranges(source[t.name]!), "\(name): \(t.name) segments via \(via.rawValue)")
                    XCTAssertEqual(t.shape, source[t.name]!.shape, "\(name): \(t.name) shape via \(via.rawValue)")
                }
                let head = try Checkpoint.open(g.path("head-legacy.safetensors"))
                let param = "\(out)/p-\(via.rawValue).safetensors", legacy = "\(out)/l-\(via.rawValue).safetensors"
                try LayoutWriter.writeHead(head, weightNorm: .parametrized, to: param)
                try LayoutWriter.writeHead(try Checkpoint.open(param), weightNorm: .legacy, to: legacy)
                XCTAssertEqual(try Hashing.sha256(file: legacy), try Hashing.sha256(file: g.path("head-legacy.safetensors")), "\(name): head round trip")
            }
        }
    }

    /// `--dtype` casts; without it bytes and dtypes are kept (checked above). F16 output of the HF
    /// conversion equals casting the upstream original file to F16.
    func testDtypeCastMatchesCastOfUpstreamFile() throws {
        let g = try GoldenCase("tiny-reg4")
        let out = try temporaryDirectory(self)
        let viaConversion = "\(out)/conv.safetensors", viaCast = "\(out)/cast.safetensors"
        try LayoutWriter.writeBackbone(try Checkpoint.open(g.path("hf")), layout: .dinov2, to: viaConversion, cast: { _ in .f16 })
        let original = try Checkpoint.open(g.path("dinov2.safetensors"))
        try SafetensorsWriter.write(original.tensors.map { OutputTensor($0, dtype: .f16) }, to: viaCast)
        XCTAssertEqual(try Hashing.sha256(file: viaConversion), try Hashing.sha256(file: viaCast))
        XCTAssertTrue(try Checkpoint.open(viaConversion).tensors.allSatisfy { $0.dtype == .f16 })
    }

    /// A tensor's byte ranges as (offset, count) pairs in the one source file (-1 for memory).
    private func ranges(_ t: TensorEntry) -> [[Int]] {
        t.segments.map { segment -> [Int] in
            if case let .file(_, offset, count) = segment { return [offset, count] }
            return [-1, segment.count]
        }
    }

    /// The `.pth` reader flattens `{"model": {...}, "optimizer": ..., "iteration": ...}` (fvcore) and
    /// `{"teacher": {...}}` (teacher_checkpoint.pth) with dots: both must read as training checkpoints.
    func testFlattenedPthNamesAreTrainingCheckpoints() throws {
        let g = try GoldenCase("tiny-swiglu")
        let train = try Checkpoint.open(g.path("train.safetensors"))
        let fvcore = train.tensors.map { $0.renamed("model." + $0.name) } + [
            TensorEntry(name: "optimizer.state.0.exp_avg", dtype: .f32, shape: [1], segments: [.memory([0, 0, 0, 0])], sourcePath: "test"),
            TensorEntry(name: "iteration", dtype: .i64, shape: [], segments: [.memory([UInt8](repeating: 0, count: 8))], sourcePath: "test"),
        ]
        let teacherOnly = train.tensors.filter { $0.name.hasPrefix("teacher.") }
        for (label, tensors, prefix) in [("fvcore", fvcore, "model.teacher.backbone."), ("teacher_checkpoint", teacherOnly, "teacher.backbone.")] {
            let c = Checkpoint(path: label, kind: .safetensors, tensors: tensors, metadata: nil, config: nil, files: train.files)
            let d = try Layouts.detect(c)
            XCTAssertEqual(d.kind, .dinov2Train, label)
            XCTAssertEqual(d.prefix, prefix, label)
            if label == "fvcore" {
                XCTAssertTrue(d.notes.contains { $0.contains("outside \"model.\"") && $0.contains("iteration") && $0.contains("optimizer.state.0.exp_avg") }, "\(d.notes)")
            }
            try assertTensors(try Layouts.backboneTensors(c, as: .hf), equal: g.file("hf/model.safetensors"), label)
            try assertTensors(try Layouts.headTensors(c), equal: g.file("head-legacy.safetensors"), label)
        }
    }

    /// DINOv2's training configs use block_chunks=4: the teacher's blocks are `blocks.{c}.{i}.*`.
    func testChunkedTrainingCheckpoint() throws {
        let g = try GoldenCase("tiny-reg4")
        let train = try Checkpoint.open(g.path("train.safetensors"))
        let chunked = train.tensors.map { t -> TensorEntry in
            let parts = t.name.split(separator: ".", maxSplits: 4).map(String.init)
            guard parts.count == 5, parts[1] == "backbone", parts[2] == "blocks", let i = Int(parts[3]) else { return t }
            return t.renamed("\(parts[0]).backbone.blocks.\(i).\(i).\(parts[4])")  // chunk size 1
        }
        XCTAssertTrue(chunked.contains { $0.name == "teacher.backbone.blocks.1.1.ls2.gamma" })
        let c = Checkpoint(path: "chunked-train", kind: .safetensors, tensors: chunked, metadata: nil, config: nil, files: train.files)
        try assertTensors(try Layouts.backboneTensors(c, as: .dinov2), equal: g.file("dinov2.safetensors"), "chunked train")
    }

    /// The arrays of an upstream-written golden file, as the interop check expects them.
    private func upstreamArrays(_ path: String) throws -> [InteropExport.Expected] {
        try Checkpoint.open(path).tensors.map {
            InteropExport.Expected(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, bytes: try $0.contiguousBytes())
        }
    }
}
