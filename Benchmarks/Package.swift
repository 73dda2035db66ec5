// swift-tools-version:6.1
import PackageDescription

// Kernel benchmarks (ordo-one package-benchmark), kept out of the shipped binary and out of `swift test`:
//   cd Benchmarks && PKG_CONFIG_PATH=$PWD/../pkgconfig swift package benchmark
// `make bench` runs them beside the end-to-end peer comparisons (Benchmarks/bench.py).
let package = Package(
    name: "CohortexBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Cohortex", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Kernels", package: "Cohortex"),
                .product(name: "Geometry", package: "Cohortex"),
            ],
            path: "Benchmarks/Kernels",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
