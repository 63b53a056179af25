import CkptCore
import CkptLayout

/// One golden case folder: `golden.json`, pixels and expected outputs. The one reader of `golden.json`: the
/// forward check (`GoldenVerifier`) and the image half (`GoldenImageCheck`) both take their fields from here.
package struct GoldenCase {
    package let directory: String
    /// `directory/golden.json`, for messages.
    package let jsonPath: String
    /// The whole parsed `golden.json`, for the image half's fields.
    package let json: JSONValue
    package let name: String
    package let conventionName: String
    package let convention: PositionInterpolation?
    package let heads: Int?
    package let atol: Double?
    package let rtol: Double?
    package let minCosine: Double?
    package let pixelsPath: String
    package let expectedPath: String
    package let headPath: String?

    /// Reads `directory/golden.json`; refuses invalid JSON and a missing `pixels.file` or `expected.file`.
    package init(directory given: String) throws {
        var directory = given
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        self.directory = directory
        let path = FileSystem.join(directory, "golden.json")
        jsonPath = path
        let json: JSONValue
        do { json = try StrictJSONParser.parse(FileSystem.readSmallFile(path)) } catch let e as JSONError {
            throw GoldenCaseError(path: path, problem: .notJSON(detail: e.description))
        }
        self.json = json
        name = json["case"]?.stringValue ?? FileSystem.baseName(directory)
        conventionName = json["interpolation"]?["convention"]?.stringValue ?? "none"
        convention = PositionInterpolation(rawValue: conventionName)
        heads = json["weights"]?["synth"]?["heads"]?.intValue ?? json["weights"]?["heads"]?.intValue
        let tol = json["tolerance"]
        atol = tol?["atol"]?.doubleValue
        rtol = tol?["rtol"]?.doubleValue
        minCosine = tol?["min_cosine"]?.doubleValue
        func file(_ field: String) throws -> String {
            guard let name = json[field]?["file"]?.stringValue else {
                throw GoldenCaseError(
                    path: path, problem: .field(name: "\(field).file", found: nil, expected: "a file name in the case folder"))
            }
            return FileSystem.join(directory, name)
        }
        pixelsPath = try file("pixels")
        expectedPath = try file("expected")
        let root = FileSystem.directoryName(FileSystem.directoryName(directory))
        headPath = json["weights"]?["head"]?["file"]?.stringValue.map { FileSystem.join(root, $0) }
    }
}
