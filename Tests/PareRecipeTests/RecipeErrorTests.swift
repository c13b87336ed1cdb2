import PareBasics
import Testing
@testable import PareRecipe

/// One recipe with the exact diagnostics (file:line:column, message, notes) it must produce.
struct GoldenCase: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var expected: [String]
    var testDescription: String { name }
}

/// A valid recipe the cases below alter one line at a time; line numbers in expectations refer to it.
private let header = """
    recipe: demo
    model: { path: ../models/demo.safetensors }
    targets: [x86-64-avx2, google-edgetpu]
    passes:

    """

private let goldenCases: [GoldenCase] = [
    GoldenCase(name: "YAML syntax error (unclosed flow mapping)", yaml: """
        recipe: demo
        model: { path: m.safetensors
        targets: [a]
        """, expected: [
            "recipes/a.yaml:3:8: error: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at line 2, column 8); "
            + "check the indentation, a missing ':' or '-', or an unclosed quote or bracket",
        ]),
    GoldenCase(name: "YAML syntax error (bad indentation)", yaml: """
        recipe: demo
        passes:
          - quantize
         - cast
        """, expected: [
            "recipes/a.yaml:4:2: error: invalid YAML: did not find expected key (while parsing a block mapping at line 1, column 1); "
            + "check the indentation, a missing ':' or '-', or an unclosed quote or bracket",
        ]),
    GoldenCase(name: "duplicate key", yaml: header + """
          - quantize
        recipe: again
        """, expected: [
            "recipes/a.yaml:1:1: error: key 'recipe' appears more than once in this mapping; keep one of them",
        ]),
    GoldenCase(name: "unknown top-level key with did-you-mean", yaml: """
        recipe: demo
        model: { path: m.safetensors }
        targets: [x86-64-avx2]
        pases:
          - quantize
        """, expected: [
            "recipes/a.yaml:4:1: error: unknown key 'pases' in the recipe (did you mean 'passes'?)",
        ]),
    GoldenCase(name: "unknown key without a close match lists the allowed keys", yaml: header + """
          - quantize
        flavour: vanilla
        """, expected: [
            "recipes/a.yaml:6:1: error: unknown key 'flavour' in the recipe; expected one of: recipe, imports, model, data, "
            + "targets, passes, gates, bundle, per_target",
        ]),
    GoldenCase(name: "misspelled pass name", yaml: header + """
          - quantise
        """, expected: [
            "recipes/a.yaml:5:5: error: unknown pass 'quantise' (did you mean 'quantize'?)",
        ]),
    GoldenCase(name: "misspelled pass name with config", yaml: header + """
          - prnue: { sparsity: 0.5 }
        """, expected: [
            "recipes/a.yaml:5:5: error: unknown pass 'prnue' (did you mean 'prune'?)",
        ]),
    GoldenCase(name: "wrong type: sparsity as a string", yaml: header + """
          - prune: { sparsity: "half" }
        """, expected: [
            "recipes/a.yaml:5:24: error: 'sparsity' must be a number between 0 and 1, got the string \"half\"",
        ]),
    GoldenCase(name: "wrong type: quoted number", yaml: header + """
          - prune: { sparsity: "0.5" }
        """, expected: [
            "recipes/a.yaml:5:24: error: 'sparsity' must be a number between 0 and 1, got the string \"0.5\"; remove the quotes",
        ]),
    GoldenCase(name: "wrong type: weights as a list", yaml: header + """
          - quantize: { weights: [int8] }
        """, expected: [
            "recipes/a.yaml:5:26: error: 'weights' must be a mapping of 'key: value' lines, got a list; "
            + "e.g. weights: { dtype: int8, granularity: per-channel }",
        ]),
    GoldenCase(name: "missing required key", yaml: """
        recipe: demo
        targets: [x86-64-avx2]
        passes: [quantize]
        """, expected: [
            "recipes/a.yaml:1:1: error: missing required key 'model' in the recipe; add it, e.g. model: { path: models/model.safetensors }",
        ]),
    GoldenCase(name: "missing model path", yaml: """
        recipe: demo
        model:
          format: onnx
        targets: [x86-64-avx2]
        passes: [quantize]
        """, expected: [
            "recipes/a.yaml:3:3: error: missing required key 'path' in model; add it, e.g. path: ../models/model.safetensors",
        ]),
    GoldenCase(name: "cast without dtype", yaml: header + """
          - cast
        """, expected: [
            "recipes/a.yaml:5:5: error: cast needs 'dtype' (fp16 or bf16); e.g. - cast: { dtype: fp16 }",
        ]),
    GoldenCase(name: "prune without sparsity or pattern", yaml: header + """
          - prune: { scope: global }
        """, expected: [
            "recipes/a.yaml:5:5: error: prune needs either 'sparsity' (the fraction of weights to zero, or of channels to remove with structure: channels, e.g. sparsity: 0.5) "
            + "or 'pattern' (N:M structured sparsity, e.g. pattern: \"2:4\")",
        ]),
    GoldenCase(name: "sparsity out of range", yaml: header + """
          - prune: { sparsity: 1.5 }
        """, expected: [
            "recipes/a.yaml:5:24: error: 'sparsity' must be between 0 and 1 (exclusive), got 1.5; "
            + "it is the fraction of weights set to zero, e.g. sparsity: 0.5",
        ]),
    GoldenCase(name: "group given with per-channel", yaml: header + """
          - quantize:
              weights: { dtype: int4, granularity: per-channel, group: 32 }
        """, expected: [
            "recipes/a.yaml:6:64: error: 'group' applies only to granularity per-group, but the granularity here is per-channel; "
            + "remove 'group' or write granularity: per-group",
        ]),
    GoldenCase(name: "group given with the default granularity", yaml: header + """
          - quantize: { weights: { group: 64 } }
        """, expected: [
            "recipes/a.yaml:5:35: error: 'group' applies only to granularity per-group, but the granularity here is per-channel "
            + "(the default); remove 'group' or write granularity: per-group",
        ]),
    GoldenCase(name: "fit mse with per-tensor", yaml: header + """
          - quantize: { weights: { granularity: per-tensor, fit: mse } }
        """, expected: [
            "recipes/a.yaml:5:58: error: fit: mse searches each channel's or group's scale and needs granularity per-channel "
            + "or per-group, but the granularity here is per-tensor; use per-channel, or fit: minmax",
        ]),
    GoldenCase(name: "misspelled fit", yaml: header + """
          - quantize: { weights: { fit: mes } }
        """, expected: [
            "recipes/a.yaml:5:33: error: 'fit' 'mes' is not one of minmax, mse (did you mean 'mse'?)",
        ]),
    GoldenCase(name: "odd group", yaml: header + """
          - quantize: { weights: { granularity: per-group, group: 33 } }
        """, expected: [
            "recipes/a.yaml:5:59: error: 'group' must be an even integer ≥ 2 (values per scale), got 33; e.g. group: 32",
        ]),
    GoldenCase(name: "misspelled enum values", yaml: header + """
          - quantize: { weights: { dtype: int3, granularity: per-chanel } }
          - cast: { dtype: fp61 }
        """, expected: [
            "recipes/a.yaml:5:35: error: 'dtype' 'int3' is not one of int8, uint8, int4, uint4 (did you mean 'int4'?)",
            "recipes/a.yaml:5:54: error: 'granularity' 'per-chanel' is not one of per-tensor, per-channel, per-group "
            + "(did you mean 'per-channel'?)",
            "recipes/a.yaml:6:20: error: 'dtype' 'fp61' is not one of fp16, bf16 (did you mean 'fp16'?)",
        ]),
    GoldenCase(name: "bad N:M pattern", yaml: header + """
          - prune: { pattern: "4:2" }
          - prune: { pattern: "2:128" }
          - prune: { pattern: half }
        """, expected: [
            "recipes/a.yaml:5:23: error: 'pattern' must be \"N:M\" with 1 ≤ N < M ≤ 64 (keep N of every M weights), got \"4:2\"; e.g. pattern: \"2:4\"",
            "recipes/a.yaml:6:23: error: 'pattern' must be \"N:M\" with 1 ≤ N < M ≤ 64 (keep N of every M weights), got \"2:128\"; e.g. pattern: \"2:4\"",
            "recipes/a.yaml:7:23: error: 'pattern' must be \"N:M\" with 1 ≤ N < M ≤ 64 (keep N of every M weights), got \"half\"; e.g. pattern: \"2:4\"",
        ]),
    GoldenCase(name: "sparsity and pattern together", yaml: header + """
          - prune: { sparsity: 0.5, pattern: "2:4" }
        """, expected: [
            "recipes/a.yaml:5:38: error: give either 'sparsity' or 'pattern', not both: sparsity zeroes a fraction of weights anywhere, "
            + "pattern zeroes M−N of every M; remove one",
        ]),
    GoldenCase(name: "duplicate pass id", yaml: header + """
          - prune: { sparsity: 0.5 }
          - prune: { id: prune, pattern: "2:4" }
        """, expected: [
            "recipes/a.yaml:6:18: error: duplicate pass id 'prune'; give this pass a different id, e.g. id: prune-b\n"
            + "recipes/a.yaml:5:5: note: 'prune' is first used here",
        ]),
    GoldenCase(name: "explicit id colliding with a later default id", yaml: header + """
          - cast: { id: quantize, dtype: fp16, include: ["*head*"] }
          - quantize
        """, expected: [
            "recipes/a.yaml:6:5: error: duplicate pass id 'quantize'; give this pass a different id, e.g. id: quantize-b\n"
            + "recipes/a.yaml:5:17: note: 'quantize' is first used here",
        ]),
    GoldenCase(name: "prune after quantize", yaml: header + """
          - quantize
          - prune: { sparsity: 0.5 }
        """, expected: [
            "recipes/a.yaml:6:5: error: prune comes after quantize; prune works on float weights, and quantize has already changed how they are stored — move prune before quantize\n"
            + "recipes/a.yaml:5:5: note: quantize is here",
        ]),
    GoldenCase(name: "prune after cast", yaml: header + """
          - cast: { dtype: fp16, include: ["*head*"] }
          - prune: { id: p24, pattern: "2:4" }
        """, expected: [
            "recipes/a.yaml:6:5: error: prune 'p24' comes after cast; prune works on float weights, and cast has already changed how they are stored — move prune before cast\n"
            + "recipes/a.yaml:5:5: note: cast is here",
        ]),
    GoldenCase(name: "pass config not nested under the pass name", yaml: header + """
          - prune:
            sparsity: 0.5
        """, expected: [
            "recipes/a.yaml:6:5: error: the config of pass 'prune' must be nested under it: indent 'sparsity' below 'prune:' "
            + "(or write prune: { sparsity: ... })",
        ]),
    GoldenCase(name: "unknown key in a pass config", yaml: header + """
          - prune: { sparsty: 0.5 }
        """, expected: [
            "recipes/a.yaml:5:14: error: unknown key 'sparsty' in prune (did you mean 'sparsity'?)",
        ]),
    GoldenCase(name: "override without match, skip with weights", yaml: header + """
          - quantize:
              overrides:
                - weights: { dtype: int4 }
                - match: "*head*"
                  skip: true
                  weights: { dtype: int8 }
        """, expected: [
            "recipes/a.yaml:7:11: error: override 1 needs 'match' (a glob or list of globs naming the tensors it applies to); "
            + "e.g. match: \"*attn*\"",
            "recipes/a.yaml:9:17: error: override 2 has skip: true, which leaves its tensors unquantized, and also 'weights'; "
            + "remove one of them",
        ]),
    GoldenCase(name: "per_target naming an unknown target and pass id", yaml: header + """
          - quantize
        per_target:
          x86-64-avx:
            quantize: { weights: { granularity: per-tensor } }
          google-edgetpu:
            quantise: { weights: { dtype: int8 } }
            quantize: { id: q2 }
        """, expected: [
            "recipes/a.yaml:7:3: error: per_target names target 'x86-64-avx', which is not in 'targets' (x86-64-avx2, google-edgetpu) "
            + "(did you mean 'x86-64-avx2'?); add it to 'targets' or fix the name",
            "recipes/a.yaml:10:5: error: unknown pass id 'quantise' in per_target.google-edgetpu (did you mean 'quantize'?); "
            + "per_target entries are keyed by pass id",
            "recipes/a.yaml:11:17: error: per_target cannot change a pass id; remove 'id' here (per_target entries are keyed by the pass id)",
        ]),
    GoldenCase(name: "per_target value errors are located in per_target", yaml: header + """
          - quantize
        per_target:
          google-edgetpu:
            quantize: { weights: { group: 48, dtype: int9 } }
        """, expected: [
            "recipes/a.yaml:8:35: error: 'group' applies only to granularity per-group, but the granularity here is per-channel "
            + "(the default); remove 'group' or write granularity: per-group",
            "recipes/a.yaml:8:46: error: 'dtype' 'int9' is not one of int8, uint8, int4, uint4 (did you mean 'int4'?)",
        ]),
    GoldenCase(name: "targets: empty, duplicated", yaml: """
        recipe: demo
        model: { path: m.onnx }
        targets: [x86-64-avx2, google-edgetpu, x86-64-avx2]
        passes: [quantize]
        """, expected: [
            "recipes/a.yaml:3:40: error: target 'x86-64-avx2' is listed twice; remove the repeat\n"
            + "recipes/a.yaml:3:11: note: first listed here",
        ]),
    GoldenCase(name: "bad recipe name", yaml: """
        recipe: Keyboard Suggest
        model: { path: m.onnx }
        targets: [x86-64-avx2]
        passes: [quantize]
        """, expected: [
            "recipes/a.yaml:1:9: error: recipe name 'Keyboard Suggest' must match [a-z0-9][a-z0-9._-]* (it names the dist/<recipe>/ folder); "
            + "e.g. 'keyboard-suggest'",
        ]),
]

