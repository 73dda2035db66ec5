import Foundation
import Kernels
import NIfTI

/// Gaussian smoothing as a pipeline step: `cohortex smooth`, and the seam the connectivity stages
/// call for smoothing before masking (nilearn's maskers).
public enum SmoothingStage: Stage {
    public static let name = "smooth"

    /// Smooth `input` (3D or 4D) at `fwhm` mm into float32 `output` (`.nii` or `.nii.gz`).
    public struct Request: Sendable, Codable, Equatable {
        public var input: String
        public var output: String
        /// Full width at half maximum in millimetres (0: a float32 copy).
        public var fwhm: Double

        public init(input: String, output: String, fwhm: Double) {
            self.input = input
            self.output = output
            self.fwhm = fwhm
        }

        /// Checks what can be checked before reading anything.
        public func validate() throws {
            guard fwhm >= 0, fwhm.isFinite else { throw SpatialError.invalidFWHM(value: fwhm) }
            try RequestError.requireExtension(output, RequestError.imageExtensions)
        }
    }

    /// What a smoothing run did, for the log and the sidecar.
    public struct Report: Sendable {
        public let smoother: GaussianSmoother
        public let frames: Int
        public let nonFiniteReplaced: Int
        public let oblique: Bool

        /// The sidecar entries: every parameter needed to reproduce the output.
        public func provenance(input: String) -> Provenance {
            var p = Provenance(stage: SmoothingStage.name)
            p.add([
                ("Source", .string(input)),
                ("FWHMmm", .number(smoother.fwhm)),
                ("VoxelSizesmm", .numbers(smoother.voxelSizes)),
                ("SigmaVoxels", .numbers(smoother.sigmas)),
                ("Sigmamm", .numbers(zip(smoother.sigmas, smoother.voxelSizes).map { $0 * $1 })),
                ("KernelRadiusVoxels", .ints(smoother.kernels.map { $0?.radius ?? 0 })),
                ("TruncateSigmas", .number(4)),
                ("Boundary", .string("reflect")),
                ("NonFiniteSetToZero", .int(nonFiniteReplaced)),
                ("ObliqueAffine", .bool(oblique)),
                ("Frames", .int(frames)),
                ("Definition", .string("nilearn 0.14 image.smooth_img: non-finite values set to 0, then scipy.ndimage.gaussian_filter1d along each array axis")),
            ])
            return p
        }

        /// Human-readable lines about the geometry (anisotropic or oblique grids) and replaced values.
        public var notes: [String] { smoother.notes(nonFiniteReplaced: nonFiniteReplaced, oblique: oblique) }
    }

    public struct Outcome: StageOutcome {
        public let report: Report
        public let files: [String]
        public let timer: PhaseTimer
    }

    /// Smooths `volume` (every frame) in place at `fwhm` mm.
    @discardableResult
    public static func smooth(_ volume: inout Volume, fwhm: Double, parallelism: Parallelism) throws -> Report {
        guard fwhm >= 0, fwhm.isFinite else { throw SpatialError.invalidFWHM(value: fwhm) }
        let smoother = GaussianSmoother(fwhm: fwhm, affine: volume.grid.affine)
        let replaced = smoother.smooth(&volume, parallelism: parallelism)
        return Report(smoother: smoother, frames: volume.frames, nonFiniteReplaced: replaced,
                      oblique: volume.grid.affine.isOblique)
    }

    /// Reads the input, smooths it and writes the output plus its JSON sidecar. A 4D series streams:
    /// each volume is smoothed as soon as it is decompressed and goes straight to the (parallel)
    /// compressor, so reading, smoothing and writing overlap and the series is never held.
    public static func run(_ request: Request, context: StageContext) throws -> Outcome {
        try request.validate()
        let (input, output, fwhm) = (request.input, request.output, request.fwhm)
        var timer = PhaseTimer()
        let image = try NIfTIImage(path: input)
        try image.checkVoxelDataSize()  // before the output's temporary file and buffers sized by the header
        let description = "cohortex smooth \(fwhm)mm"
        let report: Report
        var outputs = OutputSet()
        if image.header.frames > 1 {
            let grid = image.grid, frames = image.header.frames
            let smoother = GaussianSmoother(fwhm: fwhm, affine: grid.affine)
            let start = DispatchTime.now().uptimeNanoseconds
            var replaced = 0, smoothing = 0.0
            let staged = try NIfTIWriter.stageFrames(to: output, grid: grid, frames: frames, repetitionTime: image.header.repetitionTime,
                                                     description: description) { emit in
                let ring = SmoothingRing(smoother: smoother, grid: grid, parallelism: context.parallelism)
                try image.forEachChunk { _, values in try ring.append(values, emit: emit) }
                try ring.drain(emit: emit)
                (replaced, smoothing) = (ring.replaced, ring.smoothingSeconds)
            }
            let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // Summed over volumes smoothed concurrently with the read and the write: busy time, not wall.
            timer.record("smooth", seconds: smoothing)
            timer.record("stream", seconds: total)
            report = Report(smoother: smoother, frames: frames, nonFiniteReplaced: replaced, oblique: grid.affine.isOblique)
            outputs.staged(staged)
            outputs.sidecar(report.provenance(input: input), for: output)
            let files = try outputs.commit(context: context)
            report.notes.forEach(context.note)
            return Outcome(report: report, files: files, timer: timer)
        }
        var volume = try timer.measure("read") { try image.readVolume() }
        report = try timer.measure("smooth") { try smooth(&volume, fwhm: fwhm, parallelism: context.parallelism) }
        outputs.image(volume, to: output, description: description)
        outputs.sidecar(report.provenance(input: input), for: output)
        let files = try timer.measure("write") { try outputs.commit(context: context) }
        report.notes.forEach(context.note)
        return Outcome(report: report, files: files, timer: timer)
    }
}
