/// The JPEG processes Debian's libjpeg-turbo 2.1 does not decode, for one component:
/// - lossless, process 14 (ITU T.81 annex H): predictors 1–7, 2–16 bits, point transform, restart
///   intervals (DICOM's .4.57 and .4.70);
/// - 12-bit sequential DCT with Huffman coding, process 4 (DICOM's .4.51), with IJG 6b's integer
///   IDCT (`jidctint.c`, the one GDCM's 12-bit codec and so SimpleITK use) and its range limiting.
/// The IJG 12/16-bit builds GDCM and DCMTK carry are installed as private libraries without headers,
/// so this small decoder is written here. Every read is bounds checked, output is bounded by
/// rows × columns, and running out of data is an error.
enum JPEGDecoder {
    /// A Huffman table as a 16-bit lookup: entry = (code length << 8) | value, 0 for no code.
    struct HuffmanTable {
        var lookup: [UInt16]

        init(bits: [Int], values: [UInt8]) throws {
            lookup = [UInt16](repeating: 0, count: 1 << 16)
            var code = 0, k = 0
            for length in 1...16 {
                for _ in 0..<bits[length - 1] {
                    guard k < values.count, code < (1 << length) else { throw JPEGError.corrupt("invalid Huffman table") }
                    let first = code << (16 - length), last = (code + 1) << (16 - length)
                    let entry = UInt16(length) << 8 | UInt16(values[k])
                    for i in first..<last { lookup[i] = entry }
                    code += 1
                    k += 1
                }
                code <<= 1
            }
        }
    }

    enum JPEGError: Error {
        case corrupt(String)
        case mismatch(String)
        case unsupported(String)
    }

    /// Reads entropy-coded bits, removing stuffed zero bytes; stops at a marker.
    struct BitReader {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        var buffer: UInt64 = 0
        var count = 0  // bits in buffer (real or zero padding)
        var padding = 0  // zero bits appended after a marker or the end
        var markerHit = false

        init(_ bytes: UnsafeRawBufferPointer, at position: Int) {
            self.bytes = bytes
            self.position = position
        }

        mutating func fill() {
            while count <= 56 {
                var byte: UInt8 = 0
                if !markerHit && position < bytes.count {
                    byte = bytes[position]
                    if byte == 0xFF {
                        let next = position + 1 < bytes.count ? bytes[position + 1] : 0xD9
                        if next == 0x00 {
                            position += 2
                        } else {
                            markerHit = true
                            byte = 0
                            padding += 8
                        }
                    } else {
                        position += 1
                    }
                } else {
                    markerHit = true
                    padding += 8
                }
                buffer |= UInt64(byte) << UInt64(56 - count)
                count += 8
            }
        }

        mutating func peek16() -> Int {
            if count < 16 { fill() }
            return Int(buffer >> 48)
        }

        mutating func consume(_ n: Int) throws {
            buffer <<= UInt64(n)
            count -= n
            if padding > count { throw JPEGError.corrupt("the entropy-coded data ends early") }
        }

        mutating func bits(_ n: Int) throws -> Int {
            if n == 0 { return 0 }
            if count < n { fill() }
            let v = Int(buffer >> UInt64(64 - n))
            try consume(n)
            return v
        }

        /// Drops the bits of the current byte and reads the RSTn marker that must follow.
        mutating func restart(expected: Int) throws {
            // Unconsumed whole bytes in the buffer were read past the marker's position only as padding.
            position -= (count - padding) / 8
            buffer = 0
            count = 0
            padding = 0
            markerHit = false
            while position < bytes.count && bytes[position] == 0xFF && position + 1 < bytes.count && bytes[position + 1] == 0xFF {
                position += 1
            }
            guard position + 1 < bytes.count, bytes[position] == 0xFF, bytes[position + 1] == 0xD0 + UInt8(expected & 7) else {
                throw JPEGError.corrupt("restart marker RST\(expected & 7) missing")
            }
            position += 2
        }
    }

    /// Decodes a lossless (`lossless` true) or a 12-bit DCT frame.
    static func decode(_ data: UnsafeRawBufferPointer, header h: DICOMHeader, path: String, lossless: Bool) throws
        -> ([UInt16], CodestreamFormat)
    {
        let codec = lossless ? "JPEG lossless" : "JPEG"
        do {
            let (samples, precision) = try decodeFrame(data, width: h.columns, height: h.rows, maxPrecision: h.bitsAllocated,
                                                       lossless: lossless)
            return (samples, CodestreamFormat(precision: precision, signed: nil))
        } catch JPEGError.corrupt(let detail) {
            throw DICOMProblem.corruptPixelData(path: path, codec: codec, detail: detail)
        } catch JPEGError.mismatch(let detail) {
            throw DICOMProblem.codecMismatch(path: path, codec: codec, detail: detail)
        } catch JPEGError.unsupported(let detail) {
            throw DICOMProblem.unsupportedTransferSyntax(path: path, uid: h.transferSyntax.uid,
                                                         name: "\(h.transferSyntax.name): \(detail)")
        }
    }

