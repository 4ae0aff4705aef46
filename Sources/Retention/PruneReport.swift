import Foundation

/// What a prune decided and did: a table for people (`text`) and the same facts for machines (`json()`).
///
/// Both are stable: the same plan always renders to the same bytes (ordering by source, newest first, then
/// name; leftovers and ignored names sorted), so they can be compared against golden files.
public struct PruneReport: Sendable {
    /// An object that could not be removed.
    public struct Failure: Sendable, Hashable {
        /// The object's name in the location.
        public var name: String
        /// Why it could not be removed (the store's error, with the OS message).
        public var message: String
    }

    /// The location pruned.
    public var location: String
    /// The plan, with every decision and reason.
    public var plan: PrunePlan
    /// True when nothing was touched.
    public var dryRun: Bool
    /// Names actually removed (empty for a dry run).
    public var removed: Set<String>
    /// Objects that could not be removed.
    public var failures: [Failure]
    /// Objects the storage refused to remove on purpose (no delete permission, a retention policy): kept, not
    /// failures, and never counted as removed.
    public var protected: [Failure] = []

    /// True when every planned removal happened (always true for a dry run).
    public var succeeded: Bool { failures.isEmpty }

    private var periods: PeriodCalendar { PeriodCalendar(timeZone: plan.timeZone) }

    // MARK: Text

    /// The readable table: header, one row per artifact, leftovers, ignored names, warnings, a summary.
    public var text: String {
        var lines: [String] = []
        lines.append("Prune of \(location)" + (dryRun ? " (dry run: nothing removed)" : ""))
        lines.append("Policy: \(plan.policy.summary); time zone \(plan.timeZone.identifier); now \(periods.timestamp(plan.now))")
        lines.append("")
        if plan.artifacts.isEmpty {
            lines.append("No backups found.")
        } else {
            var rows = [["SOURCE", "TAKEN", "SIZE", "VERIFIED", "ARTIFACT", "DECISION"]]
            for entry in plan.artifacts {
                let decision = entry.decision
                rows.append([decision.artifact.source, periods.timestamp(decision.artifact.takenAt),
                             formatBytes(entry.object.size), entry.verifiedLabel,
                             decision.artifact.name, said(decision.reason) + failureNote(entry.object.name)])
            }
            lines += table(rows)
            lines.append("(VERIFIED: yes = content checked against the manifest now; size = only the size checked)")
        }
        if !plan.leftovers.isEmpty {
            lines.append("")
            lines.append("Leftovers:")
            lines += table(plan.leftovers.map { ["  " + $0.object.name, said($0.reason) + failureNote($0.object.name)] })
        }
        if !plan.ignored.isEmpty {
            lines.append("")
            lines.append("Ignored (not vaultops backups, never touched): " + plan.ignored.joined(separator: ", "))
        }
        if !plan.warnings.isEmpty {
            lines.append("")
            lines.append("Warnings:")
            lines += plan.warnings.map { "  " + $0 }
        }
        if !protected.isEmpty {
            lines.append("")
            lines.append("Protected (the storage does not allow removing them; kept):")
            lines += protected.map { "  \($0.name): \($0.message)" }
        }
        if !failures.isEmpty {
            lines.append("")
            lines.append("Failed:")
            lines += failures.map { "  \($0.name): \($0.message)" }
        }
        lines.append("")
        lines.append(summary)
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line for logs: `Removed 3 artifacts with 3 manifests and 1 leftover (2.0 MiB); kept 30 artifacts; ignored 1.`
    public var summary: String {
        // A real run counts only what went: a removal that failed is reported as failed, never as removed.
        func gone(_ object: StoredObject) -> Bool { dryRun || removed.contains(object.name) }
        let planned = plan.artifacts.filter { !$0.decision.keep }
        let removedArtifacts = planned.filter { gone($0.object) }
        let removedManifests = removedArtifacts.filter { $0.manifest.map(gone) ?? false }.count
        let removedLeftovers = plan.leftovers.filter { $0.remove && gone($0.object) }
        let bytes = removedArtifacts.reduce(Int64(0)) { $0 + $1.object.size }
            + removedArtifacts.reduce(Int64(0)) { $0 + ($1.manifest.map { gone($0) ? $0.size : 0 } ?? 0) }
            + removedLeftovers.reduce(Int64(0)) { $0 + $1.object.size }
        let kept = plan.artifacts.count - removedArtifacts.count
        let leftovers = removedLeftovers.count
        let verb = dryRun ? "Would remove" : "Removed"
        var line = "\(verb) \(removedArtifacts.count) \(plural(removedArtifacts.count, "artifact")) with "
            + "\(removedManifests) \(plural(removedManifests, "manifest")) and \(leftovers) \(plural(leftovers, "leftover")) "
            + "(\(formatBytes(bytes))); kept \(kept) \(plural(kept, "artifact")); ignored \(plan.ignored.count)."
        if !protected.isEmpty { line += " \(protected.count) protected (kept)." }
        if !failures.isEmpty { line += " \(failures.count) \(plural(failures.count, "removal")) failed." }
        return line
    }

    /// A plan's `removed: …` as a dry run must say it: `would remove: …`.
    private func said(_ reason: String) -> String {
        dryRun && reason.hasPrefix("removed: ") ? "would remove: " + reason.dropFirst("removed: ".count) : reason
    }

    private func failureNote(_ name: String) -> String {
        if protected.contains(where: { $0.name == name }) { return " (PROTECTED: kept)" }
        guard let failure = failures.first(where: { $0.name == name }) else { return "" }
        return " (FAILED: \(failure.message))"
    }

    // MARK: JSON

    /// The report as JSON: pretty-printed, keys sorted, dates in UTC ISO 8601.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain value types cannot fail; a failure would be a bug worth crashing on.
        let data = try! encoder.encode(document)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private var document: JSONDocument {
        let utc = ISO8601DateFormatter()
        let artifacts = plan.artifacts.map { entry -> JSONArtifact in
            let decision = entry.decision
            return JSONArtifact(
                name: decision.artifact.name, source: decision.artifact.source,
                takenAt: utc.string(from: decision.artifact.takenAt),
                takenLocal: periods.timestamp(decision.artifact.takenAt), takenFrom: entry.takenFrom.rawValue,
                size: entry.object.size, verified: entry.check?.matched == true, checked: entry.verifiedLabel,
                manifest: entry.manifest?.name, action: decision.keep ? "keep" : "remove",
                reasons: decision.reasons.map { JSONReason(code: $0.code, text: $0.text) },
                reason: said(decision.reason), removed: removedState(entry.object.name, planned: !decision.keep))
        }
        let leftovers = plan.leftovers.map {
            JSONLeftover(name: $0.object.name, kind: $0.kind.rawValue, size: $0.object.size,
                         modified: $0.object.modified.map(utc.string(from:)),
                         action: $0.remove ? "remove" : "keep", reason: said($0.reason),
                         removed: removedState($0.object.name, planned: $0.remove))
        }
        let removedArtifacts = plan.artifacts.filter { !$0.decision.keep && (dryRun || removed.contains($0.object.name)) }
        return JSONDocument(
            location: location, dryRun: dryRun, policy: plan.policy, timeZone: plan.timeZone.identifier,
            now: utc.string(from: plan.now), artifacts: artifacts, leftovers: leftovers, ignored: plan.ignored,
            warnings: plan.warnings, failures: failures.map { JSONFailure(name: $0.name, message: $0.message) },
            protected: protected.isEmpty ? nil : protected.map { JSONFailure(name: $0.name, message: $0.message) },
            summary: JSONSummary(kept: plan.artifacts.count - removedArtifacts.count, removed: removedArtifacts.count,
                                 leftoversRemoved: plan.leftovers.filter { $0.remove && (dryRun || removed.contains($0.object.name)) }.count,
                                 ignored: plan.ignored.count,
                                 failed: failures.count, protected: protected.isEmpty ? nil : protected.count))
    }

    /// nil for a dry run or a kept object; otherwise whether the removal happened.
    private func removedState(_ name: String, planned: Bool) -> Bool? {
        guard !dryRun, planned else { return nil }
        return removed.contains(name)
    }
}

private struct JSONDocument: Encodable {
    var location: String
    var dryRun: Bool
    var policy: RetentionPolicy
    var timeZone: String
    var now: String
    var artifacts: [JSONArtifact]
    var leftovers: [JSONLeftover]
    var ignored: [String]
    var warnings: [String]
    var failures: [JSONFailure]
    /// Only when some objects were protected (older reports stay byte for byte the same).
    var protected: [JSONFailure]?
    var summary: JSONSummary