@Test("golden diagnostics", arguments: goldenCases)
func goldenDiagnostics(_ c: GoldenCase) {
    #expect(TestSupport.errors(c.yaml) == c.expected)
}

@Test func severalErrorsInOneFileAreAllReported() {
    let yaml = """
        recipe: Demo!
        model: { path: m.safetensors, format: onxx }
        targets: [x86-64-avx2, x86-64-avx2]
        pases: []
        passes:
          - quantise
          - prune: { sparsity: 2, scope: globl }
          - quantize: { weights: { dtype: int4, group: 3 }, min_elements: 0, keep_1d: maybe }
          - cast: { dtype: fp8, exclude: {a: 1} }
          - prune: { pattern: "2:4" }
        bundle: { tar: yes, format: tflite }
        """
    let errors = TestSupport.errors(yaml)
    let lines = errors.map { $0.split(separator: " ").first.map(String.init) ?? "" }
    #expect(lines == [
        "recipes/a.yaml:1:9:",   // recipe name
        "recipes/a.yaml:2:39:",  // format onxx
        "recipes/a.yaml:3:24:",  // duplicate target
        "recipes/a.yaml:4:1:",   // pases
        "recipes/a.yaml:6:5:",   // quantise
        "recipes/a.yaml:7:24:",  // sparsity 2
        "recipes/a.yaml:7:34:",  // scope globl
        "recipes/a.yaml:8:48:",  // odd group
        "recipes/a.yaml:8:67:",  // min_elements 0
        "recipes/a.yaml:8:79:",  // keep_1d maybe
        "recipes/a.yaml:9:20:",  // fp8
        "recipes/a.yaml:9:34:",  // exclude as a mapping
        "recipes/a.yaml:10:5:",  // prune after quantize
        "recipes/a.yaml:11:29:", // bundle format tflite
    ], "\(errors.joined(separator: "\n"))")
    #expect(errors.count == 14)
}

@Test func emptyRecipe() {
    #expect(TestSupport.errors("") == [
        "recipes/a.yaml:1:1: error: the recipe is empty; it needs at least 'recipe', 'model', 'targets' and 'passes' (see docs/recipe-reference.md)",
    ])
    #expect(TestSupport.errors("- a\n- b\n") == [
        "recipes/a.yaml:1:1: error: a recipe must be a mapping of 'key: value' lines, got a list; e.g. recipe: my-model",
    ])
}
