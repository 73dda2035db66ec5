import Foundation
import NIfTI

/// Writes a deterministic synthetic study: a raw BIDS dataset with fMRIPrep derivatives (and optionally
/// CAT12 outputs) in exactly the layout those tools produce, for discovery and end-to-end tests and demos.
/// The same options and seed give bit-identical files.
public struct StudySimulator: Sendable {
    /// fMRIPrep naming generation: `modern` (≥ 21: `res-2`, `desc-confounds_timeseries`) or `legacy`
    /// (20.2: no `res-`, `desc-confounds_regressors`).
    public enum Layout: String, Sendable, Equatable, CaseIterable {
        case modern, legacy
    }

    /// What to simulate.
    public struct Options: Sendable, Equatable {
        /// Participants 1…99, labelled `01`…
        public var participants: Int
        public var seed: UInt64
        /// Template/BOLD grid dimensions (voxels).
        public var nx: Int
        public var ny: Int
        public var nz: Int
        /// Template/BOLD voxel size in mm (native T1w voxels are 0.75 × this).
        public var voxelSize: Double
        /// BOLD volumes per run (volume 0 is a non-steady-state volume).
        public var volumes: Int
        /// Seconds.
        public var repetitionTime: Double
        public var layout: Layout
        /// Also write `derivatives/cat12`.
        public var cat12: Bool
        /// Also write files discovery must ignore (other spaces, tasks, CIFTI, transforms, reports).
        public var distractors: Bool

        public init(participants: Int = 6, seed: UInt64 = 1, nx: Int = 16, ny: Int = 16, nz: Int = 16, voxelSize: Double = 8,
                    volumes: Int = 40, repetitionTime: Double = 2.0, layout: Layout = .modern, cat12: Bool = false,
                    distractors: Bool = true) {
            self.participants = participants
            self.seed = seed
            (self.nx, self.ny, self.nz) = (nx, ny, nz)
            self.voxelSize = voxelSize
            self.volumes = volumes
            self.repetitionTime = repetitionTime
            self.layout = layout
            self.cat12 = cat12
            self.distractors = distractors
        }

        /// The grid dimensions as one value.
        public var shape: (Int, Int, Int) {
            get { (nx, ny, nz) }
            set { (nx, ny, nz) = newValue }
        }

        /// Throws the first invalid option: participants 1…99, volumes ≥ 10, every dimension ≥ 8,
        /// voxel size and TR positive and finite, and a run small enough to hold in memory.
        public func validate() throws {
            guard (1...99).contains(participants) else { throw SimulationError.participantsOutOfRange(participants) }
            guard volumes >= 10 else { throw SimulationError.tooFewVolumes(volumes) }
            guard nx >= 8, ny >= 8, nz >= 8 else { throw SimulationError.shapeTooSmall(nx: nx, ny: ny, nz: nz) }
            guard voxelSize.isFinite, voxelSize > 0 else { throw SimulationError.invalidVoxelSize(voxelSize) }
            guard repetitionTime.isFinite, repetitionTime > 0 else { throw SimulationError.invalidRepetitionTime(repetitionTime) }
            let voxels = nx.multipliedReportingOverflow(by: ny).partialValue.multipliedReportingOverflow(by: nz)
            let native = Int((Double(max(nx, ny, nz)) * StudyGeometry.nativeShapeFactor).rounded(.up))
            let nativeVoxels = native.multipliedReportingOverflow(by: native).partialValue.multipliedReportingOverflow(by: native)
            let limit = StudySimulator.maximumRunValues
            guard nx <= limit, ny <= limit, nz <= limit, !voxels.overflow, !nativeVoxels.overflow,
                  voxels.partialValue <= limit / volumes, nativeVoxels.partialValue <= limit else {
                throw SimulationError.studyTooLarge(voxels: voxels.overflow ? Int.max : voxels.partialValue, volumes: volumes)
            }
        }
    }

