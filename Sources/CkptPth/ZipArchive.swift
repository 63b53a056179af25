import CkptCore
/// The zip container of a `torch.save` file, read from its central directory.
///
/// Only what torch writes is accepted: stored (uncompressed), unencrypted entries, optionally zip64.
/// Because entries are stored, an entry's bytes are a plain range of the mapped file and tensors can
/// point into it without copying. Everything read from the file is checked before use: the end
/// records and the central directory must lie inside the file, entry counts are bounded, every local
/// header must agree with its central entry, and entries must neither overlap each other nor run into
/// the central directory (the trick behind non-recursive zip bombs).
///
/// Memory: the directory and the local headers are read entry by entry with `pread` (not through the
/// mapping, whose touched pages would count as ckpt's memory), and each entry is kept as a fixed-size
/// record plus its name's bytes in one shared buffer, about 70 bytes an entry; `Entry` values with a
/// `String` name are made only for the entries asked for.
struct ZipArchive {
    /// One stored entry: its name and where its bytes are in the file.
    struct Entry {
        let name: String
        /// Absolute file offset of the first data byte.
        let dataOffset: Int
        let size: Int
        let crc32: UInt32
    }

    /// Upper bound on entries, checked against the end record before anything else is read. A torch
    /// archive holds one record per storage plus a handful of bookkeeping records (`data.pkl`,
    /// `byteorder`, `version`, …), and its pickle can name at most `PickleMachine.Limits.maxContainers`
    /// storages (each persistent id is a tuple the pickle creates): entries past that could never be
    /// read, so a larger archive is refused before its directory is.
    static let maxEntries = PickleMachine.Limits().maxContainers + 1_024

    /// One entry as kept: fixed size, its name a range of `names`.
    private struct Record {
        let localOffset: Int
        let dataOffset: Int
        let size: Int
        let crc32: UInt32
        let nameStart: Int  // names can add up to more than 4 GiB in a (hostile) file that large
        let nameLength: UInt16
    }

    let file: MappedFile
    private let records: [Record]
    /// Every entry's name, concatenated in directory order.
    private let names: [UInt8]
    /// Indices of `records` in byte order of their names, for lookups by binary search.
    private let byName: [UInt32]

    /// The first entry of the central directory (torch writes `<prefix>/data.pkl` first).
    var first: Entry? { records.first.map(entry) }
    var count: Int { records.count }
    /// Every entry in directory order, each with its `String` name (for tests; the reader looks up by name).
    var entries: [Entry] { records.map(entry) }

    subscript(name: String) -> Entry? {
        let key = Array(name.utf8)
        var low = 0, high = byName.count
        while low < high {
            let mid = (low + high) / 2
            let r = records[Int(byName[mid])]
            if nameBytes(r).lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
        }
        guard low < byName.count, nameBytes(records[Int(byName[low])]).elementsEqual(key) else { return nil }
        return entry(records[Int(byName[low])])
    }

    private func nameBytes(_ r: Record) -> ArraySlice<UInt8> { names[r.nameStart..<r.nameStart + Int(r.nameLength)] }

    private func entry(_ r: Record) -> Entry {
        Entry(name: String(decoding: nameBytes(r), as: UTF8.self), dataOffset: r.dataOffset, size: r.size, crc32: r.crc32)
    }

    /// True when the file starts with a zip local-header signature.
    static func hasZipMagic(_ file: MappedFile) -> Bool {
        guard file.size >= 4, let head = try? file.copyBytes(offset: 0, count: 4) else { return false }
        return head == [0x50, 0x4B, 0x03, 0x04]
    }

