import BackupJobs
import Foundation
import Testing
import TestSupport
import VaultopsCore

/// The files in cron/ that operators copy to /etc: they must stay valid as the config grows.
@Suite("cron/ files")
struct CronFilesTests {
    static let cronDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("cron")

    @Test("the example vaultops.yml loads with its variables set, with every section the run uses")
    func exampleConfigLoads() throws {
        let dir = try TempDir("cron-example")
        let config = dir.file("vaultops.yml")
        try FileManager.default.copyItem(at: Self.cronDir.appendingPathComponent("vaultops.example.yml"), to: config)
        try Data("POSTGRES_PASSWORD='example-pass'\nDATABASE_URL=postgresql://app:${POSTGRES_PASSWORD}@127.0.0.1/app\nALERT_WEBHOOK=https://oapi.dingtalk.com/robot/send?access_token=abc\n".utf8)
            .write(to: dir.file(".env"))
        let loaded = try ConfigLoader.load(from: config)
        #expect(loaded.sources.map(\.name) == ["db", "mms", "uploads", "uploads-mirror", "app-config"])
        // A daily database, a weekly uploads archive, a mirror-only source, the .env archived monthly.
        #expect(loaded.sources.map(\.schedule) == [.daily, .daily, .weekly(weekday: 1), .daily, .monthly(day: 1)])
        #expect(loaded.sources[2].exclude.rules.count == 4 && loaded.sources[2].oneFileSystem)
        #expect(!loaded.sources[3].archive && loaded.sources[3].mirror == "oss://mms-files/work-order-uploads/")
        #expect(loaded.sources[4].target == .files(paths: ["/opt/emaintenance/.env", "/opt/emaintenance/docker-compose.yml"]))
        // The .env beside the config is interpolated like compose's.
        #expect(loaded.dotEnv["DATABASE_URL"] == "postgresql://app:example-pass@127.0.0.1/app")
        #expect(loaded.oss?.bucket == "mms-backups")
        #expect(loaded.notify?.kind == "dingtalk")
        #expect(loaded.notify?.onSuccess == false)
        #expect(loaded.metrics?.textfile == "/var/lib/node_exporter/textfile/vaultops.prom")
        #expect(loaded.retention?.keepDays == 30)
    }

    @Test("notify.kind and notify.on_success are checked with the key and line", arguments: [
        ("kind: slack", "'notify.kind' should be one of generic, dingtalk, wecom"),
        ("on_success: maybe", "'notify.on_success' should be true or false"),
    ])
    func notifyErrors(line: String, message: String) throws {
        let dir = try TempDir("cron-notify")
        let config = dir.file("vaultops.yml")
        try Data("notify:\n  webhook: http://127.0.0.1/x\n  \(line)\n".utf8).write(to: config)
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(from: config) }
        #expect(error.line == 3)
        #expect(error.description.contains(message), "\(error)")
    }

    @Test("the cron.d entry runs `vaultops run` at 02:00 as root, appending to the rotated log")
    func cronEntry() throws {
        let text = try String(contentsOf: Self.cronDir.appendingPathComponent("vaultops.cron"), encoding: .utf8)
        let entries = text.split(separator: "\n").filter { line in
            !line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty && !line.contains("=")
        }
        try #require(entries.count == 1)
        let fields = entries[0].split(separator: " ", omittingEmptySubsequences: true)
        #expect(fields.prefix(6).joined(separator: " ") == "0 2 * * * root")
        #expect(entries[0].contains("/usr/local/bin/vaultops run --config /etc/vaultops/vaultops.yml >> /var/log/vaultops.log 2>&1"))
        // cron.d files must end with a newline or the last entry is ignored.
        #expect(text.hasSuffix("\n"))
        let rotate = try String(contentsOf: Self.cronDir.appendingPathComponent("vaultops.logrotate"), encoding: .utf8)
        #expect(rotate.contains("/var/log/vaultops.log {"))
    }

    @Test("the systemd unit runs `vaultops replicate` with the cron job's config and restarts it (issue 24)")
    func replicateUnit() throws {
        let text = try String(contentsOf: Self.cronDir.appendingPathComponent("vaultops-replicate.service"), encoding: .utf8)
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains("ExecStart=/usr/local/bin/vaultops replicate --config /etc/vaultops/vaultops.yml"))
        #expect(lines.contains("KillSignal=SIGTERM"))
        #expect(lines.contains("Restart=always"))
        // The upload spool survives a crash and the restart (PrivateTmp's /tmp does not).
        #expect(lines.contains("StateDirectory=vaultops-replicate"))
        #expect(lines.contains("Environment=TMPDIR=/var/lib/vaultops-replicate"))
        #expect(lines.contains("WantedBy=multi-user.target"))
    }

    @Test("logrotate accepts the snippet (logrotate is installed by .ci/run)")
    func logrotateParses() throws {
        let dir = try TempDir("cron-logrotate")
        let r = try runProcess("/usr/sbin/logrotate", ["--debug", "--state", dir.file("state").path,
                                                       Self.cronDir.appendingPathComponent("vaultops.logrotate").path])
        #expect(r.status == 0, "\(r.stderr)")
    }
}
