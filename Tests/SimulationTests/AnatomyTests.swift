import Foundation
import NIfTI
import Simulation
import Testing

@Suite("Anatomy")
struct AnatomyTests {
    static let cortical = [1003, 1014, 1026, 1027, 1028, 1029].flatMap { [$0, $0 + 1000] }
    static let deepGrey = [10, 11, 12, 49, 50, 51]
    static let whiteMatter = [2, 41]
    static let ventricles = [4, 43]

    static func voxels(_ labels: Volume, _ wanted: [Int]) -> [Int] {
        let set = Set(wanted.map(Float.init))
        return labels.voxels.indices.filter { set.contains(labels.voxels[$0]) }
    }

    @Test("aparc+aseg and aseg carry FreeSurfer's labels, hemispheres by x; probabilities follow the design")
    func segmentation() throws {
        try WrittenStudy.with(.init(participants: 3, distractors: false)) { study in
            for p in study.participants {
                let anat = "derivatives/fmriprep/\(p.id)/anat/\(p.id)"
                let aparc = try study.image(anat + "_desc-aparcaseg_dseg.nii.gz")
                let aseg = try study.image(anat + "_desc-aseg_dseg.nii.gz")
                let gm = try study.image(anat + "_label-GM_probseg.nii.gz").voxels
                let wm = try study.image(anat + "_label-WM_probseg.nii.gz").voxels
                let csf = try study.image(anat + "_label-CSF_probseg.nii.gz").voxels
                let mask = try study.image(anat + "_desc-brain_mask.nii.gz").voxels
                let present = Set(aparc.voxels.map { Int($0) })
                #expect(present == Set([0] + Self.cortical + Self.deepGrey + Self.whiteMatter + Self.ventricles), "\(p.id)")
                // aseg: cortex becomes 3/42, everything else as in aparc+aseg; the brain mask is the labelled voxels.
                for v in aparc.voxels.indices {
                    let label = Int(aparc.voxels[v])
                    let expected = label >= 2000 ? 42 : label >= 1000 ? 3 : label
                    #expect(Int(aseg.voxels[v]) == expected)
                    #expect(mask[v] == (label == 0 ? 0 : 1))
                }
                // Left labels at x < brain centre, right at x > (RAS grid).
                let grid = aparc.grid
                for v in aparc.voxels.indices where aparc.voxels[v] == 1029 || aparc.voxels[v] == 2029 {
                    let (i, j, k) = grid.coordinates(of: v)
                    let x = grid.affine.apply(Double(i), Double(j), Double(k)).0
                    #expect(aparc.voxels[v] == 1029 ? x < 3 : x > -3, "\(p.id) voxel \(v) at x = \(x)")
                }
                // Probabilities: within [0, 1], GM + WM + CSF ≤ 1, zero far outside the brain.
                for v in gm.indices {
                    #expect(gm[v] >= 0 && gm[v] <= 1 && wm[v] >= 0 && wm[v] <= 1 && csf[v] >= 0 && csf[v] <= 1)
                    #expect(gm[v] + wm[v] + csf[v] <= 1 + 1e-5)
                }
                #expect(gm[0] == 0 && wm[0] == 0 && csf[0] == 0 && gm[gm.count - 1] == 0)
                // Mean GM by compartment: pure voxels carry 0.9 / 0.55 / 0.05; the coarse grid's partial volume
                // pulls label means towards their neighbours, hence the ranges.
                func meanGM(_ labels: [Int]) -> Double { Numerics.mean(Self.voxels(aparc, labels).map { Double(gm[$0]) }) }
                let (cortex, deep, white) = (meanGM(Self.cortical), meanGM(Self.deepGrey), meanGM(Self.whiteMatter))
                #expect(cortex > 0.7 && cortex <= 0.95, "\(p.id) cortex GM \(cortex)")
                #expect(deep > 0.35 && deep < 0.6, "\(p.id) deep grey GM \(deep)")
                #expect(white < 0.2, "\(p.id) WM GM \(white)")
                #expect(deep < cortex - 0.2)
                let ventricleCSF = Numerics.mean(Self.voxels(aparc, Self.ventricles).map { Double(csf[$0]) })
                #expect(ventricleCSF > 0.4, "\(p.id) ventricle CSF \(ventricleCSF)")
                // The largest value is near the pure-cortex design value, not a partial-volume artefact.
                #expect((gm.max() ?? 0) > 0.85)
            }
        }
    }