    init(_ file: MappedFile) throws {
        self.file = file
        func fail(_ problem: String) -> CkptError { .malformedPth(path: file.path, problem: problem) }
        let (cdOffset, cdSize, count) = try Self.findCentralDirectory(file, fail)
        var records: [Record] = []
        records.reserveCapacity(count)
        var names: [UInt8] = []
        var p = 0
        for index in 0..<count {
            // The fixed 46 bytes, then the name and extra field; the comment is skipped unread.
            guard p <= cdSize, cdSize - p >= 46 else {
                throw fail("zip central directory is truncated (entry \(index) at offset \(cdOffset + p) needs 46 bytes, \(max(0, cdSize - p)) are left)")
            }
            let fixed = ByteCursor(try Self.read(file, offset: cdOffset + p, count: 46))
            guard try fixed.u32(at: 0) == 0x0201_4B50 else {
                throw fail("zip central directory entry \(index) at offset \(cdOffset + p) has no signature")
            }
            let flags = try fixed.u16(at: 8)
            let method = try fixed.u16(at: 10)
            let crc = UInt32(try fixed.u32(at: 16))
            var compressed = UInt64(try fixed.u32(at: 20))
            var size = UInt64(try fixed.u32(at: 24))
            let nameLength = try fixed.u16(at: 28)
            let extraLength = try fixed.u16(at: 30)
            let commentLength = try fixed.u16(at: 32)
            var localOffset = UInt64(try fixed.u32(at: 42))
            guard cdSize - p - 46 >= nameLength + extraLength else {
                throw fail("zip central directory is truncated (entry \(index) at offset \(cdOffset + p) needs \(46 + nameLength + extraLength) bytes, \(cdSize - p) are left)")
            }
            let variable = try Self.read(file, offset: cdOffset + p + 46, count: nameLength + extraLength)
            let nameBytes = variable[..<nameLength]
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw fail("zip entry \(index) has a name that is not UTF-8")
            }
            let extra = ByteCursor(Array(variable[nameLength...]))
            try Self.applyZip64(extra, size: &size, compressed: &compressed, offset: &localOffset, name: name, fail)
            p += 46 + nameLength + extraLength + commentLength
            guard flags & 0x1 == 0 else { throw fail("zip entry \"\(name)\" is encrypted") }
            guard method == 0 else {
                throw fail("zip entry \"\(name)\" is compressed (method \(method)); torch.save stores entries uncompressed and ckpt reads only stored entries")
            }
            guard compressed == size else {
                throw fail("zip entry \"\(name)\" is stored but its sizes differ (\(compressed) vs \(size))")
            }
            let dataOffset = try Self.locate(file, name: name, localOffset: localOffset, size: size, limit: cdOffset, fail)
            records.append(Record(localOffset: Int(localOffset), dataOffset: dataOffset, size: Int(size), crc32: crc,
                                  nameStart: names.count, nameLength: UInt16(nameLength)))
            names.append(contentsOf: nameBytes)
        }
        func bytes(_ i: UInt32) -> ArraySlice<UInt8> {
            let r = records[Int(i)]
            return names[r.nameStart..<r.nameStart + Int(r.nameLength)]
        }
        func name(_ i: UInt32) -> String { String(decoding: bytes(i), as: UTF8.self) }
        let indices = (0..<UInt32(records.count)).map { $0 }
        let byName = indices.sorted { bytes($0).lexicographicallyPrecedes(bytes($1)) }
        for (a, b) in zip(byName, byName.dropFirst()) where bytes(a).elementsEqual(bytes(b)) {
            throw fail("zip entry \"\(name(b))\" appears twice")
        }
        let byOffset = indices.sorted { records[Int($0)].localOffset < records[Int($1)].localOffset }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) {
            let end = records[Int(a)].dataOffset + records[Int(a)].size, start = records[Int(b)].localOffset
            if start < end { throw fail("zip entries \"\(name(a))\" and \"\(name(b))\" overlap (bytes \(start)..<\(end))") }
        }
        self.records = records
        self.names = names
        self.byName = byName
    }

    /// `count` bytes at `offset` with `pread` (in bounds: every caller checked the range against the file).
    private static func read(_ file: MappedFile, offset: Int, count: Int) throws -> [UInt8] {
        precondition(offset >= 0 && count >= 0 && count <= file.size - offset, "zip read out of bounds")
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: offset) }
            initialized = count
        }
    }

    /// Finds the end-of-central-directory record (and its zip64 form) and returns the directory's
    /// offset, size and entry count, all checked against the file.
    private static func findCentralDirectory(_ file: MappedFile, _ fail: (String) -> CkptError) throws
        -> (offset: Int, size: Int, count: Int)
    {
        let tailCount = min(file.size, 22 + 0xFFFF)
        let tailStart = file.size - tailCount
        let tail = ByteCursor(try file.copyBytes(offset: tailStart, count: tailCount))
        var eocd: Int? = nil
        var i = tailCount - 22
        while i >= 0 {
            // The comment length must reach exactly to the end of the file, so a signature inside a
            // comment or inside data is not taken for the record.
            if tail.bytes[i] == 0x50, (try? tail.u32(at: i)) == 0x0605_4B50,
               let comment = try? tail.u16(at: i + 20), i + 22 + comment == tailCount {
                eocd = i
                break
            }
            i -= 1
        }
        guard let e = eocd else {
            throw fail("no zip end-of-central-directory record (the file is truncated or not a zip archive)")
        }
        var count = UInt64(try tail.u16(at: e + 10))
        var size = UInt64(try tail.u32(at: e + 12))
        var offset = UInt64(try tail.u32(at: e + 16))
        let disk = try tail.u16(at: e + 4), cdDisk = try tail.u16(at: e + 6)
        let absoluteEOCD = tailStart + e
        var directoryEnd = absoluteEOCD
        // A zip64 locator sits just before the end record when present (torch always writes one);
        // its record then holds the authoritative 64-bit count, size and offset.
        let locatorAt = absoluteEOCD - 20
        if locatorAt >= 0, let locator = try? ByteCursor(file.copyBytes(offset: locatorAt, count: 20)),
           (try? locator.u32(at: 0)) == 0x0706_4B50 {
            let recordAt = try locator.u64(at: 8)
            guard recordAt <= UInt64(locatorAt), UInt64(locatorAt) - recordAt >= 56 else {
                throw fail("zip64 end record offset \(recordAt) is outside the file")
            }
            let record = ByteCursor(try file.copyBytes(offset: Int(recordAt), count: 56))
            guard try record.u32(at: 0) == 0x0606_4B50 else {
                throw fail("zip64 end record at offset \(recordAt) has no signature")
            }
            count = try record.u64(at: 32)
            size = try record.u64(at: 40)
            offset = try record.u64(at: 48)
            directoryEnd = Int(recordAt)
        } else if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            throw fail("zip end record needs zip64 fields but there is no zip64 locator")
        }
        guard disk == 0, cdDisk == 0 else { throw fail("multi-disk zip archives are not supported") }
        guard count <= UInt64(maxEntries) else {
            throw fail("zip archive has \(count) entries, over the limit of \(maxEntries): a torch checkpoint has one per storage and its pickle can name at most \(PickleMachine.Limits().maxContainers)")
        }
        guard offset <= UInt64(directoryEnd), size <= UInt64(directoryEnd) - offset else {
            throw fail("zip central directory (\(size) bytes at offset \(offset)) runs past its end record at \(directoryEnd)")
        }
        guard count * 46 <= size else {
            throw fail("zip archive claims \(count) entries but its central directory holds only \(size) bytes")
        }
        return (Int(offset), Int(size), Int(count))
    }

    /// Replaces 0xFFFFFFFF sizes and offset by the values of the zip64 extra field (id 0x0001).
    private static func applyZip64(_ extra: ByteCursor, size: inout UInt64, compressed: inout UInt64,
                                   offset: inout UInt64, name: String, _ fail: (String) -> CkptError) throws {
        guard size == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || offset == 0xFFFF_FFFF else { return }
        var p = 0
        while p + 4 <= extra.bytes.count {
            let id = try extra.u16(at: p), length = try extra.u16(at: p + 2)
            if id == 0x0001 {
                var q = p + 4
                let end = p + 4 + length
                func next() throws -> UInt64 {
                    guard q + 8 <= end else { throw fail("zip entry \"\(name)\" has a short zip64 extra field") }
                    defer { q += 8 }
                    return try extra.u64(at: q)
                }
                if size == 0xFFFF_FFFF { size = try next() }
                if compressed == 0xFFFF_FFFF { compressed = try next() }
                if offset == 0xFFFF_FFFF { offset = try next() }
                return
            }
            p += 4 + length
        }
        throw fail("zip entry \"\(name)\" needs a zip64 extra field and has none")
    }

    /// Reads the local header of an entry and returns where its data starts, checking that the name
    /// matches the central directory and that the data ends before `limit` (the central directory).
    private static func locate(_ file: MappedFile, name: String, localOffset: UInt64, size: UInt64,
                               limit: Int, _ fail: (String) -> CkptError) throws -> Int {
        guard localOffset <= UInt64(limit), UInt64(limit) - localOffset >= 30 else {
            throw fail("zip entry \"\(name)\": local header offset \(localOffset) is outside the archive data")
        }
        let start = Int(localOffset)
        let header = ByteCursor(try read(file, offset: start, count: 30))
        guard try header.u32(at: 0) == 0x0403_4B50 else {
            throw fail("zip entry \"\(name)\": no local header signature at offset \(start)")
        }
        let nameLength = try header.u16(at: 26), extraLength = try header.u16(at: 28)
        let dataOffset = start + 30 + nameLength + extraLength
        guard dataOffset <= limit, size <= UInt64(limit - dataOffset) else {
            throw fail("zip entry \"\(name)\": \(size) bytes at offset \(dataOffset) run past the archive data (which ends at \(limit))")
        }
        let localName = try read(file, offset: start + 30, count: nameLength)
        guard localName.elementsEqual(name.utf8) else {
            throw fail("zip entry \"\(name)\": its local header names \"\(String(decoding: localName, as: UTF8.self))\"")
        }
        return dataOffset
    }

    /// A copy of an entry's bytes, checked against its CRC-32 (used for the small records: the pickle,
    /// `byteorder`, `version`).
    func read(_ entry: Entry) throws -> [UInt8] {
        let bytes = try Self.read(file, offset: entry.dataOffset, count: entry.size)
        let actual = CRC32.checksum(bytes)
        guard actual == entry.crc32 else {
            throw CkptError.malformedPth(path: file.path, problem: "zip entry \"\(entry.name)\" fails its CRC-32 check (stored \(hex(entry.crc32)), computed \(hex(actual)))")
        }
        return bytes
    }

    private func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }
}
