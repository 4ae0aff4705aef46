import Foundation
import VaultopsCore

/// Whether a release put a new version out or went back to an earlier one.
public enum ReleaseAction: String, Codable, Sendable, Equatable {
    case deploy
    case rollback
}

/// How a release ended.
public enum ReleaseOutcome: String, Codable, Sendable, Equatable, CaseIterable {
    /// Every stage and gate passed: this release is what runs now (it becomes current).
    case succeeded
    /// Stopped before changing anything (preflight, backup point or `pre_deploy` failed).
    case aborted
    /// A stage or gate failed and the previous release was put back and passed its gates.
    case rolledBack = "rolled_back"
    /// A stage or gate failed and putting the previous release back failed too.
    case rollbackFailed = "rollback_failed"
    /// A stage or gate failed and there was nothing to roll back to (the first deploy, or a `rollback` itself failed).
    case failed
    /// No outcome recorded: still running, or vaultops was killed.
    case unfinished

    /// The exit status of the `deploy` or `rollback` that ended this way.
    public var exitCode: VaultopsExitCode {
        switch self {
        case .succeeded: .success
        case .aborted: .deployAborted
        case .rolledBack: .rolledBack
        case .rollbackFailed, .failed, .unfinished: .rollbackFailed
        }
    }

    /// Whether the release may have changed what runs (everything except an abort).
    public var changedSomething: Bool { self != .aborted }
}

/// One artifact of a backup point.
public struct BackupPointArtifact: Codable, Sendable, Equatable {
    /// The source's name in `sources:`.
    public var source: String
    public var kind: ArtifactKind
    /// The artifact's absolute path.
    public var path: String
    public var sizeBytes: Int64
    public var sha256: String

    public init(source: String, kind: ArtifactKind, path: String, sizeBytes: Int64, sha256: String) {
        self.source = source
        self.kind = kind
        self.path = path
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
    }
}

/// One step of a release: a stage command, a gate, a hook, a data restore.
public struct StepRecord: Codable, Sendable, Equatable {
    /// When the step ran: the forward deploy, the rollback, or around them.
    public enum Phase: String, Codable, Sendable, Equatable {
        case preflight, backup, hook, deploy, rollback, stop, restore
    }

    public var phase: Phase
    /// `web`, `web gate`, `pre_deploy`, `db` (a restored source), …
    public var name: String
    public var ok: Bool
    public var seconds: Double
    /// What happened, for people (already redacted).
    public var detail: String

    public init(phase: Phase, name: String, ok: Bool, seconds: Double, detail: String) {
        self.phase = phase
        self.name = name
        self.ok = ok
        self.seconds = seconds
        self.detail = detail
    }
}

/// One line of `releases.jsonl`: something that happened to a release.
///
/// A release is several lines (started, backup point, each step, finished) so that a crash part-way still
/// leaves a history of what ran; `ReleaseHistory.fold` turns the lines back into releases.
public struct ReleaseEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, Equatable {
        case started
        case backupPoint = "backup_point"
        case step
        case finished
    }

    /// The release id, e.g. `r0003`.
    public var release: String
    public var event: Kind
    public var at: Date
    // started
    public var action: ReleaseAction?
    public var version: String?
    /// The version running when the release started (nil for the first one).
    public var previousVersion: String?
    /// The release that was current when this one started.
    public var previousRelease: String?
    /// For a rollback: the release whose version it puts back.
    public var target: String?
    /// For a rollback: whether data is restored from a backup point too.
    public var withData: Bool?
    // backup_point
    public var artifacts: [BackupPointArtifact]?
    // step
    public var step: StepRecord?
    // finished
    public var outcome: ReleaseOutcome?
    /// What the outcome means for people (already redacted).
    public var message: String?

    public init(release: String, event: Kind, at: Date) {
        self.release = release
        self.event = event
        self.at = at
    }

    /// The first line of a release.
    public static func started(_ release: String, at: Date, action: ReleaseAction, version: String, previous: Release?,
                               target: String? = nil, withData: Bool? = nil) -> ReleaseEvent {
        var e = ReleaseEvent(release: release, event: .started, at: at)
        e.action = action
        e.version = version
        e.previousVersion = previous?.version
        e.previousRelease = previous?.id
        e.target = target
        e.withData = withData
        return e
    }

    public static func backupPoint(_ release: String, at: Date, artifacts: [BackupPointArtifact]) -> ReleaseEvent {
        var e = ReleaseEvent(release: release, event: .backupPoint, at: at)
        e.artifacts = artifacts
        return e
    }

    public static func step(_ release: String, at: Date, _ step: StepRecord) -> ReleaseEvent {
        var e = ReleaseEvent(release: release, event: .step, at: at)
        e.step = step
        return e
    }

    public static func finished(_ release: String, at: Date, outcome: ReleaseOutcome, message: String) -> ReleaseEvent {
        var e = ReleaseEvent(release: release, event: .finished, at: at)
        e.outcome = outcome
        e.message = message
        return e
    }
}

/// A release as `releases` shows it: its events folded together.
public struct Release: Codable, Sendable, Equatable {
    public var id: String
    public var action: ReleaseAction
    public var version: String
    public var previousVersion: String?
    public var previousRelease: String?
    public var target: String?
    public var withData: Bool?
    public var startedAt: Date
    public var finishedAt: Date?
    /// The verified artifacts taken before anything changed (empty when none were configured or it aborted first).
    public var backupPoint: [BackupPointArtifact]
    public var steps: [StepRecord]
    public var outcome: ReleaseOutcome
    public var message: String?

