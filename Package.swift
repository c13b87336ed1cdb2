// swift-tools-version:6.0
// pare — a declarative build system for compressing neural networks for on-device targets.
// Modules follow the pipeline and depend only downward:
// basics → tensor → kernels → formats → recipe → passes → build → CLI.
import PackageDescription

let package = Package(
    name: "pare",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pare", targets: ["PareCLI"]),
        .executable(name: "pare-bench", targets: ["PareBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    ],
    targets: [
        .target(name: "PareBasics", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "PareTensor", dependencies: ["PareBasics"]),
        .target(name: "PareKernels", dependencies: ["COpenBLAS"], swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        // Swift code generated from ONNX's onnx.proto by scripts/gen-onnx-proto.sh (committed; not a build plugin).
        .target(name: "PareONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // zlib from the system (zlib1g-dev, installed by scripts/setup-system.sh): inflate and CRC-32 for .npz data sets.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "PareFormats", dependencies: ["CZlib", "PareTensor", "PareBasics", "PareONNXProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "PareRecipe", dependencies: ["PareBasics", .product(name: "Yams", package: "Yams")]),
        .target(name: "PareFixtures", dependencies: ["PareFormats", "PareTensor", "PareBasics"]),
        .target(name: "ParePasses", dependencies: ["PareRecipe", "PareFormats", "PareRuntime", "PareONNXProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"), "PareKernels", "PareTensor", "PareBasics"]),
        .target(name: "PareBuild", dependencies: ["ParePasses", "PareRuntime", "PareONNXProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"), "PareRecipe", "PareFormats", "PareKernels", "PareTensor", "PareBasics"]),
        // OpenBLAS (CBLAS) and LAPACKE from Debian's -dev packages (scripts/setup-system.sh).
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(name: "PareRuntime", dependencies: ["PareFormats", "PareKernels", "PareONNXProto", "PareTensor", "PareBasics", "COpenBLAS",
                                                   .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .executableTarget(name: "PareCLI", dependencies: [
            "PareBuild", "PareRecipe", "PareFormats", "PareONNXProto", "PareFixtures", "PareKernels", "PareTensor", "PareBasics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "PareBench", dependencies: ["PareBuild", "ParePasses", "PareONNXProto", "PareRuntime", "PareFixtures", "PareKernels", "PareFormats", "PareBasics"]),
        .testTarget(name: "PareBasicsTests", dependencies: ["PareBasics"]),
        .testTarget(name: "PareKernelsTests", dependencies: ["PareKernels", "PareBasics"]),
        .testTarget(name: "PareFormatsTests", dependencies: ["PareFormats", "PareONNXProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"), "PareTensor", "PareBasics"]),
        .testTarget(name: "PareRecipeTests", dependencies: ["PareRecipe", "PareBasics"]),
        .testTarget(name: "PareRuntimeTests", dependencies: ["PareRuntime", "PareFormats", "PareONNXProto", "PareTensor", "PareBasics",
                                                             .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(name: "PareBuildTests", dependencies: ["PareBuild", "PareFixtures", "ParePasses", "PareRecipe", "PareFormats", "PareKernels", "PareBasics"]),
    ],
    swiftLanguageModes: [.v5]
)
