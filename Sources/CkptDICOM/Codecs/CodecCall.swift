import CDICOMCodecs

/// Runs the C side of a codec and turns its status into a `DICOMProblem`.
enum CodecCall {
    static let messageCapacity = 512

    /// The NUL-terminated message a C codec wrote.
    static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Calls `body` with a message buffer; throws for any status but OK.
    static func run(codec: String, path: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> ckpt_dcm_status) throws {
        var message = [CChar](repeating: 0, count: messageCapacity)
        let status = message.withUnsafeMutableBufferPointer { body($0.baseAddress!, messageCapacity) }
        let text = CodecCall.text(message)
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
    static func raw(_ data: UnsafeRawBufferPointer, limit: Int, path: String) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var count = 0
        do {
            try CodecCall.run(codec: "deflate", path: path) { message, capacity in
                ckpt_dcm_inflate(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, limit, &out, &count,
                                 message, capacity)
            }
        } catch DICOMProblem.overLimit {
            throw DICOMProblem.overLimit(path: path, what: "the inflated dataset (bytes)", value: limit + 1, limit: limit)
        }
        defer { ckpt_dcm_free(out) }
        guard let out else { return [] }
        return Array(UnsafeBufferPointer(start: out, count: count))
    }
}
