import PareKernels
import PareONNXProto

extension LowRankPass {
    /// A group-1 Conv kernel [Cout, Cin, S…] and its mode-1 unfolding.
    struct ConvWork: Sendable {
        var wName: String
        var x: String
        var y: String
        var dims: [Int]
        var w: [Float]
        var cout: Int { dims[0] }
        var cin: Int { dims[1] }
        var spatial: Int { dims.dropFirst(2).reduce(1, *) }
    }

    /// The kernel of candidate Conv node `i` ready to factorize, or why it is kept; nil when it is not a candidate.
    func convWork(_ e: GraphEditor, node i: Int) throws -> Prepared? {
        let n = e.graph.node[i]
        let wName = n.input[1]
        guard let dims = e.shape(wName), dims.count >= 3 else { return nil }
        if (Self.attribute(n, "group")?.i ?? 1) != 1 {
            return .kept(LayerChange(layer: wName, action: "kept: grouped convolution is not factorized"))
        }
        return .work(.conv(ConvWork(wName: wName, x: n.input[0], y: n.output[0], dims: dims, w: try e.floats(wName))))
    }

    /// Tucker-2 of a group-1 Conv (see the type's documentation): both unfoldings' SVDs, the ranks, and the core.
    func factorizeConv(_ c: ConvWork, shapes: [String: [Int]]) throws -> Outcome {
        let (cout, cin, spatial, w, wName) = (c.cout, c.cin, c.spatial, c.w, c.wName)
        // Mode-0 (Cout × Cin·S) and mode-1 (Cin × Cout·S) unfoldings.
        let m1 = LowRank.modeOneUnfolding(w, cout: cout, cin: cin, spatial: spatial)
        guard let s0 = LinearAlgebra.svd(w, rows: cout, cols: cin * spatial),
              let s1 = LinearAlgebra.svd(m1, rows: cin, cols: cout * spatial) else {
            throw PassError(tensor: wName, message: "could not be factorized: the SVD did not converge (the kernel may hold NaN or infinite values)")
        }
        let rOut = rank(s0.s), rIn = rank(s1.s)
        let outPositions = (shapes[c.y]?.reduce(1, *) ?? cout) / max(cout, 1)
        let inPositions = (shapes[c.x]?.reduce(1, *) ?? cin) / max(cin, 1)
        let paramsBefore = cout * cin * spatial
        let paramsAfter = cin * rIn + rOut * rIn * spatial + cout * rOut
        let flopsBefore = 2 * outPositions * cout * cin * spatial
        let flopsAfter = 2 * inPositions * cin * rIn + 2 * outPositions * rOut * rIn * spatial + 2 * outPositions * cout * rOut
        let ranks = "ranks \(rIn)→\(rOut) of \(cin)→\(cout)"
        guard paramsAfter < paramsBefore, flopsAfter < flopsBefore else {
            return .kept(LayerChange(layer: wName, action: "kept: \(ranks) would not reduce parameters or FLOPs (\(paramsBefore) → \(paramsAfter) parameters, \(flopsBefore) → \(flopsAfter) FLOPs)",
                                     parametersBefore: paramsBefore, parametersAfter: paramsBefore, flopsBefore: flopsBefore, flopsAfter: flopsBefore))
        }
        let u0 = LowRank.leadingColumns(s0.u, rows: cout, cols: s0.s.count, count: rOut)
        let u1 = LowRank.leadingColumns(s1.u, rows: cin, cols: s1.s.count, count: rIn)
        let core = LowRank.tuckerCore(w, cout: cout, cin: cin, spatial: spatial, u0: u0, rOut: rOut, u1: u1, rIn: rIn)
        let total = w.reduce(0.0) { $0 + Double($1) * Double($1) }
        let kept = core.reduce(0.0) { $0 + Double($1) * Double($1) }
        let energy = total > 0 ? kept / total : 1
        let change = LayerChange(layer: wName, action: ranks + String(format: " (energy %.4f)", energy),
                                 parametersBefore: paramsBefore, parametersAfter: paramsAfter, flopsBefore: flopsBefore, flopsAfter: flopsAfter)
        return .conv(c, change, u1: u1, core: core, u0: u0, rIn: rIn, rOut: rOut)
    }

    /// Replaces the Conv by a 1×1 conv Cin→r_in (U1ᵀ), the k×k conv r_in→r_out (the core, original attributes) and
    /// a 1×1 conv r_out→Cout (U0, with the bias; it keeps the output name).
    func applyConv(_ e: GraphEditor, _ c: ConvWork, u1: [Float], core: [Float], u0: [Float], rIn: Int, rOut: Int) throws {
        guard let i = e.producer(of: c.y) else { return }
        let n = e.graph.node[i]
        let (cout, cin, dims, wName, y) = (c.cout, c.cin, c.dims, c.wName, c.y)
        // 1×1 kernels: [r_in, Cin, 1…] = U1ᵀ and [Cout, r_out, 1…] = U0.
        var firstW = [Float](repeating: 0, count: rIn * cin)
        for ci in 0..<cin { for b in 0..<rIn { firstW[b * cin + ci] = u1[ci * rIn + b] } }
        let ones = [Int](repeating: 1, count: dims.count - 2)
        let firstName = e.uniqueName(wName + ".tucker_in")
        try e.setFloats(firstName, firstW, shape: [rIn, cin] + ones)
        let coreName = e.uniqueName(wName + ".tucker_core")
        try e.setFloats(coreName, core, shape: [rOut, rIn] + Array(dims.dropFirst(2)))
        let lastName = e.uniqueName(wName + ".tucker_out")
        try e.setFloats(lastName, u0, shape: [cout, rOut] + ones)
        for t in [firstName, coreName, lastName] { e.noteChanged(t, by: id) }
        let base = n.name.isEmpty ? y : n.name
        let a = e.uniqueName(y + ".tucker_in"), b = e.uniqueName(y + ".tucker_core")
        var first = Onnx_NodeProto()
        first.opType = "Conv"
        first.name = e.uniqueName(base + "/tucker_in")
        first.input = [n.input[0], firstName]
        first.output = [a]
        var middle = n
        middle.name = e.uniqueName(base + "/tucker_core")
        middle.input = [a, coreName]
        middle.output = [b]
        var last = Onnx_NodeProto()
        last.opType = "Conv"
        last.name = n.name
        last.input = [b, lastName] + (n.input.count > 2 ? [n.input[2]] : [])
        last.output = n.output
        var g = e.graph
        g.node.replaceSubrange(i...i, with: [first, middle, last])
        e.graph = g
    }
}
