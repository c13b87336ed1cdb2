import Foundation

/// A fresh folder for one test, removed when the body returns.
enum TemporaryDirectory {
    static func with<T>(_ body: (String) throws -> T) throws -> T {
        let template = NSTemporaryDirectory() + "/pare-formats-test-XXXXXX"
        var chars = Array(template.utf8CString)
        guard let p = mkdtemp(&chars) else { throw CocoaError(.fileWriteUnknown) }
        let dir = String(cString: p)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try body(dir)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
