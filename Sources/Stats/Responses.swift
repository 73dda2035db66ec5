/// The data a group model is fitted to: participants × measures (voxels, regions or edges),
/// row-major, so one participant's map is one contiguous row.
public struct Responses: Sendable {
    public enum Storage: Sendable {
        case float32([Float])
        case float64([Double])
    }

    public let participants: Int
    public let measures: Int
    public let storage: Storage

    public init(participants: Int, measures: Int, values: [Float]) {
        precondition(values.count == participants * measures, "values must be participants × measures")
        self.participants = participants
        self.measures = measures
        storage = .float32(values)
    }

    public init(participants: Int, measures: Int, values: [Double]) {
        precondition(values.count == participants * measures, "values must be participants × measures")
        self.participants = participants
        self.measures = measures
        storage = .float64(values)
    }

    /// Copies measures `range` of every participant into `out` (participants × range.count, row-major).
    func load(_ range: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        let width = range.count
        switch storage {
        case .float32(let values):
            values.withUnsafeBufferPointer { v in
                for i in 0..<participants {
                    let row = v.baseAddress! + i * measures + range.lowerBound
                    for j in 0..<width { out[i * width + j] = Double(row[j]) }
                }
            }
        case .float64(let values):
            values.withUnsafeBufferPointer { v in
                for i in 0..<participants {
                    (out + i * width).update(from: v.baseAddress! + i * measures + range.lowerBound, count: width)
                }
            }
        }
    }

    /// One measure across participants, in Float64.
    public func column(_ j: Int) -> [Double] {
        switch storage {
        case .float32(let v): return (0..<participants).map { Double(v[$0 * measures + j]) }
        case .float64(let v): return (0..<participants).map { v[$0 * measures + j] }
        }
    }

    /// FNV-1a over the values' bit patterns: identical data give identical fingerprints.
    public var fingerprint: UInt64 {
        var h = Fingerprint()
        h.add(UInt64(participants))
        h.add(UInt64(measures))
        switch storage {
        case .float32(let v): v.withUnsafeBytes { h.add($0) }
        case .float64(let v): v.withUnsafeBytes { h.add($0) }
        }
        return h.value
    }
}

/// An FNV-1a-style 64-bit hash, to check that separately run chunks analysed the same data and settings.
public struct Fingerprint: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Mixes `bytes` in eight at a time (FNV-1a over 64-bit words, then the tail byte by byte).
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        let words = bytes.count / 8
        for w in 0..<words {
            h ^= bytes.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self)
            h = h &* 0x0000_0100_0000_01b3
            h ^= h >> 29
        }
        for b in bytes[(words * 8)...] {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        value = h
    }

    public mutating func add(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { add($0) } }
    public mutating func add(_ x: Double) { add(x.bitPattern) }
    public mutating func add(_ s: String) { add(UInt64(s.utf8.count)); Array(s.utf8).withUnsafeBytes { add($0) } }
}
