import Foundation
import PareBasics
import PareONNXProto
import Testing
@testable import PareFormats

/// ONNXUsage: golden channel axes on the fixtures, and the rules on small hand-built graphs.
@Suite struct ONNXEncodeUsageTests {
    typealias S = ONNXEncodeSupport

    /// weight → expected channel axis (nil: per-tensor only) and MatMulNBits eligibility (block 32).
    static let golden: [String: [String: (Int?, Bool)]] = [
        "cnn": [
            "conv1.weight": (0, false), "conv2.weight": (0, false), "fc.weight": (0, false), "conv1.bias": (nil, false),
            "bn1.weight": (nil, false), "bn1.running_var": (nil, false), "fc.bias": (nil, false), "const.f0": (nil, false),
        ],
        "transformer": [
            "embed_tokens.weight": (0, false), "embed_positions.weight": (nil, false),
            "layers.0.attn.q_proj.weight": (1, true), "layers.0.attn.k_proj.weight": (1, true),
            "layers.0.attn.v_proj.weight": (1, true), "layers.0.attn.out_proj.weight": (1, true),
            "layers.0.mlp.fc1.weight": (1, true), "layers.0.mlp.fc2.weight": (1, true), "lm_head.weight": (1, true),
            "layers.0.attn.q_proj.bias": (nil, false), "layers.0.ln_1.weight": (nil, false),
            "shape.split_heads": (nil, false),
        ],
        "constants": [
            "linear_0.w_0": (1, true), "linear_1.w_0": (1, true), "linear_2.w_0": (1, true), "linear_0.b_0": (nil, false),
        ],
    ]

