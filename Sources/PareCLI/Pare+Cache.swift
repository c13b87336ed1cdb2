import ArgumentParser
import Foundation
import PareBasics
import PareBuild

extension Pare {
    struct CacheCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cache", abstract: "Inspect and maintain the cache.", subcommands: [Stats.self, GC.self, Verify.self])

        struct Stats: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Blob and record counts and sizes.")
            @OptionGroup var cacheOptions: CacheOptions
            @Flag(help: "Print JSON.") var json = false
            func run() throws {
                let s = CacheMaintenance.stats(root: cacheOptions.root)
                if json { print(String(decoding: try CanonicalJSON.encode(s), as: UTF8.self)); return }
                print("cache \(cacheOptions.root): \(ByteCount.format(s.totalBytes))")
                print("  blobs:          \(s.blobs) (\(ByteCount.format(s.blobBytes)))")
                print("  step records:   \(s.stepRecords)")
                print("  tensor records: \(s.tensorRecords) (records \(ByteCount.format(s.recordBytes)))")
            }
        }

        struct GC: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove least recently used entries until the cache fits a size.")
            @OptionGroup var cacheOptions: CacheOptions
            @Option(name: .customLong("max-size"), help: "Size to shrink to, e.g. 500M, 2G.") var maxSize: String

            func validate() throws {
                guard ByteCount.parse(maxSize) != nil else {
                    throw ValidationError("--max-size '\(maxSize)' is not a size; write e.g. 500M, 2G or 1048576")
                }
            }

            func run() throws {
                let r = CacheMaintenance.gc(root: cacheOptions.root, maxBytes: ByteCount.parse(maxSize)!)
                print("removed \(r.removedFiles) entries (\(ByteCount.format(r.removedBytes))); cache is \(ByteCount.format(r.remainingBytes))")
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Re-hash every blob; report and remove corrupt entries.")
            @OptionGroup var cacheOptions: CacheOptions
            func run() throws {
                let r = try CacheMaintenance.verify(root: cacheOptions.root, workers: ProcessInfo.processInfo.activeProcessorCount)
                for p in r.corrupt { print("corrupt: \(p) (removed)") }
                print("checked \(r.checked) blobs: \(r.corrupt.count) corrupt, \(r.removed) removed")
                if !r.corrupt.isEmpty { throw Exit.buildFailure }
            }
        }
    }
}
