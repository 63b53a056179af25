extension String {
    /// The text a C shim wrote into `buffer`: up to its first NUL, never past the buffer (a message that fills
    /// it has none), invalid UTF-8 repaired.
    package init(cMessage buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
