import Foundation
import NIfTI
import Pipeline

/// `palm_export.json`: what each exported file holds, the row order, where every glm contrast went,
/// and the randomise / PALM command lines that rerun the model on the same data.
extension PALMExport {
    /// Permutations written into the command lines when the glm ran none (parametric only): randomise's default.
    static let defaultPermutations = 5000

    /// The command lines, run inside the model folder.
    static func commands(_ model: Model, layout: ContrastLayout) -> (randomise: String, palm: String) {
        let permutations = model.permutations > 0 ? model.permutations : defaultPermutations
        let hasF = !layout.fTests.isEmpty
        var randomise = ["randomise", "-i", mergedName, "-o", "randomise", "-d", "design.mat", "-t", "design.con"]
        if hasF { randomise += ["-f", "design.fts"] }
        randomise += ["-e", "design.grp"]
        if model.hasMask { randomise += ["-m", "mask.nii.gz"] }
        randomise += ["-n", "\(permutations)"]
        if model.tfce { randomise.append("-T") }
        randomise.append("-x")  // voxelwise max-statistic FWE p, as the glm's stat-pfwe
        if let seed = model.seed { randomise.append("--seed=\(seed)") }

        var palm = ["palm", "-i", mergedName, "-d", "design.mat", "-t", "design.con"]
        if hasF { palm += ["-f", "design.fts"] }
        palm += ["-eb", "design.grp"]
        if model.hasMask { palm += ["-m", "mask.nii.gz"] }
        palm += ["-n", "\(permutations)"]
        if model.tfce { palm.append("-T") }
        if model.twoSided { palm.append("-twotail") }
        if model.signFlip { palm.append("-ise") }
        if let seed = model.seed { palm += ["-seed", "\(seed)"] }
        palm += ["-o", "palm"]
        return (randomise.joined(separator: " "), palm.joined(separator: " "))
    }

    static func sidecar(_ model: Model, layout: ContrastLayout, stack: MapStack?) -> Provenance {
        let (randomise, palm) = commands(model, layout: layout)
        var described: [(String, JSONValue)] = [
            ("design.mat", .string("the design of design.tsv: \(model.rows.count) rows (participants, in RowOrder) × \(model.columns.count) columns (Columns)")),
            ("design.con", .string("\(layout.rows.count) contrast rows over the design columns: each t contrast of glm.json, then the rows of its F contrasts (see Contrasts)")),
        ]
        if !layout.fTests.isEmpty {
            described.append(("design.fts", .string("\(layout.fTests.count) F test(s), each a 0/1 row selecting design.con rows")))
        }
        described.append(("design.grp", .string("exchangeability blocks: one block, every participant freely exchangeable")))
        if stack != nil {
            described.append((mergedName, .string("the \(model.rows.count) maps as float32 frames in RowOrder, on the first map's grid")))
        }
        var notes: [JSONValue] = [
            .string("Run the commands inside this folder. Design values are written with enough digits to reproduce design.tsv exactly."),
            .string("VEST headers: /PPheights in design.mat is each column's max - min (its magnitude for a constant column such as the intercept); in design.con, the max - min of design.mat times the contrast row. /RequiredEffect is a placeholder 0 (FEAT derives it from first-level noise, which a group model does not have). Neither randomise nor PALM uses either for inference."),
        ]
        if !layout.fTests.isEmpty {
            notes.append(.string("F contrasts: their weight rows are appended to design.con after the t contrasts (a row identical to one already there is reused) and design.fts selects them; randomise and PALM also report the appended rows as t contrasts."))
        }
        if model.permutations == 0 {
            notes.append(.string("glm.json records a parametric-only model (0 permutations): the commands use \(defaultPermutations) permutations, randomise's default."))
        }
        if model.twoSided {
            notes.append(.string("The glm's t tests are two-sided: PALM's -twotail does the same; randomise tests the positive direction only, so add each t contrast negated to design.con for the other tail."))
        }
        if model.signFlip {
            notes.append(.string("The glm sign-flipped (one-sample model): PALM's -ise does the same; randomise detects a one-sample design and sign-flips by itself."))
        }
        if stack == nil {
            notes.append(.string("No maps were given, so \(mergedName) was not written: stack the participants' maps in RowOrder under that name before running the commands."))
        }
        if !model.hasMask {
            notes.append(.string("The model folder has no mask.nii.gz (a regional model): the commands run without -m."))
        }
        let contrasts: [JSONValue] = model.contrasts.enumerated().map { c, contrast in
            var entry: [(String, JSONValue)] = [
                ("label", .string(contrast.label)),
                ("type", .string(contrast.isF ? "F" : "t")),
                ("design_con_rows", .ints(layout.placement[c].map { $0 + 1 })),
            ]
            if contrast.isF, let row = layout.fTests.firstIndex(where: { $0.label == contrast.label }) {
                entry.append(("design_fts_row", .int(row + 1)))
            }
            return .object(entry)
        }

        var provenance = Provenance(stage: name)
        provenance.add([
            ("Model", .string("glm.json")),
            ("Design", .string("design.tsv")),
            ("Files", .object(described)),
            ("RowOrder", .array(model.participants.map { .string($0) })),
            ("Columns", .array(model.columns.map { .string($0) })),
            ("Contrasts", .array(contrasts)),
            ("Maps", stack.map { .array($0.paths.map { .string($0) }) } ?? .null),
            ("ModelPermutations", .int(model.permutations)),
            ("Permutations", .int(model.permutations > 0 ? model.permutations : defaultPermutations)),
            ("TFCE", .bool(model.tfce)),
            ("TwoSided", .bool(model.twoSided)),
            ("SignFlipping", .bool(model.signFlip)),
            ("Seed", model.seed.map { .int($0) } ?? .null),
            ("Commands", .object([("randomise", .string(randomise)), ("palm", .string(palm))])),
            ("Notes", .array(notes)),
        ])
        return provenance
    }
}
