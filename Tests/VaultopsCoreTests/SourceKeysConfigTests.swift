import Foundation
import Testing
@testable import VaultopsCore

/// `schedule:`, `exclude:`, `one_file_system:` and `archive:` of a source, as the loader reads them.
@Suite("Config: source schedule, exclude, one_file_system, archive")
struct SourceKeysConfigTests {
    static func parse(_ sources: String) throws(ConfigError) -> Config {
        try ConfigTests.parse("backup_dir: /b\nsources:\n" + sources)
    }

    @Test("schedule: every YAML shape gives the schedule; daily when absent", arguments: [
        ("schedule: daily", Schedule.daily),
        ("schedule: weekly", .weekly(weekday: 1)),
        ("schedule: { weekly: sunday }", .weekly(weekday: 1)),
        ("schedule:\n      weekly: Friday", .weekly(weekday: 6)),
        ("schedule: { monthly: 31 }", .monthly(day: 31)),
        ("schedule: { monthly: }", .monthly(day: 1)),
        ("schedule: { cron: \"* * 1-5\" }", .cron(try! CronDays.parse("* * 1-5"))),
        ("schedule: \"1,15 * *\"", .cron(try! CronDays.parse("1,15 * *"))),
        ("schedule: ${SCHEDULE:-daily}", .daily),
    ])
    func schedules(yaml: String, schedule: Schedule) throws {
        let config = try Self.parse("  - name: up\n    files: /u\n    \(yaml)\n")
        #expect(config.sources[0].schedule == schedule)
        #expect(try Self.parse("  - name: up\n    files: /u\n").sources[0].schedule == .daily)
    }

    @Test("bad values name the file, line and key", arguments: [
        ("    schedule: hourly\n", "vaultops.yml:5: 'sources[0].schedule': should be daily, weekly: DAY, monthly: N or cron: \"DOM MON DOW\" (e.g. \"* * 1-5\"), not 'hourly'"),
        ("    schedule: { weekly: sundy }\n", "vaultops.yml:5: 'sources[0].schedule': 'weekly' should be a day name (sunday … saturday, or sun … sat), not 'sundy'"),
        ("    schedule:\n      monthly: 32\n", "vaultops.yml:6: 'sources[0].schedule': 'monthly' should be a day of the month from 1 to 31, not '32'"),
        ("    schedule: { weekly: sunday, monthly: 1 }\n", "vaultops.yml:5: 'sources[0].schedule' should be one of daily, weekly: DAY, monthly: N or cron: \"DOM MON DOW\""),
        ("    schedule: { cron: \"31 2 *\" }\n", "vaultops.yml:5: 'sources[0].schedule': the cron day spec '31 2 *' matches no day of any year"),
        ("    exclude: [\"*.log\", \"./cache\"]\n", "vaultops.yml:5: 'sources[0].exclude': './cache' has '.' or '..'; patterns are relative to the folder (write '/cache', not './cache')"),
        ("    one_file_system: maybe\n", "vaultops.yml:5: 'sources[0].one_file_system' should be true or false, not 'maybe'"),
        ("    archive: false\n", "vaultops.yml:5: 'sources[0].archive' is false but the source has no 'mirror:'; it would copy nothing (add mirror: oss://BUCKET/PREFIX/ or remove 'archive: false')"),
        ("    mirror: oss://bucket/up/\n    archive: false\n    drill: true\n", "vaultops.yml:7: 'sources[0].drill' needs an archive to restore, but the source has 'archive: false'"),
        ("    mirror: oss://bucket/up/\n    archive: false\n    level: 9\n", "vaultops.yml:7: 'sources[0].level' sets the archive's compression, but the source has 'archive: false'"),
    ])
    func errors(yaml: String, expected: String) {
        let error = #expect(throws: ConfigError.self) { try Self.parse("  - name: up\n    files: /u\n" + yaml) }
        #expect(error?.description == expected)
    }

