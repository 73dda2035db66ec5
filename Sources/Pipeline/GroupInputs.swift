import Foundation
import Kernels
import NIfTI
import Stats

/// Where the per-participant data of a group model come from.
public enum GroupData: Sendable, Equatable, Codable {
    /// One 3D map per participant, found by a glob pattern; the participant is the file name's `sub-<label>`.
    case maps(pattern: String)
    /// One 3D map per participant, listed (a cohort run knows its files); the participant is the file name's `sub-<label>`.
    case mapFiles(paths: [String])
    /// A regional table: rows are participants (`participant_id`), every other column is a region or edge.
    case table(path: String)
}

/// Problems matching participants with their data; each names the files or participants.
public enum GroupInputError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case noMapsMatched(pattern: String)
    case patternIsFolder(path: String)
    case noParticipantLabel(path: String)
    case duplicateMaps(participant: String, paths: [String])
    case emptyMask(path: String)
    case noMeasures(path: String)
    case gridMismatch(path: String, reference: String, detail: String)

    public var description: String {
        switch self {
        case .noMapsMatched(let p): return "\(p): no file matches this pattern"
        case .patternIsFolder(let p): return "\(p) is a folder: give a pattern such as '\(p)/sub-*_stat-z.nii.gz'"
        case .noParticipantLabel(let p): return "\(p): cannot tell whose map this is (no sub-<label> in the file name)"
        case .duplicateMaps(let id, let paths):
            return "participant \(id) has \(paths.count) maps matching the pattern (\(paths.joined(separator: ", "))): make the pattern select one per participant"
        case .emptyMask(let p): return "\(p): the mask has no voxels where every map is finite"
        case .noMeasures(let p): return "\(p): no region columns besides participant_id"
        case .gridMismatch(let p, let reference, let detail):
            return "\(p): grid differs from \(reference) (\(detail)); resample every map to one grid first"
        }
    }

    public var errorDescription: String? { description }
}

/// The group data matched with participants.tsv: the design (rows = included participants) and
/// the responses in the same row order.
public struct GroupInputs: Sendable {
    public let design: DesignMatrix
    public let responses: Responses
    /// Region/edge names (table input).
    public let measureNames: [String]
    /// The analysed voxels (map input).
    public let mask: VoxelMask?
    /// How the mask was obtained, for the sidecar.
    public let maskSource: String?
    /// Map path of each design row (map input).
    public let mapPaths: [String]
    /// NIfTI space code of the input maps (sform, else qform; 2 "aligned" when neither), kept in outputs.
    public let spaceCode: Int32
    /// Maps or table rows whose participant is not in participants.tsv.
    public let unlisted: [String]
    /// Warnings to show the user.
    public let warnings: [String]

