extension ReHo {
    /// Voxels per parallel ranking task (fixed, so the work split never depends on thread count).
    static let rankBlock = 1024

    /// Replaces every column of the rows × voxels row-major matrix `data` by its 1-based ranks,
    /// ties getting their average rank (scipy `rankdata(method="average")`), and returns for each
    /// column the tie term Σ(t³ − t) over its groups of t tied values. Values must be finite.
    public static func rankColumns(_ data: UnsafeMutableBufferPointer<Float>, rows: Int, voxels: Int,
                                   parallelism: Parallelism) -> [Double] {
        precondition(data.count == rows * voxels, "data must be rows × voxels")
        var ties = [Double](repeating: 0, count: voxels)
        let blocks = (voxels + rankBlock - 1) / rankBlock
        ties.withUnsafeMutableBufferPointer { ties in
            let shared = UnsafeSendableBox((data.baseAddress!, ties.baseAddress!))
            parallelism.forEach(chunks: blocks) { b in
                let (base, ties) = shared.value
                let sorter = RadixSorter(capacity: rows)
                defer { sorter.deallocate() }
                // Columns in order: a block's rows stay cached from one column to the next.
                for v in (b * rankBlock)..<min(voxels, (b + 1) * rankBlock) {
                    ties[v] = rankColumn(base + v, rows: rows, stride: voxels, sorter: sorter)
                }
            }
        }
        return ties
    }

    /// Ranks one strided column in place; returns its tie term.
    static func rankColumn(_ column: UnsafeMutablePointer<Float>, rows: Int, stride: Int, sorter: RadixSorter) -> Double {
        for t in 0..<rows { sorter.keys[t] = orderedBits(column[t * stride]); sorter.rows[t] = UInt32(t) }
        let (keys, order) = sorter.sort(count: rows)
        var tieTerm = 0.0
        var start = 0
        while start < rows {
            let value = keys[start]
            var end = start + 1
            while end < rows && keys[end] == value { end += 1 }
            // Positions start..<end hold ranks start+1 ... end: their mean is (start + 1 + end) / 2.
            let rank = Float(start + 1 + end) * 0.5
            for i in start..<end { column[Int(order[i]) * stride] = rank }
            let n = Double(end - start)
            tieTerm += n * n * n - n
            start = end
        }
        return tieTerm
    }

    /// An unsigned integer with the same order as the float (−0 and +0 map to the same key).
    @inlinable
    static func orderedBits(_ x: Float) -> UInt32 {
        let bits = (x + 0).bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }
}

/// LSD radix sort of UInt32 keys carrying a row index: one pass computes the byte histograms,
/// and a byte shared by every key (the exponent byte of similar values) costs no pass. Each pass
/// scatters the two halves of the input through separate bucket cursors, interleaved, so the
/// increments of one bucket do not form a single dependency chain. Stable: equal keys keep row order.
struct RadixSorter {
    let keys: UnsafeMutablePointer<UInt32>
    let rows: UnsafeMutablePointer<UInt32>
    let spareKeys: UnsafeMutablePointer<UInt32>
    let spareRows: UnsafeMutablePointer<UInt32>
    /// Histograms and bucket cursors (see `sort`).
    let counts: UnsafeMutablePointer<Int32>

    init(capacity: Int) {
        keys = .allocate(capacity: capacity)
        rows = .allocate(capacity: capacity)
        spareKeys = .allocate(capacity: capacity)
        spareRows = .allocate(capacity: capacity)
        counts = .allocate(capacity: 1792)
    }

    func deallocate() {
        keys.deallocate(); rows.deallocate(); spareKeys.deallocate(); spareRows.deallocate(); counts.deallocate()
    }

    /// Sorts `keys[0..<count]` (with `rows`); returns the buffers holding the sorted result.
    func sort(count n: Int) -> (keys: UnsafeMutablePointer<UInt32>, rows: UnsafeMutablePointer<UInt32>) {
        let half = n / 2
        // [byte][bucket] counts of every key (order-free), then per pass the lower half's counts and the two cursors.
        let total = counts, lowerCount = counts + 1024, lo = counts + 1280, hi = counts + 1536
        total.initialize(repeating: 0, count: 1024)
        for i in 0..<n {
            let k = keys[i]
            total[Int(k & 0xFF)] &+= 1; total[256 + Int((k >> 8) & 0xFF)] &+= 1
            total[512 + Int((k >> 16) & 0xFF)] &+= 1; total[768 + Int(k >> 24)] &+= 1
        }
        var (srcK, srcR, dstK, dstR) = (keys, rows, spareKeys, spareRows)
        for pass in 0..<4 {
            let all = total + 256 * pass
            let shift = UInt32(8 * pass)
            if all[Int((srcK[0] >> shift) & 0xFF)] == Int32(n) { continue }  // every key shares this byte
            // The current lower half's counts (the halves change after each pass).
            lowerCount.initialize(repeating: 0, count: 256)
            for i in 0..<half { lowerCount[Int((srcK[i] >> shift) & 0xFF)] &+= 1 }
            // Cursors: the lower half's keys of a bucket go before the upper half's (stability).
            var sum: Int32 = 0
            for b in 0..<256 {
                lo[b] = sum
                hi[b] = sum &+ lowerCount[b]
                sum = sum &+ all[b]
            }
            for i in 0..<half {
                let a = srcK[i], b = srcK[half + i]
                let ba = Int((a >> shift) & 0xFF), bb = Int((b >> shift) & 0xFF)
                let pa = Int(lo[ba]), pb = Int(hi[bb])
                lo[ba] &+= 1
                hi[bb] &+= 1
                dstK[pa] = a; dstR[pa] = srcR[i]
                dstK[pb] = b; dstR[pb] = srcR[half + i]
            }
            for i in (2 * half)..<n {
                let b = srcK[i]
                let bb = Int((b >> shift) & 0xFF)
                let pb = Int(hi[bb])
                hi[bb] &+= 1
                dstK[pb] = b; dstR[pb] = srcR[i]
            }
            swap(&srcK, &dstK)
            swap(&srcR, &dstR)
        }
        return (srcK, srcR)
    }
}