    /// The samples and the frame's precision.
    static func decodeFrame(_ d: UnsafeRawBufferPointer, width: Int, height: Int, maxPrecision: Int, lossless: Bool) throws
        -> ([UInt16], Int)
    {
        func u16(_ i: Int) throws -> Int {
            guard i + 2 <= d.count else { throw JPEGError.corrupt("a marker segment runs past the end of the data") }
            return Int(d[i]) << 8 | Int(d[i + 1])
        }
        guard d.count >= 4, d[0] == 0xFF, d[1] == 0xD8 else { throw JPEGError.corrupt("no JPEG start-of-image marker") }
        var i = 2
        var tables = [HuffmanTable?](repeating: nil, count: 4)  // DC (and lossless) tables
        var acTables = [HuffmanTable?](repeating: nil, count: 4)
        var quantTables = [[Int32]?](repeating: nil, count: 4)  // natural order
        var quantIndex = 0
        var precision = 0, restartInterval = 0
        var sawFrame = false
        while true {
            // Skip fill bytes before a marker.
            guard i + 1 < d.count else { throw JPEGError.corrupt("the data ends before the scan") }
            guard d[i] == 0xFF else { throw JPEGError.corrupt("expected a marker at byte \(i)") }
            let marker = d[i + 1]
            if marker == 0xFF { i += 1; continue }
            i += 2
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { continue }
            if marker == 0xD9 { throw JPEGError.corrupt("end of image before any scan") }
            let length = try u16(i)
            guard length >= 2, i + length <= d.count else { throw JPEGError.corrupt("marker segment FF\(hex(marker)) runs past the end") }
            let seg = i + 2, end = i + length
            switch marker {
            case 0xC3 where lossless, 0xC0 where !lossless, 0xC1 where !lossless:
                guard length >= 11 else { throw JPEGError.corrupt("short SOF segment") }
                precision = Int(d[seg])
                let y = try u16(seg + 1), x = try u16(seg + 3), nf = Int(d[seg + 5])
                let allowed: Set<Int> = lossless ? Set(2...16) : [8, 12]
                guard nf == 1, y == height, x == width, allowed.contains(precision), precision <= maxPrecision else {
                    throw JPEGError.mismatch(
                        "the \(lossless ? "lossless " : "")JPEG frame is \(x) x \(y), \(nf) component(s) of \(precision) bits")
                }
                quantIndex = Int(d[seg + 8])
                sawFrame = true
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
                throw JPEGError.mismatch("the frame is JPEG process SOF\(Int(marker) - 0xC0), not \(lossless ? "lossless (SOF3)" : "sequential Huffman (SOF0/SOF1)")")
            case 0xDB:
                var p = seg
                while p < end {
                    let pq = Int(d[p] >> 4), tq = Int(d[p] & 15), size = pq == 0 ? 64 : 128
                    guard tq < 4, pq <= 1, p + 1 + size <= end else { throw JPEGError.corrupt("invalid DQT segment") }
                    var table = [Int32](repeating: 0, count: 64)
                    for k in 0..<64 {
                        table[naturalOrder[k]] = pq == 0 ? Int32(d[p + 1 + k]) : Int32(d[p + 1 + 2 * k]) << 8 | Int32(d[p + 2 + 2 * k])
                    }
                    quantTables[tq] = table
                    p += 1 + size
                }
            case 0xC4:
                var p = seg
                while p < end {
                    let tc = Int(d[p] >> 4), th = Int(d[p] & 15)
                    guard th < 4, p + 17 <= end else { throw JPEGError.corrupt("invalid DHT segment") }
                    let bits = (0..<16).map { Int(d[p + 1 + $0]) }
                    let n = bits.reduce(0, +)
                    guard p + 17 + n <= end else { throw JPEGError.corrupt("a Huffman table runs past its segment") }
                    let values = Array(d[(p + 17)..<(p + 17 + n)])
                    if tc == 0 { tables[th] = try HuffmanTable(bits: bits, values: values) } else { acTables[th] = try HuffmanTable(bits: bits, values: values) }
                    p += 17 + n
                }
            case 0xDD:
                restartInterval = try u16(seg)
            case 0xDA:
                guard sawFrame else { throw JPEGError.corrupt("a scan before the SOF3 frame header") }
                guard length >= 6 + 2 * Int(d[seg]), d[seg] == 1 else { throw JPEGError.mismatch("the scan has \(d[seg]) components") }
                let table = Int(d[seg + 2] >> 4)
                if !lossless {
                    let ac = Int(d[seg + 2] & 15)
                    guard table < 4, ac < 4, let dcTable = tables[table], let acTable = acTables[ac] else {
                        throw JPEGError.corrupt("the scan uses an undefined Huffman table")
                    }
                    guard quantIndex < 4, let quant = quantTables[quantIndex] else {
                        throw JPEGError.corrupt("the frame uses an undefined quantisation table")
                    }
                    guard d[seg + 3] == 0, d[seg + 4] == 63, d[seg + 5] == 0 else {
                        throw JPEGError.corrupt("a sequential scan must cover coefficients 0-63")
                    }
                    return (try dctScan(d, from: end, width: width, height: height, precision: precision, quant: quant,
                                        dc: dcTable, ac: acTable, restartInterval: restartInterval), precision)
                }
                let predictor = Int(d[seg + 3]), pointTransform = Int(d[seg + 5] & 15)
                guard table < 4, let huffman = tables[table] else { throw JPEGError.corrupt("the scan uses an undefined Huffman table") }
                guard (1...7).contains(predictor) else { throw JPEGError.corrupt("selection value \(predictor) is not a lossless predictor") }
                guard pointTransform < precision else { throw JPEGError.corrupt("point transform \(pointTransform) for \(precision)-bit samples") }
                if restartInterval > 0 && restartInterval % width != 0 {
                    throw JPEGError.unsupported("a restart interval (\(restartInterval)) that is not whole rows")
                }
                return (try scan(d, from: end, width: width, height: height, precision: precision, predictor: predictor,
                                 pointTransform: pointTransform, restartInterval: restartInterval, table: huffman), precision)
            default:
                break  // APPn, COM, DQT, DNL …: skipped
            }
            i = end
        }
    }

