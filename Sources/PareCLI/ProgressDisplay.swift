import Foundation
import PareBasics
import PareBuild
#if canImport(Glibc)
import Glibc
#endif

/// Build progress on standard error: a live status line (steps, tensors, throughput) on a terminal, plain
/// lines otherwise. Colour only on a terminal and only when NO_COLOR is unset.
final class ProgressDisplay: BuildObserver, @unchecked Sendable {
    let total: Int
    let live: Bool
    let color: Bool
    private let lock = NSLock()
    private var finished = 0
    private var running: [String: (done: Int, total: Int)] = [:]
    private var bytes = 0
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(plan: BuildPlan, environment: [String: String] = ProcessInfo.processInfo.environment) {
        total = plan.steps.count
        live = isatty(2) == 1 && environment["TERM"] != "dumb"
        color = live && environment["NO_COLOR"] == nil
    }

    func stepStarted(_ step: BuildStep, tensors: Int) {
        lock.withLock { running[step.id] = (0, tensors) }
        draw(force: true)
    }

    func tensorFinished(_ step: BuildStep, bytes: Int, reused: Bool) {
        lock.withLock {
            if let r = running[step.id] { running[step.id] = (r.done + 1, r.total) }
            self.bytes += bytes
        }
        draw(force: false)
    }

    func stepFinished(_ step: BuildStep, result: StepResult) {
        let line: String = lock.withLock {
            running[step.id] = nil
            finished += 1
            let status = result.status == .executed ? paint("executed", "32") : paint("cached  ", "2")
            var s = "[\(finished)/\(total)] \(status) \(step.id)"
            if result.status == .executed, result.tensorsComputed + result.tensorsReused > 0 {
                s += " — \(result.tensorsComputed) tensors computed, \(result.tensorsReused) reused"
            }
            if result.status == .executed { s += String(format: " (%.2f s)", result.seconds) }
            return s
        }
        emit(line)
    }

    func finish() {
        if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    private func emit(_ line: String) {
        lock.withLock {
            let prefix = live ? "\r\u{1B}[K" : ""
            FileHandle.standardError.write(Data((prefix + line + "\n").utf8))
        }
        draw(force: true)
    }

    /// Redraws the status line (terminal only), at most 10 times a second unless forced.
    private func draw(force: Bool) {
        guard live else { return }
        let text: String? = lock.withLock {
            let now = Date()
            if !force && now.timeIntervalSince(lastDraw) < 0.1 { return nil }
            lastDraw = now
            let elapsed = max(now.timeIntervalSince(start), 1e-3)
            let parts = running.sorted { $0.key < $1.key }.map {
                $0.value.total == 0 ? "\($0.key) writing" : "\($0.key) \($0.value.done)/\($0.value.total) tensors"
            }
            let rate = Double(bytes) / elapsed / 1e6
            return "[\(finished)/\(total)] " + (parts.isEmpty ? "" : parts.joined(separator: ", ") + " · ") + String(format: "%.0f MB/s", rate)
        }
        if let text { FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8)) }
    }
}
