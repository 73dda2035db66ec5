import Foundation
import NIfTI

/// The simulated brain: an ellipsoid in world millimetres with a cortical shell (FreeSurfer aparc regions),
/// white matter, deep grey nuclei and lateral ventricles, placed in normalised coordinates so one design
/// serves the template grid (scale 1) and every participant's native grid (scaled by head size).
struct BrainModel: Sendable {
    /// Brain centre in MNI millimetres. Chosen so a 16 × 8 mm grid holds both PAG (0, −32, −10) and
    /// mPFC (0, 52, −2) inside the brain; a grid centred on (0, −15, 5) would end at y = 45 mm.
    static let centre = (0.0, 10.0, 5.0)
    /// Semi-axes as fractions of the template grid's extent: longer front to back, as a brain is.
    static let axisFractions = (0.38, 0.44, 0.40)
    /// Inner radius of the cortical shell (normalised).
    static let cortexInnerRadius = 0.78
    /// Half-width of the medial wall cortex (normalised x), where cingulate and medial frontal cortex lie:
    /// wide enough that both hemispheres keep medial labels on 6 mm native voxels.
    static let medialHalfWidth = 0.15

    let centre: (Double, Double, Double)
    let semiAxes: (Double, Double, Double)

    /// The template-space brain for a template grid (scale 1), or a participant's brain (scale = head size).
    init(templateExtent: (Double, Double, Double), scale: Double = 1) {
        centre = Self.centre
        semiAxes = (Self.axisFractions.0 * templateExtent.0 * scale, Self.axisFractions.1 * templateExtent.1 * scale,
                    Self.axisFractions.2 * templateExtent.2 * scale)
    }

    /// Volume of the whole ellipsoid in mm³.
    var volume: Double { 4.0 / 3.0 * Double.pi * semiAxes.0 * semiAxes.1 * semiAxes.2 }

    /// The structure at world point (x, y, z) mm.
    func structure(_ x: Double, _ y: Double, _ z: Double) -> Structure {
        let u = (x - centre.0) / semiAxes.0, v = (y - centre.1) / semiAxes.1, w = (z - centre.2) / semiAxes.2
        let r2 = u * u + v * v + w * w
        guard r2 <= 1 else { return .outside }
        let hemisphere: Hemisphere = x - centre.0 < 0 ? .left : .right
        let side = hemisphere == .left ? -1.0 : 1.0
        func inside(_ c: (Double, Double, Double), _ s: (Double, Double, Double)) -> Bool {
            let a = (u - side * c.0) / s.0, b = (v - c.1) / s.1, d = (w - c.2) / s.2
            return a * a + b * b + d * d <= 1
        }
        // Deep structures first: they sit inside the white matter and take precedence over the medial wall.
        if inside((0.12, -0.02, 0.16), (0.10, 0.36, 0.14)) { return .ventricle(hemisphere) }
        if inside((0.12, -0.22, -0.08), (0.11, 0.17, 0.12)) { return .deepGrey(.thalamus, hemisphere) }
        if inside((0.28, 0.16, 0.16), (0.08, 0.20, 0.12)) { return .deepGrey(.caudate, hemisphere) }
        if inside((0.44, 0.04, -0.04), (0.09, 0.24, 0.16)) { return .deepGrey(.putamen, hemisphere) }
        let medial = abs(u) < Self.medialHalfWidth && (w > 0.2 || v > 0.3)
        if medial || r2 > Self.cortexInnerRadius * Self.cortexInnerRadius {
            return .cortex(Self.region(u: u, v: v, w: w, medial: medial), hemisphere)
        }
        return .whiteMatter(hemisphere)
    }

    /// The aparc region of a cortical point: frontal regions by position (v anterior, w superior,
    /// |u| lateral), superior parietal for the rest of the cortex.
    static func region(u: Double, v: Double, w: Double, medial: Bool) -> CorticalRegion {
        if v > 0.3 && w < -0.3 && abs(u) < 0.5 { return .medialOrbitofrontal }
        if medial && v > 0.3 && w < 0.2 { return .rostralAnteriorCingulate }
        if v > 0 && (medial || (w > 0.45 && abs(u) < 0.4)) { return .superiorFrontal }
        if v > 0.45 && w > -0.3 { return .rostralMiddleFrontal }
        if v > 0 && w > -0.1 { return .caudalMiddleFrontal }
        return .superiorParietal
    }
}

enum Hemisphere: Sendable { case left, right }

/// The aparc cortical regions the simulator draws, with FreeSurfer's left-hemisphere numbers (right = +1000).
enum CorticalRegion: Int, Sendable, CaseIterable {
    case caudalMiddleFrontal = 1003
    case medialOrbitofrontal = 1014
    case rostralAnteriorCingulate = 1026
    case rostralMiddleFrontal = 1027
    case superiorFrontal = 1028
    case superiorParietal = 1029
}

enum DeepGrey: Sendable { case thalamus, caudate, putamen }

/// One anatomical compartment of the simulated brain.
enum Structure: Sendable, Equatable {
    case outside
    case cortex(CorticalRegion, Hemisphere)
    case whiteMatter(Hemisphere)
    case deepGrey(DeepGrey, Hemisphere)
    case ventricle(Hemisphere)

    /// The FreeSurfer label in `aparc+aseg`.
    var aparcLabel: Int {
        switch self {
        case .cortex(let region, let h): return region.rawValue + (h == .right ? 1000 : 0)
        default: return asegLabel
        }
    }

    /// The FreeSurfer label in `aseg` (cortex is 3 / 42).
    var asegLabel: Int {
        switch self {
        case .outside: return 0
        case .cortex(_, let h): return h == .left ? 3 : 42
        case .whiteMatter(let h): return h == .left ? 2 : 41
        case .deepGrey(.thalamus, let h): return h == .left ? 10 : 49
        case .deepGrey(.caudate, let h): return h == .left ? 11 : 50
        case .deepGrey(.putamen, let h): return h == .left ? 12 : 51
        case .ventricle(let h): return h == .left ? 4 : 43
        }
    }

    /// Tissue probabilities (GM, WM, CSF). Deep grey gets 0.55 GM on purpose: FAST under-segments it.
    var tissue: (gm: Double, wm: Double, csf: Double) {
        switch self {
        case .outside: return (0, 0, 0)
        case .cortex: return (0.90, 0.03, 0.07)
        case .whiteMatter: return (0.05, 0.93, 0.02)
        case .deepGrey: return (0.55, 0.42, 0.03)
        case .ventricle: return (0.03, 0.02, 0.95)
        }
    }
}
