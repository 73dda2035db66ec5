import Foundation
import NIfTI
import Testing
import TestSupport

@Suite("Reading matches nibabel")
struct ReaderConformanceTests {
    @Test("every datatype, byte order and container reads as nibabel reads it", arguments: Fixtures.names)
    func readsLikeNibabel(name: String) throws {
        let path = try Fixtures.folder() + "/" + name
        let image = try NIfTIImage(path: path)
        let volume = try image.readVolume()
        let reference = try Fixtures.nibabelView(of: path)
        let shape = reference.info["shape"] as? [Int]
        #expect(image.header.dim == shape)
        #expect(affineDifference(image.header.affine, reference.info["affine"]) < 1e-5)
        if let tr = reference.info["tr"] as? Double {
            #expect(abs((image.header.repetitionTime ?? .nan) - tr) < 1e-9)
        } else {
            #expect(image.header.repetitionTime == nil)
        }
        let expected = try #require(reference.values)
        #expect(volume.voxels.count == expected.count)
        let mismatches = zip(volume.voxels, expected).filter { !sameFloat($0, $1) }.count
        #expect(mismatches == 0, "\(mismatches) voxels differ from nibabel in \(name)")
    }

    @Test("byte order is reported as stored")
    func reportsByteOrder() throws {
        let folder = try Fixtures.folder()
        #expect(try NIfTIImage(path: folder + "/int16_be_nii.nii").header.byteOrder == .bigEndian)
        #expect(try NIfTIImage(path: folder + "/int16_le_nii.nii").header.byteOrder == .littleEndian)
    }

    @Test("a pair opens from either the .hdr or the .img name")
    func opensPairFromImageName() throws {
        let folder = try Fixtures.folder()
        let viaHeader = try NIfTIImage(path: folder + "/float32_le_pair.hdr").readVolume()
        let viaImage = try NIfTIImage(path: folder + "/float32_le_pair.img").readVolume()
        #expect(viaHeader.voxels == viaImage.voxels)
        #expect(try NIfTIImage(path: folder + "/float32_le_pair.img").header.isPair)
    }

    @Test("every NIfTI file in nibabel's tests/data reads with nibabel's shape, affine, TR and values")
    func nibabelTestData() throws {
        let listing = try Reference.runPython("nifti_reference.py", ["list-nibabel-data"])
        let files = try #require(try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [String])
        #expect(files.count >= 8, "nibabel's tests/data should hold the standard NIfTI samples")
        var checked = 0
        for path in files where !path.hasSuffix(".img") {
            let reference = try Fixtures.nibabelView(of: path)
            let image = try NIfTIImage(path: path)
            #expect(image.header.dim == reference.info["shape"] as? [Int], "shape of \(path)")
            #expect(affineDifference(image.header.affine, reference.info["affine"]) < 1e-5, "affine of \(path)")
            if let tr = reference.info["tr"] as? Double {
                #expect(abs((image.header.repetitionTime ?? .nan) - tr) < 1e-6, "TR of \(path)")
            }
            if let slope = reference.info["slope"] as? Double {
                #expect(abs(image.header.effectiveScaling.slope - slope) <= 1e-12 * abs(slope), "slope of \(path)")
            }
            if let expected = reference.values {
                let volume = try image.readVolume()
                let mismatches = zip(volume.voxels, expected).filter { !sameFloat($0, $1) }.count
                #expect(volume.voxels.count == expected.count && mismatches == 0, "values of \(path): \(mismatches) differ")
            } else {
                // nibabel found no image data (header-only sample): we must say so clearly.
                #expect(throws: NIfTIError.self) { try image.readVolume() }
            }
            checked += 1
        }
        #expect(checked >= 8)
    }
}
