import Foundation
import NIfTI
import Pipeline

/// Turns one participant's derivatives into jobs: per session a seed-map and a connectivity job over its
/// runs (combined in Fisher z), ALFF and ReHo per run, the session's QC table, and the structural job.
struct PlanBuilder {
    let spec: PipelineSpec
    let names: OutputNames
    let task: String
    var space: Space?
    /// CAT12 outputs by participant label.
    var cat12: [String: [CAT12Participant]] = [:]
    private(set) var jobs: [Job] = []
    private(set) var planned: [String] = []
    private(set) var runCounts: [String: Int] = [:]
    private(set) var problems: [ParticipantProblem] = []
    private(set) var notes: [String] = []

    init(spec: PipelineSpec, names: OutputNames, task: String) {
        self.spec = spec
        self.names = names
        self.task = task
    }

    mutating func add(_ participant: ParticipantDerivatives, sessions: [String]) {
        let label = participant.label
        let before = jobs.count
        var failures: [String] = []
        if spec.needsFunctional, let space {
            let runs = participant.runs.filter { run in
                run.task == task && run.space == space && (sessions.isEmpty || run.session.map(sessions.contains) ?? true)
            }
            if runs.isEmpty {
                failures.append("no \(task) BOLD series in space \(space)\(sessions.isEmpty ? "" : " for session(s) \(sessions.joined(separator: ", "))")")
            }
            runCounts[label] = runs.count
            let bySession = Dictionary(grouping: runs, by: { $0.session ?? "" })
            for key in bySession.keys.sorted() {
                do { try addFunctional(bySession[key]!, participant: label) } catch {
                    failures.append(Self.describe(error))
                }
            }
        }
        if let structural = spec.structural {
            do { try addStructural(structural, participant: participant, sessions: sessions) } catch {
                failures.append(Self.describe(error))
            }
        }
        if jobs.count > before { planned.append(label) }
        if !failures.isEmpty { problems.append(ParticipantProblem(participant: label, reason: failures.joined(separator: "; "))) }
    }

    // MARK: - Functional

