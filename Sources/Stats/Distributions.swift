import CNIfTI
import Foundation

/// Parametric tails and z-equivalents through libnifti's nifticdf (the cdflib routines FSL also uses).
/// cdflib keeps state in static variables, so concurrent calls corrupt each other's results
/// (seen as p = 0 for |t| = 1.3): every call goes through one lock.
public enum Distributions {
    private static let lock = NSLock()

    private static func locked(_ body: () -> Double) -> Double {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    static let tCode = Int32(NIFTI_INTENT_TTEST)
    static let fCode = Int32(NIFTI_INTENT_FTEST)

    /// P(T > t) for Student's t with `df` degrees of freedom.
    public static func tUpperTail(_ t: Double, degreesOfFreedom df: Double) -> Double {
        clamp(locked { nifti_stat2rcdf(t, tCode, df, 0, 0) })
    }

    /// P(F > f) for the F distribution with (`numerator`, `denominator`) degrees of freedom.
    public static func fUpperTail(_ f: Double, numerator: Double, denominator: Double) -> Double {
        clamp(locked { nifti_stat2rcdf(f, fCode, numerator, denominator, 0) })
    }

    /// The t with upper tail `q` (P(T > t) = q), for a cluster-forming threshold given as a p-value.
    /// (nifticdf's upper-tail inverse is compiled but not declared in Debian's header: the lower-tail one with
    /// 1 − q, exact to ~1e-16 absolute in q, far below any threshold a user gives.)
    public static func tUpperQuantile(_ q: Double, degreesOfFreedom df: Double) -> Double {
        locked { nifti_cdf2stat(1 - q, tCode, df, 0, 0) }
    }

    /// The z with upper tail `q` (P(Z > z) = q).
    public static func zUpperQuantile(_ q: Double) -> Double {
        locked { nifti_cdf2stat(1 - q, Int32(NIFTI_INTENT_ZSCORE), 0, 0, 0) }
    }

    /// P(Z > z) for the standard normal.
    public static func zUpperTail(_ z: Double) -> Double {
        clamp(locked { nifti_stat2rcdf(z, Int32(NIFTI_INTENT_ZSCORE), 0, 0, 0) })
    }

    /// The z with the same upper tail as t (sign preserved).
    public static func zFromT(_ t: Double, degreesOfFreedom df: Double) -> Double {
        locked { nifti_stat2zscore(t, tCode, df, 0, 0) }
    }

    /// The z with the same upper tail as f.
    public static func zFromF(_ f: Double, numerator: Double, denominator: Double) -> Double {
        locked { nifti_stat2zscore(f, fCode, numerator, denominator, 0) }
    }

    /// The parametric p-value of a statistic: t one- or two-sided, F upper tail.
    public static func pValue(_ statistic: Double, kind: Contrast.Kind, degreesOfFreedom: (Double, Double), twoSided: Bool) -> Double {
        switch kind {
        case .t:
            return twoSided ? min(1, 2 * tUpperTail(abs(statistic), degreesOfFreedom: degreesOfFreedom.1))
                            : tUpperTail(statistic, degreesOfFreedom: degreesOfFreedom.1)
        case .f:
            return fUpperTail(statistic, numerator: degreesOfFreedom.0, denominator: degreesOfFreedom.1)
        }
    }

    /// The z-equivalent of a statistic (same upper tail probability).
    public static func zScore(_ statistic: Double, kind: Contrast.Kind, degreesOfFreedom: (Double, Double)) -> Double {
        switch kind {
        case .t: return zFromT(statistic, degreesOfFreedom: degreesOfFreedom.1)
        case .f: return zFromF(statistic, numerator: degreesOfFreedom.0, denominator: degreesOfFreedom.1)
        }
    }

    static func clamp(_ p: Double) -> Double { p.isNaN ? 1 : min(1, max(0, p)) }
}
