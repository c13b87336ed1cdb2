import Foundation
import PareBasics
import PareFormats
import PareRecipe
import PareTensor
import SwiftProtobuf

/// Writes a bundle folder: `model.safetensors` in the layout of docs/bundle-format.md (or `model.onnx`, with its
/// weights in `model.onnx.data` when the model needs it or the recipe asks for it), `manifest.json`, `SHA256SUMS`,
/// and, with `bundle.tar: true`, the deterministic archive `<target>.tar` beside it. The archive's SHA-256 and
/// size are the bundle's identity either way: without `tar` they are computed without writing it. Everything is
/// written under temporary names and renamed into place, so a bundle appears only when complete.
struct BundleWriter {
    let store: ContentStore
    /// `<dist>/<recipe>`
    let recipeDir: String
    let target: String
    let mtime: Int
    /// The model's container format: the bundle's model file is in the same format.
    var format: ModelFileFormat = .safetensors
    /// How compressed weights are written into ONNX models (what the target's runtime runs).
    var onnxOptions = ONNXEncodeOptions()
    /// ONNX: whether weights go to the sidecar `model.onnx.data` always, or only when the model needs it.
    var externalData: ExternalDataMode = .default
    /// `bundle.tar`: whether `<target>.tar` is written (its digest and size are computed either way).
    var tar = false

    var modelFileName: String { format == .onnx ? "model.onnx" : "model.safetensors" }
    /// ONNX models of 2 GiB or more keep their weights here, beside model.onnx (ONNX external data).
    static let externalDataName = "model.onnx.data"
    /// How far below protobuf's limit a model already gets the sidecar: room for what the size estimate leaves
    /// out (the length prefixes and field tags the payloads add to the skeleton).
    static let externalDataMargin = 64 << 20

    /// The `auto` rule: true when a model whose payloads total `payloadBytes` and whose skeleton (the model without
    /// them) serializes to `skeletonBytes` comes within `externalDataMargin` of `limit`, so it cannot be one file.
    static func needsExternalData(payloadBytes: Int, skeletonBytes: Int, limit: Int = ONNXWriter.maxProtobufSize) -> Bool {
        payloadBytes + skeletonBytes >= limit - externalDataMargin
    }

    /// The recipe's gates failed: the bundle goes to `<target>.gate-failed/` (for inspection), never over a passing one.
    var gateFailed = false
    /// The folder name of a failing bundle.
    static let gateFailedSuffix = ".gate-failed"

    var bundleDir: String { "\(recipeDir)/\(target)\(gateFailed ? BundleWriter.gateFailedSuffix : "")" }
    var tarPath: String { "\(recipeDir)/\(target)\(gateFailed ? BundleWriter.gateFailedSuffix : "").tar" }

