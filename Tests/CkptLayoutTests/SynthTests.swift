import CkptKit
import XCTest

/// `ckpt synth` reproduces golden/gen/synth.py bit for bit (SHA-256 recorded in case.json), and the
/// synthetic weights convert to exactly the files transformers and the original code wrote.
final class SynthTests: XCTestCase {
    func testSynthMatchesRecordedHashesAndConvertsToUpstreamFiles() throws {
        for name in GoldenCase.tinyCases + GoldenCase.largeCases {
            let g = try GoldenCase(name)
            let out = try temporaryDirectory(self)
            let synth = out + "/synth.safetensors"
            try SafetensorsWriter.write(generated: SynthWeights.backbone(g.architecture, seed: 0), to: synth)
            XCTAssertEqual(try Hashing.sha256(file: synth), g.synthSHA256, "\(name): synth file")
            let checkpoint = try Checkpoint.open(synth)
            for (layout, file) in [(LayoutKind.hf, "hf/model.safetensors"), (.dinov2, "dinov2.safetensors"), (.timm, "timm.safetensors")] {
                let record = g.file(file)
                try assertTensors(try Layouts.backboneTensors(checkpoint, as: layout), equal: record, "\(name): synth → \(layout.rawValue)")
                let path = "\(out)/\(layout.rawValue).safetensors"
                try LayoutWriter.writeBackbone(checkpoint, layout: layout, to: path)
                XCTAssertEqual(try Hashing.sha256(file: path), record.sha256, "\(name): synth → \(file)")
            }
            // Generating straight in the HF layout (split qkv by element offset) gives the same file.
            let hfDir = out + "/hf"
            try SynthFolder.writeHF(SynthWeights.backbone(g.architecture, seed: 0, layout: .hf), architecture: g.architecture,
                                    to: hfDir, overwrite: false)
            XCTAssertEqual(try Hashing.sha256(file: hfDir + "/model.safetensors"), g.file("hf/model.safetensors").sha256, "\(name): synth --layout hf")
            XCTAssertEqual(try Layouts.detect(try Checkpoint.open(hfDir)).architecture, g.architecture, "\(name): synth hf config")
            // And in timm's (the class-position fold computed from generated embeddings): timm's own file.
            let timm = out + "/synth-timm.safetensors"
            try SafetensorsWriter.write(generated: SynthWeights.backbone(g.architecture, seed: 0, layout: .timm), to: timm)
            XCTAssertEqual(try Hashing.sha256(file: timm), g.file("timm.safetensors").sha256, "\(name): synth --layout timm")
        }
    }

    /// The synthetic head with the case's dimensions equals the upstream-written DINOHead.
    func testSynthHeadMatchesUpstreamHead() throws {
        for name in GoldenCase.tinyCases {
            let g = try GoldenCase(name)
            let out = try temporaryDirectory(self)
            for (spelling, file) in [(WeightNormSpelling.legacy, "head-legacy.safetensors"), (.parametrized, "head-param.safetensors")] {
                let path = "\(out)/\(spelling.rawValue).safetensors"
                try SafetensorsWriter.write(generated: SynthWeights.head(g.head!, seed: 0, weightNorm: spelling), to: path)
                XCTAssertEqual(try Hashing.sha256(file: path), g.file(file).sha256, "\(name): synth head \(spelling.rawValue)")
            }
        }
    }
}
