import Glibc

/// `printf`-style text through the C library's `vsnprintf`, for the fixed-precision numbers ckpt
/// prints (`cFormat("%.3g", x)`). It stands in for Foundation's `String(format:)`, which would link
/// Foundation's internationalisation half and its ICU data (about 40 MB) into the binary. Arguments
/// are C values: `Double`, `Int` (spelled `%ld`), C strings (`%s`, not `%@`).
public func cFormat(_ format: String, _ arguments: CVarArg...) -> String {
    func render(capacity: Int) -> (text: String, needed: Int) {
        withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: capacity)
            let needed = Int(vsnprintf(&buffer, capacity, format, list))
            return (buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }, needed)
        }
    }
    let first = render(capacity: 128)
    return first.needed < 128 ? first.text : render(capacity: first.needed + 1).text
}
