import Foundation
import PareBasics
import Testing
@testable import PareRecipe

@Suite struct ImportTests {
    @Test func importsDeepMergeUnderTheImportingFile() throws {
        let dir = try TestSupport.tempDir("imports")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write([
            "recipes/kbd.yaml": """
                imports: [shared/quant.yaml, shared/extra.yaml]
                recipe: kbd
                model: { path: ../models/m.safetensors }
                passes:
                  - quantize:
                      weights: { dtype: int4, granularity: per-group }
                """,
            "recipes/shared/quant.yaml": """
                imports: base.yaml
                passes:
                  - prune: { sparsity: 0.5 }
                  - quantize
                bundle: { tar: true, format: onnx }
                per_target:
                  x86-64-avx2:
                    quantize: { weights: { granularity: per-tensor } }
                """,
            "recipes/shared/base.yaml": """
                recipe: base-name
                model: { path: ../../models/base.onnx, format: onnx }
                targets: [x86-64-avx2, google-edgetpu]
                bundle: { format: gguf }
                """,
            "recipes/shared/extra.yaml": """
                bundle: { tar: false }
                """,
        ], in: dir)
        let r = try RecipeLoader.load(path: dir + "/recipes/kbd.yaml")
        #expect(r.name == "kbd")                                     // this file wins
        #expect(r.sourceFiles == [dir + "/recipes/kbd.yaml", dir + "/recipes/shared/quant.yaml",
                                  dir + "/recipes/shared/base.yaml", dir + "/recipes/shared/extra.yaml"])
        #expect(r.model.path == dir + "/models/m.safetensors")       // path from this file, resolved against it
        #expect(r.model.format == .onnx)                              // mappings merge deeply: format from base.yaml
        #expect(r.targets.map(\.value) == ["x86-64-avx2", "google-edgetpu"])
        #expect(r.targets[0].location == Loc(file: dir + "/recipes/shared/base.yaml", line: 3, column: 11))
        #expect(r.passes.map(\.id) == ["quantize"])                  // lists are replaced, not concatenated
        #expect(r.bundle.format == .onnx)                            // quant.yaml over base.yaml
        #expect(r.bundle.tar == false)                               // the later import (extra.yaml) wins
        #expect(r.bundle.location == Loc(file: dir + "/recipes/shared/quant.yaml", line: 5, column: 30))
        guard case .quantize(let avx) = r.passes(for: "x86-64-avx2")[0].config else { Issue.record("not quantize"); return }
        #expect(avx.weights == WeightQuantSpec(dtype: .int4, granularity: .perTensor))
        #expect(r.perTargetLocations["x86-64-avx2"] == Loc(file: dir + "/recipes/shared/quant.yaml", line: 7, column: 3))
    }

    @Test func modelPathIsRelativeToTheFileThatWritesIt() throws {
        let dir = try TestSupport.tempDir("imports-model")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write([
            "recipes/a.yaml": "imports: [shared/common.yaml]\nrecipe: a\ntargets: [t]\npasses: [quantize]\n",
            "recipes/shared/common.yaml": "model: { path: ../../models/m.gguf }\n",
        ], in: dir)
        let r = try RecipeLoader.load(path: dir + "/recipes/a.yaml")
        #expect(r.model.path == dir + "/models/m.gguf")
        #expect(r.model.location.file == dir + "/recipes/shared/common.yaml")
    }

    @Test func errorsInImportedValuesPointIntoTheImportedFile() throws {
        let dir = try TestSupport.tempDir("imports-errors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write([
            "a.yaml": "imports: [q.yaml]\nrecipe: a\nmodel: { path: m.onnx }\ntargets: [t]\n",
            "q.yaml": "passes:\n  - quantize: { weights: { dtype: int3 } }\n",
        ], in: dir)
        #expect(errors(dir + "/a.yaml") == [
            "\(dir)/q.yaml:2:35: error: 'dtype' 'int3' is not one of int8, uint8, int4, uint4 (did you mean 'int4'?)",
        ])
    }

    @Test func importCycleListsTheChain() throws {
        let dir = try TestSupport.tempDir("cycle")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write([
            "a.yaml": "recipe: a\nimports: [b.yaml]\n",
            "b.yaml": "imports:\n  - a.yaml\n",
        ], in: dir)
        #expect(errors(dir + "/a.yaml") == [
            "\(dir)/b.yaml:2:5: error: import cycle: \(dir)/a.yaml → \(dir)/b.yaml → \(dir)/a.yaml; remove one of these imports\n"
            + "\(dir)/a.yaml:2:11: note: '\(dir)/a.yaml' imports '\(dir)/b.yaml' here",
        ])
    }

    @Test func longerCycleAndSelfImport() throws {
        let dir = try TestSupport.tempDir("cycle3")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write([
            "a.yaml": "imports: [sub/b.yaml]\n",
            "sub/b.yaml": "imports: [../c.yaml]\n",
            "c.yaml": "imports: [sub/b.yaml]\n",
            "self.yaml": "imports: [./self.yaml]\n",
        ], in: dir)
        #expect(errors(dir + "/a.yaml") == [
            "\(dir)/c.yaml:1:11: error: import cycle: \(dir)/sub/b.yaml → \(dir)/c.yaml → \(dir)/sub/b.yaml; remove one of these imports\n"
            + "\(dir)/sub/b.yaml:1:11: note: '\(dir)/sub/b.yaml' imports '\(dir)/c.yaml' here",
        ])
        #expect(errors(dir + "/self.yaml") == [
            "\(dir)/self.yaml:1:11: error: import cycle: \(dir)/self.yaml → \(dir)/self.yaml; remove one of these imports",
        ])
    }

    @Test func missingBrokenAndNonMappingImportsAreAllReported() throws {
        let dir = try TestSupport.tempDir("import-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write([
            "a.yaml": "recipe: a\nimports: [missing.yaml, broken.yaml, list.yaml]\n",
            "broken.yaml": "passes: [quantize\n",
            "list.yaml": "- quantize\n",
        ], in: dir)
        let e = errors(dir + "/a.yaml")
        #expect(e.count == 3, "\(e)")
        #expect(e.first?.hasPrefix("\(dir)/a.yaml:2:11: error: cannot read imported file '\(dir)/missing.yaml': ") == true)
        #expect(e.dropFirst().first?.hasPrefix("\(dir)/broken.yaml:2:1: error: invalid YAML: ") == true)
        #expect(e.last == "\(dir)/list.yaml:1:1: error: imported file '\(dir)/list.yaml' must be a mapping of recipe keys, got a list")
    }

    private func errors(_ path: String) -> [String] {
        do {
            _ = try RecipeLoader.load(path: path)
            return []
        } catch let e as DiagnosticError {
            return e.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }
}
