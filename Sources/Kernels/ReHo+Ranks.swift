extension ReHo {
    /// Voxels per parallel ranking task (fixed, so the work split never depends on thread count).
    static let rankBlock = 1024

    /// Replaces every column of the rows × voxels row-major matrix `data` by its 1-based ranks,
    /// ties getting their average rank (scipy `rankdata(method="average")`), and returns for each
    /// column the tie term Σ(t³ − t) over its groups of t tied values. Values must be finite.
    public static func rankColumns(_ data: UnsafeMutableBufferPointer<Float>, rows: Int, voxels: Int) -> [Double] {
        precondition(data.count == rows * voxels, "data must be rows × voxels")
        var ties = [Double](repeating: 0, count: voxels)
        let blocks = (voxels + rankBlock - 1) / rankBlock
        ties.withUnsafeMutableBufferPointer { ties in
            let shared = UnsafeSendableBox((data.baseAddress!, ties.baseAddress!))
            Parallel.forEach(chunks: blocks) { b in
                let (base, ties) = shared.value
                let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: rows)
                defer { keys.deallocate() }
                let v1 = min(voxels, (b + 1) * rankBlock)
                // Columns in order: a block's rows are cached across neighbouring columns.
                for v in (b * rankBlock)..<v1 {
                    ties[v] = rankColumn(base + v, rows: rows, stride: voxels, keys: keys)
                }
            }
        }
        return ties
    }

    /// Ranks one strided column in place; returns its tie term.
    @inlinable
    static func rankColumn(_ column: UnsafeMutablePointer<Float>, rows: Int, stride: Int, keys: UnsafeMutableBufferPointer<UInt64>) -> Double {
        // Sort (order-preserving bits of the value, row) pairs packed in one integer.
        for t in 0..<rows {
            keys[t] = UInt64(orderedBits(column[t * stride])) << 32 | UInt64(t)
        }
        var sorted = keys
        sorted.sort()
        var tieTerm = 0.0
        var start = 0
        while start < rows {
            let value = keys[start] >> 32
            var end = start + 1
            while end < rows && keys[end] >> 32 == value { end += 1 }
            // Positions start..<end hold ranks start+1 ... end: their mean is (start + 1 + end) / 2.
            let rank = Float(start + 1 + end) * 0.5
            for i in start..<end { column[Int(truncatingIfNeeded: keys[i] & 0xFFFF_FFFF) * stride] = rank }
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
