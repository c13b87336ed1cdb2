extension Unicode.Scalar {
    /// `a`-`z`, `A`-`Z` or `0`-`9`.
    var isASCIIAlnum: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
