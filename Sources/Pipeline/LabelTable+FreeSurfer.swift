import Foundation

/// FreeSurfer's label names (FreeSurferColorLUT) for the aseg and the Desikan–Killiany aparc+aseg
/// segmentations fMRIPrep writes as `desc-aseg_dseg` / `desc-aparcaseg_dseg` — which it ships without
/// names, so tables a person reads say `ctx-lh-rostralmiddlefrontal`, never `label-1027`.
public enum FreeSurferLabels {
    /// The name a label table path may take to mean this built-in table.
    public static let tableName = "freesurfer"

    /// Label index → name (FreeSurfer 6+ names: `Left-Thalamus`, where FreeSurfer 5 wrote `Left-Thalamus-Proper`).
    public static let names: [Int: String] = Dictionary(uniqueKeysWithValues: entries)

    /// Older names still found in published tables and pipeline files, with the label they mean.
    public static let aliases: [String: Int] = ["Left-Thalamus-Proper": 10, "Right-Thalamus-Proper": 49]

    /// The label of a FreeSurfer name (current or older), if it is one.
    public static func index(of name: String) -> Int? {
        indexByName[name] ?? aliases[name]
    }

    /// The built-in table as a `LabelTable`.
    public static var table: LabelTable { LabelTable(names: names) }

    /// True for a cortical (aparc) label, measured as GM probability; subcortical labels are measured as label volumes.
    public static func isCortical(_ index: Int) -> Bool { (1001...1035).contains(index) || (2001...2035).contains(index) }

    private static let indexByName: [String: Int] = Dictionary(uniqueKeysWithValues: entries.map { ($1, $0) })

