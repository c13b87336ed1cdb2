import ArgumentParser
import PareBasics
import PareFixtures
import PareTensor

extension Pare {
    struct Fixture: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a seeded synthetic transformer-shaped safetensors model (for demos, tests and benchmarks).")

        @Option(help: "Output file.") var out: String
        @Option(help: "Transformer layers.") var layers: Int = 4
        @Option(help: "Hidden width.") var width: Int = 256
        @Option(help: "Vocabulary size (embedding and output head rows).") var vocab: Int = 4096
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(help: "float32, float16 or bfloat16.") var dtype: String = "float32"

        func validate() throws {
            guard layers >= 0, width >= 1, vocab >= 1 else { throw ValidationError("--layers must be ≥ 0, --width and --vocab ≥ 1") }
            guard ["float32", "float16", "bfloat16"].contains(dtype) else {
                throw ValidationError("--dtype must be float32, float16 or bfloat16 (got '\(dtype)')")
            }
        }

        func run() throws {
            var m = SyntheticModel(layers: layers, width: width, vocab: vocab, seed: seed)
            m.dtype = DType(rawValue: dtype)!
            try withErrorHandling { try m.write(to: out) }
            print("wrote \(out): \(m.tensors.count) tensors, \(ByteCount.format(m.float32Bytes / 4 * (m.dtype.bits / 8)))")
        }
    }
}