    @Test(arguments: ["cnn", "transformer", "constants"], [11, 17, 21])
    func fixtureAxes(fixture: String, opset: Int) throws {
        let m = try S.load(try S.fixturePath(fixture, opset: opset))
        let uses = ONNXUsage.analyze(m.graph)
        for (name, (axis, eligible)) in Self.golden[fixture]! {
            let u = try #require(uses[name], "\(name) missing")
            #expect(u.channelAxis == axis, "\(name): \(u.channelAxis.map(String.init) ?? "nil") \(u.reason ?? "")")
            #expect(u.matMulNBitsEligible == eligible, "\(name)")
            #expect((u.reason == nil) == (axis != nil), "\(name): reason \(u.reason ?? "nil")")
            #expect(!u.consumers.isEmpty)
        }
        // Every initializer and Constant output is reported.
        let expected = Set(m.graph.initializer.map(\.name) + m.graph.node.filter { $0.opType == "Constant" }.flatMap(\.output))
        #expect(Set(uses.keys) == expected)
        if fixture == "cnn" {
            #expect(uses["conv1.bias"]!.reason!.contains("Conv"))
            #expect(uses["const.f0"]!.reason == "0-d scalar")
            let c = uses["conv1.weight"]!.consumers
            #expect(c.count == 1 && c[0].opType == "Conv" && c[0].input == 1 && m.graph.node[c[0].node].opType == "Conv")
        }
        if fixture == "transformer" { #expect(uses["shape.split_heads"]!.reason!.contains("INT64")) }
    }

    // MARK: Hand-built graphs

    static func graph(_ nodes: [Onnx_NodeProto], weights: [String: [Int]]) -> Onnx_GraphProto {
        var g = Onnx_GraphProto()
        g.node = nodes
        for (name, dims) in weights.sorted(by: { $0.key < $1.key }) {
            g.initializer.append(ONNXEncodeProto.floats(name, dims: dims, [Float](repeating: 0.5, count: dims.reduce(1, *))))
        }
        return g
    }

    static func node(_ op: String, _ inputs: [String], _ out: String, _ attrs: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        ONNXEncodeProto.node(op, inputs, [out], name: "/\(op)_\(out)", attributes: attrs)
    }

    struct Rule: CustomTestStringConvertible, Sendable {
        var label: String
        var nodes: [Onnx_NodeProto]
        var dims: [Int]
        var axis: Int?
        var reason: String?
        var eligible: Bool = false
        var testDescription: String { label }
    }

    static let rules: [Rule] = [
        Rule(label: "ConvTranspose", nodes: [node("ConvTranspose", ["x", "W"], "y")], dims: [8, 4, 3, 3], axis: 1),
        Rule(label: "Gemm transB=0", nodes: [node("Gemm", ["x", "W"], "y")], dims: [16, 8], axis: 1),
        Rule(label: "Gemm transB=1", nodes: [node("Gemm", ["x", "W"], "y", [ONNXEncodeProto.intAttr("transB", 1)])], dims: [8, 16], axis: 0),
        Rule(label: "Gemm A", nodes: [node("Gemm", ["W", "x"], "y")], dims: [8, 16], reason: "(A)"),
        Rule(label: "MatMul A", nodes: [node("MatMul", ["W", "x"], "y")], dims: [8, 16], reason: "(A)"),
        Rule(label: "MatMul rank 3", nodes: [node("MatMul", ["x", "W"], "y")], dims: [2, 32, 8], reason: "rank 3"),
        Rule(label: "MatMul K not divisible", nodes: [node("MatMul", ["x", "W"], "y")], dims: [48, 8], axis: 1, eligible: false),
        Rule(label: "MatMul twice", nodes: [node("MatMul", ["x", "W"], "y"), node("MatMul", ["y2", "W"], "z")], dims: [64, 8],
             axis: 1, eligible: true),
        Rule(label: "Gather axis 1", nodes: [node("Gather", ["W", "i"], "y", [ONNXEncodeProto.intAttr("axis", 1)])], dims: [8, 16], axis: 1),
        Rule(label: "disagree", nodes: [node("Conv", ["x", "W"], "y"), node("ConvTranspose", ["x", "W"], "z")], dims: [8, 8, 3, 3],
             reason: "disagree"),
        Rule(label: "MatMul and Add", nodes: [node("MatMul", ["x", "W"], "y"), node("Add", ["y", "W"], "z")], dims: [64, 64],
             reason: "Add"),
        Rule(label: "other domain", nodes: [ONNXEncodeProto.node("MatMulNBits", ["x", "W"], ["y"], name: "q", domain: "com.microsoft")],
             dims: [64, 8], reason: "com.microsoft"),
        Rule(label: "unused", nodes: [node("Relu", ["x"], "y")], dims: [4], reason: "not read"),
    ]

    @Test(arguments: rules)
    func rule(_ r: Rule) throws {
        let uses = ONNXUsage.analyze(Self.graph(r.nodes, weights: ["W": r.dims]))
        let u = try #require(uses["W"])
        #expect(u.channelAxis == r.axis)
        if let reason = r.reason { #expect(u.reason?.contains(reason) == true, "\(u.reason ?? "nil")") } else { #expect(u.reason == nil) }
        #expect(u.matMulNBitsEligible == r.eligible)
    }

    /// A weight read inside an If branch is reported as a use by the If node (input −1), per-tensor only.
    @Test func subgraphUse() throws {
        var branch = Onnx_GraphProto()
        branch.node = [Self.node("Relu", ["W"], "r")]
        var out = Onnx_ValueInfoProto()
        out.name = "r"
        branch.output = [out]
        var thenAttr = Onnx_AttributeProto()
        thenAttr.name = "then_branch"
        thenAttr.type = .graph
        thenAttr.g = branch
        var elseAttr = thenAttr
        elseAttr.name = "else_branch"
        let ifNode = ONNXEncodeProto.node("If", ["cond"], ["r"], name: "if", attributes: [thenAttr, elseAttr])
        let uses = ONNXUsage.analyze(Self.graph([Self.node("MatMul", ["x", "W"], "y"), ifNode], weights: ["W": [64, 4]]))
        let u = try #require(uses["W"])
        #expect(u.consumers.map(\.input) == [1, -1] && u.consumers[1].opType == "If")
        #expect(u.channelAxis == nil && u.reason?.contains("subgraph") == true && !u.matMulNBitsEligible)
    }
}
