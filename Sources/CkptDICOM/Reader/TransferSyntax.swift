/// How ckpt reads the pixel data of a transfer syntax.
public enum PixelEncoding: String, Sendable {
    /// Native (uncompressed) samples, little or big endian.
    case native
    /// RLE Lossless (PS3.5 annex G), decoded in Swift.
    case rle
    /// JPEG baseline or 8-bit extended (ISO 10918-1 DCT), through libjpeg-turbo.
    case jpegBaseline
    /// JPEG lossless, process 14 (any predictor), decoded in Swift.
    case jpegLossless
    /// JPEG-LS lossless or near-lossless, through CharLS.
    case jpegLS
    /// JPEG 2000 (part 1), through OpenJPEG.
    case jpeg2000
}

/// A transfer syntax: its UID, its name in PS3.6, and how ckpt reads it (nil: refused).
public struct TransferSyntax: Sendable, Equatable {
    /// The UID, e.g. `1.2.840.10008.1.2.1`.
    public let uid: String
    /// The name PS3.6 gives it.
    public let name: String
    /// Explicit VR (false: implicit VR little endian).
    public let explicitVR: Bool
    /// Big-endian dataset.
    public let bigEndian: Bool
    /// The dataset after the file meta information is deflated (zlib raw deflate).
    public let deflated: Bool
    /// How the pixel data is decoded; nil when ckpt does not read it.
    public let encoding: PixelEncoding?

    /// The syntax for `uid`: a row of `table`, or an unnamed refused syntax.
    public static func lookup(_ uid: String) -> TransferSyntax {
        table.first { $0.uid == uid }
            ?? TransferSyntax(uid: uid, name: "unknown transfer syntax", explicitVR: true, bigEndian: false,
                              deflated: false, encoding: nil)
    }

    private init(uid: String, name: String, explicitVR: Bool = true, bigEndian: Bool = false, deflated: Bool = false,
                 encoding: PixelEncoding?) {
        self.uid = uid
        self.name = name
        self.explicitVR = explicitVR
        self.bigEndian = bigEndian
        self.deflated = deflated
        self.encoding = encoding
    }

    static let implicitLittle = lookup("1.2.840.10008.1.2")
    static let explicitLittle = lookup("1.2.840.10008.1.2.1")

    /// Every transfer syntax PS3.6 names (retired ones included), with how ckpt reads it.
    public static let table: [TransferSyntax] = [
        .init(uid: "1.2.840.10008.1.2", name: "Implicit VR Little Endian", explicitVR: false, encoding: .native),
        .init(uid: "1.2.840.10008.1.2.1", name: "Explicit VR Little Endian", encoding: .native),
        .init(uid: "1.2.840.10008.1.2.1.98", name: "Encapsulated Uncompressed Explicit VR Little Endian", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.1.99", name: "Deflated Explicit VR Little Endian", deflated: true, encoding: .native),
        .init(uid: "1.2.840.10008.1.2.2", name: "Explicit VR Big Endian", bigEndian: true, encoding: .native),
        .init(uid: "1.2.840.10008.1.2.4.50", name: "JPEG Baseline (Process 1)", encoding: .jpegBaseline),
        .init(uid: "1.2.840.10008.1.2.4.51", name: "JPEG Extended (Process 2 & 4)", encoding: .jpegBaseline),
        .init(uid: "1.2.840.10008.1.2.4.52", name: "JPEG Extended (Process 3 & 5) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.53", name: "JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.54", name: "JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.55", name: "JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.56", name: "JPEG Full Progression, Non-Hierarchical (Process 11 & 13) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.57", name: "JPEG Lossless, Non-Hierarchical (Process 14)", encoding: .jpegLossless),
        .init(uid: "1.2.840.10008.1.2.4.58", name: "JPEG Lossless, Non-Hierarchical (Process 15) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.59", name: "JPEG Extended, Hierarchical (Process 16 & 18) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.60", name: "JPEG Extended, Hierarchical (Process 17 & 19) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.61", name: "JPEG Spectral Selection, Hierarchical (Process 20 & 22) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.62", name: "JPEG Spectral Selection, Hierarchical (Process 21 & 23) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.63", name: "JPEG Full Progression, Hierarchical (Process 24 & 26) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.64", name: "JPEG Full Progression, Hierarchical (Process 25 & 27) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.65", name: "JPEG Lossless, Hierarchical (Process 28) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.66", name: "JPEG Lossless, Hierarchical (Process 29) (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.70", name: "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", encoding: .jpegLossless),
        .init(uid: "1.2.840.10008.1.2.4.80", name: "JPEG-LS Lossless Image Compression", encoding: .jpegLS),
        .init(uid: "1.2.840.10008.1.2.4.81", name: "JPEG-LS Lossy (Near-Lossless) Image Compression", encoding: .jpegLS),
        .init(uid: "1.2.840.10008.1.2.4.90", name: "JPEG 2000 Image Compression (Lossless Only)", encoding: .jpeg2000),
        .init(uid: "1.2.840.10008.1.2.4.91", name: "JPEG 2000 Image Compression", encoding: .jpeg2000),
        .init(uid: "1.2.840.10008.1.2.4.92", name: "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.93", name: "JPEG 2000 Part 2 Multi-component Image Compression", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.94", name: "JPIP Referenced", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.95", name: "JPIP Referenced Deflate", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.100", name: "MPEG2 Main Profile / Main Level", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.101", name: "MPEG2 Main Profile / High Level", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.102", name: "MPEG-4 AVC/H.264 High Profile / Level 4.1", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.103", name: "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.104", name: "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.105", name: "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.106", name: "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.107", name: "HEVC/H.265 Main Profile / Level 5.1", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.108", name: "HEVC/H.265 Main 10 Profile / Level 5.1", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.110", name: "JPEG XL Lossless", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.111", name: "JPEG XL JPEG Recompression", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.112", name: "JPEG XL", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.201", name: "High-Throughput JPEG 2000 Image Compression (Lossless Only)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.202", name: "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.203", name: "High-Throughput JPEG 2000 Image Compression", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.204", name: "JPIP HTJ2K Referenced", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.4.205", name: "JPIP HTJ2K Referenced Deflate", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.5", name: "RLE Lossless", encoding: .rle),
        .init(uid: "1.2.840.10008.1.2.6.1", name: "RFC 2557 MIME encapsulation (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.6.2", name: "XML Encoding (Retired)", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.7.1", name: "SMPTE ST 2110-20 Uncompressed Progressive Active Video", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.7.2", name: "SMPTE ST 2110-20 Uncompressed Interlaced Active Video", encoding: nil),
        .init(uid: "1.2.840.10008.1.2.7.3", name: "SMPTE ST 2110-30 PCM Digital Audio", encoding: nil),
        .init(uid: "1.2.840.113619.5.2", name: "GE Private Implicit VR Big Endian", explicitVR: false, encoding: nil),
    ]
}
