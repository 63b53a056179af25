extension Duration {
    /// The duration in seconds as a Double (for rates and the `forward …` timing lines).
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