    @Test("exclude, one_file_system and archive belong to files sources", arguments: ["exclude: [x]", "one_file_system: true", "archive: false"])
    func filesOnly(yaml: String) {
        let error = #expect(throws: ConfigError.self) { try Self.parse("  - name: db\n    sqlite: /d.db\n    \(yaml)\n") }
        let key = yaml.prefix { $0 != ":" }
        #expect(error?.description == "vaultops.yml:5: 'sources[0].\(key)' applies to 'files' sources only")
    }

    @Test("a files source takes folders and files, excludes, one_file_system; a mirror-only source has no archive")
    func filesOptions() throws {
        let config = try Self.parse("""
              - name: app
                files: [/srv/app, /srv/app.env]
                exclude: ["*.log", node_modules/, /cache, "**/tmp", "!keep.log"]
                one_file_system: true
              - name: uploads
                files: /srv/uploads
                mirror: oss://media-bucket/uploads/
                archive: false
            """ + "\n")
        let app = config.sources[0]
        #expect(app.target == .files(paths: ["/srv/app", "/srv/app.env"]))
        #expect(app.exclude.rules.map(\.pattern) == ["*.log", "node_modules/", "/cache", "**/tmp", "!keep.log"])
        #expect(app.oneFileSystem && app.archive)
        let uploads = config.sources[1]
        #expect(!uploads.archive && uploads.mirror == "oss://media-bucket/uploads/")
        #expect(uploads.exclude.isEmpty && !uploads.oneFileSystem)
    }

    @Test("a deploy backup point cannot name a mirror-only source")
    func backupPointNeedsArchive() {
        let error = #expect(throws: ConfigError.self) {
            try ConfigTests.parse("""
                backup_dir: /b
                sources:
                  - name: uploads
                    files: /u
                    mirror: oss://media-bucket/u/
                    archive: false
                deploy:
                  state_dir: /s
                  backup_point: [uploads]
                """)
        }
        #expect(error?.description == "vaultops.yml:9: 'deploy.backup_point[0]' names source 'uploads', which has 'archive: false' and so no backup to restore")
    }
}

/// `engine:` and `pg_dump:` of a postgres source.
@Suite("Config: source engine")
struct SourceEngineConfigTests {
    @Test("engine: native (the default) or pg_dump, with an optional pg_dump: program")
    func engines() throws {
        let config = try SourceKeysConfigTests.parse("""
              - name: a
                postgres: postgresql://app@db/a
              - name: b
                postgres: postgresql://app@db/b
                engine: pg_dump
                pg_dump: /usr/lib/postgresql/17/bin/pg_dump
              - name: c
                postgres: postgresql://app@db/c
                engine: native
            """)
        #expect(config.sources.map(\.engine) == [.native, .pgDump, .native])
        #expect(config.sources.map(\.pgDumpPath) == [nil, "/usr/lib/postgresql/17/bin/pg_dump", nil])
    }

    @Test("bad engine settings name the file, line and key", arguments: [
        ("  - postgres: postgresql://app@db/a\n    engine: pgdump\n", "vaultops.yml:4: 'sources[0].engine' should be native or pg_dump, not 'pgdump'"),
        ("  - sqlite: /a.db\n    engine: pg_dump\n", "vaultops.yml:4: 'sources[0].engine' applies to 'postgres' sources only (which program writes the dump)"),
        ("  - postgres: postgresql://app@db/a\n    pg_dump: /usr/bin/pg_dump\n", "vaultops.yml:4: 'sources[0].pg_dump' needs 'engine: pg_dump' on the same source"),
        ("  - postgres: postgresql://app@db/a\n    allow_incomplete: true\n    engine: pg_dump\n",
         "vaultops.yml:4: 'sources[0].allow_incomplete' applies to the native engine only (pg_dump dumps every object)"),
    ])
    func errors(yaml: String, expected: String) {
        let error = #expect(throws: ConfigError.self) { try SourceKeysConfigTests.parse(yaml) }
        #expect(error?.description == expected)
    }
}
