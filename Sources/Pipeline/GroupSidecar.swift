import Foundation
import NIfTI
import Stats

/// The `glm.json` sidecar: every parameter a reader needs to reproduce or interpret the outputs.
enum GroupSidecar {
    static func provenance(_ results: [ContrastResult], inputs: GroupInputs, options: GroupAnalysisOptions,
                     outputs: [[(String, String)]], fingerprint: UInt64) -> Provenance {
        let design = inputs.design
        let unit = inputs.mask == nil ? "regions" : "voxels"
        var input: [(String, JSONValue)] = [("participants", .string(options.participants))]
        switch options.data {
        case .maps(let pattern):
            input.append(("maps", .string(pattern)))
            input.append(("mask", .string(inputs.maskSource ?? "")))
            input.append(("grid", .ints(inputs.mask?.grid.shape ?? [])))
        case .mapFiles(let paths):
            input.append(("maps", .array(paths.map { .string($0) })))
            input.append(("mask", .string(inputs.maskSource ?? "")))
            input.append(("grid", .ints(inputs.mask?.grid.shape ?? [])))
        case .table(let path):
            input.append(("table", .string(path)))
            input.append(("table_layout", .string("rows are participants (participant_id), every other column is a region or edge")))
        }
        input.append(("\(unit)_in_analysis", .int(inputs.responses.measures)))
        if let first = results.first {
            input.append(("\(unit)_tested", .int(first.fit.tested.count)))
            let counts = first.fit.excludedCounts
            input.append(("\(unit)_not_tested", .object([
                ("constant", .int(counts[.constant] ?? 0)),
                ("non_finite", .int(counts[.nonFinite] ?? 0)),
                ("perfect_fit", .int(counts[.perfectFit] ?? 0)),
            ])))
        }

        let columns: [JSONValue] = design.columns.map { column in
            switch column.kind {
            case .intercept:
                return .object([("name", .string(column.name)), ("kind", .string("intercept"))])
            case .covariate(let term, let mean):
                return .object([("name", .string(column.name)), ("kind", .string("covariate")), ("column", .string(term)),
                                ("centred_at", .number(mean))])
            case .level(let term, let level):
                return .object([("name", .string(column.name)), ("kind", .string("dummy")), ("column", .string(term)),
                                ("level", .string(level)), ("reference", .string(design.factor(term)?.reference ?? ""))])
            }
        }
        let factors: [JSONValue] = design.factors.map { f in
            .object([("column", .string(f.term)), ("reference_level", .string(f.reference)), ("levels", .array(f.levels.map { .string($0) })),
                     ("participants_per_level", .object(zip(f.levels, f.counts).map { ($0, .int($1)) }))])
        }
        let model: JSONValue = .object([
            ("formula", .string(options.formula)),
            ("normalised", .string(design.formula?.description ?? options.formula)),
            ("coding", .string("intercept; categorical columns treatment-coded against the reference level; continuous covariates mean-centred over the included participants")),
            ("columns", .array(columns)),
            ("factors", .array(factors)),
            ("participants", .int(design.rowCount)),
            ("residual_degrees_of_freedom", .int(design.rowCount - design.columnCount)),
            ("fit", .string("ordinary least squares, Float64 QR (Gram-Schmidt twice)")),
        ])
        let participants: JSONValue = .object([
            ("included", .array(design.participants.map { .string($0) })),
            ("dropped", .array(design.dropped.map { .object([("participant_id", .string($0.id)), ("reason", .string($0.reason))]) })),
            ("unlisted_data", .array(inputs.unlisted.map { .string($0) })),
        ])

        let contrasts: [JSONValue] = zip(results, outputs).map { result, files in
            let c = result.contrast
            let plan = result.fit.plan
            var entry: [(String, JSONValue)] = [
                ("label", .string(c.label)),
                ("specification", .string(c.specification)),
                ("type", .string(c.kind.rawValue)),
                ("weights", .array(c.weights.map { .numbers($0) })),
                ("columns", .array(design.columnNames.map { .string($0) })),
                ("degrees_of_freedom", .numbers(c.kind == .t ? [plan.statisticDegreesOfFreedom.1]
                                                : [plan.statisticDegreesOfFreedom.0, plan.statisticDegreesOfFreedom.1])),
                ("tail", .string(c.kind == .f ? "upper (F)" : options.twoSided ? "two-sided" : "one-sided (positive direction)")),
            ]
            switch c.effectSize {
            case .twoGroups(let term, let first, let second)?:
                entry.append(("effect_size", .string("Hedges g: J * (\(first) - \(second) in \(term), covariate-adjusted) / residual SD, J = 1 - 3/(4 df - 1)")))
            case .oneSample?:
                entry.append(("effect_size", .string("Hedges g: J * mean / residual SD, J = 1 - 3/(4 df - 1)")))
            case nil:
                break
            }
            if let perm = result.permutation {
                var p: [(String, JSONValue)] = [
                    ("method", .string(perm.method)),
                    ("nuisance_columns", .array(plan.nuisanceColumns.map { .string($0) })),
                    ("resampling", .string(plan.scheme.rawValue)),
                ]
                if let step = perm.tfceStep { p.append(("tfce_dh", .number(step))) }
                entry.append(("permutation", .object(p)))
            }
            entry.append(("outputs", .object(files.map { ($0.0, .string(URL(fileURLWithPath: $0.1).lastPathComponent)) })))
            return .object(entry)
        }

        var inference: [(String, JSONValue)] = [
            ("parametric", .string("t and F tails and z-equivalents from libnifti nifticdf")),
            ("fdr", .string("Benjamini-Hochberg q-values of the parametric p over the tested \(unit) (stat-pfdr)")),
            ("permutations", .int(options.permutations)),
        ]
        if options.permutations > 0 {
            inference += [
                ("seed", .int(Int(truncatingIfNeeded: options.seed))),
                ("random_generator", .string("Philox4x32-10, key = seed, counter = (draw, permutation index): permutation k is the same in any thread, chunk or process")),
                ("p_values", .string("(1 + count) / (N + 1): the identity is counted once and is not among the N random resamplings")),
                ("fwe", .string("maximum statistic over the tested \(unit) (|t| when two-sided)")),
                ("float_precision", .string("observed statistics in Float64; permuted statistics in Float32 (OpenBLAS sgemm), compared with the observed ones through the same Float32 path")),
            ]
            if options.tfce {
                inference.append(("tfce", .object([("E", .number(0.5)), ("H", .number(2)), ("connectivity", .int(options.tfceConnectivity.rawValue)),
                                                   ("dh", .string("max of the observed statistic (|t| when two-sided) / 100, used for every permutation")),
                                                   ("integral", .string("sum over h = dh, 2dh, ... <= value of extent^E h^H dh"))])))
            }
            if options.fromChunks != nil { inference.append(("combined_from_chunks", .string(options.fromChunks!))) }
        }
        inference.append(("fingerprint", .string(String(fingerprint, radix: 16))))
        if let extent = options.clusterInference {
            var entry: [(String, JSONValue)] = [
                ("forming_threshold", .string(extent.threshold.description)),
                ("forming_threshold_p_one_sided", .number(extent.threshold.p)),
                ("t_scale", .string("t with upper tail p (p/2 in each tail when two-sided), at the contrast's residual degrees of freedom, as nilearn permuted_ols")),
                ("connectivity", .int(extent.connectivity.rawValue)),
                ("size", .string("voxels above the threshold (|t| when two-sided; positive and negative clusters apart)")),
                ("mass", .string("sum over the cluster of (|t| - threshold), as nilearn")),
                ("fwe", .string("largest cluster size / mass per permutation, over both tails when two-sided (one family, PALM's -twotail)")),
                ("contrasts", .string("t contrasts only")),
            ]
            let thresholds = results.compactMap { r in r.permutation?.clusterThreshold.map { (r.contrast.label, JSONValue.number($0)) } }
            entry.append(("t_threshold", .object(thresholds)))
            inference.append(("cluster_extent", .object(entry)))
        }
        if let report = options.clusterReport {
            var clusters: [(String, JSONValue)] = [
                ("threshold", .string(report.threshold.description)),
                ("meaning", .string(report.threshold.meaning)),
                ("connectivity", .int(report.connectivity.rawValue)),
                ("signs", .string("positive and negative voxels never join one cluster")),
                ("order", .string("largest first; ties by peak |statistic|")),
                ("peak_distance_mm", .number(report.peakDistance)),
                ("local_maxima", .string("voxels whose |statistic| is at least every 26-neighbour's in the cluster")),
                ("centre_of_gravity", .string("weighted by |statistic| (FSL cluster's COG)")),
                ("coordinates", .string("world millimetres of the maps' affine (template space for template-space maps)")),
            ]
            if let atlas = report.atlas { clusters.append(("atlas", .string(atlas))) }
            if let labels = report.labels { clusters.append(("labels", .string(labels))) }
            inference.append(("clusters", .object(clusters)))
        }

        var provenance = Provenance(stage: GroupAnalysis.name)
        provenance.add([
            ("command", .array(options.commandLine.map { .string($0) })),
            ("input", .object(input)),
            ("model", model),
            ("participants", participants),
            ("contrasts", .array(contrasts)),
            ("inference", .object(inference)),
            ("fill_values", .string("untested \(unit): statistics 0, p-values 1 (maps); n/a with a status column (tables)")),
        ])
        return provenance
    }
}
