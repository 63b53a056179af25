import ArgumentParser

extension Ckpt {
    /// `ckpt convert <direction>`: one subcommand per conversion.
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "convert",
            abstract: "Convert a checkpoint to another layout or file form, or DICOM files to the card recipe's PNG.",
            subcommands: [
                ConvertSafetensors.self, Layout.self, HFToDinov2.self, Dinov2ToHF.self, TrainToRelease.self, ConvertDicom.self,
            ]
        )
    }
}