    private mutating func addFunctional(_ runs: [BOLDRun], participant: String) throws {
        let first = runs[0]
        for run in runs {
            guard run.mask != nil else { throw PlanError.missingPartner(bold: run.bold, what: "brain mask (_desc-brain_mask.nii.gz)") }
            if run.confounds == nil { throw PlanError.missingPartner(bold: run.bold, what: "confounds table (_desc-confounds_timeseries.tsv)") }
        }
        let headers = try runs.map { try RunHeader($0) }
        var denoising = spec.denoising
        // The TR comes from the BOLD sidecar when it has one (fMRIPrep copies it from the scanner); the header
        // is the fallback. An override is recorded only where the two disagree.
        let trs = headers.map { $0.sidecarTR ?? $0.headerTR }
        if let tr = trs.first ?? nil {
            guard trs.allSatisfy({ $0.map { abs($0 - tr) < 1e-6 } ?? false }) else {
                throw PlanError.repetitionTimesDiffer(participant: participant, runs: runs.map(\.bold), values: trs.map { $0 ?? Double.nan })
            }
            if headers.contains(where: { $0.headerTR.map { abs($0 - tr) > 1e-6 } ?? true }) {
                denoising.cleaning.repetitionTime = tr
                notes.append("sub-\(participant): repetition time \(tr) s from the BOLD sidecar (the NIfTI header says otherwise)")
            }
        }
        let functionalRuns = runs.map { FunctionalRun(bold: $0.bold, confounds: $0.confounds) }
        let mask = first.mask!
        let seriesBytes = headers.map(\.seriesBytes).max() ?? 0
        let inputs = runs.flatMap { [$0.bold, $0.mask!, $0.confounds!] + ($0.sidecar.map { [$0] } ?? []) }
        var qcSource: (sidecar: String, job: Int)?

        if let seedMap = spec.seedMap {
            let request = SeedMap.Request(runs: functionalRuns, mask: mask, seeds: seedMap.seeds.map { .sphere($0) }, denoising: denoising,
                                          outputZ: names.seedMap(first, statistic: "z"),
                                          outputR: seedMap.pearsonR ? names.seedMap(first, statistic: "r") : nil)
            var outputs: [String] = [], sidecars: [String] = []
            for seed in seedMap.seeds {
                let (z, r) = request.paths(seed: seed.name)
                outputs += [z] + (r.map { [$0] } ?? [])
                sidecars.append(sidecarPath(for: z))
            }
            let id = append(.seedMap(request), participant: participant, session: first.session, run: nil, inputs: inputs,
                            outputs: outputs + sidecars, sidecars: sidecars, peak: 3 * seriesBytes)
            qcSource = (sidecars[0], id)
        }
        if let connectivity = spec.connectivity {
            let output = names.connectivity(first, atlas: connectivity.atlasName,
                                            statistic: connectivity.kind == .correlation ? "pearsoncorrelation" : "partialcorrelation")
            let request = RegionConnectivity.Request(
                runs: functionalRuns, atlas: connectivity.atlas, labels: connectivity.labels, kind: connectivity.kind,
                estimator: connectivity.estimator, denoising: denoising, output: output,
                outputZ: names.connectivity(first, atlas: connectivity.atlasName, statistic: "fisherz"),
                outputTimeseries: connectivity.timeseries ? names.timeseries(first, atlas: connectivity.atlasName) : nil)
            let files = [output, request.zPath] + (request.outputTimeseries.map { [$0] } ?? [])
            let sidecar = sidecarPath(for: output)
            let id = append(.conmat(request), participant: participant, session: first.session, run: nil,
                            inputs: inputs + [connectivity.atlas] + (connectivity.labels.map { [$0] } ?? []),
                            outputs: files + [sidecar], sidecars: [sidecar], peak: 2 * seriesBytes)
            if qcSource == nil { qcSource = (sidecar, id) }
        }
        for (run, header) in zip(runs, headers) {
            let functional = FunctionalRun(bold: run.bold, confounds: run.confounds)
            let runInputs = [run.bold, run.mask!, run.confounds!] + (run.sidecar.map { [$0] } ?? [])
            let runLabel = run.name["run"].map { "run-\($0)" }
            if let alff = spec.alff {
                let outputs = ALFFStage.Outputs(alff: names.runMap(run, statistic: "alff"), falff: names.runMap(run, statistic: "falff"))
                // The band selects ALFF's frequencies from the unfiltered cleaned signal: the pipeline's temporal filter does not apply.
                var unfiltered = denoising
                unfiltered.cleaning.highPass = nil
                unfiltered.cleaning.lowPass = nil
                let request = ALFFStage.Request(run: functional, mask: run.mask!, denoising: unfiltered, low: alff.low, high: alff.high,
                                                outputs: outputs)
                // Each ALFF map has its own sidecar.
                let sidecars = [sidecarPath(for: outputs.alff), sidecarPath(for: outputs.falff!)]
                append(.alff(request), participant: participant, session: run.session, run: runLabel, inputs: runInputs,
                       outputs: [outputs.alff, outputs.falff!] + sidecars, sidecars: sidecars, peak: 3 * header.seriesBytes)
            }
            if let reho = spec.reho {
                let output = names.runMap(run, statistic: "reho")
                let request = ReHoStage.Request(run: functional, mask: run.mask!, denoising: denoising, neighbourhood: reho.neighbourhood,
                                                output: output)
                let sidecar = sidecarPath(for: output)
                append(.reho(request), participant: participant, session: run.session, run: runLabel, inputs: runInputs,
                       outputs: [output, sidecar], sidecars: [sidecar], peak: 3 * header.seriesBytes)
            }
        }
        if let qcSource {
            let output = names.qcTable(first)
            let request = QualityTable.Request(source: qcSource.sidecar, seeds: spec.seedMap?.seeds.map(\.name) ?? [], output: output)
            let sidecar = sidecarPath(for: output)
            append(.qc(request), participant: participant, session: first.session, run: nil, inputs: [qcSource.sidecar],
                   outputs: [output, sidecar], sidecars: [sidecar], dependencies: [qcSource.job], peak: 1 << 20)
        }
    }

