import BackupJobs
import Foundation
import Testing
import VaultopsCore

/// The status of a `postgres_all:` source: one entry per member, kept across a day it is not due.
@Suite("status of a whole-server source")
struct WholeServerStatusTests {
    static func member(_ name: String) -> SourceStatus {
        SourceStatus(name: name, kind: "postgres", target: "postgresql://h/x", backedUp: true, succeeded: true,
                     artifact: "\(name)_20260115.sql.gz", sizeBytes: 100, sha256: nil, createdAt: t0, durationSeconds: 1,
                     verified: true, verification: [], upload: nil, error: nil, cluster: "srv")
    }

    @Test("a skipped postgres_all source keeps its members' entries (marked skipped); status lists them under it")
    func skippedKeepsMembers() throws {
        let first = RunStatus(host: "h", configFile: "c", startedAt: t0, finishedAt: t0, exitCode: 0, dryRun: false,
                              sources: [Self.member("srv_globals"), Self.member("srv_app")], prunes: [], errors: []).merge(previous: nil)
        let skipped = SourceStatus(name: "srv", kind: "postgres", target: "postgresql://h/x", backedUp: false, succeeded: true,
                                   artifact: nil, sizeBytes: 0, sha256: nil, createdAt: nil, durationSeconds: 0, verified: false,
                                   verification: [], upload: nil, error: nil, skipped: "not due today (weekly: sunday)")
        let later = t0.addingTimeInterval(86_400)
        let second = RunStatus(host: "h", configFile: "c", startedAt: later, finishedAt: later, exitCode: 0, dryRun: false,
                               sources: [skipped], prunes: [], errors: []).merge(previous: first)
        #expect(second.sources.map(\.name) == ["srv", "srv_globals", "srv_app"])
        #expect(second.source(named: "srv_app")?.skipped == "not due today (weekly: sunday)")
        #expect(second.source(named: "srv_app")?.lastSuccess?.artifact == "srv_app_20260115.sql.gz")

        var source = SourceConfig(name: "srv", target: .postgres(connection: "postgresql://h/postgres"))
        source.wholeServer = WholeServerSource()
        var config = Config(file: "c")
        config.sources = [source]
        let rows = StatusReport.rows(config: config, status: second, localManifests: [], now: later)
        #expect(rows.map(\.name) == ["srv_globals", "srv_app"])
        #expect(rows.allSatisfy { $0.cluster == "srv" && $0.lastArtifact != nil })
        let table = StatusReport.table(rows, status: second, timeZone: TimeZone(identifier: "UTC")!, now: later)
        #expect(table.contains("\nsrv ") && table.contains("\n  srv_app "), "\(table)")
    }
}
