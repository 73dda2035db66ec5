/// Whole-mask normalisations of a voxel map (mALFF, zALFF, zReHo, …): one definition for every measure.
public enum MaskStandardization {
    /// Mean-normalised (value / mean) and z-scored ((value − mean) / σ, population σ) copies of a map.
    public static func standardized(_ values: [Float]) -> (meanNormalised: [Float], zScored: [Float]) {
        guard !values.isEmpty else { return ([], []) }
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let sd = (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
        return (values.map { mean != 0 ? Float(Double($0) / mean) : 0 },
                values.map { sd > 0 ? Float((Double($0) - mean) / sd) : 0 })
    }
}
