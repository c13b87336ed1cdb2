import Testing
import PareBasics
@testable import ParePasses

/// The mixed-precision choice is the exact optimum of the multiple-choice knapsack (checked by brute force).
struct MixedPrecisionChoiceTests {
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func choiceIsTheBruteForceOptimum(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed))
        var items: [[(bytes: Int, loss: Double)]] = []
        for _ in 0..<6 {
            let b0 = Int(rng.next() % 50) + 10, b1 = Int(rng.next() % 100) + 60, b2 = Int(rng.next() % 200) + 160
            let l0 = Double(rng.next() % 1000) / 100, l1 = Double(rng.next() % 100) / 100, l2 = Double(rng.next() % 10) / 100
            items.append([(b0, l0), (b1, l1), (b2, l2)])
        }
        let cap = 400 + seed * 60
        var best = Double.infinity, bestBytes = Int.max
        var pick = [Int](repeating: 0, count: 6)
        for code in 0..<729 {
            var c = code, bytes = 0, loss = 0.0
            for i in 0..<6 { pick[i] = c % 3; c /= 3; bytes += items[i][pick[i]].bytes; loss += items[i][pick[i]].loss }
            if bytes <= cap && (loss < best || (loss == best && bytes < bestBytes)) { best = loss; bestBytes = bytes }
        }
        let choice = MixedPrecisionPass.choose(items, cap: cap)
        let bytes = choice.enumerated().reduce(0) { $0 + items[$1.offset][$1.element].bytes }
        let loss = choice.enumerated().reduce(0.0) { $0 + items[$1.offset][$1.element].loss }
        #expect(bytes <= cap)
        #expect(abs(loss - best) < 1e-9, "DP loss \(loss) vs brute force \(best)")
    }
}
