import Foundation
import Testing
import VaultopsCore
@testable import Deploy

/// A compact history: `("r0001", .deploy, "1", nil, .succeeded, hasBackup)`.
private func history(_ rows: [(String, ReleaseAction, String, String?, ReleaseOutcome, Bool)]) -> [Release] {
    rows.enumerated().map { index, row in
        Release(id: row.0, action: row.1, version: row.2, previousRelease: row.3,
                startedAt: Date(timeIntervalSince1970: Double(index) * 60),
                finishedAt: Date(timeIntervalSince1970: Double(index) * 60 + 5),
                backupPoint: row.5 ? [BackupPointArtifact(source: "db", kind: .postgres, path: "/b/db_\(row.0).sql.gz",
                                                          sizeBytes: 10, sha256: "x")] : [],
                outcome: row.4)
    }
}

@Suite("Release history")
struct ReleaseHistoryTests {
    @Test func foldJoinsEventsPerReleaseInStartOrder() {
        let t = Date(timeIntervalSince1970: 1_000)
        let first = Release(id: "r0001", action: .deploy, version: "1", startedAt: t, outcome: .succeeded)
        let artifact = BackupPointArtifact(source: "db", kind: .postgres, path: "/b/db.sql.gz", sizeBytes: 3, sha256: "ab")
        let step = StepRecord(phase: .deploy, name: "web", ok: true, seconds: 0.5, detail: "exit 0")
        let events: [ReleaseEvent] = [
            .started("r0001", at: t, action: .deploy, version: "1", previous: nil),
            .finished("r0001", at: t.addingTimeInterval(2), outcome: .succeeded, message: "done"),
            .started("r0002", at: t.addingTimeInterval(10), action: .deploy, version: "2", previous: first),
            .backupPoint("r0002", at: t.addingTimeInterval(11), artifacts: [artifact]),
            .step("r0002", at: t.addingTimeInterval(12), step),
            // A line of a release whose start was cut away is ignored.
            .step("r0000", at: t, step),
            .started("r0003", at: t.addingTimeInterval(20), action: .rollback, version: "1", previous: first, target: "r0001", withData: true),
        ]
        let releases = ReleaseHistory.fold(events)
        #expect(releases.map(\.id) == ["r0001", "r0002", "r0003"])
        #expect(releases[0].outcome == .succeeded)
        #expect(releases[0].durationSeconds == 2)
        #expect(releases[1].previousVersion == "1")
        #expect(releases[1].previousRelease == "r0001")
        #expect(releases[1].backupPoint == [artifact])
        #expect(releases[1].backupPointVariable == "/b/db.sql.gz")
        #expect(releases[1].steps == [step])
        #expect(releases[1].outcome == .unfinished)
        #expect(releases[1].durationSeconds == nil)
        #expect(releases[2].action == .rollback)
        #expect(releases[2].target == "r0001")
        #expect(releases[2].withData == true)
    }

    struct CurrentCase: Sendable, CustomTestStringConvertible {
        var label: String
        var outcomes: [ReleaseOutcome]
        var current: String?
        var next: String
        var testDescription: String { label }
    }

    static let currentCases: [CurrentCase] = [
        CurrentCase(label: "empty", outcomes: [], current: nil, next: "r0001"),
        CurrentCase(label: "one deployed", outcomes: [.succeeded], current: "r0001", next: "r0002"),
        CurrentCase(label: "rolled back keeps the previous", outcomes: [.succeeded, .succeeded, .rolledBack], current: "r0002", next: "r0004"),
        CurrentCase(label: "aborted and unfinished do not count", outcomes: [.succeeded, .aborted, .unfinished], current: "r0001", next: "r0004"),
        CurrentCase(label: "first failed", outcomes: [.failed], current: nil, next: "r0002"),
        CurrentCase(label: "rollback failed", outcomes: [.succeeded, .rollbackFailed], current: "r0001", next: "r0003"),
    ]

    @Test(arguments: currentCases)
    func currentAndNextID(_ c: CurrentCase) {
        let releases = c.outcomes.enumerated().map { i, outcome in
            Release(id: String(format: "r%04d", i + 1), action: .deploy, version: "\(i + 1)", startedAt: Date(), outcome: outcome)
        }
        #expect(ReleaseHistory.current(releases)?.id == c.current)
        #expect(ReleaseHistory.nextID(releases) == c.next)
    }

