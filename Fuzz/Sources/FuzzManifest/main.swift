import CkptKit
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target over `verify --manifest` manifests: the input is the manifest file. Loading must
// either throw a CkptError or give a manifest that round-trips (its JSON, compact or pretty, parses
// back to the same manifest), agrees with itself, and compares with a real checkpoint's manifest.

let scratch = ScratchFile.path("manifest") + ".json"
let reference: Manifest = {
    let path = ScratchFile.path("manifest-ref")
    do {
        try SafetensorsWriter.write([OutputTensor(TensorEntry(name: "w", dtype: .f32, shape: [2, 2],
                                                              segments: [.memory([UInt8](repeating: 0, count: 16))],
                                                              sourcePath: "<fuzz>"))], to: path)
        return try Manifest.build(Checkpoint.open(path))
    } catch { fatalError("building the reference manifest failed: \(error)") }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    ScratchFile.write(UnsafeRawBufferPointer(start: data, count: size), to: scratch)
    let manifest: Manifest
    do {
        manifest = try Manifest.load(scratch)
    } catch is CkptError {
        return 0
    } catch {
        fatalError("Manifest.load threw a non-CkptError: \(error)")
    }
    for text in [JSONWriter.compact(manifest.json), JSONWriter.pretty(manifest.json)] {
        do {
            let again = try Manifest.parse(StrictJSONParser.parse(text), path: scratch)
            precondition(again == manifest, "manifest changed through its own JSON:\n\(text)")
        } catch {
            fatalError("an accepted manifest's own JSON was refused: \(error)\n\(text)")
        }
    }
    let selfProblems = manifest.differences(to: manifest)
    precondition(selfProblems.isEmpty, "a manifest differs from itself: \(selfProblems)")
    _ = manifest.differences(to: reference)
    _ = reference.differences(to: manifest)
    return 0
}

exit(runFuzzer(fuzzManifest))
