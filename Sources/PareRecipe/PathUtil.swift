import Foundation

/// Lexical path helpers: relative paths stay relative so that messages show paths as the user wrote them.
enum PathUtil {
    static func isAbsolute(_ path: String) -> Bool { path.hasPrefix("/") }

    /// The folder part of a path: "" for a bare file name, "/" for a file at the root.
    static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of a path.
    static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// `relative` resolved against `folder` (unless absolute), then normalized.
    static func join(_ folder: String, _ relative: String) -> String {
        if isAbsolute(relative) || folder.isEmpty { return normalize(relative) }
        return normalize(folder + "/" + relative)
    }

    /// Folds `.` and `..` components and repeated slashes; keeps leading `..` of relative paths;
    /// "" and "." become ".".
    static func normalize(_ path: String) -> String {
        let absolute = isAbsolute(path)
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = out.last, last != ".." { out.removeLast(); continue }
                if absolute { continue }
            }
            out.append(part)
        }
        let body = out.joined(separator: "/")
        if absolute { return "/" + body }
        return body.isEmpty ? "." : body
    }

    /// An absolute, normalized form of a path (against the current directory), for identity comparisons.
    static func absolute(_ path: String) -> String {
        if isAbsolute(path) { return normalize(path) }
        return normalize(FileManager.default.currentDirectoryPath + "/" + path)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
