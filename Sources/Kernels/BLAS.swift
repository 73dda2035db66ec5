import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Matrix products through OpenBLAS, made deterministic: OpenBLAS runs single-threaded and
/// Cohortex splits the output's columns into blocks fixed by the problem size, computed in
/// parallel by `Parallel`. Each output element is therefore produced by the same kernel call
/// whatever the thread count. (Across machines, OpenBLAS picks its kernel by CPU type; set
/// `OPENBLAS_CORETYPE` identically on every node for bit-identical results across CPU models.)
public enum BLAS {
    /// OpenBLAS, opened at first use with `OPENBLAS_NUM_THREADS=1`: linked normally, its constructor would
    /// start a thread pool whose idle threads spin-yield at start-up in every process (gm-volume, header, …)
    /// — a third of a one-subject run's wall time.
    private static let library: (sgemm: cohortex_sgemm_fn, dgemm: cohortex_dgemm_fn) = {
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        let names = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            fatalError("cohortex: cannot load OpenBLAS (\(names.joined(separator: ", "))): install libopenblas-dev (make deps)")
        }
        func symbol<T>(_ name: String, as type: T.Type) -> T {
            guard let pointer = dlsym(handle, name) else { fatalError("cohortex: OpenBLAS lacks \(name)") }
            return unsafeBitCast(pointer, to: type)
        }
        symbol("openblas_set_num_threads", as: cohortex_set_threads_fn.self)(1)
        return (symbol("cblas_sgemm", as: cohortex_sgemm_fn.self), symbol("cblas_dgemm", as: cohortex_dgemm_fn.self))
    }()

    private static func cblas_sgemm(_ order: CBLAS_ORDER, _ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                                    _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
                                    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        library.sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    private static func cblas_dgemm(_ order: CBLAS_ORDER, _ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                                    _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32, _ b: UnsafePointer<Double>, _ ldb: Int32,
                                    _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        library.dgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    /// Output columns per parallel block.
    public static let columnBlock = 2048

    /// C (m×n) = alpha · op(A) · B (k×n) + beta · C, row-major float32; op(A) is m×k.
    /// `lda`, `ldb`, `ldc` are row strides in elements.
    public static func multiply(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, parallelism: Parallelism
    ) {
        guard m > 0, n > 0 else { return }
        let blocks = (n + columnBlock - 1) / columnBlock
        let pointers = UnsafeSendableBox((a, b, c))
        parallelism.forEach(chunks: blocks) { blockIndex in
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
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
