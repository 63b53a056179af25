import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// Hub names in the local Hugging Face cache: against `golden/hub/cache`, written by huggingface_hub's
/// own functions (golden/gen/hub.py), whose `try_to_load_from_cache` answers are in `golden/hub/hub.json`;
/// then copies of it with one thing broken each.
final class HubCacheTests: XCTestCase {
    private static let cache = PackagePaths.golden + "/hub/cache"
    private static let repo = "ckpt-golden/tiny-release"

    private func record() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: PackagePaths.golden + "/hub/hub.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func resolve(_ name: String, cache: String = HubCacheTests.cache) throws -> HubSnapshot {
        try HubCache.resolve(XCTUnwrap(HubModelName(name), name), cache: cache)
    }

    private func problem(_ name: String, cache: String, file: StaticString = #filePath, line: UInt = #line) -> HubCacheProblem? {
        do {
            _ = try resolve(name, cache: cache)
            XCTFail("\(name) resolved", file: file, line: line)
        } catch let CkptError.hubCache(n, problem) {
            XCTAssertEqual(n, name, file: file, line: line)
            return problem
        } catch {
            XCTFail("\(name): \(error)", file: file, line: line)
        }
        return nil
    }

    /// A copy of the golden cache (links copied as links) to break.
    private func copyOfCache() throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory("ckpt-hub")
        let copy = dir.file("cache")
        try FileManager.default.copyItem(atPath: Self.cache, toPath: copy)
        return (dir, copy)
    }

    private var repoFolder: String { "models--ckpt-golden--tiny-release" }

    // MARK: - The library's cache

    func testEveryRevisionFindsTheFilesHuggingfaceHubFinds() throws {
        let rec = try record()
        let revisions = try XCTUnwrap(rec["revisions"] as? [String: String])
        let files = try XCTUnwrap(rec["files"] as? [String: [String: [String: String]]])
        XCTAssertEqual(Set(revisions.keys), ["main", "v0.1"])
        let realCache = URL(fileURLWithPath: Self.cache).resolvingSymlinksInPath().path
        for (revision, commit) in revisions {
            // By ref, by full commit, by a 7-digit prefix; `main` also by the bare name.
            var names = ["\(Self.repo)@\(revision)", "\(Self.repo)@\(commit)", "\(Self.repo)@\(commit.prefix(7))"]
            if revision == "main" { names.append(Self.repo) }
            for name in names {
                let snapshot = try resolve(name)
                XCTAssertEqual(snapshot.commit, commit, name)
                let listed = try FileManager.default.contentsOfDirectory(atPath: snapshot.path).sorted()
                let expected = try XCTUnwrap(files[revision], revision)
                XCTAssertEqual(listed, expected.keys.sorted(), name)
                for (file, info) in expected {
                    // The same path try_to_load_from_cache returned, reaching the same blob.
                    XCTAssertEqual(snapshot.path, Self.cache + "/" + (info["path"]! as NSString).deletingLastPathComponent, name)
                    let real = URL(fileURLWithPath: snapshot.path + "/" + file).resolvingSymlinksInPath().path
                    XCTAssertEqual(real, URL(fileURLWithPath: realCache + "/" + info["blob"]!).resolvingSymlinksInPath().path, "\(name) \(file)")
                }
            }
        }
    }

    func testCheckpointOpensTheSnapshotAndSaysWhichCommit() throws {
        let snapshot = try resolve(Self.repo)
        let checkpoint = try Checkpoint.open(snapshot)
        let direct = try Checkpoint.open(PackagePaths.golden + "/models/tiny/hf")
        XCTAssertEqual(checkpoint.kind, .directory)
        XCTAssertEqual(checkpoint.names, direct.names)
        XCTAssertEqual(checkpoint.notes.first, "\(Self.repo) is the Hugging Face cache snapshot \(snapshot.commit) (\(snapshot.path))")
        XCTAssertNotNil(checkpoint.config)
    }

    // MARK: - Where the cache is

    func testCacheFolderFollowsHuggingfaceHubsVariables() {
        let cases: [([String: String], String)] = [
            (["HF_HUB_CACHE": "/a", "HUGGINGFACE_HUB_CACHE": "/b", "HF_HOME": "/c", "HOME": "/h"], "/a"),
            (["HUGGINGFACE_HUB_CACHE": "/b", "HF_HOME": "/c", "HOME": "/h"], "/b"),
            (["HF_HOME": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"], "/c/hub"),
            (["XDG_CACHE_HOME": "/x", "HOME": "/h"], "/x/huggingface/hub"),
            (["HOME": "/h"], "/h/.cache/huggingface/hub"),
            (["HF_HUB_CACHE": "~/hf", "HOME": "/h"], "/h/hf"),
            (["HF_HUB_CACHE": "", "HOME": "/h"], "/h/.cache/huggingface/hub"),
        ]
        for (env, expected) in cases {
            XCTAssertEqual(HubCache.folder(environment: env), expected, "\(env)")
        }
    }

    func testNames() {
        let good: [(String, String, String?)] = [
            ("microsoft/rad-dino", "microsoft/rad-dino", nil),
            ("microsoft/rad-dino@main", "microsoft/rad-dino", "main"),
            ("org/name@refs/pr/1", "org/name", "refs/pr/1"),
            ("a.b/c_d-1@0123abcd", "a.b/c_d-1", "0123abcd"),
        ]
        for (text, repo, revision) in good {
            let name = HubModelName(text)
            XCTAssertEqual(name?.repoID, repo, text)
            XCTAssertEqual(name?.revision, revision, text)
        }
        XCTAssertEqual(HubModelName("microsoft/rad-dino")?.folderName, "models--microsoft--rad-dino")
        for bad in ["rad-dino", "a/b/c", "/a/b", "a/", "a/b@", "a--b/c", "a/../b", "a/b@../x", "a/b@x/../y", ".a/b",
                    "a/b-", "a b/c", "a/b@/x", "model.safetensors", "./a"] {
            XCTAssertNil(HubModelName(bad), bad)
        }
    }

    func testAnExistingPathIsNeverAHubName() throws {
        // A relative path ORG/NAME that exists is opened as the path, even when the cache has that name.
        let dir = try TemporaryDirectory()
        let local = dir.file("ckpt-golden/tiny-release")
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        _ = FileManager.default.changeCurrentDirectoryPath(dir.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(PackagePaths.root) }
        let located = try HubCache.locate(Self.repo, environment: ["HF_HUB_CACHE": Self.cache])
        XCTAssertEqual(located.path, Self.repo)
        XCTAssertNil(located.snapshot)
    }

    // MARK: - Refusals

    func testNotCachedNamesTheFolderAndTheDownloadCommand() throws {
        let p = problem("ckpt-golden/absent", cache: Self.cache)
        XCTAssertEqual(p, .notCached(searched: Self.cache + "/models--ckpt-golden--absent"))
        let message = CkptError.hubCache(name: "ckpt-golden/absent@v2", problem: p!).description
        XCTAssertTrue(message.contains("hf download ckpt-golden/absent"), message)
        XCTAssertTrue(message.contains(Self.cache + "/models--ckpt-golden--absent"), message)
    }

    func testUnknownRefListsWhatIsCached() throws {
        let rec = try record()
        let revisions = try XCTUnwrap(rec["revisions"] as? [String: String])
        let p = problem("\(Self.repo)@v9", cache: Self.cache)
        XCTAssertEqual(p, .unknownRevision(revision: "v9", refs: "\(Self.cache)/\(repoFolder)/refs",
                                           known: ["main", "v0.1"] + revisions.values.sorted()))
    }

    func testAmbiguousShortHashNamesTheCandidates() throws {
        let (dir, cache) = try copyOfCache()
        _ = dir
        let main = try resolve(Self.repo).commit
        // A second snapshot sharing the first five digits of main's commit.
        let twin = String(main.prefix(5)) + String(repeating: "f", count: 35)
        try FileManager.default.createDirectory(atPath: "\(cache)/\(repoFolder)/snapshots/\(twin)", withIntermediateDirectories: false)
        XCTAssertEqual(problem("\(Self.repo)@\(main.prefix(5))", cache: cache),
                       .ambiguousRevision(revision: String(main.prefix(5)), candidates: [twin, main].sorted()))
        XCTAssertEqual(try resolve("\(Self.repo)@\(main.prefix(6))", cache: cache).commit, main)
        // Fewer than four digits is no commit hash at all.
        XCTAssertNotNil(problem("\(Self.repo)@\(main.prefix(3))", cache: cache))
    }

    func testALinkEscapingTheCacheIsRefused() throws {
        let (dir, cache) = try copyOfCache()
        let main = try resolve(Self.repo).commit
        let outside = try dir.write("outside.json", Array("{}".utf8))
        let link = "\(cache)/\(repoFolder)/snapshots/\(main)/config.json"
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "../../../../outside.json")
        let real = URL(fileURLWithPath: outside).resolvingSymlinksInPath().path
        let realCache = URL(fileURLWithPath: cache).resolvingSymlinksInPath().path
        XCTAssertEqual(problem(Self.repo, cache: cache), .escapesCache(path: link, target: real, cache: realCache))
    }

    func testAMissingSnapshotFolderIsRefused() throws {
        let (dir, cache) = try copyOfCache()
        _ = dir
        let commit = try resolve("\(Self.repo)@v0.1").commit
        let snapshot = "\(cache)/\(repoFolder)/snapshots/\(commit)"
        try FileManager.default.removeItem(atPath: snapshot)
        XCTAssertEqual(problem("\(Self.repo)@v0.1", cache: cache),
                       .snapshotMissing(revision: "v0.1", commit: commit, searched: snapshot))
    }

    func testAMissingBlobIsRefused() throws {
        let (dir, cache) = try copyOfCache()
        _ = dir
        let commit = try resolve(Self.repo).commit
        let link = "\(cache)/\(repoFolder)/snapshots/\(commit)/model.safetensors"
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: link)
        try FileManager.default.removeItem(atPath: "\(cache)/\(repoFolder)/snapshots/\(commit)/" + target)
        XCTAssertEqual(problem(Self.repo, cache: cache), .danglingLink(path: link, target: target))
    }

    func testASnapshotWithoutWeightsIsRefusedByTheFolderReader() throws {
        let (dir, cache) = try copyOfCache()
        _ = dir
        let commit = try resolve(Self.repo).commit
        try FileManager.default.removeItem(atPath: "\(cache)/\(repoFolder)/snapshots/\(commit)/model.safetensors")
        let snapshot = try resolve(Self.repo, cache: cache)
        XCTAssertThrowsError(try Checkpoint.open(snapshot)) { error in
            XCTAssertEqual(error as? CkptError, .invalidDirectory(path: snapshot.path, problems: ["no model.safetensors or model.safetensors.index.json in this folder"]))
        }
    }

    func testABadRefIsRefused() throws {
        let (dir, cache) = try copyOfCache()
        _ = dir
        let ref = "\(cache)/\(repoFolder)/refs/main"
        try Data("not a hash".utf8).write(to: URL(fileURLWithPath: ref))
        XCTAssertEqual(problem(Self.repo, cache: cache), .badRef(ref: ref, content: "not a hash"))
    }

    func testShardsLinkedIntoTheBlobsOpen() throws {
        // A sharded snapshot: the shards are links into blobs/, outside the snapshot folder but inside the
        // cache, as huggingface_hub writes them; they open, and the tensors are the folder's.
        let dir = try TemporaryDirectory("ckpt-hub")
        let repo = dir.file("cache/models--org--sharded")
        let commit = String(repeating: "ab", count: 20)
        let snapshot = "\(repo)/snapshots/\(commit)"
        try FileManager.default.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: URL(fileURLWithPath: repo + "/refs/main"))
        let sharded = PackagePaths.goldenSafetensors("sharded")
        for name in try FileManager.default.contentsOfDirectory(atPath: sharded) {
            let bytes = try readBytes(sharded + "/" + name)
            let blob = sha256Hex(bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(repo)/blobs/\(blob)"))
            try FileManager.default.createSymbolicLink(atPath: "\(snapshot)/\(name)", withDestinationPath: "../../blobs/\(blob)")
        }
        let checkpoint = try Checkpoint.open(try resolve("org/sharded", cache: dir.file("cache")))
        XCTAssertEqual(checkpoint.kind, .shardedDirectory)
        XCTAssertEqual(checkpoint.names, try Checkpoint.open(sharded).names)
    }
}
