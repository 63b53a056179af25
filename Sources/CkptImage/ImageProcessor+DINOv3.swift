extension ImageProcessor {
    /// `DINOv3ViTImageProcessor._preprocess` (transformers 5.24, torchvision backend) on an interleaved 8-bit
    /// `plane` of `channels` (3, or 1 standing for three equal channels): rescale first, as
    /// `image * rescale_factor` in float32; then `tvF.resize(..., bilinear, antialias=True)` of the float
    /// image (`TorchFloatResampler`); then the optional center crop; then `tvF.normalize` as
    /// `(x − float32(mean)) / float32(std)`. The DINOv2 processor resizes the uint8 image instead.
    func processRescaledFirst(plane: [UInt8], channels: Int, width: Int, height: Int, outputChannels: Int,
                              notes: [ConversionNote]) -> PixelValues {
        let scale = Float(config.rescaleFactor)
        // Channels first, as the tensor is; an equal-channel image is resampled once.
        var image = [Float](repeating: 0, count: channels * height * width)
        for c in 0..<channels {
            for i in 0..<(height * width) { image[c * height * width + i] = Float(plane[i * channels + c]) * scale }
        }
        var (h, w) = (height, width)
        if config.doResize {
            let (newHeight, newWidth) = Self.resizeTarget(height: height, width: width, size: config.size)
            image = TorchFloatResampler.resizeBilinearAntialias(image, channels: channels, width: w, height: h,
                                                                toWidth: newWidth, toHeight: newHeight)
            (h, w) = (newHeight, newWidth)
        }
        var top = 0, left = 0, outHeight = h, outWidth = w
        if config.doCenterCrop {
            (top, left) = Self.torchvisionCenterCropOrigin(height: h, width: w, cropHeight: config.cropHeight, cropWidth: config.cropWidth)
            (outHeight, outWidth) = (config.cropHeight, config.cropWidth)
        }
        var values = [Float](repeating: 0, count: outputChannels * outHeight * outWidth)
        for c in 0..<outputChannels {
            let sc = channels == 1 ? 0 : c
            let mean = Float(config.imageMean[c]), std = Float(config.imageStd[c])
            for y in 0..<outHeight {
                let sy = y + top
                for x in 0..<outWidth {
                    let sx = x + left
                    // The crop pads with zeros outside the image, before normalize.
                    let v = sy >= 0 && sy < h && sx >= 0 && sx < w ? image[(sc * h + sy) * w + sx] : 0
                    values[(c * outHeight + y) * outWidth + x] = config.doNormalize ? (v - mean) / std : v
                }
            }
        }
        return PixelValues(channels: outputChannels, height: outHeight, width: outWidth, values: values, notes: notes)
    }
}
