/// Reconstruction error statistics of a compressed tensor against its original.
public struct ErrorStats: Sendable, Hashable, Codable {
    /// Number of elements compared.
    public var count: Int
    /// max |original − reconstructed|.
    public var maxAbs: Double
    /// sqrt(Σ (original − reconstructed)² / count); 0 for an empty tensor.
    public var rmse: Double
    /// Signal-to-quantization-noise ratio, 10 · log10(Σ original² / Σ (original − reconstructed)²) in dB;
    /// +infinity when the error is exactly 0 (including an empty tensor), −infinity when the signal is 0 but the
    /// error is not.
    public var sqnrDB: Double
    /// sqrt(Σ original² / count); 0 for an empty tensor.
    public var signalRMS: Double

    public init(count: Int, maxAbs: Double, rmse: Double, sqnrDB: Double, signalRMS: Double) {
        self.count = count
        self.maxAbs = maxAbs
        self.rmse = rmse
        self.sqnrDB = sqnrDB
        self.signalRMS = signalRMS
    }
}