    /// Removes a failing bundle (and its archive) left by an earlier build.
    func removeGateFailed() {
        let dir = "\(recipeDir)/\(target)\(BundleWriter.gateFailedSuffix)"
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: dir + ".tar")
    }

    /// The safetensors entries and metadata for a model.
    static func entries(for model: ModelArtifact, store: ContentStore) throws -> ([SafetensorsWriter.Entry], [String: String]) {
        var entries: [SafetensorsWriter.Entry] = []
        var quant: [String: QuantMetadata] = [:]
        let names = Set(model.tensors.map(\.name))
        for t in model.tensors {
            guard let q = t.quant else {
                entries.append(.init(name: t.name, dtype: t.dtype, shape: t.shape, source: .file(path: store.path(for: t.digest), offset: 0, count: t.byteCount)))
                continue
            }
            let scaleName = t.name + ".scale", zpName = t.name + ".zero_point"
            for helper in [scaleName, zpName] where names.contains(helper) {
                throw BuildError(step: "bundle", message: "tensor '\(helper)' exists in the model, so the scale of quantized tensor '\(t.name)' cannot be stored under that name; rename it or exclude '\(t.name)'")
            }
            let packed = q.dtype == .int4 || q.dtype == .uint4
            let dataDType: DType = q.dtype == .int8 ? .int8 : .uint8
            let dataShape: Shape = packed ? [q.rows, (q.cols + 1) / 2] : t.shape
            entries.append(.init(name: t.name, dtype: dataDType, shape: dataShape, source: .file(path: store.path(for: t.digest), offset: 0, count: t.byteCount)))
            entries.append(.init(name: scaleName, dtype: .float32, shape: q.scaleShape, source: .file(path: store.path(for: q.scale), offset: 0, count: q.scaleBytes)))
            if let z = q.zeroPoint {
                entries.append(.init(name: zpName, dtype: q.zeroPointDType, shape: q.scaleShape, source: .file(path: store.path(for: z), offset: 0, count: q.zeroPointBytes)))
            }
            quant[t.name] = QuantMetadata(dtype: q.dtype.rawValue, granularity: q.granularity.rawValue, group: q.group, symmetric: q.symmetric,
                                          shape: t.shape.dims, rows: q.rows, cols: q.cols, scale: scaleName, zero_point: q.zeroPoint == nil ? nil : zpName,
                                          fit: q.fit)
        }
        var metadata = model.metadata
        metadata["pare.format"] = "pare-bundle/1"
        metadata["pare.quantization"] = String(decoding: try CanonicalJSON.encode(quant), as: UTF8.self)
        return (entries, metadata)
    }

    struct QuantMetadata: Codable {
        var dtype: String, granularity: String, group: Int, symmetric: Bool, shape: [Int], rows: Int, cols: Int
        var scale: String
        var zero_point: String?
        /// "mse" when the parameters were fitted by search (absent for minmax); with symmetric false the zero
        /// points are F32.
        var fit: String?
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(dtype, forKey: .dtype); try c.encode(granularity, forKey: .granularity); try c.encode(group, forKey: .group)
            try c.encode(symmetric, forKey: .symmetric); try c.encode(shape, forKey: .shape); try c.encode(rows, forKey: .rows)
            try c.encode(cols, forKey: .cols); try c.encode(scale, forKey: .scale)
            if let zero_point { try c.encode(zero_point, forKey: .zero_point) } else { try c.encodeNil(forKey: .zero_point) }
            if let fit { try c.encode(fit, forKey: .fit) }
        }
    }

    /// Writes everything; returns the record of the files. `manifest` is completed with the model file's digest.
    func write(model: ModelArtifact, manifest: BundleManifest) throws -> BundleRecord {
        try AtomicFile.createDirectory(recipeDir)
        let staging = "\(recipeDir)/.staging-\(target)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        try AtomicFile.createDirectory(staging)
        let tarTmp = AtomicFile.temporaryPath(for: tarPath)
        do {
            let modelPath = staging + "/" + modelFileName
            var manifest = manifest
            var extraFiles: [String] = []
            switch format {
            case .onnx:
                let (onnx, payloads, report) = try BundleWriter.onnxModel(for: model, store: store, options: onnxOptions)
                // Protobuf files cannot exceed 2 GiB: larger models (or every model, with external_data: always) keep
                // their weights in a sidecar file.
                let sidecar: Bool
                switch externalData {
                case .always: sidecar = true
                case .auto:
                    let payloadBytes = payloads.values.reduce(0) { $0 + $1.count }
                    let skeletonBytes = (try onnx.serializedBytes() as [UInt8]).count
                    sidecar = BundleWriter.needsExternalData(payloadBytes: payloadBytes, skeletonBytes: skeletonBytes)
                }
                if sidecar {
                    var onnx = onnx, payloads = payloads
                    BundleWriter.moveInlineData(&onnx, payloads: &payloads)
                    try ONNXWriter.write(to: modelPath, model: onnx, payloads: payloads, externalData: BundleWriter.externalDataName)
                    extraFiles.append(BundleWriter.externalDataName)
                } else {
                    try ONNXWriter.write(to: modelPath, model: onnx, payloads: payloads)
                }
                manifest.encodings = report
            default:
                let (entries, metadata) = try BundleWriter.entries(for: model, store: store)
                try SafetensorsWriter.write(to: modelPath, entries: entries, metadata: metadata)
            }
            let modelDigest = try FileDigest.of(path: modelPath)
            let modelBytes = FileStat.of(modelPath)?.size ?? 0
            manifest.output.sha256 = modelDigest.hex
            manifest.output.bytes = modelBytes
            var extraRecords: [BundleRecord.File] = []
            for name in extraFiles {
                let p = "\(staging)/\(name)"
                extraRecords.append(BundleRecord.File(name: name, sha256: try FileDigest.of(path: p), bytes: FileStat.of(p)?.size ?? 0))
            }
            manifest.output.externalData = extraRecords.first.map { .init(file: $0.name, sha256: $0.sha256.hex, bytes: $0.bytes) }
            let manifestData = try CanonicalJSON.encode(manifest, pretty: true)
            try AtomicFile.write(manifestData, to: staging + "/manifest.json")
            let manifestFile = BundleRecord.File(name: "manifest.json", sha256: Digest.of(manifestData), bytes: manifestData.count)
            let modelFile = BundleRecord.File(name: modelFileName, sha256: modelDigest, bytes: modelBytes)
            var files = [manifestFile, modelFile] + extraRecords
            files.sort { $0.name < $1.name }
            let sums = files.map { "\($0.sha256.hex)  \($0.name)\n" }.joined()
            try AtomicFile.write(Data(sums.utf8), to: staging + "/SHA256SUMS")
            let sumsFile = BundleRecord.File(name: "SHA256SUMS", sha256: Digest.of(Array(sums.utf8)), bytes: sums.utf8.count)
            let all = (files + [sumsFile]).sorted { $0.name < $1.name }

            let entries: [DeterministicTar.Entry] = all.map { .init(name: "\(target)/\($0.name)", source: .file(path: "\(staging)/\($0.name)")) }
            let archive: DeterministicTar.Summary
            if tar {
                try DeterministicTar.write(to: tarTmp, entries: entries, mtime: mtime)
                archive = .init(sha256: try FileDigest.of(path: tarTmp), bytes: FileStat.of(tarTmp)?.size ?? 0)
            } else {
                archive = try DeterministicTar.digest(of: entries, mtime: mtime, path: tarPath)
            }
            try swapIn(staging: staging, tarTmp: tar ? tarTmp : nil)
            return BundleRecord(files: all, tar: .init(name: "\(target).tar", sha256: archive.sha256, bytes: archive.bytes))
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            try? FileManager.default.removeItem(atPath: tarTmp)
            throw error
        }
    }

    /// Replaces the bundle folder with `staging` and the archive with `tarTmp` (nil: no archive). The old archive,
    /// if any, is moved aside first and the old folder next, so a `<target>.tar` never sits beside a folder it
    /// does not match: a build with `tar: false` leaves none behind. Both are removed once the new ones are in
    /// place; when moving the new folder in fails, the old folder and archive are put back. (When only the new
    /// archive cannot be moved in, the folder stays without it and no stamp is written, so the next build retries.)
    private func swapIn(staging: String, tarTmp: String?) throws {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let oldDir = "\(recipeDir)/.old-\(target)-\(suffix)", oldTar = "\(recipeDir)/.old-\(target)-\(suffix).tar"
        let fm = FileManager.default
        let hadTar = FileStat.exists(tarPath) || (try? fm.destinationOfSymbolicLink(atPath: tarPath)) != nil
        if hadTar { try rename(tarPath, oldTar) }
        let hadDir = fm.fileExists(atPath: bundleDir)
        do {
            if hadDir { try rename(bundleDir, oldDir) }
            do {
                try rename(staging, bundleDir)
            } catch {
                if hadDir { try? rename(oldDir, bundleDir) }
                throw error
            }
        } catch {
            if hadTar { try? rename(oldTar, tarPath) }
            throw error
        }
        defer {
            if hadDir { try? fm.removeItem(atPath: oldDir) }
            if hadTar { try? fm.removeItem(atPath: oldTar) }
        }
        if let tarTmp { try rename(tarTmp, tarPath) }
    }

    private func rename(_ from: String, _ to: String) throws {
        guard Foundation.rename(from, to) == 0 else {
            throw AtomicFile.WriteError(path: to, reason: AtomicFile.errnoString())
        }
    }

    // MARK: Stamp: is the bundle on disk exactly what the record says?

    struct Stamp: Codable, Equatable {
        var key: Digest
        var files: [String: FileStat]
    }

    var stampPath: String { "\(recipeDir)/.\(target).stamp.json" }

    /// The paths the stamp covers: the bundle's files, and the archive when it is written.
    func stampedPaths(_ record: BundleRecord) -> [String] {
        var paths = record.files.map { "\(bundleDir)/\($0.name)" }
        if tar { paths.append(tarPath) }
        return paths
    }

    /// True when every file of the bundle is present and unchanged since this build wrote it (and, without
    /// `tar`, no archive is there that the build did not write).
    func isIntact(key: Digest, record: BundleRecord) -> Bool {
        guard let d = FileManager.default.contents(atPath: stampPath), let stamp = try? CanonicalJSON.decode(Stamp.self, from: d),
              stamp.key == key else { return false }
        if !tar && FileStat.exists(tarPath) { return false }
        let paths = stampedPaths(record)
        guard stamp.files.count == paths.count else { return false }
        for p in paths {
            guard let s = FileStat.of(p), stamp.files[p] == s else { return false }
        }
        return true
    }

    func writeStamp(key: Digest, record: BundleRecord) {
        var files: [String: FileStat] = [:]
        for p in stampedPaths(record) { files[p] = FileStat.of(p) }
        try? AtomicFile.write(CanonicalJSON.encode(Stamp(key: key, files: files)), to: stampPath)
    }
}
