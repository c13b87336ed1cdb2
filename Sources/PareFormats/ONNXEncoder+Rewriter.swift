import Foundation
import PareONNXProto

extension ONNXEncoder {
    /// Applies plans to a model's main graph, one weight at a time, then assembles the graph.
    struct Rewriter {
        var model: Onnx_ModelProto
        let computeType: Int32
        let file: String
        var names: ONNXEncodeNames
        var report: [String] = []
        /// Nodes for initializer weights, placed at the start of the graph.
        var prepend: [Onnx_NodeProto] = []
        var newInitializers: [Onnx_TensorProto] = []
        var removed: Set<String> = []
        /// Replacements of whole nodes: a Constant weight's node, or a MatMul made MatMulNBits.
        var replacement: [Int: [Onnx_NodeProto]] = [:]
        var usesMicrosoftDomain = false
        var writesInt4 = false
        let initializerIndex: [String: Int]
        let constantIndex: [String: Int]

        init(model: Onnx_ModelProto, computeType: Int32, file: String) {
            self.model = model
            self.computeType = computeType
            self.file = file
            self.names = ONNXEncodeNames(model)
            var ii: [String: Int] = [:], ci: [String: Int] = [:]
            for (i, t) in model.graph.initializer.enumerated() { ii[t.name] = i }
            for (i, n) in model.graph.node.enumerated() where P.constantValue(n) != nil && n.output.count == 1 { ci[n.output[0]] = i }
            initializerIndex = ii
            constantIndex = ci
        }

        /// The nodes being built for one weight: parts become Constant nodes (Constant weights) or initializers.
        struct Emission {
            let weight: String
            let isConstant: Bool
            var nodes: [Onnx_NodeProto] = []
        }

        mutating func part(_ e: inout Emission, _ tensor: Onnx_TensorProto, suffix: String) -> String {
            let name = names.fresh("\(e.weight)_\(suffix)")
            if tensor.dataType == P.int4 || tensor.dataType == P.uint4 { writesInt4 = true }
            if e.isConstant {
                e.nodes.append(P.constantNode(tensor, output: name, name: names.fresh("\(name)_Constant")))
            } else {
                var t = tensor
                t.name = name
                newInitializers.append(t)
            }
            return name
        }

        mutating func node(_ e: inout Emission, _ op: String, _ inputs: [String], output: String,
                           attributes: [Onnx_AttributeProto] = []) {
            e.nodes.append(P.node(op, inputs, [output], name: names.fresh("\(e.weight)_\(op)"), attributes: attributes))
        }

        /// `x` → Reshape(shape) → Transpose(perm) named `weight`, for the matrix forms.
        mutating func restoreLayout(_ e: inout Emission, _ x: String, reshape: [Int]?, transpose: [Int]?) {
            var current = x
            if let reshape {
                let shape = part(&e, P.int64s(dims: [reshape.count], reshape.map(Int64.init)), suffix: "shape")
                let out = transpose == nil ? e.weight : names.fresh("\(e.weight)_reshaped")
                node(&e, "Reshape", [current, shape], output: out)
                current = out
            }
            if let transpose { node(&e, "Transpose", [current], output: e.weight, attributes: [P.intsAttr("perm", transpose)]) }
        }

        mutating func apply(name: String, plan: Plan, note: String?) throws {
            let isConstant = initializerIndex[name] == nil
            var e = Emission(weight: name, isConstant: isConstant)
            let shape = (isConstant ? P.constantValue(model.graph.node[constantIndex[name]!]) : model.graph.initializer[initializerIndex[name]!]).map(P.shape) ?? []
            var line = "\(name) \(shape): "
            var inPlace = false
            switch plan {
            case .dequantize(let q, let f):
                let x = part(&e, f.x, suffix: "quantized")
                let s = part(&e, f.scale, suffix: "scale")
                var inputs = [x, s]
                if let z = f.zeroPoint { inputs.append(part(&e, z, suffix: "zero_point")) }
                var attrs: [Onnx_AttributeProto] = []
                if let a = f.axis { attrs.append(P.intAttr("axis", a)) }
                if let b = f.blockSize { attrs.append(P.intAttr("block_size", b)) }
                let matrix = f.reshape != nil || f.transpose != nil
                let out = matrix ? names.fresh("\(name)_dequantized") : name
                node(&e, "DequantizeLinear", inputs, output: out, attributes: attrs)
                restoreLayout(&e, out, reshape: f.reshape, transpose: f.transpose)
                line += "\(describe(q)) → DequantizeLinear"
                if let b = f.blockSize {
                    line += matrix ? " of the \(f.x.dims.map(String.init).joined(separator: " × ")) matrix view blocked by \(b) + "
                        + (f.transpose == nil ? "Reshape" : f.reshape == nil ? "Transpose" : "Reshape + Transpose")
                        + " (the groups span several axes)" : " blocked by \(b) along axis \(f.axis!)"
                } else if let a = f.axis { line += " along axis \(a)" }
                line += " (opset ≥ \(f.minimumOpset))"
            case .castMul(let q, let f, let reason):
                let x = part(&e, f.q, suffix: "quantized")
                let cast = names.fresh("\(name)_float")
                node(&e, "Cast", [x], output: cast, attributes: [P.intAttr("to", Int(computeType))])
                var current = cast
                if let z = f.zeroPoint {
                    let zp = part(&e, z, suffix: "zero_point")
                    let centered = names.fresh("\(name)_centered")
                    node(&e, "Sub", [current, zp], output: centered)
                    current = centered
                }
                let s = part(&e, f.scale, suffix: "scale")
                let matrix = f.reshape != nil || f.transpose != nil
                let scaled = matrix ? names.fresh("\(name)_scaled") : name
                node(&e, "Mul", [current, s], output: scaled)
                restoreLayout(&e, scaled, reshape: f.reshape, transpose: f.transpose)
                line += "\(describe(q)) → \(P.typeName(f.q.dataType)) codes + Cast\(f.zeroPoint == nil ? "" : " + Sub") + Mul "
                    + "(fallback: \(reason))"
            case .matMulNBits(let q, let f):
                let b = part(&e, f.b, suffix: "B")
                let s = part(&e, f.scales, suffix: "scales")
                var inputs = [b, s]
                if let z = f.zeroPoints { inputs.append(part(&e, z, suffix: "zero_points")) }
                let count = try replaceMatMuls(weight: name, inputs: inputs, form: f)
                usesMicrosoftDomain = true
                line += "\(describe(q)) → com.microsoft.MatMulNBits (K \(f.k), N \(f.n), block \(f.blockSize)"
                    + "\(f.zeroPoints == nil ? ", default zero point 8" : "")) replacing \(count) MatMul node\(count == 1 ? "" : "s")"
            case .half(let bits, let type):
                if type == computeType {
                    replaceInPlace(name, P.halves(type: type, dims: shape, bits))
                    inPlace = true
                    line += "stored as \(P.typeName(type)) (float16 compute)"
                } else {
                    let h = part(&e, P.halves(type: type, dims: shape, bits), suffix: type == P.float16 ? "float16" : "bfloat16")
                    node(&e, "Cast", [h], output: name, attributes: [P.intAttr("to", Int(computeType))])
                    line += "\(P.typeName(type)) initializer + Cast to \(P.typeName(computeType))"
                }
            case .palette(let w):
                line += writePalette(&e, w)
            case .replace(let values):
                replaceInPlace(name, P.floats(type: computeType, dims: shape, values))
                inPlace = true
                line += "values replaced (\(P.typeName(computeType)))"
            }
            if let note { line += "; \(note)" }
            report.append(line)
            guard !inPlace else { return }
            if isConstant {
                replacement[constantIndex[name]!] = e.nodes
            } else {
                removed.insert(name)
                prepend += e.nodes
            }
        }