    // MARK: - Structural

    private mutating func addStructural(_ structural: StructuralSpec, participant: ParticipantDerivatives, sessions: [String]) throws {
        let label = participant.label
        if structural.source == .cat12 {
            let entries = (cat12[label] ?? []).filter { sessions.isEmpty || $0.session == nil || sessions.contains($0.session!) }
            guard !entries.isEmpty else { throw PlanError.noCAT12(participant: label) }
            for entry in entries {
                let output = names.grayMatter(participant: label, session: entry.session, space: nil, atlas: structural.atlasName, measure: "gmvolume")
                let request = GrayMatterVolume.Request(maps: [GrayMatterVolume.Maps(gm: entry.modulatedGM)],
                                                       regions: .atlas(path: structural.atlas!, labels: structural.labels),
                                                       destination: .table(path: output))
                try appendStructural(request, participant: label, session: entry.session, output: output,
                                     inputs: [entry.modulatedGM, structural.atlas!] + (structural.labels.map { [$0] } ?? []))
            }
            return
        }
        let anatomy = participant.anatomy.filter { sessions.isEmpty || $0.session == nil || sessions.contains($0.session!) }
        guard !anatomy.isEmpty else { throw PlanError.noAnatomy(participant: label) }
        for anat in anatomy {
            if let atlas = structural.atlas, let space = structural.space {
                // Unmodulated template-space map, allowed explicitly: tissue density, named and described as such.
                let picked = try space.pick(among: Set(anat.probsegs.keys))
                guard let gm = anat.probsegs[picked]?.gm else { throw PlanError.noTemplateProbseg(participant: label, space: picked.description) }
                let output = names.grayMatter(participant: label, session: anat.session, space: picked.name, atlas: structural.atlasName,
                                              measure: "gmdensity")
                let request = GrayMatterVolume.Request(maps: [GrayMatterVolume.Maps(gm: gm)],
                                                       regions: .atlas(path: atlas, labels: structural.labels), destination: .table(path: output))
                try appendStructural(request, participant: label, session: anat.session, output: output,
                                     inputs: [gm, atlas] + (structural.labels.map { [$0] } ?? []))
                continue
            }
            guard let native = anat.probsegs[.native], let gm = native.gm else { throw PlanError.noNativeProbseg(participant: label) }
            let wantsCortical = !structural.cortical.isEmpty
            guard let segmentation = wantsCortical ? anat.aparcaseg : (anat.aparcaseg ?? anat.aseg) else {
                throw PlanError.noFreeSurfer(participant: label, cortical: wantsCortical)
            }
            let tissues = native.wm != nil && native.csf != nil
            let output = names.grayMatter(participant: label, session: anat.session, space: nil, atlas: structural.atlasName, measure: "gmvolume")
            let request = GrayMatterVolume.Request(
                maps: [GrayMatterVolume.Maps(gm: gm, wm: tissues ? native.wm : nil, csf: tissues ? native.csf : nil)],
                regions: .atlas(path: segmentation, labels: FreeSurferLabels.tableName), destination: .table(path: output))
            try appendStructural(request, participant: label, session: anat.session, output: output,
                                 inputs: [gm, segmentation] + (tissues ? [native.wm!, native.csf!] : []))
        }
    }

