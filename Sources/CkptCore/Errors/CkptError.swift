#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// The core's failures: files, I/O, safetensors, tensors. Each case names the file (and tensor, key or field)
/// it is about, so the CLI can print it as is; `exitCode` is the stable process exit code for the failure.
/// Other modules throw their own `CkptProblem`s (`ImageProblem`, `LayoutError`, `GoldenCaseError`).
public enum CkptError: CkptProblem, Equatable {
    /// A system call failed on `path` (`operation` is the call, `code` the errno).
    case io(path: String, operation: String, code: Int32)
    /// The path exists but is not something ckpt can read (a folder without a checkpoint, a device, …).
    case unsupportedInput(path: String, reason: String)
    /// A safetensors file is malformed; `problem` says exactly how.
    case malformedSafetensors(path: String, problem: SafetensorsProblem)
    /// A zstd stream could not be decompressed.
    case zstd(path: String, reason: String)
    /// A Hugging Face folder (config, index, shards) is inconsistent; every problem found is listed.
    case invalidDirectory(path: String, problems: [String])
    /// The destination exists and overwriting was not asked for (the CLI's `--force`).
    case outputExists(path: String)
    /// The destination is one of the inputs (same device and inode, whatever the spelling or link).
    case outputIsInput(path: String)
    /// The destination is a symbolic link to `target`, outside the destination's own folder.
    case outputLinksOutside(path: String, target: String)
    /// A command needs a file next to its input that is not there (`neededBy` names the flag).
    case companionMissing(path: String, neededBy: String)
    /// The tensors of `path` cannot feed a computation (missing, misshapen, not floating point); every
    /// problem is listed.
    case unusableTensors(path: String, problems: [String])
    /// A tensor holds `dtype` where floating-point values are needed.
    case notFloat(path: String, tensor: String, dtype: String)
    /// A file was modified while ckpt was reading it.
    case inputChanged(path: String, reason: String)
    /// A file's size changed while ckpt was reading it: `openedSize` bytes at open, `currentSize` now
    /// (nil when only a short read showed it).
    case inputResized(path: String, openedSize: Int, currentSize: Int?)
    /// A tensor a command reads by name (e.g. `pixel_values`) is not in `path`; `found` samples the
    /// names that are.
    case missingTensor(path: String, tensor: String, found: [String])
    /// A head count given for the backbone of `path` (`--heads`, a golden case's) does not divide its
    /// embedding width.
    case headsDoNotDivideWidth(path: String, heads: Int, width: Int)
    /// A tensor has `shape` where `expected` (e.g. `[B, 3, H, W]`) is needed.
    case tensorShape(path: String, tensor: String, shape: [Int], expected: String)
    /// An input image of `height`×`width` pixels (from `source`) is smaller than one patch, so it
    /// would give no token.
    case imageSmallerThanPatch(source: String, height: Int, width: Int, patch: Int)
    /// A `.pth` pickle refers to `global` (`module.name`), which is not on the state-dict allow-list.
    /// Nothing was executed: ckpt interprets pickles, it never runs them.
    case unsafePickle(path: String, global: String)
    /// A `.pth` archive (zip container, pickle or storage records) is malformed; `problem` says how.
    case malformedPth(path: String, problem: String)
    /// A Hub model name (`ORG/NAME[@REVISION]`) could not be opened from the local Hugging Face cache.
    case hubCache(name: String, problem: HubCacheProblem)
    /// A shared library ckpt loads at run time (OpenBLAS) is missing or unusable; the message says which and why.
    case libraryUnavailable(String)

    /// The process exit code: 2 for unreadable or malformed input and I/O errors.
    public var exitCode: Int32 { 2 }

    /// The file the failure is about; empty for `libraryUnavailable`.
    public var path: String {
        switch self {
        case let .io(path, _, _), let .unsupportedInput(path, _), let .malformedSafetensors(path, _),
             let .zstd(path, _), let .invalidDirectory(path, _), let .outputExists(path), let .outputIsInput(path),
             let .outputLinksOutside(path, _),
             let .companionMissing(path, _), let .unusableTensors(path, _), let .notFloat(path, _, _),
             let .inputChanged(path, _), let .inputResized(path, _, _), let .missingTensor(path, _, _),
             let .headsDoNotDivideWidth(path, _, _), let .tensorShape(path, _, _, _), let .unsafePickle(path, _),
             let .malformedPth(path, _), let .hubCache(path, _):
            return path
        case let .imageSmallerThanPatch(source, _, _, _):
            return source
        case .libraryUnavailable:
            return ""
        }
    }
}

extension CkptError: CustomStringConvertible, LocalizedError {
    /// The message the CLI prints after `ckpt: error:`; it starts with the path it is about.
    public var description: String {
        switch self {
        case let .io(path, operation, code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .unsupportedInput(path, reason):
            return "\(path): \(reason)"
        case let .malformedSafetensors(path, problem):
            return "\(path): \(problem)"
        case let .zstd(path, reason):
            return "\(path): zstd: \(reason)"
        case let .invalidDirectory(path, problems), let .unusableTensors(path, problems):
            if problems.count == 1 { return "\(path): \(problems[0])" }
            return "\(path): \(problems.count) problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        case let .outputExists(path):
            return "\(path): output exists"
        case let .outputIsInput(path):
            return "\(path): output is the input file (the same file under this name); refusing to overwrite it"
        case let .outputLinksOutside(path, target):
            return "\(path): is a symbolic link to \(target), outside the destination folder; refusing to write through it"
        case let .companionMissing(path, neededBy):
            return "\(path): \(neededBy) needs a \(FileSystem.baseName(path)) next to the HF weights, and there is none"
        case let .notFloat(path, tensor, dtype):
            return "\(path): tensor \"\(tensor)\" is \(dtype), not a floating-point tensor"
        case let .inputChanged(path, reason):
            return "\(path): the file changed while it was being read: \(reason)"
        case let .inputResized(path, openedSize, currentSize):
            let now = currentSize.map { "\($0) bytes now" } ?? "it ended early"
            return "\(path) changed size while being read (\(openedSize) bytes when opened, \(now))"
        case let .missingTensor(path, tensor, found):
            return "\(path): no tensor \"\(tensor)\" (found: \(found.joined(separator: ", ")))"
        case let .headsDoNotDivideWidth(path, heads, width):
            return "\(path): \(heads) attention heads do not divide the embedding width \(width)"
        case let .tensorShape(path, tensor, shape, expected):
            return "\(path): tensor \"\(tensor)\" has shape \(shape), expected \(expected)"
        case let .imageSmallerThanPatch(source, height, width, patch):
            return "\(source): image \(height)×\(width) is smaller than one \(patch)×\(patch) patch"
        case let .libraryUnavailable(message):
            return message
        case let .hubCache(name, problem):
            return "\(name): " + problem.message(repoID: String(name.split(separator: "@", maxSplits: 1)[0]))
        case let .unsafePickle(path, global):
            return "\(path): refusing to load: the pickle refers to \(global), which is not allowed in a state dict (nothing was executed)"
        case let .malformedPth(path, problem):
            return "\(path): not a valid PyTorch checkpoint: \(problem)"
        }
    }

    /// `description`, for `LocalizedError` users.
    public var errorDescription: String? { description }
}
