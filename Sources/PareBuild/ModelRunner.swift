import Foundation
import PareBasics
import PareFormats
import PareRuntime

/// Runs model artifacts: writes the artifact as the ONNX model its bundle would hold (same encoder, same options)
/// into the cache's tmp folder and opens the reference interpreter on it.
struct ModelRunner {
    let store: ContentStore
    let options: ONNXEncodeOptions

    /// The interpreter for `model` and the encoded model's size in bytes.
    func open(_ model: ModelArtifact, label: String) throws -> (Interpreter, Int) {
        let (onnx, payloads, _) = try BundleWriter.onnxModel(for: model, store: store, options: options)
        let path = "\(store.tmpDir)/run-\(UUID().uuidString).onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ONNXWriter.write(to: path, model: onnx, payloads: payloads)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        do {
            return (try Interpreter(path: path, options: InterpreterOptions(blasThreads: 1)), bytes)
        } catch let e as RuntimeError {
            throw BuildError(step: label, message: "the interpreter cannot run the model: \(e.message)")
        }
    }
}
