/// ALFF and fALFF maps, as one matrix product per block of voxels: the centred series of a block
/// (kept volumes × voxels) times the plan's cos/sin basis gives every voxel's spectrum.
public enum ALFF {
    /// Voxels per block: the unit of parallel work (fixed, so results never depend on thread count).
    public static let blockVoxels = 256

    /// Per-voxel amplitude maps.
    public struct Maps: Sendable, Equatable {
        /// 2 · mean √P over the band · σ (XCP-D's scale: amplitude in the data's units).
        public var alff: [Float]
        /// Σ √P over the band / Σ √P over every bin up to Nyquist.
        public var falff: [Float]
    }

    /// ALFF and fALFF of each column of `data`, a rows × voxels row-major matrix of cleaned signal.
    /// `rows` is either `plan.frames` (the whole series: censored rows are skipped for the spectrum
    /// while σ, as in XCP-D, is that of every row) or `plan.kept.count` (censored rows already
    /// removed). Voxels whose used samples are constant get 0 in both maps.
    public static func compute(_ data: UnsafeBufferPointer<Float>, rows: Int, voxels: Int, plan: ALFFPlan, parallelism: Parallelism) -> Maps {
        precondition(rows == plan.frames || rows == plan.kept.count, "rows must be all frames or the kept frames")
        precondition(data.count == rows * voxels, "data must be rows × voxels")
        var alff = [Float](repeating: 0, count: voxels)
        var falff = [Float](repeating: 0, count: voxels)
        let usedRows = rows == plan.frames ? plan.kept : Array(0..<rows)
        let blocks = (voxels + blockVoxels - 1) / blockVoxels
        alff.withUnsafeMutableBufferPointer { a in
            falff.withUnsafeMutableBufferPointer { f in
                usedRows.withUnsafeBufferPointer { used in
                    plan.basis.withUnsafeBufferPointer { basis in
                        let shared = UnsafeSendableBox((data, a, f, used, basis))
                        parallelism.forEach(chunks: blocks) { b in
                            let (data, a, f, used, basis) = shared.value
                            let v0 = b * blockVoxels
                            let width = min(blockVoxels, voxels - v0)
                            block(data.baseAddress! + v0, rows: rows, stride: voxels, width: width, used: used,
                                  basis: basis.baseAddress!, plan: plan, alff: a.baseAddress! + v0, falff: f.baseAddress! + v0)
                        }
                    }
                }
            }
        }
        return Maps(alff: alff, falff: falff)
    }

    /// One block of `width` voxels starting at `data` (row stride `stride`).
    static func block(_ data: UnsafePointer<Float>, rows: Int, stride: Int, width: Int, used: UnsafeBufferPointer<Int>,
                      basis: UnsafePointer<Float>, plan: ALFFPlan, alff: UnsafeMutablePointer<Float>, falff: UnsafeMutablePointer<Float>) {
        let k = used.count, columns = 2 * plan.binCount
        let centred = UnsafeMutablePointer<Float>.allocate(capacity: k * width)
        let spectra = UnsafeMutablePointer<Float>.allocate(capacity: columns * width)
        let stats = UnsafeMutablePointer<Double>.allocate(capacity: 5 * width)
        defer { centred.deallocate(); spectra.deallocate(); stats.deallocate() }
        let mean = stats, sdAll = stats + width, power = stats + 2 * width, bandSum = stats + 3 * width, total = stats + 4 * width

        // σ over every row given (XCP-D's sd_scale); then the used rows centred on their own mean.
        columnMoments(data, rows: Array(0..<rows), stride: stride, width: width, mean: mean, sd: sdAll)
        columnMoments(data, rows: Array(used), stride: stride, width: width, mean: mean, sd: power)
        for (r, t) in used.enumerated() {
            let row = data + t * stride, out = centred + r * width
            for v in 0..<width { out[v] = Float(Double(row[v]) - mean[v]) }
        }
        BLAS.multiply(m: columns, n: width, k: k, a: basis, lda: columns, transposeA: true,
                      b: centred, ldb: width, c: spectra, ldc: width, parallelism: .serial)  // already inside a parallel block

        // Lomb–Scargle is normalised by mean(y²); the periodogram basis already carries its scale.
        for v in 0..<width {
            // power[v] holds σ of the used rows: mean(y²) = σ².
            let meanSquare = power[v] * power[v]
            power[v] = plan.method == .lombScargle ? (meanSquare > 0 ? 1 / meanSquare : 0) : 1
            bandSum[v] = 0
            total[v] = 0
        }
        for bin in 0..<plan.binCount {
            let c = spectra + 2 * bin * width, s = c + width
            let inBand = plan.bandBins.contains(bin)
            for v in 0..<width {
                let p = (Double(c[v]) * Double(c[v]) + Double(s[v]) * Double(s[v])) * power[v]
                let amplitude = p.squareRoot()
                total[v] += amplitude
                if inBand { bandSum[v] += amplitude }
            }
        }
        let scale = plan.method == .lombScargle ? 1.0 : 0.0
        let binsInBand = Double(plan.bandBins.count)
        for v in 0..<width {
            guard sdAll[v] > 0, total[v] > 0 else { alff[v] = 0; falff[v] = 0; continue }
            // Periodogram: √P is already in data units; Lomb–Scargle is unit-free, rescaled by σ.
            let unit = scale * sdAll[v] + (1 - scale)
            alff[v] = Float(2 * bandSum[v] / binsInBand * unit)
            falff[v] = Float(bandSum[v] / total[v])
        }
    }

    /// Column means and population standard deviations over `rows` (two passes, float64).
    static func columnMoments(_ data: UnsafePointer<Float>, rows: [Int], stride: Int, width: Int,
                              mean: UnsafeMutablePointer<Double>, sd: UnsafeMutablePointer<Double>) {
        for v in 0..<width { mean[v] = 0; sd[v] = 0 }
        for t in rows { let row = data + t * stride; for v in 0..<width { mean[v] += Double(row[v]) } }
        for v in 0..<width { mean[v] /= Double(rows.count) }
        for t in rows {
            let row = data + t * stride
            for v in 0..<width { let d = Double(row[v]) - mean[v]; sd[v] += d * d }
        }
        for v in 0..<width { sd[v] = (sd[v] / Double(rows.count)).squareRoot() }
    }
}
