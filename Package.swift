// swift-tools-version:6.1
import PackageDescription

// Layering: Geometry (grids, affines, masks, volumes) and Tables (TSV) are the shared vocabulary;
// CNIfTI (C) → NIfTI (image I/O) above them; Kernels (voxel kernels) and Stats (group statistics) use the
// vocabulary but never the I/O module; Pipeline (stages) → Workflow (BIDS discovery, pipeline files, job
// plan, resume, executors) → cohortex (CLI: parsing and printing only). Simulation writes synthetic fMRIPrep
// studies (tests, demo) with the image I/O only.
// Lower layers never import higher ones.
let package = Package(
    name: "Cohortex",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cohortex", targets: ["cohortex"]),
        .library(name: "Geometry", targets: ["Geometry"]),
        .library(name: "NIfTI", targets: ["NIfTI"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "Stats", targets: ["Stats"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Workflow", targets: ["Workflow"]),
        .library(name: "Simulation", targets: ["Simulation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CNIfTI",
            pkgConfig: "cohortex-nifti",
            providers: [.apt(["libnifti-dev", "libnifti2-dev", "libisal-dev", "zlib1g-dev"])]
        ),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Geometry"),
        .target(name: "Tables"),
        .target(name: "NIfTI", dependencies: ["CNIfTI", "Geometry", "Tables"]),
        .target(name: "Kernels", dependencies: [
            "Geometry", "CBLAS",
            .product(name: "RealModule", package: "swift-numerics"),
            .product(name: "ComplexModule", package: "swift-numerics"),
        ]),
        // Group statistics: design, contrasts, OLS, permutation inference, TFCE, FDR (nifticdf for distributions).
        .target(name: "Stats", dependencies: ["Geometry", "Tables", "Kernels", "CNIfTI"]),
        .target(name: "Pipeline", dependencies: ["NIfTI", "Kernels", "Stats"]),
        // Cohort runs: BIDS/fMRIPrep discovery, pipeline files (YAML, presets embedded), job plan, resume, executors.
        .target(
            name: "Workflow",
            dependencies: ["Pipeline", "NIfTI", "Kernels", "Stats", .product(name: "Yams", package: "Yams"),
                           .product(name: "Logging", package: "swift-log")],
            // The presets ship inside the binary (no resource bundle to lose); `pipelines/` links to this folder.
            resources: ["pag-prefrontal", "gm-prefrontal-thalamus", "mpfc-connectivity", "pain-structure-function"]
                .map { .embedInCode("Presets/\($0).yaml") }
        ),
        // Deterministic synthetic studies in fMRIPrep's layout.
        .target(name: "Simulation", dependencies: ["NIfTI"]),
        .executableTarget(
            name: "cohortex",
            dependencies: [
                "NIfTI", "Kernels", "Stats", "Pipeline", "Workflow", "Simulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The CLI module is parsing and printing only; testable in release so CLITests can parse in-process.
            swiftSettings: [.unsafeFlags(["-enable-testing"])]
        ),
        // Test helpers: reference-Python runner, seeded RNG, generated cohorts, paths to built products.
        .target(name: "TestSupport", dependencies: ["NIfTI"], path: "Sources/TestSupport"),
        .testTarget(name: "NIfTITests", dependencies: ["NIfTI", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "NIfTI", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Kernels", "NIfTI", "TestSupport"]),
        .testTarget(name: "StatsTests", dependencies: ["Stats", "Kernels", "NIfTI", "TestSupport"]),
        .testTarget(name: "WorkflowTests", dependencies: ["Workflow", "Simulation", "Pipeline", "NIfTI", "TestSupport"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "NIfTI", "TestSupport"]),
        // In-process parsing of every subcommand (flags → stage requests, usage errors).
        .testTarget(name: "CLITests", dependencies: [
            "cohortex", "Pipeline", "Kernels", "Stats",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The built binary, run as a user runs it, on generated data checked against the Python references.
        .testTarget(name: "EndToEndTests", dependencies: ["Workflow", "Simulation", "Pipeline", "Stats", "Kernels", "NIfTI", "TestSupport"]),
    ]
)
