/// Small graph algorithms over nodes numbered 0..<n.
public enum Graph {
    /// A topological order that is stable: among ready nodes the lowest index comes first.
    /// Returns nil if the graph has a cycle. `edges[i]` lists the successors of node i.
    public static func topologicalOrder(nodeCount n: Int, successors edges: [[Int]]) -> [Int]? {
        var indegree = [Int](repeating: 0, count: n)
        for e in edges { for j in e { indegree[j] += 1 } }
        var ready = (0..<n).filter { indegree[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(n)
        while !ready.isEmpty {
            ready.sort(by: >)
            let i = ready.removeLast()
            order.append(i)
            for j in edges[i] {
                indegree[j] -= 1
                if indegree[j] == 0 { ready.append(j) }
            }
        }
        return order.count == n ? order : nil
    }

    /// One cycle as a list of nodes (first node repeated at the end), or nil if acyclic.
    public static func findCycle(nodeCount n: Int, successors edges: [[Int]]) -> [Int]? {
        var state = [UInt8](repeating: 0, count: n) // 0 new, 1 on stack, 2 done
        var stack: [Int] = []
        func visit(_ i: Int) -> [Int]? {
            state[i] = 1; stack.append(i)
            for j in edges[i] {
                if state[j] == 1, let k = stack.firstIndex(of: j) { return Array(stack[k...]) + [j] }
                if state[j] == 0, let c = visit(j) { return c }
            }
            state[i] = 2; stack.removeLast()
            return nil
        }
        for i in 0..<n where state[i] == 0 {
            if let c = visit(i) { return c }
        }
        return nil
    }
}