    private mutating func appendStructural(_ request: GrayMatterVolume.Request, participant: String, session: String?, output: String,
                                           inputs: [String]) throws {
        let header = try NIfTIImage(path: request.maps[0].gm).header
        let voxels = header.dim.dropFirst().prefix(3).reduce(1, *)
        let sidecar = sidecarPath(for: output)
        append(.gmVolume(request), participant: participant, session: session, run: nil, inputs: inputs, outputs: [output, sidecar],
               sidecars: [sidecar], peak: 24 * voxels + (64 << 20))
    }

    // MARK: - Helpers

    @discardableResult
    private mutating func append(_ work: JobWork, participant: String, session: String?, run: String?, inputs: [String],
                                 outputs: [String], sidecars: [String], dependencies: [Int] = [], peak: Int) -> Int {
        let id = jobs.count
        jobs.append(Job(id: id, participant: participant, session: session, run: run, work: work, inputs: inputs, outputs: outputs,
                        sidecars: sidecars, dependencies: dependencies, predictedPeakBytes: peak + (48 << 20)))
        return id
    }

    static func describe(_ error: Error) -> String {
        (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }
}

/// What the plan reads from a BOLD run before anything runs: the header (dimensions, TR) and the sidecar's TR.
struct RunHeader {
    let headerTR: Double?
    let sidecarTR: Double?
    /// Bytes of the whole series as float32 (the masked series and its cleaned copy are bounded by this).
    let seriesBytes: Int

    init(_ run: BOLDRun) throws {
        let header = try NIfTIImage(path: run.bold).header
        headerTR = header.repetitionTime
        let dims = header.dim
        let frames = dims.count > 4 ? max(1, dims[4]) : 1
        seriesBytes = 4 * frames * dims.dropFirst().prefix(3).reduce(1, *)
        sidecarTR = try run.sidecar.flatMap { path -> Double? in
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw PlanError.badSidecar(path: path, reason: "not a JSON object")
            }
            guard let value = object["RepetitionTime"] else { return nil }
            guard let tr = value as? Double, tr > 0, tr.isFinite else {
                throw PlanError.badSidecar(path: path, reason: "RepetitionTime must be a positive number of seconds, got \(value)")
            }
            return tr
        }
    }
}

/// Why a participant's inputs cannot be planned.
public enum PlanError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case missingPartner(bold: String, what: String)
    case repetitionTimesDiffer(participant: String, runs: [String], values: [Double])
    case badSidecar(path: String, reason: String)
    case noAnatomy(participant: String)
    case noNativeProbseg(participant: String)
    case noFreeSurfer(participant: String, cortical: Bool)
    case noCAT12(participant: String)
    case noTemplateProbseg(participant: String, space: String)

    public var description: String {
        switch self {
        case .missingPartner(let bold, let what): return "\(bold): no \(what) beside it"
        case .repetitionTimesDiffer(let participant, let runs, let values):
            return "sub-\(participant): runs with different repetition times cannot be combined (\(zip(runs, values).map { "\(($0 as NSString).lastPathComponent): \($1) s" }.joined(separator: ", ")))"
        case .badSidecar(let path, let reason): return "\(path): \(reason)"
        case .noAnatomy(let participant): return "sub-\(participant): no anat/ folder with tissue maps"
        case .noNativeProbseg(let participant):
            return "sub-\(participant): no native-space GM probability map (anat/sub-\(participant)_label-GM_probseg.nii.gz)"
        case .noFreeSurfer(let participant, let cortical):
            return "sub-\(participant): no FreeSurfer segmentation (\(cortical ? "desc-aparcaseg_dseg" : "desc-aparcaseg_dseg or desc-aseg_dseg")); fMRIPrep writes it only when it ran FreeSurfer (not with --fs-no-reconall)"
        case .noCAT12(let participant): return "sub-\(participant): no CAT12 mri/mwp1sub-\(participant)*.nii in the CAT12 derivatives"
        case .noTemplateProbseg(let participant, let space): return "sub-\(participant): no GM probseg in space \(space)"
        }
    }

    public var errorDescription: String? { description }
}
