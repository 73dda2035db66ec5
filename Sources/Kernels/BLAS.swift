import CBLAS

/// Matrix products through OpenBLAS, made deterministic: OpenBLAS runs single-threaded and
/// Cohortex splits the output's columns into blocks fixed by the problem size, computed in
/// parallel by `Parallel`. Each output element is therefore produced by the same kernel call
/// whatever the thread count. (Across machines, OpenBLAS picks its kernel by CPU type; set
/// `OPENBLAS_CORETYPE` identically on every node for bit-identical results across CPU models.)
public enum BLAS {
    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// Output columns per parallel block.
    public static let columnBlock = 2048

    /// C (m×n) = alpha · op(A) · B (k×n) + beta · C, row-major float32; op(A) is m×k.
    /// `lda`, `ldb`, `ldc` are row strides in elements.
    public static func multiply(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = singleThreaded
        guard m > 0, n > 0 else { return }
        let blocks = (n + columnBlock - 1) / columnBlock
        let pointers = UnsafeSendableBox((a, b, c))
        Parallel.forEach(chunks: blocks) { blockIndex in
            let (a, b, c) = pointers.value
            let j0 = blockIndex * columnBlock
            let width = min(columnBlock, n - j0)
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, CblasNoTrans,
                        Int32(m), Int32(width), Int32(k), alpha, a, Int32(lda),
                        b + j0, Int32(ldb), beta, c + j0, Int32(ldc))
        }
    }

    /// Float64 version of `multiply`, for small, precision-critical operators (no column split).
    public static func multiply(
        m: Int, n: Int, k: Int, alpha: Double = 1,
        a: UnsafePointer<Double>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Double>, ldb: Int, transposeB: Bool = false,
        beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        _ = singleThreaded
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C (m×n) = op(A) · B + beta·C on the calling thread only (for callers that parallelise themselves).
    public static func multiplySerial(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = singleThreaded
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
