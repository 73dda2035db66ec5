/// Cohortex's version, recorded in every sidecar.
public enum CohortexVersion {
    public static let string = "0.1.0"
}