    static func hex(_ v: UInt8) -> String { String(v, radix: 16, uppercase: true) }

    static func scan(_ d: UnsafeRawBufferPointer, from start: Int, width: Int, height: Int, precision: Int, predictor: Int,
                     pointTransform: Int, restartInterval: Int, table: HuffmanTable) throws -> [UInt16] {
        // Every sample takes at least one bit (a Huffman code): a frame header claiming more samples
        // than the data has bits is refused before the output is allocated.
        let available = d.count - start
        guard available >= (width * height + 7) / 8 else {
            throw JPEGError.corrupt("\(available) bytes of entropy-coded data cannot hold \(width) x \(height) samples")
        }
        var out = [UInt16](repeating: 0, count: width * height)
        var reader = BitReader(d, at: start)
        let initial = 1 << (precision - pointTransform - 1)
        let rowsPerRestart = restartInterval > 0 ? restartInterval / width : Int.max
        var restarts = 0
        try table.lookup.withUnsafeBufferPointer { lookup in
            try out.withUnsafeMutableBufferPointer { o in
                var firstRow = 0
                for y in 0..<height {
                    if y > 0 && (y % rowsPerRestart) == 0 {
                        try reader.restart(expected: restarts)
                        restarts += 1
                        firstRow = y
                    }
                    let row = y * width
                    for x in 0..<width {
                        let entry = Int(lookup[reader.peek16()])
                        let length = entry >> 8
                        guard length > 0 else { throw JPEGError.corrupt("an invalid Huffman code") }
                        try reader.consume(length)
                        let ssss = entry & 0xFF
                        var diff: Int
                        if ssss == 0 {
                            diff = 0
                        } else if ssss == 16 {
                            diff = 32_768
                        } else {
                            guard ssss < 16 else { throw JPEGError.corrupt("difference category \(ssss)") }
                            diff = try reader.bits(ssss)
                            if diff < (1 << (ssss - 1)) { diff -= (1 << ssss) - 1 }
                        }
                        let prediction: Int
                        if y == firstRow {
                            prediction = x == 0 ? initial : Int(o[row + x - 1])
                        } else if x == 0 {
                            prediction = Int(o[row - width])
                        } else {
                            let ra = Int(o[row + x - 1]), rb = Int(o[row - width + x]), rc = Int(o[row - width + x - 1])
                            switch predictor {
                            case 1: prediction = ra
                            case 2: prediction = rb
                            case 3: prediction = rc
                            case 4: prediction = ra + rb - rc
                            case 5: prediction = ra + ((rb - rc) >> 1)
                            case 6: prediction = rb + ((ra - rc) >> 1)
                            default: prediction = (ra + rb) >> 1
                            }
                        }
                        o[row + x] = UInt16(truncatingIfNeeded: prediction + diff)
                    }
                }
            }
        }
        if pointTransform > 0 {
            for i in out.indices { out[i] = out[i] << UInt16(pointTransform) }
        }
        return out
    }
}
