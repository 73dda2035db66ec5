import Foundation

/// The pipelines shipped with Cohortex, as YAML text.
public enum Presets {
    /// Preset names with their YAML text, in display order.
    public static let all: [(name: String, yaml: String)] = [
        ("pag-prefrontal", String(decoding: PackageResources.pag_prefrontal_yaml, as: UTF8.self)),
        ("gm-prefrontal-thalamus", String(decoding: PackageResources.gm_prefrontal_thalamus_yaml, as: UTF8.self)),
        ("mpfc-connectivity", String(decoding: PackageResources.mpfc_connectivity_yaml, as: UTF8.self)),
        ("pain-structure-function", String(decoding: PackageResources.pain_structure_function_yaml, as: UTF8.self)),
    ]
}
