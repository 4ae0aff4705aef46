import Foundation
import VaultopsCore

/// Runs a prune against a store: list, read manifests, plan, then (unless a dry run) remove.
public enum Pruner {
    /// Prunes `store` under `policy` and reports every decision; with `dryRun` nothing is touched.
    ///
    /// Removal order makes an interruption safe: the artifacts go (and their removal is made durable by
    /// the store) before their manifests, so a crash leaves at worst a manifest without an artifact — which
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
        // A size that matches the manifest is not enough to trust an artifact as the one backup never removed
        // (a flipped bit keeps the size): each source's anchor has its content checked now, and when it fails the
        // plan is made again with the next candidate, until every anchor checked out or none is left. Only these
        // few artifacts are read; the others are judged by the policy, which never needs their content.
        var checks: [String: ContentCheck] = [:]
        var plan = PrunePlan.make(objects: objects, manifests: summaries, policy: policy, now: now,
                                  timeZone: timeZone, readProblems: problems)
        while case let pending = plan.artifacts.filter(\.needsContentCheck), !pending.isEmpty {
            for entry in pending {
                guard let manifest = entry.manifest, let summary = summaries[manifest.name] else {
                    checks[entry.object.name] = .unavailable("no readable manifest")
                    continue
                }
                checks[entry.object.name] = store.checkContent(entry.object, against: summary)
            }
            plan = PrunePlan.make(objects: objects, manifests: summaries, policy: policy, now: now,
                                  timeZone: timeZone, readProblems: problems, contentChecks: checks)
        }
        var failures: [PruneReport.Failure] = []
        var protected: [PruneReport.Failure] = []
        var removed: Set<String> = []
        if !dryRun {
            // Round by round: first every artifact that goes, then the manifests of those that went, so that the
            // store can remove many per request (OSS: 1,000) and still no manifest goes before its artifact.
            var pending = plan.artifacts.filter { !$0.decision.keep }.map(\.objectsInRemovalOrder)
            while !pending.isEmpty {
                let failed = store.remove(batch: pending.map { $0[0] })
                var next: [[StoredObject]] = []
                for var objects in pending {
                    let object = objects.removeFirst()
                    if let error = failed[object.name] {
                        if error.code == .protected {
                            protected.append(.init(name: object.name, message: error.description))
                        } else {
                            failures.append(.init(name: object.name, message: error.description))
                        }
                        // Never remove the manifest of an artifact that is still there.
                        continue
                    }
                    removed.insert(object.name)
                    if !objects.isEmpty { next.append(objects) }
                }
                pending = next
            }
            let leftovers = plan.leftovers.filter(\.remove).map(\.object)
            let failed = leftovers.isEmpty ? [:] : store.remove(batch: leftovers)
            for object in leftovers {
                if let error = failed[object.name], error.code == .protected {
                    protected.append(.init(name: object.name, message: error.description))
                } else if let error = failed[object.name] {
                    failures.append(.init(name: object.name, message: error.description))
                } else {
                    removed.insert(object.name)
                }
            }
        }
        return PruneReport(location: store.location, plan: plan, dryRun: dryRun, removed: removed, failures: failures,
                           protected: protected)
    }
}
