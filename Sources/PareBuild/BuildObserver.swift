import PareFormats

/// Receives progress events during a build (called from worker threads).
public protocol BuildObserver: AnyObject, Sendable {
    func stepStarted(_ step: BuildStep, tensors: Int)
    func tensorFinished(_ step: BuildStep, bytes: Int, reused: Bool)
    func stepFinished(_ step: BuildStep, result: StepResult)
}
