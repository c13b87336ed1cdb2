import Foundation
import PareBasics
import Testing
@testable import PareFormats

/// Opening a large model costs about its graph structure, not its weights: the skeleton leaves the payloads
/// out and the index points into the mapped file. Prints resident memory (run alone for clean numbers:
/// `PARE_ONNX_MEMORY_MB=200 swift test --filter ONNXMemoryTests`; default 64 MB).
@Suite struct ONNXMemoryTests {
    /// A `/proc/self/status` value in KiB (VmRSS, VmHWM, RssAnon, RssFile).
    static func status(_ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return -1 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }

    @Test func largeModelOpensWithoutCopyingWeights() throws {
        let megabytes = Int(ProcessInfo.processInfo.environment["PARE_ONNX_MEMORY_MB"] ?? "") ?? 64
        try TemporaryDirectory.with { dir in
            let path = try TestProcess.pythonSnippet(onnxTestPython, ["big", String(megabytes), dir]).lines.last ?? ""
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            let rssBefore = Self.status("VmRSS"), peakBefore = Self.status("VmHWM"), fileBefore = Self.status("RssFile")
            let start = Date()
            let f = try ONNXFile(path: path)
            let openSeconds = Date().timeIntervalSince(start)
            let rssOpen = Self.status("VmRSS"), peakOpen = Self.status("VmHWM")
            let anonOpen = Self.status("RssAnon"), fileOpen = Self.status("RssFile")
            #expect(f.tensors.count == max(1, megabytes / 4))
            #expect(f.tensors.allSatisfy { $0.isStripped })
            #expect(f.skeletonByteCount < 16 * 1024)
            // The walk touched a tag in every tensor; none of the payload pages stay mapped (file-backed
            // resident memory is robust to what other tests allocate meanwhile).
            #expect(fileOpen - fileBefore < 16 * 1024, "RssFile grew by \(fileOpen - fileBefore) KiB")

            let out = dir + "/out.onnx"
            let writeStart = Date()
            try ONNXWriter.write(to: out, model: f.model, payloads: try f.payloadSources())
            let writeSeconds = Date().timeIntervalSince(writeStart)
            let peakWrite = Self.status("VmHWM")
            #expect(try fileDigest(out) == fileDigest(path))

            func mib(_ kib: Int) -> String { String(format: "%.1f MiB", Double(kib) / 1024) }
            print("ONNX memory: model \(size / (1 << 20)) MiB, skeleton \(f.skeletonByteCount) bytes; RSS before open \(mib(rssBefore)) (peak \(mib(peakBefore))), after open \(mib(rssOpen)) (+\(mib(rssOpen - rssBefore)); peak \(mib(peakOpen)); RssAnon \(mib(anonOpen)), RssFile \(mib(fileOpen))), open \(String(format: "%.1f", openSeconds * 1000)) ms; byte-identical write \(String(format: "%.2f", writeSeconds)) s, peak after write \(mib(peakWrite))")
        }
    }
}
