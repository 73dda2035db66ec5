import Foundation
import NIfTI
import Pipeline

/// FSL randomise / PALM inputs for a finished `cohortex glm` model, written into its folder:
/// `design.mat`, `design.con` (+ `design.fts` with F contrasts), `design.grp`, optionally the maps
/// stacked as `merged_4d.nii.gz`, and the `palm_export.json` sidecar with the command lines.
public enum PALMExport {
    /// The stage name recorded in the sidecar.
    public static let name = "palm-export"

    /// Writes the export into `modelFolder` as one output set (all files or none) and returns the paths
    /// written. `maps` are 3D images, one per design row in design.tsv's order; nil writes the design files only.
    public static func write(modelFolder: String, maps: [String]?, context: StageContext) throws -> [String] {
        let folder = modelFolder.hasSuffix("/") && modelFolder.count > 1 ? String(modelFolder.dropLast()) : modelFolder
        let model = try readModel(folder: folder)
        let stack = try maps.map { try checkMaps($0, participants: model.participants, design: folder + "/design.tsv") }
        let layout = ContrastLayout(model)

        var outputs = OutputSet()
        var texts: [(String, String)] = [("design.mat", designMatrixText(model)), ("design.con", contrastText(model, layout: layout))]
        if !layout.fTests.isEmpty { texts.append(("design.fts", fTestText(layout))) }
        texts.append(("design.grp", groupText(rows: model.participants.count)))
        for (name, text) in texts {
            let path = folder + "/" + name
            outputs.file(path) { try AtomicFile.stage(text, to: path) }
        }
        if let stack {
            let path = folder + "/" + mergedName
            outputs.file(path) { try mergedStage(stack, to: path) }
        }
        outputs.sidecar(sidecar(model, layout: layout, stack: stack), for: folder + "/palm_export")
        return try outputs.commit(context: context)
    }

    static let mergedName = "merged_4d.nii.gz"

    // MARK: - The model as `cohortex glm` left it

    /// One contrast of glm.json: its label, "t" or "F", and its weight rows over the design columns.
    struct ModelContrast {
        var label: String
        var isF: Bool
        var weights: [[Double]]
    }

    /// The design rows (design.tsv) and what glm.json records of the contrasts and the inference.
    struct Model {
        var folder: String
        var participants: [String]
        var columns: [String]
        var rows: [[Double]]
        var contrasts: [ModelContrast]
        /// Permutations the glm ran (0: parametric only).
        var permutations: Int
        var seed: Int?
        var tfce: Bool
        var twoSided: Bool
        /// The glm sign-flipped (one-sample model) rather than permuted.
        var signFlip: Bool
        var hasMask: Bool
    }

