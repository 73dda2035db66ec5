/// The separable passes of `GaussianSmoother` on raw frame buffers. Every pass reduces to one
/// hot loop, `weightedRowSum`: dst[x] = Σₖ wₖ·rowₖ[x], vectorised across x with SIMD8 — the
/// x pass points its rows at shifted copies of a reflect-padded line, the y and z passes at
/// the (reflected) neighbouring rows of a plane or of a z-strip.
@usableFromInline
enum SmoothingPasses {
    /// Scratch buffers for one worker: a padded line, a plane copy, a z-strip and row pointers.
    @usableFromInline
    struct Scratch {
        let line: UnsafeMutablePointer<Float>
        let plane: UnsafeMutablePointer<Float>
        let strip: UnsafeMutablePointer<Float>
        let rows: UnsafeMutablePointer<UnsafePointer<Float>>

        static func with<R>(_ s: SmoothingShape, _ kernels: [GaussianKernel?], _ body: (Scratch) -> R) -> R {
            let maxRadius = kernels.map { $0?.radius ?? 0 }.max() ?? 0
            let line = UnsafeMutablePointer<Float>.allocate(capacity: s.nx + 2 * maxRadius)
            let plane = UnsafeMutablePointer<Float>.allocate(capacity: s.plane)
            let strip = UnsafeMutablePointer<Float>.allocate(capacity: s.nx * s.nz)
            let rows = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 2 * maxRadius + 1)
            defer { line.deallocate(); plane.deallocate(); strip.deallocate(); rows.deallocate() }
            return body(Scratch(line: line, plane: plane, strip: strip, rows: rows))
        }
    }

    /// Smooths one whole frame serially; returns how many non-finite values were set to 0.
    /// Planes stream through a ring of the last 2r + 1 in-plane-smoothed planes: as soon as plane
    /// z + r is ready, output plane z is their weighted sum, so the frame crosses memory once
    /// instead of once per pass (the ring stays in L2).
    static func frame(_ base: UnsafeMutablePointer<Float>, _ s: SmoothingShape, _ kernels: [GaussianKernel?]) -> Int {
        guard let kz = kernels[2], s.nz >= 2 * kz.radius + 1 else {
            // No z pass, or a kernel longer than the z axis (repeated reflection): plane passes then strips.
            return Scratch.with(s, kernels) { scratch in
                var replaced = 0
                for z in 0..<s.nz { replaced += inPlane(base, s, z: z, kernels, scratch) }
                if let kz = kernels[2] {
                    for y in 0..<s.ny { alongZ(base, s, y: y, kz, scratch) }
                }
                return replaced
            }
        }
        let r = kz.radius, ringSize = 2 * r + 1
        let ring = UnsafeMutablePointer<Float>.allocate(capacity: ringSize * s.plane)
        defer { ring.deallocate() }
        return Scratch.with(s, kernels) { scratch in
            kz.weights.withUnsafeBufferPointer { w in
                var replaced = 0
                func emit(_ z: Int) {
                    for k in 0..<ringSize {
                        scratch.rows[k] = UnsafePointer(ring + (reflectIndex(z + k - r, s.nz) % ringSize) * s.plane)
                    }
                    weightedRowSum(scratch.rows, w.baseAddress!, taps: ringSize, count: s.plane, into: base + z * s.plane)
                }
                for p in 0..<s.nz {
                    let slot = ring + (p % ringSize) * s.plane
                    slot.update(from: base + p * s.plane, count: s.plane)
                    replaced += inPlane(slot, s, z: 0, kernels, scratch)
                    if p >= r { emit(p - r) }
                }
                for z in max(0, s.nz - r)..<s.nz { emit(z) }
                return replaced
            }
        }
    }

    /// Zeroes the non-finite values of plane `z`, then runs its x and y passes; returns the count zeroed.
    static func inPlane(_ base: UnsafeMutablePointer<Float>, _ s: SmoothingShape, z: Int, _ kernels: [GaussianKernel?]) -> Int {
        Scratch.with(s, kernels) { inPlane(base, s, z: z, kernels, $0) }
    }

    /// Sets NaN and ±Inf (all-ones exponent) to 0, as nilearn's `ensure_finite`; returns how many.
    /// Branch-free over the bit pattern, so it vectorises.
    static func zeroNonFinite(_ p: UnsafeMutablePointer<Float>, count: Int) -> Int {
        var replaced = 0
        let bits = UnsafeMutableRawPointer(p).assumingMemoryBound(to: UInt32.self)
        for i in 0..<count {
            let bad = bits[i] & 0x7F80_0000 == 0x7F80_0000
            replaced &+= bad ? 1 : 0
            bits[i] = bad ? 0 : bits[i]
        }
        return replaced
    }

    /// The z pass of every x-row at `y`.
    static func alongZ(_ base: UnsafeMutablePointer<Float>, _ s: SmoothingShape, y: Int, _ kernel: GaussianKernel) {
        Scratch.with(s, [nil, nil, kernel]) { alongZ(base, s, y: y, kernel, $0) }
    }

    static func inPlane(_ base: UnsafeMutablePointer<Float>, _ s: SmoothingShape, z: Int,
                        _ kernels: [GaussianKernel?], _ scratch: Scratch) -> Int {
        let plane = base + z * s.plane
        let replaced = zeroNonFinite(plane, count: s.plane)
        if let kx = kernels[0] {
            let r = kx.radius
            kx.weights.withUnsafeBufferPointer { w in
                for k in 0...(2 * r) { scratch.rows[k] = UnsafePointer(scratch.line + k) }
                for y in 0..<s.ny {
                    let row = plane + y * s.nx
                    // Interior copied in one go; only the 2r border samples need the reflect rule.
                    (scratch.line + r).update(from: row, count: s.nx)
                    for j in 0..<r {
                        scratch.line[j] = row[reflectIndex(j - r, s.nx)]
                        scratch.line[s.nx + r + j] = row[reflectIndex(s.nx + j, s.nx)]
                    }
                    weightedRowSum(scratch.rows, w.baseAddress!, taps: 2 * r + 1, count: s.nx, into: row)
                }
            }
        }
        if let ky = kernels[1] {
            let r = ky.radius
            scratch.plane.update(from: plane, count: s.plane)
            ky.weights.withUnsafeBufferPointer { w in
                for y in 0..<s.ny {
                    for k in 0...(2 * r) { scratch.rows[k] = UnsafePointer(scratch.plane + reflectIndex(y + k - r, s.ny) * s.nx) }
                    weightedRowSum(scratch.rows, w.baseAddress!, taps: 2 * r + 1, count: s.nx, into: plane + y * s.nx)
                }
            }
        }
        return replaced
    }

    static func alongZ(_ base: UnsafeMutablePointer<Float>, _ s: SmoothingShape, y: Int,
                       _ kernel: GaussianKernel, _ scratch: Scratch) {
        let r = kernel.radius
        for z in 0..<s.nz { (scratch.strip + z * s.nx).update(from: base + z * s.plane + y * s.nx, count: s.nx) }
        kernel.weights.withUnsafeBufferPointer { w in
            for z in 0..<s.nz {
                for k in 0...(2 * r) { scratch.rows[k] = UnsafePointer(scratch.strip + reflectIndex(z + k - r, s.nz) * s.nx) }
                weightedRowSum(scratch.rows, w.baseAddress!, taps: 2 * r + 1, count: s.nx, into: base + z * s.plane + y * s.nx)
            }
        }
    }

    /// dst[x] = Σₖ weights[k] · rows[k][x] for x in 0..<count (dst may not alias any row), with
    /// symmetric weights (taps = 2r + 1, weights[k] = weights[2r − k]) folded: one multiply per pair.
    /// Plain multiply-add (no `fma` call, which compiles to a library call without FMA in the target).
    @inlinable @inline(__always)
    static func weightedRowSum(_ rows: UnsafePointer<UnsafePointer<Float>>, _ weights: UnsafePointer<Float>,
                               taps: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let r = taps / 2
        var x = 0
        let out = UnsafeMutableRawPointer(dst)
        let centre = SIMD8<Float>(repeating: weights[r])
        while x + 16 <= count {
            let c = UnsafeRawPointer(rows[r] + x)
            var a0 = c.loadUnaligned(as: SIMD8<Float>.self) * centre
            var a1 = c.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) * centre
            for k in 0..<r {
                let w = SIMD8<Float>(repeating: weights[k])
                let p = UnsafeRawPointer(rows[k] + x), q = UnsafeRawPointer(rows[taps - 1 - k] + x)
                a0 += (p.loadUnaligned(as: SIMD8<Float>.self) + q.loadUnaligned(as: SIMD8<Float>.self)) * w
                a1 += (p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                       + q.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)) * w
            }
            out.storeBytes(of: a0, toByteOffset: x * 4, as: SIMD8<Float>.self)
            out.storeBytes(of: a1, toByteOffset: x * 4 + 32, as: SIMD8<Float>.self)
            x += 16
        }
        while x + 8 <= count {
            var a0 = UnsafeRawPointer(rows[r] + x).loadUnaligned(as: SIMD8<Float>.self) * centre
            for k in 0..<r {
                let p = UnsafeRawPointer(rows[k] + x), q = UnsafeRawPointer(rows[taps - 1 - k] + x)
                a0 += (p.loadUnaligned(as: SIMD8<Float>.self) + q.loadUnaligned(as: SIMD8<Float>.self)) * SIMD8<Float>(repeating: weights[k])
            }
            out.storeBytes(of: a0, toByteOffset: x * 4, as: SIMD8<Float>.self)
            x += 8
        }
        while x < count {
            var a = rows[r][x] * weights[r]
            for k in 0..<r { a += (rows[k][x] + rows[taps - 1 - k][x]) * weights[k] }
            dst[x] = a
            x += 1
        }
    }
}
