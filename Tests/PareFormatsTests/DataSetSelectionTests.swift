import PareBasics
import Testing
@testable import PareFormats

@Suite("DataSet: selection")
struct DataSetSelectionTests {
    @Test("deterministic, sorted, unique, in range", arguments: [(1, 1), (10, 3), (100, 99), (257, 64), (1000, 1)], [UInt64(0), 7, .max])
    func properties(shape: (count: Int, k: Int), seed: UInt64) throws {
        let sel = DataSetSelection(samples: shape.k, seed: seed)
        let a = try sel.indices(count: shape.count)
        #expect(a == (try sel.indices(count: shape.count)))
        #expect(a.count == min(shape.k, shape.count))
        #expect(a == a.sorted() && Set(a).count == a.count)
        #expect(a.allSatisfy { (0..<shape.count).contains($0) })
    }

    @Test("all samples when samples is nil or at least the count")
    func all() throws {
        #expect(try DataSetSelection.all.indices(count: 5) == [0, 1, 2, 3, 4])
        #expect(try DataSetSelection(samples: 5, seed: 9).indices(count: 5) == [0, 1, 2, 3, 4])
        #expect(try DataSetSelection(samples: 50, seed: 9).indices(count: 5) == [0, 1, 2, 3, 4])
    }

    @Test("invalid selections are errors")
    func invalid() {
        #expect(throws: DataSetSelection.Invalid.self) { try DataSetSelection(samples: 0, seed: 1).indices(count: 5) }
        #expect(throws: DataSetSelection.Invalid.self) { try DataSetSelection(samples: -3, seed: 1).indices(count: 5) }
        #expect(throws: DataSetSelection.Invalid.self) { try DataSetSelection.all.indices(count: 0) }
    }

    @Test("the documented rule, step by step")
    func documentedRule() throws {
        // Re-derive the rule from its documentation and compare, for many (count, k, seed).
        var meta = SplitMix64(seed: 42)
        for _ in 0..<200 {
            let count = Int(meta.next() % 300) + 2
            let k = Int(meta.next() % UInt64(count - 1)) + 1
            let seed = meta.next()
            var order = Array(0..<count)
            var rng = SplitMix64(seed: seed)
            for i in 0..<k {
                let r = rng.next()
                let j = i + Int((r.multipliedFullWidth(by: UInt64(count - i))).high)
                order.swapAt(i, j)
            }
            #expect(try DataSetSelection(samples: k, seed: seed).indices(count: count) == order[0..<k].sorted())
        }
        // Pinned, so a change to the rule (or to SplitMix64) is caught.
        #expect(try DataSetSelection(samples: 4, seed: 7).indices(count: 10) == DataSetSelectionTests.pinned)
    }

    /// Computed independently (a Python transcription of the documented rule).
    static let pinned = [1, 3, 7, 9]

    @Test("every sample is about equally likely")
    func uniform() throws {
        var hits = [Int](repeating: 0, count: 20)
        for seed in 0..<4000 { for i in try DataSetSelection(samples: 5, seed: UInt64(seed)).indices(count: 20) { hits[i] += 1 } }
        // Expected 1000 each; binomial sd ≈ 27.
        #expect(hits.allSatisfy { abs($0 - 1000) < 150 }, "\(hits)")
        // Different seeds choose different subsets.
        #expect(try DataSetSelection(samples: 5, seed: 1).indices(count: 20) != DataSetSelection(samples: 5, seed: 2).indices(count: 20))
    }
}
