// pare-bench: benchmarks that are not part of `swift test`. Run in release mode:
//   swift run -c release pare-bench kernels     numeric kernels vs memcpy
//   swift run -c release pare-bench rebuild     first build and no-op rebuild of a ~100 MB model for 3 targets
//   swift run -c release pare-bench onnx [--int4] [--huge]   pare vs onnxruntime.quantization on a ~90 MB ONNX transformer
//   swift run -c release pare-bench runtime     the reference interpreter vs ONNX Runtime (1 thread) on the fixtures
//   swift run -c release pare-bench w8a8 [--repeats N]   pare's W8A8 vs onnxruntime quantize_static on the fixtures
//   swift run -c release pare-bench linalg [--size N] [--threads N]   SVD, least squares and GPTQ on 1 and N threads against the BLAS peak
//   swift run -c release pare-bench catalog [--only LABEL]   every compression pass and two chains on the fixtures
import Foundation

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "kernels":
    KernelBenchmarks.run(arguments: Array(args.dropFirst()))
case "rebuild":
    try RebuildBenchmark.run(arguments: Array(args.dropFirst()))
case "onnx":
    try ONNXBenchmark.run(arguments: Array(args.dropFirst()))
case "runtime":
    try RuntimeBenchmark.run(arguments: Array(args.dropFirst()))
case "linalg":
    LinearAlgebraBenchmark.run(arguments: Array(args.dropFirst()))
case "catalog":
    try CatalogBenchmark.run(arguments: Array(args.dropFirst()))
case "w8a8":
    try W8A8Benchmark.run(arguments: Array(args.dropFirst()))
default:
    print("usage: pare-bench kernels | rebuild | onnx [--int4] [--huge] | runtime | w8a8 [--repeats N] [--methods M,...] | catalog [--repeats N] [--only LABEL,...] | linalg [--size N] [--threads N]")
    exit(2)
}
