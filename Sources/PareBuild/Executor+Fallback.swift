import Foundation
import PareBasics
import PareFormats
import PareRecipe
import PareRuntime

extension Executor {
    func runFallback(model: ModelArtifact, report: EvaluationReport, pass: (step: Int, spec: PassSpec, fallback: FallbackSpec),
                     target: TargetProfile, evaluator: Evaluator, runner: ModelRunner, step: BuildStep) throws -> (ModelArtifact, EvaluationReport) {
        throw BuildError(step: step.id, message: "fallback is not implemented yet")
    }
}