    /// The most voxel × volume values one simulated run may hold (1 GiB of float32).
    static let maximumRunValues = 1 << 28

    public let options: Options

    public init(options: Options) {
        self.options = options
    }

    /// The participants (demographics and ground truth) a write produces; empty for an invalid count.
    public var participants: [SimulatedParticipant] {
        guard (1...99).contains(options.participants) else { return [] }
        let nativeVoxel = options.voxelSize * StudyGeometry.nativeVoxelFraction
        return (1...options.participants).map {
            SimulatedParticipant.draw(index: $0, count: options.participants, seed: options.seed, nativeVoxelSize: nativeVoxel)
        }
    }

    /// Writes the study under `root` (created if absent; an existing non-empty folder is refused).
    public func write(to root: String) throws -> Manifest {
        try options.validate()
        var writer = try StudyWriter(root: root)
        let geometry = StudyGeometry(nx: options.nx, ny: options.ny, nz: options.nz, voxelSize: options.voxelSize)
        let template = FunctionalTemplate(geometry: geometry)
        let confounds = ConfoundsBuilder(template: template)
        let participants = self.participants
        try writeDatasetFiles(participants, into: &writer)
        for participant in participants {
            let anatomy = try writeAnatomy(participant, geometry: geometry, template: template, into: &writer)
            for (n, acquisition) in participant.acquisitions.enumerated() {
                let naming = RunNaming(participant: participant, acquisition: acquisition, layout: options.layout)
                try writeRun(naming, acquisition: n, template: template, confounds: confounds, into: &writer)
            }
            if options.distractors && participant.index == 1 {
                try writeDistractors(participant, anatomy: anatomy, template: template, into: &writer)
            }
            if options.cat12 {
                try writeCAT12(participant, anatomy: anatomy, into: &writer)
            }
        }
        return Manifest(participants: participants.map(\.label), files: writer.files.sorted())
    }

    /// One functional run: BOLD, its sidecar, mask, reference, confounds table and sidecar, raw stub.
    private func writeRun(_ naming: RunNaming, acquisition: Int, template: FunctionalTemplate, confounds: ConfoundsBuilder,
                          into writer: inout StudyWriter) throws {
        let grid = template.grid
        let run = BOLDSimulation.simulate(template: template, participant: naming.participant, acquisition: acquisition,
                                          volumes: options.volumes, seed: options.seed)
        try writer.image(Volume(grid: grid, frames: run.frames, voxels: run.voxels, repetitionTime: options.repetitionTime),
                         to: naming.preprocessedBold, spaceCode: 4)
        try writer.json(.object([("RepetitionTime", .number(options.repetitionTime)), ("SkullStripped", .bool(false)),
                                 ("TaskName", .string("rest"))]), to: naming.preprocessedBoldSidecar)
        try writer.image(Volume(grid: grid, voxels: template.brain.map { $0 ? 1 : 0 }), to: naming.brainMask,
                         datatype: .uint8, spaceCode: 4)
        try writer.image(Volume(grid: grid, voxels: BOLDSimulation.reference(run, voxelCount: grid.voxelCount)),
                         to: naming.boldReference, spaceCode: 4)
        let (table, sidecar) = confounds.build(run)
        try writer.table(table, to: naming.confounds(ext: ".tsv"))
        try writer.json(sidecar, to: naming.confounds(ext: ".json"))
        try writer.json(.object([("RepetitionTime", .number(options.repetitionTime)), ("TaskName", .string("rest"))]),
                        to: naming.rawSidecar)
    }
}

/// What a write produced.
public struct Manifest: Sendable, Equatable {
    /// Participant labels (`01`, `02`, …), without the `sub-` prefix.
    public var participants: [String]
    /// Every file written, relative to the root, sorted.
    public var files: [String]

    public init(participants: [String], files: [String]) {
        self.participants = participants
        self.files = files
    }
}
