import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The external_data entries of one tensor, checked: `location` must be a relative path that stays inside the
/// model's folder (also after symbolic links are resolved); `offset` and `length` are decimal integers.
struct ONNXExternalData {
    var location: String
    var offset: Int
    /// nil when the entry has no `length` (the data then runs to the end of the file, as in `onnx`).
    var length: Int?

    /// Reads the entries of `tensor`. Errors name `file` (the model) and the tensor.
    init(entries: [(key: String, value: String)], file: String, tensor: String) throws {
        var location: String?
        var offset = 0
        var length: Int?
        for (key, value) in entries {
            switch key {
            case "location": location = value
            case "offset": offset = try Self.integer(value, key: key, file: file, tensor: tensor)
            case "length": length = try Self.integer(value, key: key, file: file, tensor: tensor)
            default: break  // "checksum" and unknown keys are not needed to read the data
            }
        }
        guard let location, !location.isEmpty else {
            throw FormatError(file: file, tensor: tensor, message: "data_location is EXTERNAL but external_data has no 'location'; the file is corrupt — re-export it")
        }
        self.location = location
        self.offset = offset
        self.length = length
    }

    private static func integer(_ s: String, key: String, file: String, tensor: String) throws -> Int {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw FormatError(file: file, tensor: tensor, message: "external_data '\(key)' = '\(s)' is not a non-negative decimal integer")
        }
        guard let v = Int(s) else {
            throw FormatError(file: file, tensor: tensor, message: "external_data '\(key)' = \(s) is too large")
        }
        return v
    }

    /// The real path of the data file: `location` resolved against `modelFolder`, refused when it is absolute,
    /// has a `..` component, or resolves (through symbolic links) to a place outside the folder.
    func resolve(modelFolder: String, file: String, tensor: String) throws -> String {
        guard !location.hasPrefix("/") else {
            throw FormatError(file: file, tensor: tensor, message: "external data location '\(location)' is an absolute path; ONNX requires a path relative to the model's folder — re-export the model with relative external data")
        }
        guard !location.utf8.contains(0) else {
            throw FormatError(file: file, tensor: tensor, message: "external data location contains a NUL byte; the file is corrupt")
        }
        guard !location.split(separator: "/", omittingEmptySubsequences: false).contains("..") else {
            throw FormatError(file: file, tensor: tensor, message: "external data location '\(location)' contains '..' and may escape the model's folder; pare only reads external data inside the model's folder")
        }
        guard let folder = Self.realPath(modelFolder) else {
            throw FormatError(file: file, tensor: tensor, message: "cannot resolve the model's folder '\(modelFolder)': \(FileReader.errnoText(errno))")
        }
        guard let target = Self.realPath(modelFolder + "/" + location) else {
            let e = errno
            throw FormatError(file: file, tensor: tensor, message: "external data file '\(location)' (next to the model, in \(modelFolder)): \(FileReader.errnoText(e))")
        }
        let inside = folder == "/" ? target.hasPrefix("/") : target.hasPrefix(folder + "/")
        guard inside else {
            throw FormatError(file: file, tensor: tensor, message: "external data location '\(location)' resolves through a symbolic link to '\(target)', outside the model's folder; pare only reads external data inside the model's folder")
        }
        return target
    }

    static func realPath(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }
}