    /// Head size scales the native brain by s in each dimension, so a region's GM volume scales by s³.
    /// Tolerance: the bilateral superior-parietal region spans ~800 native voxels, its boundary voxels are
    /// labelled by the majority of 27 sub-samples and weighted by partial volume, so discretisation moves
    /// its volume by ~2 % (seen across seeds: coefficient of variation of volume / s³ at most 2.8 %); 6 %
    /// stays well clear of that and far below the ±35 % the head sizes themselves produce.
    @Test("a cortical region's GM volume (probseg sum × voxel volume) is proportional to head size³", arguments: [UInt64(1), 3])
    func regionalVolumeFollowsHeadSize(seed: UInt64) throws {
        try WrittenStudy.with(.init(participants: 6, seed: seed, distractors: false)) { study in
            var normalised: [Double] = []
            var volumes: [Double] = []
            for p in study.participants {
                let anat = "derivatives/fmriprep/\(p.id)/anat/\(p.id)"
                let aparc = try study.image(anat + "_desc-aparcaseg_dseg.nii.gz")
                let gm = try study.image(anat + "_label-GM_probseg.nii.gz")
                let volume = Self.voxels(aparc, [1029, 2029]).reduce(0.0) { $0 + Double(gm.voxels[$1]) } * gm.grid.affine.voxelVolume
                volumes.append(volume)
                normalised.append(volume / pow(p.headScale, 3))
            }
            let typical = Numerics.mean(normalised)
            for (p, value) in zip(study.participants, normalised) {
                #expect(abs(value / typical - 1) < 0.06, "\(p.id): volume / s³ is \(value / typical) × the mean")
            }
            // The heads do differ: the test would be empty if they did not.
            #expect((volumes.max() ?? 0) / (volumes.min() ?? 1) > 1.15)
        }
    }

    @Test("template-space probsegs are unmodulated: the same design for everyone, up to the small noise")
    func templateProbsegs() throws {
        try WrittenStudy.with(.init(participants: 2, distractors: false)) { study in
            let name = "_space-MNI152NLin2009cAsym_res-2_label-GM_probseg.nii.gz"
            let a = try study.image("derivatives/fmriprep/sub-01/anat/sub-01" + name).voxels
            let b = try study.image("derivatives/fmriprep/sub-02/anat/sub-02" + name).voxels
            #expect(a != b)
            let worst = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 1
            #expect(worst < 0.2, "largest difference \(worst) (noise sd 0.02 per participant)")
            let (sumA, sumB) = (a.reduce(0.0) { $0 + Double($1) }, b.reduce(0.0) { $0 + Double($1) })
            #expect(abs(sumA - sumB) / sumA < 0.02)
        }
    }

    /// CAT12's modulated maps: Σ mwp1 × voxel volume equals the template GM volume × s³ (the Jacobian),
    /// which approximates the native GM volume (2 % tolerance: the template is drawn on 8 mm voxels, the
    /// native segmentation on 6 mm ones, each with its own 0.02-sd noise); the report's TIV is the native
    /// GM + WM + CSF volume in ml.
    @Test("CAT12 mwp1 volumes and the TIV report agree with the native segmentation")
    func cat12() throws {
        try WrittenStudy.with(.init(participants: 4, cat12: true, distractors: false)) { study in
            var tivs: [Double] = []
            for p in study.participants {
                let anat = "derivatives/fmriprep/\(p.id)/anat/\(p.id)"
                func volume(_ path: String) throws -> Double {
                    let image = try study.image(path)
                    return image.voxels.reduce(0.0) { $0 + Double($1) } * image.grid.affine.voxelVolume
                }
                let nativeGM = try volume(anat + "_label-GM_probseg.nii.gz")
                let nativeWM = try volume(anat + "_label-WM_probseg.nii.gz")
                let nativeCSF = try volume(anat + "_label-CSF_probseg.nii.gz")
                let mwp1 = try volume("derivatives/cat12/\(p.id)/mri/mwp1\(p.id)_T1w.nii")
                let mwp2 = try volume("derivatives/cat12/\(p.id)/mri/mwp2\(p.id)_T1w.nii")
                #expect(abs(mwp1 / nativeGM - 1) < 0.02, "\(p.id): mwp1 \(mwp1) vs native GM \(nativeGM)")
                #expect(abs(mwp2 / nativeWM - 1) < 0.02, "\(p.id): mwp2 \(mwp2) vs native WM \(nativeWM)")
                let xml = try String(contentsOfFile: study.path("derivatives/cat12/\(p.id)/report/cat_\(p.id)_T1w.xml"), encoding: .utf8)
                let tiv = try #require(Self.field("vol_TIV", in: xml).flatMap(Double.init))
                #expect(abs(tiv - (nativeGM + nativeWM + nativeCSF) / 1000) < 0.01, "\(p.id) TIV \(tiv)")
                let cgw = try #require(Self.field("vol_abs_CGW", in: xml))
                let values = cgw.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: " ").compactMap { Double($0) }
                #expect(values.count == 5)
                #expect(abs(values[0] - nativeCSF / 1000) < 1e-3 && abs(values[1] - nativeGM / 1000) < 1e-3
                    && abs(values[2] - nativeWM / 1000) < 1e-3)
                tivs.append(tiv)
            }
            // TIV orders participants as their head sizes do.
            let byHead = study.participants.indices.sorted { study.participants[$0].headScale < study.participants[$1].headScale }
            #expect(byHead.map { tivs[$0] } == tivs.sorted())
        }
    }

    static func field(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else {
            return nil
        }
        return String(xml[open.upperBound..<close.lowerBound])
    }
}