    @Test func nextIDGrowsPastFourDigitsAndIgnoresOddIDs() {
        let releases = [Release(id: "r9999", action: .deploy, version: "1", startedAt: Date()),
                        Release(id: "hand-made", action: .deploy, version: "1", startedAt: Date())]
        #expect(ReleaseHistory.nextID(releases) == "r10000")
    }

    struct RollbackCase: Sendable, CustomTestStringConvertible {
        var label: String
        var releases: [Release]
        var requested: String?
        var withData = false
        enum Expected: Sendable {
            /// target id, undone ids, data-from id
            case success((String, [String], String))
            /// the error's message
            case failure(String)
        }
        var expected: Expected
        var testDescription: String { label }
    }

    static let rollbackCases: [RollbackCase] = {
        let deployed = history([("r0001", .deploy, "1", nil, .succeeded, true), ("r0002", .deploy, "2", "r0001", .succeeded, true)])
        let failed = history([("r0001", .deploy, "1", nil, .succeeded, true), ("r0002", .deploy, "2", "r0001", .rolledBack, true)])
        let afterRollback = history([("r0001", .deploy, "1", nil, .succeeded, true), ("r0002", .deploy, "2", "r0001", .rolledBack, true),
                                     ("r0003", .rollback, "1", "r0001", .succeeded, true), ("r0004", .deploy, "4", "r0003", .aborted, false)])
        return [
            RollbackCase(label: "default undoes the newest deploy", releases: deployed,
                         expected: .success(("r0001", ["r0002"], "r0002"))),
            RollbackCase(label: "default after an automatic rollback undoes the release running now, not the failed one",
                         releases: history([("r0001", .deploy, "1", nil, .succeeded, true), ("r0002", .deploy, "2", "r0001", .succeeded, true),
                                            ("r0003", .deploy, "3", "r0002", .rolledBack, true)]),
                         withData: true, expected: .success(("r0001", ["r0002", "r0003"], "r0002"))),
            RollbackCase(label: "default after an automatic rollback to the first release: nothing earlier",
                         releases: failed, withData: true,
                         expected: .failure("r0001 (version 1) was the first release: there is no earlier version to roll back to")),
            RollbackCase(label: "default skips aborted releases and undoes a rollback", releases: afterRollback,
                         expected: .success(("r0001", ["r0003"], "r0003"))),
            RollbackCase(label: "explicit release undoes everything after it, data from the first", releases: afterRollback,
                         requested: "r0001", withData: true, expected: .success(("r0001", ["r0002", "r0003"], "r0002"))),
            RollbackCase(label: "unknown id", releases: deployed, requested: "r0009",
                         expected: .failure("no release r0009 in the history (latest: r0001, r0002; see vaultops releases)")),
            RollbackCase(label: "target did not succeed", releases: failed, requested: "r0002",
                         expected: .failure("r0002 (version 2) did not succeed (rolled_back); roll back to a release that did")),
            RollbackCase(label: "latest has nothing after it", releases: deployed, requested: "r0002",
                         expected: .failure("r0002 (version 2) is the latest release: there is nothing after it to roll back")),
            RollbackCase(label: "first release", releases: history([("r0001", .deploy, "1", nil, .succeeded, true)]),
                         expected: .failure("r0001 (version 1) was the first release: there is no earlier version to roll back to")),
            RollbackCase(label: "empty history", releases: [], expected: .failure("the release history is empty: there is nothing to roll back")),
            RollbackCase(label: "with data but no backup point",
                         releases: history([("r0001", .deploy, "1", nil, .succeeded, false), ("r0002", .deploy, "2", "r0001", .succeeded, false)]),
                         withData: true,
                         expected: .failure("r0002 has no backup point to restore data from (deploy.backup_point was empty then)")),
        ]
    }()

    @Test(arguments: rollbackCases)
    func rollbackChoice(_ c: RollbackCase) {
        let result = Result { () throws(DeployError) in
            try ReleaseHistory.rollbackChoice(requested: c.requested, releases: c.releases, withData: c.withData)
        }
        switch (result, c.expected) {
        case let (.success(choice), .success(expected)):
            #expect(choice.target.id == expected.0)
            #expect(choice.undone.map(\.id) == expected.1)
            #expect(choice.dataFrom.id == expected.2)
        case let (.failure(error), .failure(message)):
            #expect(error.message == message)
            #expect(error.exitCode == .usage)
        default:
            Issue.record("got \(result), expected \(c.expected)")
        }
    }

