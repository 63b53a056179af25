extension JPEGDecoder {
    /// Zigzag position k → natural (row-major) index, with IJG's 16 extra entries of 63 so that a
    /// corrupt run length cannot index past the block.
    static let naturalOrder: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
        21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60,
        61, 54, 47, 55, 62, 63,
    ] + [Int](repeating: 63, count: 16)

    /// IJG 6b's post-IDCT range limit (`prepare_range_limit_table`, indexed by `x & RANGE_MASK`):
    /// values wrap at 4·(MAX+1), so a wildly out-of-range result gives 0 or MAX as IJG's does.
    static func rangeLimit(precision: Int) -> [UInt16] {
        let maxSample = (1 << precision) - 1, center = 1 << (precision - 1), size = 4 * (maxSample + 1)
        return (0..<size).map { x in
            let y = x + center
            if y <= maxSample { return UInt16(y) }
            if y < center + 2 * (maxSample + 1) { return UInt16(maxSample) }
            if y < size { return 0 }
            return UInt16(y - size)
        }
    }

    /// A sequential DCT scan of one component with Huffman coding, decoded as IJG 6b does it:
    /// coefficients as 16-bit JCOEF, dequantised, `jpeg_idct_islow` in 32-bit integers
    /// (CONST_BITS 13, PASS1_BITS 1 for 12-bit samples, 2 for 8-bit), then the range-limit table.
    static func dctScan(_ d: UnsafeRawBufferPointer, from start: Int, width: Int, height: Int, precision: Int,
                        quant: [Int32], dc: HuffmanTable, ac: HuffmanTable, restartInterval: Int) throws -> [UInt16] {
        // Every block takes at least two bits (a DC code and an end-of-block code): a frame header
        // claiming more blocks than that is refused before the output is allocated.
        let available = d.count - start, blocks = ((width + 7) / 8) * ((height + 7) / 8)
        guard available >= (2 * blocks + 7) / 8 else {
            throw JPEGError.corrupt("\(available) bytes of entropy-coded data cannot hold \(blocks) blocks")
        }
        var out = [UInt16](repeating: 0, count: width * height)
        var reader = BitReader(d, at: start)
        let limit = rangeLimit(precision: precision)
        let mask = Int32(limit.count - 1)
        let pass1: Int32 = precision == 8 ? 2 : 1
        let blocksWide = (width + 7) / 8, blocksHigh = (height + 7) / 8
        var prediction: Int32 = 0, restarts = 0, blockCount = 0
        var coef = [Int32](repeating: 0, count: 64)
        var work = [Int32](repeating: 0, count: 64)
        var samples = [UInt16](repeating: 0, count: 64)

        func decodeSymbol(_ table: HuffmanTable) throws -> Int {
            let entry = Int(table.lookup[reader.peek16()])
            guard entry >> 8 > 0 else { throw JPEGError.corrupt("an invalid Huffman code") }
            try reader.consume(entry >> 8)
            return entry & 0xFF
        }
        func extend(_ s: Int) throws -> Int32 {
            let v = try reader.bits(s)
            return Int32(v < (1 << (s - 1)) ? v - (1 << s) + 1 : v)
        }

        for by in 0..<blocksHigh {
            for bx in 0..<blocksWide {
                if restartInterval > 0 && blockCount > 0 && blockCount % restartInterval == 0 {
                    try reader.restart(expected: restarts)
                    restarts += 1
                    prediction = 0
                }
                blockCount += 1
                for i in 0..<64 { coef[i] = 0 }
                let s = try decodeSymbol(dc)
                guard s <= 15 else { throw JPEGError.corrupt("DC difference category \(s)") }
                if s > 0 { prediction &+= try extend(s) }
                coef[0] = Int32(Int16(truncatingIfNeeded: prediction))
                var k = 1
                while k < 64 {
                    let rs = try decodeSymbol(ac)
                    let r = rs >> 4, size = rs & 15
                    if size != 0 {
                        k += r
                        coef[naturalOrder[k]] = Int32(Int16(truncatingIfNeeded: try extend(size)))
                    } else {
                        if r != 15 { break }
                        k += 15
                    }
                    k += 1
                }
                idct(coef, quant: quant, pass1: pass1, work: &work, limit: limit, mask: mask, into: &samples)
                for y in 0..<8 where by * 8 + y < height {
                    for x in 0..<8 where bx * 8 + x < width {
                        out[(by * 8 + y) * width + bx * 8 + x] = samples[y * 8 + x]
                    }
                }
            }
        }
        return out
    }

    /// IJG 6b's `jpeg_idct_islow` (jidctint.c), with 32-bit wrapping arithmetic as C's INT32 has on
    /// the machines GDCM runs on.
    static func idct(_ coef: [Int32], quant: [Int32], pass1: Int32, work: inout [Int32], limit: [UInt16], mask: Int32,
                     into out: inout [UInt16]) {
        let constBits: Int32 = 13
        let f0_298631336: Int32 = 2446, f0_390180644: Int32 = 3196, f0_541196100: Int32 = 4433
        let f0_765366865: Int32 = 6270, f0_899976223: Int32 = 7373, f1_175875602: Int32 = 9633
        let f1_501321110: Int32 = 12299, f1_847759065: Int32 = 15137, f1_961570560: Int32 = 16069
        let f2_053119869: Int32 = 16819, f2_562915447: Int32 = 20995, f3_072711026: Int32 = 25172
        func descale(_ x: Int32, _ n: Int32) -> Int32 { (x &+ (1 << (n - 1))) >> n }

        /// The even and odd parts shared by both passes: the eight outputs before descaling.
        func butterfly(_ i0: Int32, _ i1: Int32, _ i2: Int32, _ i3: Int32, _ i4: Int32, _ i5: Int32, _ i6: Int32, _ i7: Int32)
            -> (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)
        {
            var z2 = i2, z3 = i6
            var z1 = (z2 &+ z3) &* f0_541196100
            var tmp2 = z1 &+ z3 &* -f1_847759065
            var tmp3 = z1 &+ z2 &* f0_765366865
            var tmp0 = (i0 &+ i4) << constBits
            var tmp1 = (i0 &- i4) << constBits
            let tmp10 = tmp0 &+ tmp3, tmp13 = tmp0 &- tmp3, tmp11 = tmp1 &+ tmp2, tmp12 = tmp1 &- tmp2
            tmp0 = i7; tmp1 = i5; tmp2 = i3; tmp3 = i1
            z1 = tmp0 &+ tmp3
            z2 = tmp1 &+ tmp2
            z3 = tmp0 &+ tmp2
            var z4 = tmp1 &+ tmp3
            let z5 = (z3 &+ z4) &* f1_175875602
            tmp0 = tmp0 &* f0_298631336
            tmp1 = tmp1 &* f2_053119869
            tmp2 = tmp2 &* f3_072711026
            tmp3 = tmp3 &* f1_501321110
            z1 = z1 &* -f0_899976223
            z2 = z2 &* -f2_562915447
            z3 = z3 &* -f1_961570560
            z4 = z4 &* -f0_390180644
            z3 = z3 &+ z5
            z4 = z4 &+ z5
            tmp0 = tmp0 &+ z1 &+ z3
            tmp1 = tmp1 &+ z2 &+ z4
            tmp2 = tmp2 &+ z2 &+ z3
            tmp3 = tmp3 &+ z1 &+ z4
            return (tmp10 &+ tmp3, tmp11 &+ tmp2, tmp12 &+ tmp1, tmp13 &+ tmp0,
                    tmp13 &- tmp0, tmp12 &- tmp1, tmp11 &- tmp2, tmp10 &- tmp3)
        }

        // Pass 1: columns, into the work array.
        for c in 0..<8 {
            func q(_ r: Int) -> Int32 { coef[r * 8 + c] &* quant[r * 8 + c] }
            if (1..<8).allSatisfy({ coef[$0 * 8 + c] == 0 }) {
                let dc = q(0) << pass1
                for r in 0..<8 { work[r * 8 + c] = dc }
                continue
            }
            let o = butterfly(q(0), q(1), q(2), q(3), q(4), q(5), q(6), q(7))
            let n = constBits - pass1
            work[0 * 8 + c] = descale(o.0, n); work[1 * 8 + c] = descale(o.1, n)
            work[2 * 8 + c] = descale(o.2, n); work[3 * 8 + c] = descale(o.3, n)
            work[4 * 8 + c] = descale(o.4, n); work[5 * 8 + c] = descale(o.5, n)
            work[6 * 8 + c] = descale(o.6, n); work[7 * 8 + c] = descale(o.7, n)
        }
        // Pass 2: rows, into samples through the range limit.
        for r in 0..<8 {
            let w = r * 8
            func sample(_ v: Int32) -> UInt16 { limit[Int(v & mask)] }
            if (1..<8).allSatisfy({ work[w + $0] == 0 }) {
                let v = sample(descale(work[w], pass1 + 3))
                for c in 0..<8 { out[w + c] = v }
                continue
            }
            let o = butterfly(work[w], work[w + 1], work[w + 2], work[w + 3], work[w + 4], work[w + 5], work[w + 6], work[w + 7])
            let n = constBits + pass1 + 3
            out[w + 0] = sample(descale(o.0, n)); out[w + 1] = sample(descale(o.1, n))
            out[w + 2] = sample(descale(o.2, n)); out[w + 3] = sample(descale(o.3, n))
            out[w + 4] = sample(descale(o.4, n)); out[w + 5] = sample(descale(o.5, n))
            out[w + 6] = sample(descale(o.6, n)); out[w + 7] = sample(descale(o.7, n))
        }
    }
}
