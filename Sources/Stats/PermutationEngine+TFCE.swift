import Geometry
import Kernels

extension PermutationEngine {
    /// Permutations per TFCE group: whole maps are held for a group at a time.
    static let tfceGroup = 2 * batchSize

    /// TFCE needs every voxel of a permuted map, so it cannot be split by voxels: this run covers
    /// every measure for permutations `permutations` (starting on a batch boundary) and returns
    /// voxel-wise and TFCE maxima and counts. Split runs divide the permutations instead.
    public func runWithTFCE(permutations: Range<Int>, observed: [Float], tfce: TFCE, step dh: Double) -> PermutationPartial {
        runWholeMaps(permutations: permutations, observed: observed, tfce: (tfce, dh), clusters: nil)
    }

    /// The whole-map path: voxel-wise maxima and counts, and for each permutation what needs the whole map —
    /// TFCE maxima and counts (`tfce`: operator and step) and the largest cluster size and mass (`clusters`:
    /// neighbours and the cluster-forming threshold on the compared scale).
    public func runWholeMaps(permutations: Range<Int>, observed: [Float], tfce tfceSetting: (TFCE, Double)?,
                             clusters clusterSetting: (ClusterExtent, Float)?) -> PermutationPartial {
        precondition((permutations.lowerBound - 1) % Self.batchSize == 0, "permutation ranges start on batch boundaries")
        let m = measures
        // Without TFCE the operator is never called; a one-voxel stand-in keeps the closures simple.
        let tfce = tfceSetting?.0 ?? TFCE(grid: Grid(nx: 1, ny: 1, nz: 1, affine: .identity), voxels: [0])
        let dh = tfceSetting?.1 ?? 1
        let doTFCE = tfceSetting != nil
        precondition(!doTFCE || tfce.count == measures, "TFCE connectivity over the tested measures")
        precondition(clusterSetting.map { $0.0.count == measures } ?? true, "cluster neighbours over the tested measures")
        let twoSided = comparesMagnitude
        let target = compared(observed)
        let tfceTarget = doTFCE ? compared(tfce.transform(observed, twoSided: twoSided, step: dh)) : [Float](repeating: 0, count: m)
        var maxima = [Float](repeating: -.infinity, count: permutations.count)
        var tfceMaxima = [Float](repeating: -.infinity, count: permutations.count)
        var sizeMaxima = [Float](repeating: 0, count: permutations.count)
        var massMaxima = [Float](repeating: 0, count: permutations.count)
        var counts = [UInt32](repeating: 0, count: m)
        var tfceCounts = [UInt32](repeating: 0, count: m)
        var maps = [Float](repeating: 0, count: Self.tfceGroup * m)
        var enhanced = [Float](repeating: 0, count: doTFCE ? Self.tfceGroup * m : 1)
        // One workspace per lane, each a few volumes in size. Every map's TFCE and clusters are computed
        // alone, so the lane count (set by the threads available) cannot change any result.
        let lanes = max(1, min(parallelism.threads, Self.tfceGroup))
        let workspaces = (0..<lanes).map { _ in TFCE.Workspace(for: tfce) }
        let clusterWorkspaces = clusterSetting.map { setting in (0..<lanes).map { _ in ClusterExtent.Workspace(for: setting.0) } } ?? []
        for start in Swift.stride(from: permutations.lowerBound, to: permutations.upperBound, by: Self.tfceGroup) {
            let group = start..<min(permutations.upperBound, start + Self.tfceGroup)
            let rows = designRows(group)
            rows.withUnsafeBufferPointer { a in
            maps.withUnsafeMutableBufferPointer { maps in
            enhanced.withUnsafeMutableBufferPointer { enhanced in
            maxima.withUnsafeMutableBufferPointer { maxima in
            tfceMaxima.withUnsafeMutableBufferPointer { tfceMaxima in
            counts.withUnsafeMutableBufferPointer { counts in
            tfceCounts.withUnsafeMutableBufferPointer { tfceCounts in
            target.withUnsafeBufferPointer { target in
            tfceTarget.withUnsafeBufferPointer { tfceTarget in
            sizeMaxima.withUnsafeMutableBufferPointer { sizeMaxima in
            massMaxima.withUnsafeMutableBufferPointer { massMaxima in
                let clusterShared = UnsafeSendableBox((sizeMaxima.baseAddress!, massMaxima.baseAddress!))
                let shared = UnsafeSendableBox((a.baseAddress!, maps.baseAddress!, enhanced.baseAddress!, maxima.baseAddress!,
                                                tfceMaxima.baseAddress!, counts.baseAddress!, tfceCounts.baseAddress!,
                                                target.baseAddress!, tfceTarget.baseAddress!, workspaces))
                // 1. Statistic maps of the group, block by block.
                parallelism.forEach(chunks: blockCount) { b in
                    let (a, maps, _, _, _, _, _, _, _, _) = shared.value
                    let scratch = makeScratch()
                    let first = measureRange(blocks: b..<(b + 1)).lowerBound
                    for batchStart in Swift.stride(from: group.lowerBound, to: group.upperBound, by: Self.batchSize) {
                        let batch = min(Self.batchSize, group.upperBound - batchStart)
                        let slot = batchStart - group.lowerBound
                        statistics(block: b, rows: a + slot * p * n, batch: batch, scratch: scratch,
                                   out: maps + slot * m + first, stride: m)
                    }
                }
                // 2. TFCE and clusters of each map, and the maxima.
                parallelism.forEach(chunks: lanes) { lane in
                    let (_, maps, enhanced, maxima, tfceMaxima, _, _, _, _, workspaces) = shared.value
                    let (sizeMaxima, massMaxima) = clusterShared.value
                    for k in Swift.stride(from: lane, to: group.count, by: lanes) {
                        let map = maps + k * m
                        var top: Float = -.infinity, tfceTop: Float = -.infinity
                        for j in 0..<m {
                            let v = twoSided ? Self.magnitude(map[j]) : map[j]
                            if v > top { top = v }
                        }
                        if doTFCE {
                            let out = enhanced + k * m
                            tfce.transform(map, twoSided: twoSided, step: dh, into: out, workspace: workspaces[lane])
                            for j in 0..<m {
                                let e = twoSided ? Self.magnitude(out[j]) : out[j]
                                if e > tfceTop { tfceTop = e }
                            }
                        }
                        let slot = group.lowerBound + k - permutations.lowerBound
                        maxima[slot] = top
                        tfceMaxima[slot] = tfceTop
                        if let (extent, threshold) = clusterSetting {
                            let (size, mass) = extent.maxima(map, threshold: threshold, twoSided: twoSided, workspace: clusterWorkspaces[lane])
                            sizeMaxima[slot] = size
                            massMaxima[slot] = mass
                        }
                    }
                }
                // 3. Exceedance counts, block by block.
                parallelism.forEach(chunks: blockCount) { b in
                    let (_, maps, enhanced, _, _, counts, tfceCounts, target, tfceTarget, _) = shared.value
                    let range = measureRange(blocks: b..<(b + 1))
                    for k in 0..<group.count {
                        let map = maps + k * m
                        for j in range {
                            let v = twoSided ? Self.magnitude(map[j]) : map[j]
                            if v >= target[j] { counts[j] += 1 }
                        }
                        guard doTFCE else { continue }
                        let out = enhanced + k * m
                        for j in range {
                            let e = twoSided ? Self.magnitude(out[j]) : out[j]
                            if e >= tfceTarget[j] { tfceCounts[j] += 1 }
                        }
                    }
                }
            }}}}}}}}}}}
        }
        return PermutationPartial(measures: 0..<m, permutations: permutations, maxima: maxima, exceedances: counts,
                                  tfceMaxima: doTFCE ? tfceMaxima : nil, tfceExceedances: doTFCE ? tfceCounts : nil,
                                  clusterSizeMaxima: clusterSetting != nil ? sizeMaxima : nil,
                                  clusterMassMaxima: clusterSetting != nil ? massMaxima : nil)
    }
}
