import Foundation
import Kernels
import NIfTI

extension GrayMatterVolume: Stage {
    public static let name = "gm-volume"

    /// One participant's tissue maps: GM, and WM + CSF for the intracranial volume.
    public struct Maps: Sendable, Equatable, Codable {
        public var gm: String
        public var wm: String?
        public var csf: String?

        public init(gm: String, wm: String? = nil, csf: String? = nil) {
            self.gm = gm
            self.wm = wm
            self.csf = csf
        }
    }

    /// Where the tables go.
    public enum Destination: Sendable, Equatable, Codable {
        /// Nothing is written (the caller prints the outcome's table); one map only.
        case none
        /// One map's table (TSV) with its sidecar beside it.
        case table(path: String)
        /// A cohort: `<stem>_gmvol.tsv/.json` per map and `gmvol.tsv` (one row per map) in this folder.
        case folder(path: String)
    }

    /// Regional GM volume of one or more maps against the same regions.
    public struct Request: Sendable, Equatable, Codable {
        public var maps: [Maps]
        public var regions: RegionDefinition
        public var destination: Destination

        public init(maps: [Maps], regions: RegionDefinition, destination: Destination) {
            self.maps = maps
            self.regions = regions
            self.destination = destination
        }

        /// Checks what can be checked before reading anything.
        public func validate() throws {
            guard !maps.isEmpty else { throw RequestError.missingInput(what: "gray-matter map") }
            if maps.contains(where: { ($0.wm == nil) != ($0.csf == nil) }) {
                throw RequestError.conflicting(detail: "TIV needs both a WM and a CSF map for every GM map")
            }
            if case .custom(let spheres, let masks) = regions {
                let names = spheres.map(\.name) + masks.map(\.name)
                if Set(names).count != names.count { throw RequestError.duplicateNames(what: "region names", names: names) }
            }
            if Set(maps.map { $0.wm == nil }).count > 1 {
                throw RequestError.conflicting(detail: "give WM and CSF maps for every GM map or for none")
            }
            switch destination {
            case .none where maps.count > 1, .table where maps.count > 1:
                throw RequestError.conflicting(detail: "\(maps.count) gray-matter maps need an output folder")
            case .table(let path):
                try RequestError.requireExtension(path, [".tsv"])
            default:
                break
            }
        }
    }

    /// A map that could not be measured, and why.
    public struct Failure: Sendable {
        public let path: String
        public let error: Error
    }

    public struct Outcome: StageOutcome {
        /// Measured maps, in request order.
        public let measured: [(maps: Maps, result: Result)]
        /// Maps that failed (a cohort goes on without them).
        public let failures: [Failure]
        public let files: [String]
        public let timer: PhaseTimer
    }

    /// Measures every map (a cohort in parallel, regions prepared once per grid) and writes the tables.
    /// With one map an error is thrown; in a cohort a failing map is listed in `failures` and skipped.
    public static func run(_ request: Request, context: StageContext) throws -> Outcome {
        try request.validate()
        var timer = PhaseTimer()
        let maps = request.maps
        if case .folder(let folder) = request.destination {
            let results = timer.measure("measure") {
                measureCohort(gms: maps.map(\.gm), wms: maps.first?.wm == nil ? nil : maps.map { $0.wm! },
                              csfs: maps.first?.csf == nil ? nil : maps.map { $0.csf! }, regions: request.regions,
                              parallelism: context.parallelism)
            }
            var measured: [(maps: Maps, result: Result)] = [], failures: [Failure] = []
            var outputs = OutputSet()
            var stems: [String: String] = [:], participants: [String: String] = [:]
            for (entry, outcome) in zip(maps, results) {
                switch outcome {
                case .success(let result):
                    let stem = imageStem(of: entry.gm)
                    if let other = stems[stem] {
                        failures.append(Failure(path: entry.gm, error: RequestError.duplicateNames(
                            what: "gray-matter map file names (each names its table)", names: [other, entry.gm])))
                        continue
                    }
                    let participant = participant(of: entry.gm)
                    if let other = participants[participant] {
                        failures.append(Failure(path: entry.gm, error: RequestError.duplicateNames(
                            what: "participants of the cohort table (\(participant))", names: [other, entry.gm])))
                        continue
                    }
                    stems[stem] = entry.gm
                    participants[participant] = entry.gm
                    if measured.isEmpty { result.notes.forEach(context.note) }
                    result.warnings.forEach(context.warn)
                    let table = folder + "/" + stem + "_gmvol.tsv"
                    outputs.table(self.table(result), to: table)
                    outputs.sidecar(provenance(result, maps: entry, regions: request.regions), for: table)
                    measured.append((entry, result))
                case .failure(let error):
                    failures.append(Failure(path: entry.gm, error: error))
                }
            }
            if !measured.isEmpty { outputs.table(cohortTable(measured.map { ($0.maps.gm, $0.result) }), to: folder + "/gmvol.tsv") }
            let files = try timer.measure("write") { try outputs.commit(context: context) }
            return Outcome(measured: measured, failures: failures, files: files, timer: timer)
        }
        let entry = maps[0]
        let result = try timer.measure("measure") {
            try measure(gm: entry.gm, wm: entry.wm, csf: entry.csf, regions: request.regions, parallelism: context.parallelism)
        }
        result.notes.forEach(context.note)
        result.warnings.forEach(context.warn)
        var files: [String] = []
        if case .table(let path) = request.destination {
            var outputs = OutputSet()
            outputs.table(table(result), to: path)
            outputs.sidecar(provenance(result, maps: entry, regions: request.regions), for: path)
            files = try timer.measure("write") { try outputs.commit(context: context) }
        }
        return Outcome(measured: [(entry, result)], failures: [], files: files, timer: timer)
    }

    /// The sidecar: inputs, totals, TIV, invalid-value counts and warnings.
    public static func provenance(_ result: Result, maps: Maps, regions: RegionDefinition) -> Provenance {
        var inputs: [(String, JSONValue)] = [("gm", .string(maps.gm))]
        if let wm = maps.wm, let csf = maps.csf { inputs += [("wm", .string(wm)), ("csf", .string(csf))] }
        switch regions {
        case .atlas(let atlas, let labels):
            inputs.append(("atlas", .string(atlas)))
            if let labels { inputs.append(("labels", .string(labels))) }
        case .custom(let spheres, let masks):
            inputs += spheres.map { ("sphere", .string($0.specification)) } + masks.map { ("roi", .string("\($0.name):\($0.path)")) }
        }
        var p = Provenance(stage: name)
        p.add([
            ("Measure", .string("gray-matter volume: sum of probability x voxel volume per region")),
            ("Inputs", .object(inputs)),
            ("VoxelVolumeMM3", .number(result.voxelVolumeMM3)),
            ("RegionsResampledNearestNeighbour", .bool(result.resampledRegions)),
            ("TotalGrayMatterMM3", .number(result.totalGrayMatterMM3)),
            ("TotalWhiteMatterMM3", .number(result.totalWhiteMatterMM3)),
            ("TotalCSFMM3", .number(result.totalCSFMM3)),
            ("TotalIntracranialVolumeMM3", .number(result.tivMM3)),
            ("NaNVoxels", .int(result.nanVoxels)),
            ("ValuesBelowZero", .int(result.belowZero)),
            ("ValuesAboveOne", .int(result.aboveOne)),
            ("Notes", .array(result.notes.map { .string($0) })),
            ("Warnings", .array(result.warnings.map { .string($0) })),
        ])
        return p
    }
}
