import Foundation
import NIfTI
import Stats

/// Which part of a split permutation run this process computes: chunk `index` (1-based) of `count`.
public struct ChunkSelection: Sendable, Equatable, Codable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `k/N` with 1 ≤ k ≤ N.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else { return nil }
        self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// `chunk-<k>of<N>.glmchunk`.
    public var fileName: String { "chunk-\(index)of\(count).glmchunk" }
}

/// Errors reading or combining chunk files; each names the file or folder.
public enum GroupChunkError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case corrupt(path: String, reason: String)
    case mismatch(path: String, reason: String)
    case missing(folder: String, reason: String)

    public var description: String {
        switch self {
        case .corrupt(let p, let reason): return "\(p): not a Cohortex chunk file: \(reason)"
        case .mismatch(let p, let reason): return "\(p): \(reason)"
        case .missing(let folder, let reason): return "\(folder): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// The permutation results of one chunk of a split `glm` run, per contrast, and the fingerprint of
/// the data and settings it was computed from. Binary, little-endian:
/// `CXGLMCHK`, version, fingerprint, index, count, then per contrast its label, ranges, a flags byte (1: TFCE,
/// 2: cluster size and mass), maxima and counts.
public struct GroupChunk: Sendable, Equatable {
    public let fingerprint: UInt64
    public let selection: ChunkSelection
    public let contrasts: [String]
    public let partials: [PermutationPartial]

    static let magic = Array("CXGLMCHK".utf8)
    static let version: UInt32 = 2

    public init(fingerprint: UInt64, selection: ChunkSelection, contrasts: [String], partials: [PermutationPartial]) {
        self.fingerprint = fingerprint
        self.selection = selection
        self.contrasts = contrasts
        self.partials = partials
    }

    /// Serialised bytes.
    public var bytes: [UInt8] {
        var out = Self.magic
        func put<T: FixedWidthInteger>(_ x: T) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        func put(_ values: [Float]) { for v in values { put(v.bitPattern) } }
        func put(_ values: [UInt32]) { for v in values { put(v) } }
        put(Self.version)
        put(fingerprint)
        put(UInt32(selection.index))
        put(UInt32(selection.count))
        put(UInt32(contrasts.count))
        for (label, part) in zip(contrasts, partials) {
            let utf8 = Array(label.utf8)
            put(UInt32(utf8.count))
            out.append(contentsOf: utf8)
            for bound in [part.measures.lowerBound, part.measures.upperBound, part.permutations.lowerBound, part.permutations.upperBound] {
                put(Int64(bound))
            }
            out.append((part.tfceMaxima == nil ? 0 : 1) | (part.clusterSizeMaxima == nil ? 0 : 2))
            put(part.maxima)
            put(part.exceedances)
            if let m = part.tfceMaxima, let e = part.tfceExceedances {
                put(m)
                put(e)
            }
            if let size = part.clusterSizeMaxima, let mass = part.clusterMassMaxima {
                put(size)
                put(mass)
            }
        }
        return out
    }

    /// Writes the chunk atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(Data(bytes), to: path)
    }

    /// Reads a chunk file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw NIfTIError.fileNotFound(path: path) }
        var reader = ChunkReader(bytes: Array(data), path: path)
        guard try reader.take(8) == Self.magic else { throw GroupChunkError.corrupt(path: path, reason: "wrong magic bytes") }
        let version: UInt32 = try reader.integer()
        guard version == Self.version else { throw GroupChunkError.corrupt(path: path, reason: "format version \(version), expected \(Self.version)") }
        let fingerprint: UInt64 = try reader.integer()
        let index = Int(try reader.integer() as UInt32), count = Int(try reader.integer() as UInt32)
        let contrastCount = Int(try reader.integer() as UInt32)
        var labels: [String] = [], partials: [PermutationPartial] = []
        for _ in 0..<contrastCount {
            let length = Int(try reader.integer() as UInt32)
            labels.append(String(decoding: try reader.take(length), as: UTF8.self))
            let bounds = try (0..<4).map { _ in Int(try reader.integer() as Int64) }
            guard bounds[0] <= bounds[1], bounds[2] <= bounds[3], bounds[0] >= 0, bounds[2] >= 1 else {
                throw GroupChunkError.corrupt(path: path, reason: "invalid ranges \(bounds)")
            }
            let measures = bounds[0]..<bounds[1], permutations = bounds[2]..<bounds[3]
            let flags = try reader.take(1)[0]
            guard flags & ~3 == 0 else { throw GroupChunkError.corrupt(path: path, reason: "unknown flags \(flags)") }
            let maxima = try reader.floats(permutations.count)
            let exceedances: [UInt32] = try (0..<measures.count).map { _ in try reader.integer() }
            var tfceMaxima: [Float]?, tfceExceedances: [UInt32]?, sizeMaxima: [Float]?, massMaxima: [Float]?
            if flags & 1 != 0 {
                tfceMaxima = try reader.floats(permutations.count)
                tfceExceedances = try (0..<measures.count).map { _ in try reader.integer() }
            }
            if flags & 2 != 0 {
                sizeMaxima = try reader.floats(permutations.count)
                massMaxima = try reader.floats(permutations.count)
            }
            partials.append(PermutationPartial(measures: measures, permutations: permutations, maxima: maxima, exceedances: exceedances,
                                               tfceMaxima: tfceMaxima, tfceExceedances: tfceExceedances,
                                               clusterSizeMaxima: sizeMaxima, clusterMassMaxima: massMaxima))
        }
        guard reader.atEnd else { throw GroupChunkError.corrupt(path: path, reason: "trailing bytes") }
        self.init(fingerprint: fingerprint, selection: ChunkSelection(index: index, count: count), contrasts: labels, partials: partials)
    }

    /// Reads every `chunk-*of*.glmchunk` in `folder` and checks they form one complete, matching set.
    public static func readAll(folder: String, fingerprint: UInt64, contrasts: [String]) throws -> [GroupChunk] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let files = names.filter { $0.hasPrefix("chunk-") && $0.hasSuffix(".glmchunk") }.sorted()
        guard !files.isEmpty else { throw GroupChunkError.missing(folder: folder, reason: "no chunk-*of*.glmchunk files") }
        let chunks = try files.map { try GroupChunk(contentsOf: folder + "/" + $0) }
        let count = chunks[0].selection.count
        for (file, chunk) in zip(files, chunks) {
            let path = folder + "/" + file
            guard chunk.selection.count == count else {
                throw GroupChunkError.mismatch(path: path, reason: "chunk of a \(chunk.selection.count)-way split, others are \(count)-way")
            }
            guard chunk.fingerprint == fingerprint else {
                throw GroupChunkError.mismatch(path: path, reason: "computed from different data or settings (fingerprint \(String(chunk.fingerprint, radix: 16)), this run \(String(fingerprint, radix: 16))); rerun the chunks with the same arguments")
            }
            guard chunk.contrasts == contrasts else {
                throw GroupChunkError.mismatch(path: path, reason: "contrasts \(chunk.contrasts), this run \(contrasts)")
            }
        }
        let present = Set(chunks.map(\.selection.index))
        let missing = (1...count).filter { !present.contains($0) }
        guard missing.isEmpty else {
            throw GroupChunkError.missing(folder: folder, reason: "chunks \(missing.map(String.init).joined(separator: ", ")) of \(count) are missing")
        }
        guard chunks.count == count else { throw GroupChunkError.missing(folder: folder, reason: "a chunk index appears twice") }
        return chunks
    }
}

/// Reads little-endian values from chunk bytes, failing on truncation.
struct ChunkReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0

    var atEnd: Bool { offset == bytes.count }

    mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, offset + n <= bytes.count else { throw GroupChunkError.corrupt(path: path, reason: "truncated at byte \(offset)") }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    mutating func integer<T: FixedWidthInteger>() throws -> T {
        let raw = try take(MemoryLayout<T>.size)
        var value: T = 0
        for (i, b) in raw.enumerated() { value |= T(truncatingIfNeeded: b) << (8 * i) }
        return value
    }

    mutating func floats(_ n: Int) throws -> [Float] {
        try (0..<n).map { _ in Float(bitPattern: try integer()) }
    }
}
