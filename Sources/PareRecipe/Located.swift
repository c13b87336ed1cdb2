import PareBasics

/// A value together with where it was written in a YAML file.
public struct Located<Value> {
    /// The value as read.
    public var value: Value
    /// Where the value is written.
    public var location: SourceLocation

    /// Pairs a value with its location.
    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Sendable where Value: Sendable {}
extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

extension Located: CustomStringConvertible {
    /// `value (file:line:column)`.
    public var description: String { "\(value) (\(location))" }
}
