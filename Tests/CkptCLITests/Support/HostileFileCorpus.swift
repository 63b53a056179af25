import CkptTestSupport
import Foundation

/// A corpus of hostile files and its `expected.json` (written by `write_file_corpus` in
/// scripts/make_hostile_corpus.py): each case must be refused with exit 2, naming the file.
struct HostileFileCorpus {
    struct Case: Decodable {
        let path: String
        /// Words the refusal must contain.
        let expect: String
        let why: String
        /// False for content a command does not take for its format (the DICOM corpus only).
        let dicom: Bool?
    }

    /// No output is legitimate for these cases, so the bound is the issues' 64 MiB alone.
    static let peakRSSLimitKiB = 64 * 1024
    /// The address space the image and DICOM cases run in: a length a file claims is never allocated on
    /// trust, even untouched (where overcommit would hand it out unseen by the peak RSS).
    static let addressSpaceLimitMiB = 1024

    let folder: String
    let cases: [Case]

    /// The corpus `Tests/Corpus/<name>`.
    init(_ name: String) throws {
        folder = PackagePaths.root + "/Tests/Corpus/" + name
        struct Manifest: Decodable { let cases: [Case] }
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json"))
        cases = try JSONDecoder().decode(Manifest.self, from: data).cases
    }
}