        /// Replaces the payload of initializer / Constant `name` (same name, possibly another type).
        mutating func replaceInPlace(_ name: String, _ tensor: Onnx_TensorProto) {
            var t = tensor
            if let i = initializerIndex[name] {
                t.name = name
                model.graph.initializer[i] = t
            } else if let i = constantIndex[name] {
                t.clearName()
                var n = model.graph.node[i]
                P.setAttr(&n, P.tensorAttr("value", t))
                model.graph.node[i] = n
            }
        }

        /// Turns every `MatMul(A, weight)` of the main graph into MatMulNBits; checks nothing else reads it.
        mutating func replaceMatMuls(weight: String, inputs: [String], form f: ONNXLayout.MatMulNBitsForm) throws -> Int {
            var count = 0
            for (i, n) in model.graph.node.enumerated() where n.input.contains(weight) {
                guard n.opType == "MatMul", P.isStandard(n), n.input.count == 2, n.input[1] == weight, n.input[0] != weight else {
                    throw FormatError(file: file, tensor: weight, message: "\(P.label(n, index: i)) reads it, so it cannot become MatMulNBits")
                }
                var attrs = [P.intAttr("K", f.k), P.intAttr("N", f.n), P.intAttr("bits", f.bits), P.intAttr("block_size", f.blockSize)]
                attrs.sort { $0.name < $1.name }
                var mm = P.node("MatMulNBits", [n.input[0]] + inputs, n.output, name: n.name, domain: "com.microsoft", attributes: attrs)
                if !n.hasName { mm.clearName() }
                replacement[i] = [mm]
                count += 1
            }
            if model.graph.output.contains(where: { $0.name == weight }) {
                throw FormatError(file: file, tensor: weight, message: "is a graph output, so it cannot become MatMulNBits")
            }
            return count
        }

        func describe(_ q: ONNXQuantizedWeight) -> String {
            "\(q.dtype) \(q.granularity)\(q.granularity == "per-group" ? " \(q.group)" : "")"
                + (q.granularity == "per-tensor" ? "" : " (channel axis \(q.axis))")
        }

        /// Assembles the graph: new nodes first, replaced nodes in place, old weights removed, opset imports and
        /// IR version raised as the new tensors require.
        mutating func finish() throws -> (model: Onnx_ModelProto, report: [String]) {
            var g = model.graph
            var nodes = prepend
            for (i, n) in g.node.enumerated() {
                if let r = replacement[i] { nodes += r } else { nodes.append(n) }
            }
            g.node = nodes
            g.initializer = g.initializer.filter { !removed.contains($0.name) } + newInitializers
            let before = g.input.count
            g.input.removeAll { removed.contains($0.name) }
            var m = model
            m.graph = g
            if g.input.count != before { report.append("weights that were also graph inputs are no longer graph inputs") }
            if usesMicrosoftDomain, !m.opsetImport.contains(where: { $0.domain == "com.microsoft" }) {
                P.setOpset(&m, domain: "com.microsoft", version: 1)
                report.append("opset import com.microsoft 1 added (MatMulNBits)")
            }
            var ir = Int(m.irVersion)
            if !newInitializers.isEmpty { ir = max(ir, 4) }  // IR < 4 requires every initializer to be a graph input
            if writesInt4 { ir = max(ir, 10) }  // INT4 / UINT4 exist from IR 10
            if ir > m.irVersion {
                report.append("IR version \(m.irVersion) → \(ir)")
                m.irVersion = Int64(ir)
            }
            return (m, report)
        }
    }
}