    private static let entries: [(Int, String)] = [
        (0, "Unknown"),
        (2, "Left-Cerebral-White-Matter"),
        (3, "Left-Cerebral-Cortex"),
        (4, "Left-Lateral-Ventricle"),
        (5, "Left-Inf-Lat-Vent"),
        (7, "Left-Cerebellum-White-Matter"),
        (8, "Left-Cerebellum-Cortex"),
        (10, "Left-Thalamus"),
        (11, "Left-Caudate"),
        (12, "Left-Putamen"),
        (13, "Left-Pallidum"),
        (14, "3rd-Ventricle"),
        (15, "4th-Ventricle"),
        (16, "Brain-Stem"),
        (17, "Left-Hippocampus"),
        (18, "Left-Amygdala"),
        (24, "CSF"),
        (26, "Left-Accumbens-area"),
        (28, "Left-VentralDC"),
        (30, "Left-vessel"),
        (31, "Left-choroid-plexus"),
        (41, "Right-Cerebral-White-Matter"),
        (42, "Right-Cerebral-Cortex"),
        (43, "Right-Lateral-Ventricle"),
        (44, "Right-Inf-Lat-Vent"),
        (46, "Right-Cerebellum-White-Matter"),
        (47, "Right-Cerebellum-Cortex"),
        (49, "Right-Thalamus"),
        (50, "Right-Caudate"),
        (51, "Right-Putamen"),
        (52, "Right-Pallidum"),
        (53, "Right-Hippocampus"),
        (54, "Right-Amygdala"),
        (58, "Right-Accumbens-area"),
        (60, "Right-VentralDC"),
        (62, "Right-vessel"),
        (63, "Right-choroid-plexus"),
        (72, "5th-Ventricle"),
        (77, "WM-hypointensities"),
        (78, "Left-WM-hypointensities"),
        (79, "Right-WM-hypointensities"),
        (80, "non-WM-hypointensities"),
        (81, "Left-non-WM-hypointensities"),
        (82, "Right-non-WM-hypointensities"),
        (85, "Optic-Chiasm"),
        (251, "CC_Posterior"),
        (252, "CC_Mid_Posterior"),
        (253, "CC_Central"),
        (254, "CC_Mid_Anterior"),
        (255, "CC_Anterior"),
        (1000, "ctx-lh-unknown"),
        (1001, "ctx-lh-bankssts"),
        (1002, "ctx-lh-caudalanteriorcingulate"),
        (1003, "ctx-lh-caudalmiddlefrontal"),
        (1004, "ctx-lh-corpuscallosum"),
        (1005, "ctx-lh-cuneus"),
        (1006, "ctx-lh-entorhinal"),
        (1007, "ctx-lh-fusiform"),
        (1008, "ctx-lh-inferiorparietal"),
        (1009, "ctx-lh-inferiortemporal"),
        (1010, "ctx-lh-isthmuscingulate"),
        (1011, "ctx-lh-lateraloccipital"),
        (1012, "ctx-lh-lateralorbitofrontal"),
        (1013, "ctx-lh-lingual"),
        (1014, "ctx-lh-medialorbitofrontal"),
        (1015, "ctx-lh-middletemporal"),
        (1016, "ctx-lh-parahippocampal"),
        (1017, "ctx-lh-paracentral"),
        (1018, "ctx-lh-parsopercularis"),
        (1019, "ctx-lh-parsorbitalis"),
        (1020, "ctx-lh-parstriangularis"),
        (1021, "ctx-lh-pericalcarine"),
        (1022, "ctx-lh-postcentral"),
        (1023, "ctx-lh-posteriorcingulate"),
        (1024, "ctx-lh-precentral"),
        (1025, "ctx-lh-precuneus"),
        (1026, "ctx-lh-rostralanteriorcingulate"),
        (1027, "ctx-lh-rostralmiddlefrontal"),
        (1028, "ctx-lh-superiorfrontal"),
        (1029, "ctx-lh-superiorparietal"),
        (1030, "ctx-lh-superiortemporal"),
        (1031, "ctx-lh-supramarginal"),
        (1032, "ctx-lh-frontalpole"),
        (1033, "ctx-lh-temporalpole"),
        (1034, "ctx-lh-transversetemporal"),
        (1035, "ctx-lh-insula"),
        (2000, "ctx-rh-unknown"),
        (2001, "ctx-rh-bankssts"),
        (2002, "ctx-rh-caudalanteriorcingulate"),
        (2003, "ctx-rh-caudalmiddlefrontal"),
        (2004, "ctx-rh-corpuscallosum"),
        (2005, "ctx-rh-cuneus"),
        (2006, "ctx-rh-entorhinal"),
        (2007, "ctx-rh-fusiform"),
        (2008, "ctx-rh-inferiorparietal"),
        (2009, "ctx-rh-inferiortemporal"),
        (2010, "ctx-rh-isthmuscingulate"),
        (2011, "ctx-rh-lateraloccipital"),
        (2012, "ctx-rh-lateralorbitofrontal"),
        (2013, "ctx-rh-lingual"),
        (2014, "ctx-rh-medialorbitofrontal"),
        (2015, "ctx-rh-middletemporal"),
        (2016, "ctx-rh-parahippocampal"),
        (2017, "ctx-rh-paracentral"),
        (2018, "ctx-rh-parsopercularis"),
        (2019, "ctx-rh-parsorbitalis"),
        (2020, "ctx-rh-parstriangularis"),
        (2021, "ctx-rh-pericalcarine"),
        (2022, "ctx-rh-postcentral"),
        (2023, "ctx-rh-posteriorcingulate"),
        (2024, "ctx-rh-precentral"),
        (2025, "ctx-rh-precuneus"),
        (2026, "ctx-rh-rostralanteriorcingulate"),
        (2027, "ctx-rh-rostralmiddlefrontal"),
        (2028, "ctx-rh-superiorfrontal"),
        (2029, "ctx-rh-superiorparietal"),
        (2030, "ctx-rh-superiortemporal"),
        (2031, "ctx-rh-supramarginal"),
        (2032, "ctx-rh-frontalpole"),
        (2033, "ctx-rh-temporalpole"),
        (2034, "ctx-rh-transversetemporal"),
        (2035, "ctx-rh-insula"),
    ]
}
