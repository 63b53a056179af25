import ArgumentParser
import CkptKit

/// `--side shorter|longer`.
extension CardRecipe.Side: ExpressibleByArgument {}

extension Ckpt.Convert {
    struct ConvertDicom: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dicom",
            abstract: "Prepare DICOM files as RAD-DINO's training data was: the model card's 8-bit grayscale PNG.",
            discussion: """
                The card: "resized using B-spline interpolation so that their shorter side was 518, min-max \
                scaled to [0, 255], and stored as PNG files; SimpleITK and pydicom were used". ckpt reproduces \
                SimpleITK's output bit for bit (cubic B-spline resample, clamp to the input's range, min-max \
                rescale in Float32, truncation to 8 bits). MONOCHROME1 is inverted and RescaleSlope/Intercept \
                applied as SimpleITK reads them; a VOI LUT or window is not applied (a note says so). \
                See docs/dicom.md.
                Exit codes: 0 written, 2 unreadable DICOM file or output refused, 64 usage error.
                """)

        @Argument(help: "DICOM files (recognised by content; any suffix).")
        var inputs: [String] = []

        @Option(name: .long, help: "Text file with one DICOM path per line (relative to the list's folder); added after the files given as arguments.")
        var imageList: String?

        @Option(name: .shortAndLong, help: "Output PNG, for one input.")
        var output: String?

        @Option(name: .long, help: "Write each input to DIR/<name without extension>.png.")
        var outputDir: String?

        @Option(name: .long, help: "Length of the scaled side in pixels.")
        var size: Int = CardRecipe.radDINO.size

        @Option(name: .long, help: "Which side becomes --size: shorter (the card's recipe) or longer.")
        var side: CardRecipe.Side = CardRecipe.radDINO.side

        @Option(name: .long, help: "Refuse images of more pixels than this (decompression bombs); checked before pixel memory is allocated.")
        var maxImagePixels: Int = DICOMReader.defaultMaxPixels

        @Flag(name: .long, help: "Overwrite existing outputs.")
        var force = false

        @Flag(name: .long, help: "Print the time of each stage (read and decode, B-spline prefilter, resample, rescale, PNG and write) per file to stderr.")
        var profile = false

        func validate() throws {
            if inputs.isEmpty && imageList == nil { throw ValidationError("give at least one DICOM file or --image-list") }
            switch (output, outputDir) {
            case (nil, nil): throw ValidationError("give -o OUT.png (one input) or --output-dir DIR")
            case (.some, .some): throw ValidationError("give either -o or --output-dir, not both")
            case (.some, nil) where inputs.count != 1 || imageList != nil:
                throw ValidationError("-o writes one PNG: give one input, or use --output-dir DIR for several")
            default: break
            }
            if size < 1 { throw ValidationError("--size must be at least 1") }
            if maxImagePixels < 1 { throw ValidationError("--max-image-pixels must be at least 1") }
        }

        func run() throws {
            let paths = try inputs + (imageList.map(ImageInputs.readList) ?? [])
            let jobs = try DICOMConversion.plan(inputs: paths, output: output, outputDirectory: outputDir, overwrite: force)
            let recipe = CardRecipe(size: size, side: side)
            let protected = paths.compactMap(FileIdentity.of(path:))
            let bar = ProgressBar(label: "converting", unit: .items("files"))
            defer { bar.finish() }
            for (n, job) in jobs.enumerated() {
                let done = try DICOMConversion.convert(job, recipe: recipe, overwrite: force, protecting: protected) { path in
                    let file = try DICOMReader.read(contentsOf: path, maxPixels: maxImagePixels)
                    if let note = Self.notAppliedNote(file.header) { printError("note: \(path): \(note)") }
                    return file.image
                }
                if profile { printError(done.profileLine) }
                if jobs.count == 1 {
                    print("wrote \(job.output): \(done.image.width)×\(done.image.height) 8-bit grayscale")
                }
                bar.update(n + 1, jobs.count)
            }
            if jobs.count > 1 {
                bar.finish()
                print("wrote \(jobs.count) PNGs to \(outputDir!)")
            }
        }

        /// What the file carries that the card's recipe does not apply.
        static func notAppliedNote(_ header: DICOMHeader) -> String? {
            var parts: [String] = []
            if header.hasVOILUT { parts.append("a VOI LUT") }
            if !header.windowCenter.isEmpty || !header.windowWidth.isEmpty {
                let c = header.windowCenter.map { cFormat("%g", $0) }.joined(separator: "\\")
                let w = header.windowWidth.map { cFormat("%g", $0) }.joined(separator: "\\")
                parts.append("a window (center \(c), width \(w))")
            }
            guard !parts.isEmpty else { return nil }
            return "carries \(parts.joined(separator: " and ")); not applied (the recipe rescales the full range)"
        }
    }
}
