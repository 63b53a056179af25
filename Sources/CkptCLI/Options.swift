import ArgumentParser
import CkptKit

/// `--dtype keep|f32|f16|bf16`: the float type of the output.
enum DTypeChoice: String, ExpressibleByArgument, CaseIterable {
    case keep, f32, f16, bf16

    /// The output dtype for a tensor of `dtype`: floats are cast, other types are kept.
    func target(for dtype: DType) -> DType {
        guard dtype.isCastableFloat else { return dtype }
        switch self {
        case .keep: return dtype
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }
}

/// Flags every writing command shares.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Float type of the output tensors (integer tensors are kept).")
    var dtype: DTypeChoice = .keep

    @Flag(name: .long, help: "Overwrite an existing output file.")
    var force = false

    func outputs(_ entries: [TensorEntry]) -> [OutputTensor] {
        entries.map { OutputTensor($0, dtype: dtype.target(for: $0.dtype)) }
    }
}