    static func readModel(folder: String) throws -> Model {
        let designPath = folder + "/design.tsv", modelPath = folder + "/glm.json"
        guard FileManager.default.fileExists(atPath: designPath) else { throw PALMExportError.missingDesign(path: designPath) }
        let table = try TSVTable(contentsOf: designPath)
        let idColumn = try table.columnIndex("participant_id")
        let columns = table.columns.enumerated().filter { $0.offset != idColumn }.map(\.element)
        guard !columns.isEmpty, !table.rows.isEmpty else { throw PALMExportError.emptyDesign(path: designPath) }
        let participants = table.rows.map { $0[idColumn].trimmingCharacters(in: .whitespaces) }
        let rows = try table.rows.map { row in
            try table.columns.indices.filter { $0 != idColumn }.map { c -> Double in
                let field = row[c].trimmingCharacters(in: .whitespaces)
                // design.tsv holds Swift's shortest round-trip text, so Double(field) gives back the glm's exact value.
                guard let value = Double(field), value.isFinite else {
                    throw PALMExportError.designValue(path: designPath, participant: row[idColumn], column: table.columns[c], value: field)
                }
                return value
            }
        }

        guard FileManager.default.fileExists(atPath: modelPath) else { throw PALMExportError.missingModel(path: modelPath) }
        let object: [String: Any]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: modelPath))
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw PALMExportError.unreadableModel(path: modelPath, reason: "the top level is not a JSON object")
            }
            object = parsed
        } catch let error as PALMExportError {
            throw error
        } catch {
            throw PALMExportError.unreadableModel(path: modelPath, reason: error.localizedDescription)
        }
        guard let entries = object["contrasts"] as? [[String: Any]] else {
            throw PALMExportError.unreadableModel(path: modelPath, reason: "no \"contrasts\" array")
        }
        guard !entries.isEmpty else { throw PALMExportError.noContrasts(path: modelPath) }
        let contrasts = try entries.enumerated().map { n, entry in
            try contrast(entry, number: n + 1, columns: columns, path: modelPath)
        }
        let inference = object["inference"] as? [String: Any] ?? [:]
        let permutations = (inference["permutations"] as? NSNumber)?.intValue ?? 0
        let seed = permutations > 0 ? (inference["seed"] as? NSNumber)?.intValue : nil
        // glm.json records the tail per t contrast (one --two-sided flag for the whole model).
        let twoSided = entries.contains { ($0["type"] as? String) == "t" && ($0["tail"] as? String) == "two-sided" }
        let signFlip = entries.contains { (($0["permutation"] as? [String: Any])?["resampling"] as? String) == "sign-flip" }
        return Model(folder: folder, participants: participants, columns: columns, rows: rows, contrasts: contrasts,
                     permutations: permutations, seed: seed, tfce: permutations > 0 && inference["tfce"] is [String: Any],
                     twoSided: twoSided, signFlip: signFlip, hasMask: FileManager.default.fileExists(atPath: folder + "/mask.nii.gz"))
    }

    private static func contrast(_ entry: [String: Any], number: Int, columns: [String], path: String) throws -> ModelContrast {
        guard let label = entry["label"] as? String, !label.isEmpty else {
            throw PALMExportError.unreadableModel(path: path, reason: "contrast \(number) has no \"label\"")
        }
        guard let type = entry["type"] as? String, type == "t" || type == "F" else {
            throw PALMExportError.contrastWeights(path: path, label: label, detail: "\"type\" must be \"t\" or \"F\"")
        }
        let found = entry["columns"] as? [String] ?? []
        guard found == columns else { throw PALMExportError.contrastColumns(path: path, label: label, expected: columns, found: found) }
        guard let raw = entry["weights"] as? [[Any]], !raw.isEmpty else {
            throw PALMExportError.contrastWeights(path: path, label: label, detail: "no \"weights\" rows")
        }
        let weights = try raw.enumerated().map { r, row -> [Double] in
            let values = row.compactMap { ($0 as? NSNumber)?.doubleValue }.filter(\.isFinite)
            guard values.count == row.count, values.count == columns.count else {
                throw PALMExportError.contrastWeights(path: path, label: label,
                                                     detail: "weight row \(r + 1) needs \(columns.count) finite numbers, one per design column")
            }
            return values
        }
        if type == "t" && weights.count != 1 {
            throw PALMExportError.contrastWeights(path: path, label: label, detail: "a t contrast has one weight row, found \(weights.count)")
        }
        return ModelContrast(label: label, isF: type == "F", weights: weights)
    }

    // MARK: - design.con rows

    /// Where each contrast lands in design.con (and design.fts): every t contrast gets its own row in
    /// glm.json's order; then each F contrast's weight rows are appended — a row identical to one
    /// already in design.con is reused rather than repeated — and design.fts selects them.
    struct ContrastLayout {
        var rows: [(name: String, weights: [Double])] = []
        /// Per glm.json contrast, its rows in design.con (0-based).
        var placement: [[Int]] = []
        /// Per F contrast: its label and its rows in design.con (0-based).
        var fTests: [(label: String, rows: [Int])] = []

        init(_ model: Model) {
            placement = Array(repeating: [], count: model.contrasts.count)
            for (c, contrast) in model.contrasts.enumerated() where !contrast.isF {
                placement[c] = [rows.count]
                rows.append((contrast.label, contrast.weights[0]))
            }
            for (c, contrast) in model.contrasts.enumerated() where contrast.isF {
                var selected: [Int] = []
                for (k, weights) in contrast.weights.enumerated() {
                    if let existing = rows.firstIndex(where: { $0.weights == weights }) {
                        if !selected.contains(existing) { selected.append(existing) }
                    } else {
                        selected.append(rows.count)
                        rows.append(("\(contrast.label)_row\(k + 1)", weights))
                    }
                }
                placement[c] = selected
                fTests.append((contrast.label, selected))
            }
        }
    }
}
