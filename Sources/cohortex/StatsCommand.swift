import ArgumentParser
import Foundation
import NIfTI
import Pipeline

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Voxel statistics over the scaled values (fslstats-style): voxels, nan, sum, mean, sd, min, max.",
        discussion: "Moments accumulate in float64; NaN and ±Inf are counted (nan, inf) and left out. sd is the sample standard deviation (n − 1)."
    )

    @Argument(help: "A NIfTI image (3D or 4D).")
    var file: String

    @Option(help: "A 3D mask on the same grid: non-zero voxels are included (applied to every frame).")
    var mask: String?

    @Flag(help: "Print one JSON object with the keys voxels, nan, inf, sum, mean, sd, min, max.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try reportingErrors {
            let image = try NIfTIImage(path: file)
            var voxelMask: VoxelMask?
            if let mask {
                let maskImage = try NIfTIImage(path: mask)
                try maskImage.requireGrid(image.grid, referencePath: file)
                voxelMask = try maskImage.readMask()
            }
            let stats = try SummaryStatistics(image: image, mask: voxelMask)
            if json {
                print(stats.json.rendered())
            } else {
                guard case .object(let pairs) = stats.json else { return }
                for (key, value) in pairs { print(key.padding(toLength: 8, withPad: " ", startingAt: 0) + value.rendered()) }
            }
        }
    }
}
