import Foundation
import Kernels
import NIfTI

/// Gaussian smoothing as a pipeline step: `cohortex smooth`, and the `--smoothing-fwhm` option of
/// the connectivity commands (applied to the BOLD before masking and cleaning, as nilearn's maskers do).
public enum SmoothingStage {
    /// What a smoothing run did, for the log and the sidecar.
    public struct Report: Sendable {
        public let smoother: GaussianSmoother
        public let frames: Int
        public let nonFiniteReplaced: Int
        public let oblique: Bool
        /// Wall time of each phase (read, smooth, write) when run from files.
        public var timer = PhaseTimer()

        /// The sidecar object: every parameter needed to reproduce the output.
        public func json(input: String) -> JSONValue {
            .object([
                ("Tool", .string("cohortex smooth")),
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
        }

        /// Human-readable lines about the geometry (anisotropic or oblique grids) and replaced values.
        public var notes: [String] {
            var lines: [String] = []
            let v = smoother.voxelSizes
            if let lo = v.min(), let hi = v.max(), hi - lo > 1e-3 * hi {
                lines.append(String(format: "anisotropic voxels %.3g×%.3g×%.3g mm: σ = %.3g, %.3g, %.3g voxels along i, j, k (%.3g mm FWHM in world millimetres on every axis)",
                                    v[0], v[1], v[2], smoother.sigmas[0], smoother.sigmas[1], smoother.sigmas[2], smoother.fwhm))
            }
            if oblique {
                lines.append("oblique affine: the kernel is applied along the array axes with σ from the voxel sizes (column norms), as nilearn does; its FWHM is exact in millimetres along each axis")
            }
            if nonFiniteReplaced > 0 {
                lines.append("\(nonFiniteReplaced) NaN/Inf value(s) set to 0 before smoothing (as nilearn)")
            }
            return lines
        }
    }

    /// Smooths `volume` (every frame) in place at `fwhm` mm; the seam the connectivity commands call.
    @discardableResult
    public static func smooth(_ volume: inout Volume, fwhm: Double) throws -> Report {
        guard fwhm >= 0, fwhm.isFinite else { throw SpatialError.invalidFWHM(value: fwhm) }
        let smoother = GaussianSmoother(fwhm: fwhm, affine: volume.grid.affine)
        let replaced = smoother.smooth(&volume)
        return Report(smoother: smoother, frames: volume.frames, nonFiniteReplaced: replaced,
                      oblique: volume.grid.affine.isOblique)
    }

    /// Reads `input` (3D or 4D), smooths it and writes float32 `output` plus its JSON sidecar.
    /// A 4D series streams: each volume is smoothed as soon as it is decompressed and goes straight to
    /// the (parallel) compressor, so reading, smoothing and writing overlap and the series is never held.
    @discardableResult
    public static func run(input: String, output: String, fwhm: Double) throws -> Report {
        guard fwhm >= 0, fwhm.isFinite else { throw SpatialError.invalidFWHM(value: fwhm) }
        var timer = PhaseTimer()
        let image = try NIfTIImage(path: input)
        try image.checkVoxelDataSize()  // before the output's temporary file and buffers sized by the header
        let description = "cohortex smooth \(fwhm)mm"
        var report: Report
        if image.header.frames > 1 {
            let grid = image.grid, frames = image.header.frames
            let smoother = GaussianSmoother(fwhm: fwhm, affine: grid.affine)
            let start = DispatchTime.now().uptimeNanoseconds
            var replaced = 0, smoothing = 0.0
            try NIfTIWriter.writeFrames(to: output, grid: grid, frames: frames, repetitionTime: image.header.repetitionTime,
                                        description: description) { emit in
                let ring = SmoothingRing(smoother: smoother, grid: grid)
                try image.forEachChunk { _, values in try ring.append(values, emit: emit) }
                try ring.drain(emit: emit)
                (replaced, smoothing) = (ring.replaced, ring.smoothingSeconds)
            }
            let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // Summed over volumes smoothed concurrently with the read and the write: busy time, not wall.
            timer.record("smooth", seconds: smoothing)
            timer.record("stream", seconds: total)
            report = Report(smoother: smoother, frames: frames, nonFiniteReplaced: replaced, oblique: grid.affine.isOblique)
            try writeSidecar(report.json(input: input), for: output)
        } else {
            var volume = try timer.measure("read") { try image.readVolume() }
            report = try timer.measure("smooth") { try smooth(&volume, fwhm: fwhm) }
            try timer.measure("write") {
                try NIfTIWriter.write(volume, to: output, description: description)
                try writeSidecar(report.json(input: input), for: output)
            }
        }
        report.timer = timer
        return report
    }
}

/// Volumes on their way from the reader to the writer: each complete volume is smoothed on a worker
/// while the next ones decompress, and volumes leave in order. A fixed ring of buffers bounds memory.
final class SmoothingRing {
    static let slots = 4
    private let smoother: GaussianSmoother
    private let grid: Grid
    private let buffers: [UnsafeMutableBufferPointer<Float>]
    private var pending: [DispatchWorkItem?]
    private let results: UnsafeMutableBufferPointer<(replaced: Int, nanoseconds: UInt64)>
    private let queue = DispatchQueue(label: "cohortex.smoothing", attributes: .concurrent)
    private var filled = 0
    private var next = 0          // frame being filled
    private var emitted = 0       // frames written
    private(set) var replaced = 0
    private var busy: UInt64 = 0
    var smoothingSeconds: Double { Double(busy) / 1e9 }

    init(smoother: GaussianSmoother, grid: Grid) {
        self.smoother = smoother
        self.grid = grid
        buffers = (0..<Self.slots).map { _ in .allocate(capacity: grid.voxelCount) }
        pending = Array(repeating: nil, count: Self.slots)
        results = .allocate(capacity: Self.slots)
        results.initialize(repeating: (0, 0))
    }

    deinit {
        for item in pending { item?.wait() }
        buffers.forEach { $0.deallocate() }
        results.deallocate()
    }

    /// Adds streamed voxels (file order); every completed volume starts smoothing.
    func append(_ values: UnsafeBufferPointer<Float>, emit: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        let n = grid.voxelCount
        var offset = 0
        while offset < values.count {
            let slot = next % Self.slots
            if filled == 0, pending[slot] != nil { try emitOldest(emit) }  // frees this slot (frame next − slots)
            let take = min(n - filled, values.count - offset)
            (buffers[slot].baseAddress! + filled).update(from: values.baseAddress! + offset, count: take)
            filled += take
            offset += take
            guard filled == n else { continue }
            let shared = UnsafeSendableBox((buffers[slot], results.baseAddress! + slot, smoother, grid))
            let item = DispatchWorkItem {
                let (frame, result, smoother, grid) = shared.value
                let t0 = DispatchTime.now().uptimeNanoseconds
                let count = smoother.smoothFrame(frame, grid: grid)
                result.pointee = (count, DispatchTime.now().uptimeNanoseconds - t0)
            }
            pending[slot] = item
            queue.async(execute: item)
            filled = 0
            next += 1
        }
    }

    /// Writes every volume still in the ring, in order.
    func drain(emit: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        while emitted < next { try emitOldest(emit) }
    }

    private func emitOldest(_ emit: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        let slot = emitted % Self.slots
        guard let item = pending[slot] else { preconditionFailure("volume \(emitted) was never started") }
        item.wait()
        pending[slot] = nil
        replaced += results[slot].replaced
        busy += results[slot].nanoseconds
        try emit(UnsafeBufferPointer(buffers[slot]))
        emitted += 1
    }
}
