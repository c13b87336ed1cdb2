/// One problem found in user input, with where it is and what to do about it.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning, note }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String
    /// Related places, e.g. the target profile that rejects a recipe line.
    public var notes: [Diagnostic]

    public init(_ severity: Severity = .error, at location: SourceLocation?, _ message: String, notes: [Diagnostic] = []) {
        self.severity = severity
        self.location = location
        self.message = message
        self.notes = notes
    }

    public static func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(.error, at: location, message, notes: notes)
    }

    public static func note(_ message: String, at location: SourceLocation?) -> Diagnostic {
        Diagnostic(.note, at: location, message)
    }

    /// `file:line:column: error: message`, followed by its notes, one per line.
    public var description: String {
        var s = ""
        if let location { s += "\(location): " }
        s += "\(severity.rawValue): \(message)"
        for n in notes { s += "\n" + n.description }
        return s
    }
}

/// An error that carries every diagnostic found, reported once.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ diagnostic: Diagnostic) { self.diagnostics = [diagnostic] }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics while validating, so that all of them are reported at once.
public struct DiagnosticBag: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []
    public init() {}
    public mutating func append(_ d: Diagnostic) { diagnostics.append(d) }
    public mutating func append(contentsOf ds: [Diagnostic]) { diagnostics.append(contentsOf: ds) }
    public mutating func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) {
        diagnostics.append(.error(message, at: location, notes: notes))
    }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    /// Throws a `DiagnosticError` holding everything collected, if any error was collected.
    public func throwIfErrors() throws {
        if hasErrors { throw DiagnosticError(diagnostics) }
    }
}