    @Test(arguments: [(ReleaseOutcome.succeeded, VaultopsExitCode.success), (.aborted, .deployAborted), (.rolledBack, .rolledBack),
                      (.rollbackFailed, .rollbackFailed), (.failed, .rollbackFailed), (.unfinished, .rollbackFailed)])
    func outcomeExitCodes(_ outcome: ReleaseOutcome, _ code: VaultopsExitCode) {
        #expect(outcome.exitCode == code)
    }

    @Test func historyLinesRoundTripAndATornLastLineIsIgnored() throws {
        let t = Date(timeIntervalSince1970: 1_767_225_600)
        let events: [ReleaseEvent] = [
            .started("r0001", at: t, action: .deploy, version: "1.0.1", previous: nil),
            .finished("r0001", at: t.addingTimeInterval(3), outcome: .succeeded, message: "ok"),
        ]
        var data = Data()
        for e in events { data.append(ReleaseLog.encode(e)); data.append(UInt8(ascii: "\n")) }
        #expect(String(decoding: ReleaseLog.encode(events[0]), as: UTF8.self)
            == #"{"action":"deploy","at":"2026-01-01T00:00:00Z","event":"started","release":"r0001","version":"1.0.1"}"#)
        let whole = ReleaseLog.decode(data, file: "h")
        #expect(whole.events == events)
        #expect(whole.warnings.isEmpty)
        let torn = data + ReleaseLog.encode(.started("r0002", at: t, action: .deploy, version: "2", previous: nil)).prefix(30)
        let read = ReleaseLog.decode(torn, file: "h")
        #expect(read.events == events)
        #expect(read.warnings == ["h:3: ignored a torn last line (vaultops was stopped while writing it)"])
        let middle = ReleaseLog.decode(Data("garbage\n".utf8) + data, file: "h")
        #expect(middle.events == events)
        #expect(middle.warnings == ["h:1: ignored a line that is not a release event"])
    }
}

@Suite("Health gate counting")
struct GateCounterTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var startPeriodMS: Int
        var retries: Int
        /// (attempt start in ms after the gate started, success)
        var attempts: [(Int, Bool)]
        var decisions: [GateDecision]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "first attempt passes", startPeriodMS: 0, retries: 3, attempts: [(0, true)], decisions: [.healthy]),
        Case(label: "fails after `retries` counted failures, as compose", startPeriodMS: 0, retries: 3,
             attempts: [(0, false), (200, false), (400, false)], decisions: [.retry, .retry, .unhealthy]),
        Case(label: "retries 0: one failure is enough", startPeriodMS: 0, retries: 0, attempts: [(0, false)], decisions: [.unhealthy]),
        Case(label: "failures in the start period do not count", startPeriodMS: 1000, retries: 1,
             attempts: [(0, false), (400, false), (800, false), (1000, false)],
             decisions: [.retry, .retry, .retry, .unhealthy]),
        Case(label: "a success in the start period ends the wait", startPeriodMS: 5000, retries: 0,
             attempts: [(0, false), (300, true)], decisions: [.retry, .healthy]),
        Case(label: "a success after counted failures passes", startPeriodMS: 0, retries: 3,
             attempts: [(0, false), (200, false), (400, true)], decisions: [.retry, .retry, .healthy]),
    ]

    @Test(arguments: cases)
    func decisions(_ c: Case) {
        var counter = GateCounter(check: HealthCheck(probe: .tcp(host: "h", port: 1), retries: c.retries,
                                                     interval: .milliseconds(200), startPeriod: .milliseconds(c.startPeriodMS)))
        let got = c.attempts.map { counter.record(success: $0.1, elapsed: .milliseconds($0.0)) }
        #expect(got == c.decisions)
        #expect(counter.attempts == c.attempts.count)
    }
}