    enum CodingKeys: String, CodingKey {
        case location, dryRun = "dry_run", policy, timeZone = "time_zone", now, artifacts, leftovers, ignored
        case warnings, failures, protected, summary
    }
}

private struct JSONArtifact: Encodable {
    var name: String
    var source: String
    var takenAt: String
    var takenLocal: String
    var takenFrom: String
    var size: Int64
    var verified: Bool
    /// `yes` (content checked now), `size` (size only), `no`.
    var checked: String
    var manifest: String?
    var action: String
    var reasons: [JSONReason]
    var reason: String
    var removed: Bool?

    enum CodingKeys: String, CodingKey {
        case name, source, takenAt = "taken_at", takenLocal = "taken_local", takenFrom = "taken_from", size
        case verified, checked, manifest, action, reasons, reason, removed
    }
}

private struct JSONReason: Encodable {
    var code: String
    var text: String
}

private struct JSONLeftover: Encodable {
    var name: String
    var kind: String
    var size: Int64
    var modified: String?
    var action: String
    var reason: String
    var removed: Bool?
}

private struct JSONFailure: Encodable {
    var name: String
    var message: String
}

private struct JSONSummary: Encodable {
    var kept: Int
    var removed: Int
    var leftoversRemoved: Int
    var ignored: Int
    var failed: Int
    var protected: Int?

    enum CodingKeys: String, CodingKey {
        case kept, removed, leftoversRemoved = "leftovers_removed", ignored, failed, protected
    }
}

/// Left-aligned columns two spaces apart; the last column is not padded.
private func table(_ rows: [[String]]) -> [String] {
    guard let columns = rows.map(\.count).max() else { return [] }
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
        for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
        }.joined(separator: "  ")
    }
}

/// `512 B`, `1.5 KiB`, `12.0 MiB`.
func formatBytes(_ bytes: Int64) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = Double(bytes) / 1024
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return String(format: "%.1f", value) + " " + units[unit]
}

private func plural(_ count: Int, _ word: String) -> String { count == 1 ? word : word + "s" }
