import CDICOMCodecs
import CkptCore

/// Runs the C side of a codec and turns its status into a `DICOMProblem`.
enum CodecCall {
    static let messageCapacity = 512

    /// Calls `body` with a message buffer; throws for any status but OK.
    static func run(codec: String, path: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> ckpt_dcm_status) throws {
        var message = [CChar](repeating: 0, count: messageCapacity)
        let status = message.withUnsafeMutableBufferPointer { body($0.baseAddress!, messageCapacity) }
        let text = String(cMessage: message)
        switch status {
        case CKPT_DCM_OK: return
        case CKPT_DCM_TOO_LARGE:
            throw DICOMProblem.overLimit(path: path, what: "the \(codec) output", value: Int.max, limit: 0)
        case CKPT_DCM_NO_MEMORY: throw DICOMProblem.unreadable(path: path, reason: "not enough memory for the \(codec) data")
        case CKPT_DCM_MISMATCH: throw DICOMProblem.codecMismatch(path: path, codec: codec, detail: text)
        default: throw DICOMProblem.corruptPixelData(path: path, codec: codec, detail: text.isEmpty ? "undecodable" : text)
        }
    }
}

/// Raw inflate of a Deflated Explicit VR Little Endian dataset, through zlib.
enum Inflate {
    /// Inflates `data` (at most `limit` bytes out) and lends the result to `body`; the C buffer is
    /// freed afterwards, never copied.
    static func withRaw<R>(_ data: UnsafeRawBufferPointer, limit: Int, path: String,
                           _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var count = 0
        defer { ckpt_dcm_free(out) }
        do {
            try CodecCall.run(codec: "deflate", path: path) { message, capacity in
                ckpt_dcm_inflate(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, limit, &out, &count,
                                 message, capacity)
            }
        } catch DICOMProblem.overLimit {
            throw DICOMProblem.overLimit(path: path, what: "the inflated dataset (bytes)", value: limit + 1, limit: limit)
        }
        return try body(UnsafeRawBufferPointer(start: out, count: out == nil ? 0 : count))
    }
}