@Suite("Deploy plan and formatting")
struct PlanTests {
    @Test(arguments: [(Duration.milliseconds(200), "200ms"), (.seconds(5), "5s"), (.seconds(90), "1m30s"), (.seconds(3600), "1h"),
                      (.zero, "0s"), (.milliseconds(1500), "1500ms")])
    func durations(_ d: Duration, _ text: String) {
        #expect(formatDuration(d) == text)
    }

    @Test func backupPointEstimate() {
        #expect(BackupPoint.estimatedBytes(previous: []) == 64 << 20)
        let big: [(kind: ArtifactKind, sizeBytes: Int64, uncompressedBytes: Int64)] = [
            (.postgres, 400 << 20, 2_000 << 20), (.sqlite, 100 << 20, 300 << 20)]
        // 1.25 × each artifact, plus the SQLite snapshot's uncompressed size while it is written.
        #expect(BackupPoint.estimatedBytes(previous: big) == (500 << 20) + (125 << 20) + (300 << 20))
    }

    static func config(requiredEnv: [String] = ["REGISTRY"], restore: DeployConfig.RestoreDataOnRollback = .never) -> Config {
        var deploy = DeployConfig(stateDir: "/var/lib/vaultops", backupPoint: ["db"], workingDir: "/opt/app",
                                  restoreDataOnRollback: restore, requiredEnv: requiredEnv,
                                  preDeploy: "docker compose pull", onFailure: "notify-team", stop: "docker compose stop api",
                                  lockWait: .seconds(600))
        deploy.stages = [
            StageConfig(name: "db", run: "docker compose up -d db", health: HealthCheck(probe: .tcp(host: "127.0.0.1", port: 5432))),
            StageConfig(name: "api", run: "VERSION=${VERSION} docker compose up -d api", timeout: .seconds(120),
                        health: HealthCheck(probe: .http(url: "http://127.0.0.1:3001/health"), timeout: .seconds(3),
                                            interval: .seconds(5), startPeriod: .seconds(10), expect: "ok")),
        ]
        return Config(file: "/etc/vaultops/vaultops.yml", backupDir: "/backups",
                      sources: [SourceConfig(name: "db", target: .postgres(connection: "postgresql://app:Pl4nSecret@db/mms"))],
                      deploy: deploy)
    }

    @Test func planListsEveryStepWithoutSecrets() {
        let current = Release(id: "r0007", action: .deploy, version: "1.0.0", startedAt: Date(), outcome: .succeeded)
        let plan = DeployPlan.make(config: Self.config(), version: "1.0.1", current: current, release: "r0008",
                                   environment: ["REGISTRY": "registry.example.com"])
        #expect(plan.problems.isEmpty)
        #expect(plan.text == """
            deploy 1.0.1 over 1.0.0 (r0007) as r0008
            lock: /var/lib/vaultops/vaultops.lock (wait up to 10m for it)
            working folder: /opt/app
            preflight: required variables REGISTRY
            backup point, verified before any stage runs, into /backups:
              db: postgres postgresql://app:***@db/mms
            pre_deploy: docker compose pull
            stage 1 db: docker compose up -d db
              gate: tcp connect 127.0.0.1:5432; start_period 0s, interval 5s, timeout 5s, retries 3
            stage 2 api: VERSION=${VERSION} docker compose up -d api (timeout 2m)
              gate: http GET http://127.0.0.1:3001/health answers 2xx containing "ok"; start_period 10s, interval 5s, timeout 3s, retries 3
            environment of every command: VERSION=1.0.1 PREVIOUS_VERSION=1.0.0 RELEASE=r0008 BACKUP_POINT=<artifact paths>
            on failure: run on_failure (notify-team), show the failed stage's output, run the stages again with version 1.0.0 (r0007) and check the gates; data left alone (restore_data_on_rollback: never)

            """)
        #expect(!plan.text.contains("Pl4nSecret"))
    }

    @Test func planReportsWhatWouldAbort() {
        let plan = DeployPlan.make(config: Self.config(requiredEnv: ["REGISTRY", "TOKEN"], restore: .always), version: "2",
                                   current: nil, release: "r0001", environment: ["TOKEN": ""])
        #expect(plan.problems == ["required variables not set: REGISTRY, TOKEN (set in the environment or in .env)"])
        #expect(plan.text.contains("would abort: required variables not set: REGISTRY, TOKEN"))
        #expect(plan.text.contains("nothing to roll back to (first release)"))
    }
}
