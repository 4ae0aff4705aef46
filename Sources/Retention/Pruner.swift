import Foundation
import VaultopsCore

/// Runs a prune against a store: list, read manifests, plan, then (unless a dry run) remove.
public enum Pruner {
    /// Prunes `store` under `policy` and reports every decision; with `dryRun` nothing is touched.
    ///
    /// Removal order makes an interruption safe: each artifact goes (and the removal is made durable by
    /// the store) before its manifest, so a crash leaves at worst a manifest without an artifact — which
    /// verify and restore cannot take for a backup — and the next prune removes it as an orphan. A failed
    /// removal is recorded and the artifact's manifest is left alone; the rest of the plan still runs.
    ///
    /// - Throws: `RetentionError` when the policy is invalid or the location cannot be listed. Failures to
    ///   remove single objects are in the report (`failures`), not thrown.
    public static func run(store: some RetentionStore, policy: RetentionPolicy, now: Date = Date(),
                           timeZone: TimeZone = .current, dryRun: Bool) throws(RetentionError) -> PruneReport {
        try policy.validate()
        let objects = try store.list()
        var summaries: [String: ManifestSummary] = [:]
        var problems: [String: String] = [:]
        for manifest in PrunePlan.manifestsToRead(in: objects) {
            let data: Data
            do {
                data = try store.read(manifest, limit: PrunePlan.manifestReadLimit)
            } catch {
                problems[manifest.name] = error.description
                continue
            }
            do {
                summaries[manifest.name] = ManifestSummary(try Manifest.decode(data, file: manifest.name))
            } catch {
                problems[manifest.name] = error.problem
            }
        }
        let plan = PrunePlan.make(objects: objects, manifests: summaries, policy: policy, now: now,
                                  timeZone: timeZone, readProblems: problems)
        var failures: [PruneReport.Failure] = []
        var removed: Set<String> = []
        if !dryRun {
            for entry in plan.artifacts where !entry.decision.keep {
                for object in entry.objectsInRemovalOrder {
                    do {
                        try store.remove(object)
                        removed.insert(object.name)
                    } catch {
                        failures.append(.init(name: object.name, message: error.description))
                        // Never remove the manifest of an artifact that is still there.
                        break
                    }
                }
            }
            for leftover in plan.leftovers where leftover.remove {
                do {
                    try store.remove(leftover.object)
                    removed.insert(leftover.object.name)
                } catch {
                    failures.append(.init(name: leftover.object.name, message: error.description))
                }
            }
        }
        return PruneReport(location: store.location, plan: plan, dryRun: dryRun, removed: removed, failures: failures)
    }
}
