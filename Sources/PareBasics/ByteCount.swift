/// Human-readable byte sizes, and parsing of sizes such as `500M` or `2GiB`.
public enum ByteCount {
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(bytes), u = 0
        while v >= 1024, u < units.count - 1 { v /= 1024; u += 1 }
        if u == 0 { return "\(bytes) B" }
        return v >= 100 ? "\(Int(v.rounded())) \(units[u])" : "\(Double(Int(v * 10 + 0.5)) / 10) \(units[u])"
    }

    /// Parses `123`, `10K`, `500M`, `2G`, `1.5GiB`, `64MB` (K/M/G/T are powers of 1024). Nil if malformed.
    public static func parse(_ text: String) -> Int? {
        var s = text.trimmingCharactersInSetWhitespace().uppercased()
        for suffix in ["IB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count {
            s.removeLast(suffix.count); break
        }
        var mult = 1.0
        if let last = s.last, let m = ["K": 1024.0, "M": 1024.0 * 1024, "G": 1024.0 * 1024 * 1024, "T": 1024.0 * 1024 * 1024 * 1024][String(last)] {
            mult = m; s.removeLast()
        }
        guard let v = Double(s), v >= 0, v.isFinite else { return nil }
        let r = v * mult
        return r < Double(Int.max) ? Int(r) : nil
    }
}

extension String {
    func trimmingCharactersInSetWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
