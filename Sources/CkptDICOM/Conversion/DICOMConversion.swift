import CkptCore
import CkptImage
import Glibc

/// `ckpt convert dicom`: DICOM files to the 8-bit grayscale PNGs of RAD-DINO's card recipe.
///
/// Every destination is checked before the first file is read (an existing output without `overwrite`, an
/// output that is an input, two inputs with one stem); then each file is read, prepared, encoded and
/// committed on its own through `AtomicOutput`, so an interrupted or failed run leaves whole PNGs of the files
/// before it and nothing partial.
public enum DICOMConversion {
    /// One input and the PNG it becomes.
    public struct Job: Equatable, Sendable {
        /// The DICOM file as named on the command line or in the list.
        public let input: String
        /// The PNG to write.
        public let output: String
    }

    /// What converting one file did.
    public struct Converted: Sendable {
        /// The job.
        public let job: Job
        /// The prepared image (its size and pixels).
        public let image: PreparedImage
        /// The PNG's size in bytes.
        public let pngBytes: Int
        /// Wall time of reading and decoding, of the recipe's stages, and of encoding and writing.
        package let read: Duration, recipe: RecipeTimings, write: Duration
    }

    /// The PNG name of an input: its file name without the last extension (`scan.dcm` → `scan.png`; a name
    /// without a dot keeps its whole name).
    public static func stem(of input: String) -> String {
        let name = FileSystem.baseName(input)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// The jobs for `inputs`: one input to `output`, or every input to `outputDirectory/<stem>.png` (the
    /// folder is created when missing).
    ///
    /// - Throws: `CkptError.unsupportedInput` naming both inputs when two share a stem; the destination
    ///   checks of `AtomicOutput` (exists without `overwrite`, is an input, missing folder), all before
    ///   anything is written.
    public static func plan(
        inputs: [String], output: String?, outputDirectory: String?, overwrite: Bool
    ) throws -> [Job] {
        var jobs: [Job] = []
        if let output {
            precondition(inputs.count == 1 && outputDirectory == nil, "-o takes exactly one input")
            jobs = [Job(input: inputs[0], output: output)]
        } else {
            let dir = outputDirectory!  // the CLI asks for one of the two
            var firstWithStem: [String: String] = [:]
            for input in inputs {
                let name = stem(of: input) + ".png"
                if let first = firstWithStem[name] {
                    throw CkptError.unsupportedInput(
                        path: input, reason: "it would be written to \(FileSystem.join(dir, name)) as \(first) is; "
                            + "rename one, or convert them into different folders")
                }
                firstWithStem[name] = input
                jobs.append(Job(input: input, output: FileSystem.join(dir, name)))
            }
        }
        // The folder is made only once the names are known to be distinct, and removed again if a
        // destination is refused.
        let created = try outputDirectory.map(FileSystem.createDirectory) ?? false
        let protected = inputs.compactMap(FileIdentity.of(path:))
        do {
            for job in jobs { try AtomicOutput.checkDestination(job.output, overwrite: overwrite, protecting: protected) }
        } catch {
            if created, let outputDirectory { rmdir(outputDirectory) }
            throw error
        }
        return jobs
    }

    /// Reads `job.input` with `read`, prepares it with `recipe`, and writes the PNG atomically.
    public static func convert(
        _ job: Job, recipe: CardRecipe, overwrite: Bool, protecting inputs: [FileIdentity],
        read: (String) throws -> DICOMImage
    ) throws -> Converted {
        let clock = ContinuousClock()
        var t = clock.now
        let image = try read(job.input)
        let readTime = clock.now - t
        let (prepared, timings) = try recipe.prepareTimed(image, source: job.input)
        t = clock.now
        let png = try PNGEncoder.gray8(width: prepared.width, height: prepared.height, pixels: prepared.pixels, path: job.output)
        let out = try AtomicOutput(destination: job.output, overwrite: overwrite, protecting: inputs)
        try out.write(png)
        try out.commit()
        return Converted(job: job, image: prepared, pngBytes: png.count, read: readTime, recipe: timings, write: clock.now - t)
    }
}

extension DICOMConversion {
    /// A DICOM file's bytes prepared with the card's default recipe (shorter side 518), as the image PIL
    /// opens from the recipe's PNG (mode "L"): what `preprocess` and `embed --image` feed their processor.
    package static func decodedImage(_ bytes: UnsafeRawBufferPointer, path: String, maxPixels: Int) throws -> DecodedImage {
        let file = try DICOMReader.read(bytes: bytes, path: path, maxPixels: maxPixels)
        let prepared = try CardRecipe.radDINO.prepare(file.image, source: path)
        return .gray8(width: prepared.width, height: prepared.height, samples: prepared.pixels)
    }
}

extension DICOMConversion.Converted {
    /// One line of stage timings for `--profile`, in milliseconds.
    public var profileLine: String {
        func ms(_ d: Duration) -> String {
            let (s, a) = d.components
            return cFormat("%.1f", Double(s) * 1e3 + Double(a) / 1e15)
        }
        return "\(job.input): read+decode \(ms(read)) ms, prefilter \(ms(recipe.prefilter)) ms, "
            + "resample \(ms(recipe.resample)) ms, rescale \(ms(recipe.rescale)) ms, png+write \(ms(write)) ms"
    }
}