    public init(id: String, action: ReleaseAction, version: String, previousVersion: String? = nil,
                previousRelease: String? = nil, target: String? = nil, withData: Bool? = nil, startedAt: Date,
                finishedAt: Date? = nil, backupPoint: [BackupPointArtifact] = [], steps: [StepRecord] = [],
                outcome: ReleaseOutcome = .unfinished, message: String? = nil) {
        self.id = id
        self.action = action
        self.version = version
        self.previousVersion = previousVersion
        self.previousRelease = previousRelease
        self.target = target
        self.withData = withData
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.backupPoint = backupPoint
        self.steps = steps
        self.outcome = outcome
        self.message = message
    }

    /// Seconds from start to finish; nil while unfinished.
    public var durationSeconds: Double? { finishedAt.map { $0.timeIntervalSince(startedAt) } }

    /// `BACKUP_POINT` for commands: the artifact paths joined with `:` (like PATH), empty when there are none.
    public var backupPointVariable: String { backupPoint.map(\.path).joined(separator: ":") }
}

/// Pure functions over the release history: folding events, the current release, ids, rollback targets.
public enum ReleaseHistory {
    /// The releases the events describe, in the order they started.
    ///
    /// Events of a release without its `started` line (a history cut by hand) are ignored.
    public static func fold(_ events: [ReleaseEvent]) -> [Release] {
        var order: [String] = []
        var byID: [String: Release] = [:]
        for e in events {
            if e.event == .started {
                guard byID[e.release] == nil else { continue }
                order.append(e.release)
                byID[e.release] = Release(id: e.release, action: e.action ?? .deploy, version: e.version ?? "",
                                          previousVersion: e.previousVersion, previousRelease: e.previousRelease,
                                          target: e.target, withData: e.withData, startedAt: e.at)
                continue
            }
            guard var r = byID[e.release] else { continue }
            switch e.event {
            case .started: break
            case .backupPoint: r.backupPoint += e.artifacts ?? []
            case .step: if let step = e.step { r.steps.append(step) }
            case .finished:
                r.outcome = e.outcome ?? .unfinished
                r.message = e.message
                r.finishedAt = e.at
            }
            byID[e.release] = r
        }
        return order.compactMap { byID[$0] }
    }

    /// The release that runs now: the newest that succeeded (a deploy or a rollback).
    public static func current(_ releases: [Release]) -> Release? {
        releases.last { $0.outcome == .succeeded }
    }

    /// The id after the highest `rNNNN` in `releases`: `r0001` for an empty history.
    public static func nextID(_ releases: [Release]) -> String {
        let highest = releases.compactMap { r -> Int? in
            guard r.id.hasPrefix("r") else { return nil }
            return Int(r.id.dropFirst())
        }.max() ?? 0
        let n = String(highest + 1)
        return "r" + String(repeating: "0", count: max(0, 4 - n.count)) + n
    }

    /// What `rollback` does: which release's version to run again and which backup point holds the matching data.
    public struct RollbackChoice: Sendable, Equatable {
        /// The release whose version is run again.
        public var target: Release
        /// The releases being undone, oldest first.
        public var undone: [Release]
        /// The release whose backup point is the data as it was just before the first undone release started.
        public var dataFrom: Release
    }

    /// Rollback undoes releases: with no `requested` id, the one running now (the newest that changed something,
    /// or after an automatic rollback the release it went back to): its backup point holds the data from just before
    /// it, its previous release the version; with an id, every release after that one (data from the first of them).
    ///
    /// - Throws: `DeployError.noRollbackTarget` naming why (unknown id, not a successful release, nothing after it,
    ///   no backup point while `withData`).
    public static func rollbackChoice(requested: String?, releases: [Release], withData: Bool) throws(DeployError) -> RollbackChoice {
        let changing = releases.filter { $0.outcome.changedSomething }
        let choice: RollbackChoice
        if let requested {
            guard let index = releases.firstIndex(where: { $0.id == requested }) else {
                let known = releases.suffix(5).map(\.id).joined(separator: ", ")
                throw DeployError(.noRollbackTarget, "no release \(requested) in the history"
                                  + (known.isEmpty ? " (it is empty)" : " (latest: \(known); see vaultops releases)"))
            }
            let target = releases[index]
            guard target.outcome == .succeeded else {
                throw DeployError(.noRollbackTarget, "\(target.id) (version \(target.version)) did not succeed (\(target.outcome.rawValue)); roll back to a release that did")
            }
            let undone = releases[(index + 1)...].filter { $0.outcome.changedSomething }
            guard let first = undone.first else {
                throw DeployError(.noRollbackTarget, "\(target.id) (version \(target.version)) is the latest release: there is nothing after it to roll back")
            }
            choice = RollbackChoice(target: target, undone: Array(undone), dataFrom: first)
        } else {
            guard let latest = changing.last else {
                throw DeployError(.noRollbackTarget, "the release history is empty: there is nothing to roll back")
            }
            // The release running now: after an automatic rollback that is the one it went back to, not the failed one.
            var undone = [latest]
            if latest.outcome == .rolledBack, let runningID = latest.previousRelease,
               let running = releases.first(where: { $0.id == runningID }) {
                undone = [running, latest]
            }
            let running = undone[0]
            guard let previousID = running.previousRelease, let target = releases.first(where: { $0.id == previousID }) else {
                throw DeployError(.noRollbackTarget, "\(running.id) (version \(running.version)) was the first release: there is no earlier version to roll back to")
            }
            choice = RollbackChoice(target: target, undone: undone, dataFrom: running)
        }
        if withData && choice.dataFrom.backupPoint.isEmpty {
            throw DeployError(.noRollbackTarget, "\(choice.dataFrom.id) has no backup point to restore data from (deploy.backup_point was empty then)")
        }
        return choice
    }
}