    /// Reads participants.tsv and the data, drops participants without data or with missing model
    /// values, and checks grids.
    public static func gather(participants path: String, formula: ModelFormula, references: [String: String],
                              data: GroupData, maskPath: String?, parallelism: Parallelism) throws -> GroupInputs {
        let table = try TSVTable(contentsOf: path)
        let ids = try table.column("participant_id").map { $0.trimmingCharacters(in: .whitespaces) }
        switch data {
        case .maps(let pattern):
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: pattern, isDirectory: &isFolder), isFolder.boolValue {
                throw GroupInputError.patternIsFolder(path: pattern)
            }
            let files = try glob(pattern)
            guard !files.isEmpty else { throw GroupInputError.noMapsMatched(pattern: pattern) }
            return try gatherMaps(table: table, ids: ids, formula: formula, references: references, files: files, source: pattern,
                                  maskPath: maskPath, parallelism: parallelism)
        case .mapFiles(let paths):
            guard !paths.isEmpty else { throw GroupInputError.noMapsMatched(pattern: "(no participant maps)") }
            return try gatherMaps(table: table, ids: ids, formula: formula, references: references, files: paths,
                                  source: "the listed maps", maskPath: maskPath, parallelism: parallelism)
        case .table(let regional):
            return try gatherTable(table: table, ids: ids, formula: formula, references: references, path: regional)
        }
    }

    /// `sub-01` and `01` name the same participant.
    static func label(_ id: String) -> String { id.hasPrefix("sub-") ? String(id.dropFirst(4)) : id }

    static func listed(_ items: [String], limit: Int = 8) -> String {
        items.count <= limit ? items.joined(separator: ", ") : items.prefix(limit).joined(separator: ", ") + ", … (\(items.count) in all)"
    }

    // MARK: - Maps

    static func gatherMaps(table: TSVTable, ids: [String], formula: ModelFormula, references: [String: String],
                           files: [String], source pattern: String, maskPath: String?, parallelism: Parallelism) throws -> GroupInputs {
        var byLabel: [String: [String]] = [:]
        for file in files {
            let name = URL(fileURLWithPath: file).lastPathComponent
            guard let label = participantLabel(in: name) else { throw GroupInputError.noParticipantLabel(path: file) }
            byLabel[label, default: []].append(file)
        }
        for (label, paths) in byLabel.sorted(by: { $0.key < $1.key }) where paths.count > 1 {
            throw GroupInputError.duplicateMaps(participant: "sub-\(label)", paths: paths)
        }
        let listedLabels = Set(ids.map(label))
        let unlisted = byLabel.keys.filter { !listedLabels.contains($0) }.sorted().map { "sub-\($0)" }
        var excluded: [String: String] = [:]
        for id in ids where byLabel[label(id)] == nil { excluded[id] = "no map matching \(pattern)" }
        let design = try DesignMatrix(table: table, formula: formula, references: references, excluded: excluded)
        let paths = design.participants.map { byLabel[label($0)]![0] }

        var warnings = design.warnings
        let missing = design.dropped.filter { excluded[$0.id] != nil }.map(\.id)
        if !missing.isEmpty { warnings.append("\(missing.count) participant\(missing.count == 1 ? "" : "s") in \(table.path) have no map and are left out: \(listed(missing))") }
        if !unlisted.isEmpty { warnings.append("\(unlisted.count) map\(unlisted.count == 1 ? "" : "s") belong to participants not in \(table.path) and are ignored: \(listed(unlisted))") }
        let incomplete = design.dropped.filter { excluded[$0.id] == nil }
        if !incomplete.isEmpty {
            warnings.append("\(incomplete.count) participant\(incomplete.count == 1 ? "" : "s") with missing model values are left out: " + listed(incomplete.map { "\($0.id) (\($0.reason))" }))
        }

        let images = try paths.map { path -> NIfTIImage in
            let image = try NIfTIImage(path: path)
            try image.checkVoxelDataSize()  // grid-sized buffers come before any map is read
            return image
        }
        let reference = images[0]
        for image in images {
            try requireGrid(image, reference: reference)
            guard image.header.frames == 1 else {
                throw NIfTIError.invalidField(path: image.path, field: "dim", value: "\(image.header.dim)", expected: "a 3D map (one frame)")
            }
        }
        let mask: VoxelMask
        let maskSource: String
        if let maskPath {
            let maskImage = try NIfTIImage(path: maskPath)
            try requireGrid(maskImage, reference: reference)
            mask = VoxelMask(grid: reference.grid, indices: try maskImage.readMask().indices)
            maskSource = maskPath
        } else {
            mask = try defaultMask(images, parallelism: parallelism)
            maskSource = "voxels finite in every map and non-zero in at least one"
            guard !mask.isEmpty else { throw GroupInputError.emptyMask(path: reference.path) }
        }
        let v = mask.count
        let n = images.count
        var failures = [Error?](repeating: nil, count: n)
        var nonFiniteCounts = [Int](repeating: 0, count: n)
        let values = [Float](unsafeUninitializedCapacity: n * v) { buffer, initialized in
            buffer.initialize(repeating: 0)
            failures.withUnsafeMutableBufferPointer { failures in
            nonFiniteCounts.withUnsafeMutableBufferPointer { counts in
                let out = UnsafeSendableBox((buffer, failures, counts))
                parallelism.forEach(chunks: n) { i in
                    let (buffer, failures, counts) = out.value
                    do {
                        let row = try images[i].readMasked(mask).values
                        for j in 0..<v { buffer[i * v + j] = row[j] }
                        counts[i] = row.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
                    } catch {
                        failures[i] = error
                    }
                }
            }}
            initialized = n * v
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        let nonFinite = (0..<n).filter { nonFiniteCounts[$0] > 0 }.map { "\(design.participants[$0]) (\(nonFiniteCounts[$0]))" }
        if !nonFinite.isEmpty {
            warnings.append("NaN or Inf inside the mask in \(nonFinite.count) map\(nonFinite.count == 1 ? "" : "s"): \(listed(nonFinite)); those voxels are left out of the analysis")
        }
        return GroupInputs(design: design, responses: Responses(participants: n, measures: v, values: values),
                           measureNames: [], mask: mask, maskSource: maskSource, mapPaths: paths,
                           spaceCode: Int32(reference.header.sformCode > 0 ? reference.header.sformCode
                                            : reference.header.qformCode > 0 ? reference.header.qformCode : 2),
                           unlisted: unlisted, warnings: warnings)
    }

    /// The image's grid must match the reference's (shape, and affine within 1e-3 mm); the error is one line.
    static func requireGrid(_ image: NIfTIImage, reference: NIfTIImage) throws {
        let a = image.grid, b = reference.grid
        guard !a.matches(b, tolerance: 1e-3) else { return }
        let detail: String
        if a.shape != b.shape {
            detail = "shape \(a.shape) vs \(b.shape)"
        } else {
            let difference = zip(a.affine.m, b.affine.m).map { abs($0 - $1) }.max() ?? 0
            let origin = { (g: Grid) in [g.affine[0, 3], g.affine[1, 3], g.affine[2, 3]].map { String(format: "%g", $0) }.joined(separator: ", ") }
            detail = String(format: "affines differ by up to %g mm; origin (%@) vs (%@)", difference, origin(a), origin(b))
        }
        throw GroupInputError.gridMismatch(path: image.path, reference: reference.path, detail: detail)
    }

    /// The `sub-<label>` entity of a BIDS file name.
    static func participantLabel(in name: String) -> String? {
        for part in name.split(separator: "_") where part.hasPrefix("sub-") {
            let label = part.dropFirst(4).prefix { $0.isLetter || $0.isNumber }
            if !label.isEmpty { return String(label) }
        }
        return nil
    }

    /// Voxels finite in every map and non-zero in at least one (maps read in parallel groups whose
    /// integer counts are summed, so memory stays at a few volumes).
    static func defaultMask(_ images: [NIfTIImage], parallelism: Parallelism) throws -> VoxelMask {
        let grid = images[0].grid
        let voxels = grid.voxelCount
        let groups = Parallelism.ranges(count: images.count, chunkSize: max(1, (images.count + 7) / 8))
        let counts = try parallelism.map(chunks: groups.count) { g -> Result<(finite: [Int32], nonzero: [Int32]), Error> in
            Result {
                var finite = [Int32](repeating: 0, count: voxels), nonzero = [Int32](repeating: 0, count: voxels)
                for i in groups[g] {
                    let volume = try images[i].readVolume3D()
                    for j in 0..<voxels {
                        let x = volume.voxels[j]
                        if x.isFinite { finite[j] += 1; if x != 0 { nonzero[j] += 1 } }
                    }
                }
                return (finite, nonzero)
            }
        }.map { try $0.get() }
        var indices: [Int] = []
        for j in 0..<voxels {
            var finite: Int32 = 0, nonzero: Int32 = 0
            for c in counts { finite += c.finite[j]; nonzero += c.nonzero[j] }
            if finite == Int32(images.count) && nonzero > 0 { indices.append(j) }
        }
        return VoxelMask(grid: grid, indices: indices)
    }

    /// Paths matching a shell pattern, sorted.
    static func glob(_ pattern: String) throws -> [String] {
        SystemCalls.glob(pattern)
    }

    // MARK: - Regional table

    static func gatherTable(table: TSVTable, ids: [String], formula: ModelFormula, references: [String: String],
                            path: String) throws -> GroupInputs {
        let regional = try TSVTable(contentsOf: path)
        let idIndex = try regional.columnIndex("participant_id")
        let names = regional.columns.enumerated().filter { $0.offset != idIndex }.map(\.element)
        guard !names.isEmpty else { throw GroupInputError.noMeasures(path: path) }
        let columns = try names.map { try regional.numericColumn($0) }
        var rowOf: [String: Int] = [:]
        for (r, row) in regional.rows.enumerated() {
            let id = label(row[idIndex].trimmingCharacters(in: .whitespaces))
            if rowOf[id] != nil { throw StatsError.duplicateParticipant(path: path, participant: row[idIndex]) }
            rowOf[id] = r
        }
        var excluded: [String: String] = [:]
        for id in ids {
            guard let r = rowOf[label(id)] else { excluded[id] = "no row in \(path)"; continue }
            let missing = names.indices.filter { columns[$0][r] == nil }.map { names[$0] }
            if !missing.isEmpty { excluded[id] = "n/a in \(path): \(listed(missing, limit: 3))" }
        }
        let design = try DesignMatrix(table: table, formula: formula, references: references, excluded: excluded)
        let listedLabels = Set(ids.map(label))
        let unlisted = regional.rows.map { $0[idIndex] }.filter { !listedLabels.contains(label($0)) }
        var warnings = design.warnings
        let dropped = design.dropped.map { "\($0.id) (\($0.reason))" }
        if !dropped.isEmpty { warnings.append("\(dropped.count) participant\(dropped.count == 1 ? "" : "s") left out: \(listed(dropped))") }
        if !unlisted.isEmpty { warnings.append("\(unlisted.count) row\(unlisted.count == 1 ? "" : "s") of \(path) belong to participants not in \(table.path) and are ignored: \(listed(unlisted))") }
        var values: [Double] = []
        values.reserveCapacity(design.rowCount * names.count)
        for id in design.participants {
            let r = rowOf[label(id)]!
            for c in names.indices { values.append(columns[c][r]!) }
        }
        return GroupInputs(design: design, responses: Responses(participants: design.rowCount, measures: names.count, values: values),
                           measureNames: names, mask: nil, maskSource: nil, mapPaths: [], spaceCode: 0,
                           unlisted: unlisted, warnings: warnings)
    }
}
