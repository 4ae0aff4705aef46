import Foundation
import Testing
import TestSupport
@testable import VaultopsCore

@Suite("Config")
struct ConfigTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/config")

    static func parse(_ yaml: String, env: [String: String] = [:], dotEnv: [String: String] = [:]) throws(ConfigError) -> Config {
        try ConfigLoader.parse(yaml: yaml, file: "vaultops.yml", baseDirectory: URL(fileURLWithPath: "/etc/vaultops"),
                               environment: env, dotEnv: dotEnv)
    }

    @Test func specExampleLoads() throws {
        let password = "Spec-\(UUID().uuidString.prefix(8))"
        let env = ["DATABASE_URL": "postgresql://app:\(password)@127.0.0.1:5432/mms",
                   "ALERT_WEBHOOK": "https://hooks.example.com/T1/B2/spec-token"]
        let config = try ConfigLoader.load(from: Self.fixtures.appendingPathComponent("vaultops.yml"), environment: env)
        #expect(config.backupDir == "/opt/emaintenance/backups")
        #expect(config.timeZone == TimeZone(identifier: "Asia/Shanghai"))
        #expect(config.sources == [
            SourceConfig(name: "db", target: .postgres(connection: env["DATABASE_URL"]!), line: 4),
            SourceConfig(name: "mms", target: .sqlite(path: "/data/mms.db"), line: 6),
            SourceConfig(name: "uploads", target: .files(paths: ["/opt/emaintenance/data/work-order-uploads"]), line: 8),
        ])
        #expect(config.oss == OSSConfig(bucket: "mms-backups", prefix: "nightly/",
                                        endpoint: "oss-cn-hangzhou-internal.aliyuncs.com", region: "cn-hangzhou"))
        #expect(config.retention == RetentionConfig(keepDays: 30))
        #expect(config.notify?.webhook.value == env["ALERT_WEBHOOK"])
        #expect(config.notify?.kind == nil)
        #expect(config.metrics?.textfile == "/var/lib/node_exporter/textfile/vaultops.prom")
        let deploy = try #require(config.deploy)
        #expect(deploy.stateDir == "/var/lib/vaultops")
        #expect(deploy.backupPoint == ["db", "mms"])
        #expect(deploy.restoreDataOnRollback == .never)
        #expect(deploy.stages == [
            StageConfig(name: "infrastructure", run: "docker compose -f infrastructure/docker-compose.yml up -d",
                        health: HealthCheck(probe: .tcp(host: "127.0.0.1", port: 5432), timeout: .seconds(10), retries: 3,
                                            interval: .seconds(5))),
            // ${VERSION} is left for the shell: the deploy runner sets it per release.
            StageConfig(name: "user-service", run: "VERSION=${VERSION} docker compose up -d user-service",
                        health: HealthCheck(probe: .http(url: "http://127.0.0.1:3001/health"), timeout: .seconds(3),
                                            retries: 3, interval: .seconds(5), startPeriod: .seconds(10))),
        ])
        // The database password and the webhook were registered as secrets.
        #expect(Redacted.text("dump failed for \(password)") == "dump failed for ***")
        #expect(Redacted.text("POST https://hooks.example.com/T1/B2/spec-token") == "POST ***")
        #expect(config.sources[0].description == "db (postgres: postgresql://app:***@127.0.0.1:5432/mms)")
        // Printing the whole config (e.g. in a debug log) shows no secret.
        let printed = String(describing: config) + String(reflecting: config) + "\(config.sources[0].target)"
            + String(reflecting: config.sources)
        #expect(!printed.contains(password))
        #expect(!printed.contains("spec-token"))
        #expect(config.lockPath == "/var/lib/vaultops/vaultops.lock")
    }

    @Test func everyKeyLoadsWithDotEnvAndEnvironment() throws {
        // The environment wins over .env (docker compose's rule).
        let env = ["OSS_ACCESS_KEY_ID": "LTAI-env"]
        let config = try ConfigLoader.load(from: Self.fixtures.appendingPathComponent("full.yml"), environment: env)
        #expect(config.backupDir == Self.fixtures.appendingPathComponent("backups").path)
        #expect(config.timeZone == TimeZone(identifier: "UTC"))
        #expect(config.sources.map(\.name) == ["db", "mms", "uploads"])
        #expect(config.sources[0].target == .postgres(connection: "host=db.internal user=app password='from-dotenv' dbname=mms"))
        #expect(config.sources[0].level == 9)
        #expect(config.sources[0].redactedTarget == "host=db.internal user=app password=*** dbname=mms")
        #expect(config.sources[1].target == .sqlite(path: Self.fixtures.appendingPathComponent("data/mms.db").path))
        #expect(config.sources[2].target == .files(paths: ["/srv/uploads", "/srv/attachments"]))
        let oss = try #require(config.oss)
        #expect(oss.bucket == "mms-backups")
        #expect(oss.accessKeyID == "LTAI-env")
        #expect(oss.accessKeySecret?.value == "dotenv secret # not a comment")
        #expect("\(oss.accessKeySecret!)" == "***")
        #expect(config.retention == RetentionConfig(keepDays: 30, keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 12))
        #expect(config.notify?.webhook.value == "https://oapi.dingtalk.com/robot/send?access_token=abc123")
        #expect(config.notify?.kind == "dingtalk")
        let deploy = try #require(config.deploy)
        #expect(deploy.workingDir == "/opt/emaintenance")
        #expect(deploy.backupPoint == ["db"])
        #expect(deploy.restoreDataOnRollback == .always)
        #expect(deploy.requiredEnv == ["VERSION_REGISTRY"])
        #expect(deploy.stages == [StageConfig(name: "migrate", run: "./migrate.sh --to \"${VERSION}\"", timeout: .seconds(90),
                                              health: HealthCheck(probe: .command("test -f /tmp/ready-${VERSION}"), retries: 0))])
        #expect(config.dotEnv["PG_PASSWORD"] == "from-dotenv")
        #expect(Redacted.text("x from-dotenv y dotenv secret # not a comment") == "x *** y ***")
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var label: String
        var yaml: String
        var env: [String: String] = [:]
        var expected: String
        var testDescription: String { label }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(label: "unknown key in a source", yaml: """
            backup_dir: /b
            sources:
              - name: db
                postgres: postgresql://h/db
              - name: mms
                sqlitee: /data/mms.db
            """, expected: "vaultops.yml:6: unknown key 'sources[1].sqlitee' (did you mean 'sqlite'?)"),
        ErrorCase(label: "unknown top-level key", yaml: """
            backup_dir: /b
            retension:
              keep_days: 3
            """, expected: "vaultops.yml:2: unknown key 'retension' (did you mean 'retention'?)"),
        ErrorCase(label: "unknown key in a flow health mapping", yaml: """
            deploy:
              state_dir: /s
              stages:
                - name: a
                  run: up
                  health: { tcp: "h:1", timout: 3s }
            """, expected: "vaultops.yml:6: unknown key 'deploy.stages[0].health.timout' (did you mean 'timeout'?)"),
        ErrorCase(label: "unset variable", yaml: """
            backup_dir: /b
            sources:
              - name: db
                postgres: ${DATABASE_URL}
            """, expected: "vaultops.yml:4: variable 'DATABASE_URL' used by 'sources[0].postgres' is not set (set it in the environment or in .env, or write ${DATABASE_URL:-default})"),
        ErrorCase(label: "required variable with message", yaml: """
            oss:
              bucket: ${BUCKET:?set BUCKET to the OSS bucket}
            """, expected: "vaultops.yml:2: variable 'BUCKET' used by 'oss.bucket': set BUCKET to the OSS bucket"),
        ErrorCase(label: "unclosed reference", yaml: """
            backup_dir: /b/${HOME
            """, expected: "vaultops.yml:1: 'backup_dir': '${' without a closing '}' (write $$ for a literal $)"),
        ErrorCase(label: "duplicate source", yaml: """
            backup_dir: /b
            sources:
              - sqlite: /data/mms.db
              - name: other
                sqlite: /x/other.db
              - name: mms
                files: /srv/mms
            """, expected: "vaultops.yml:6: duplicate source name 'mms' in 'sources[2]' (first used on line 3); give each source its own name"),
        ErrorCase(label: "bad duration", yaml: """
            deploy:
              state_dir: /s
              stages:
                - name: a
                  run: up
                  health:
                    http: http://127.0.0.1/health
                    interval: 5 minutes
            """, expected: "vaultops.yml:8: 'deploy.stages[0].health.interval' should be a duration like 10s, 5m or 1h, not '5 minutes'"),
        ErrorCase(label: "source with two kinds", yaml: """
            backup_dir: /b
            sources:
              - name: x
                sqlite: /a.db
                files: [/a]
            """, expected: "vaultops.yml:3: source 'sources[0]' needs exactly one of 'postgres', 'postgres_all', 'sqlite' or 'files', but has 'sqlite' and 'files'"),
        ErrorCase(label: "source with no kind", yaml: """
            backup_dir: /b
            sources:
              - name: x
            """, expected: "vaultops.yml:3: source 'sources[0]' needs exactly one of 'postgres', 'postgres_all', 'sqlite' or 'files', but has none"),
        ErrorCase(label: "missing required key", yaml: """
            oss:
              prefix: nightly/
              region: cn-hangzhou
            """, expected: "vaultops.yml:2: missing required key 'oss.bucket'"),
        ErrorCase(label: "required key without value", yaml: """
            oss:
              bucket:
            """, expected: "vaultops.yml:2: 'oss.bucket' has no value"),
        ErrorCase(label: "missing backup_dir", yaml: """
            sources:
              - sqlite: /a.db
            """, expected: "vaultops.yml:1: missing required key 'backup_dir' (where the sources' backups are written)"),
        ErrorCase(label: "bad source name", yaml: """
            backup_dir: /b
            sources:
              - name: my db
                sqlite: /a.db
            """, expected: "vaultops.yml:3: 'sources[0].name': invalid backup name 'my db': it contains 'U+20'; use only letters, digits, '.', '_' and '-'"),
        ErrorCase(label: "negative keep", yaml: """
            retention:
              keep_days: -1
            """, expected: "vaultops.yml:2: 'retention.keep_days' should be at least 0, not -1"),
        ErrorCase(label: "keep as text", yaml: """
            retention:
              keep_last: many
            """, expected: "vaultops.yml:2: 'retention.keep_last' should be a whole number, not 'many'"),
        ErrorCase(label: "empty retention", yaml: """
            retention: {}
            """, expected: "vaultops.yml:1: 'retention' sets no rule; set at least one of keep_days, keep_last, keep_daily, keep_weekly, keep_monthly"),
        ErrorCase(label: "unknown time zone", yaml: """
            timezone: Mars/Olympus
            """, expected: "vaultops.yml:1: 'timezone' is not a known time zone: 'Mars/Olympus' (use a name like Asia/Shanghai or UTC)"),
        ErrorCase(label: "sources not a list", yaml: """
            backup_dir: /b
            sources:
              db: x
            """, expected: "vaultops.yml:3: 'sources' should be a list"),
        ErrorCase(label: "backup point names unknown source", yaml: """
            backup_dir: /b
            sources:
              - sqlite: /data/mms.db
            deploy:
              state_dir: /s
              backup_point:
                - mms
                - db
            """, expected: "vaultops.yml:8: 'deploy.backup_point[1]' names source 'db', which is not in 'sources' (mms)"),
        ErrorCase(label: "bad tcp target", yaml: """
            deploy:
              state_dir: /s
              stages:
                - name: a
                  run: up
                  health: { tcp: "localhost" }
            """, expected: "vaultops.yml:6: 'deploy.stages[0].health.tcp' should be HOST:PORT, not 'localhost'"),
        ErrorCase(label: "duplicate YAML key", yaml: """
            backup_dir: /a
            backup_dir: /b
            """, expected: "vaultops.yml:1: duplicate key 'backup_dir' in a mapping"),
        ErrorCase(label: "invalid YAML", yaml: """
            backup_dir: /a
            sources: [
            """, expected: "vaultops.yml:3: invalid YAML: did not find expected node content (while parsing a flow node at line 3)"),
        ErrorCase(label: "empty file", yaml: "", expected: "vaultops.yml:1: the config file is empty"),
        ErrorCase(label: "top level is a list", yaml: "- a\n- b\n", expected: "vaultops.yml:1: '' should be a mapping of keys (backup_dir, timezone, sources, oss, retention, notify, metrics, deploy, encryption)"),
        ErrorCase(label: "secret stays hidden in errors", yaml: """
            backup_dir: /b
            sources:
              - postgres: postgresql://u:TopSecret1@h/db
                level: 11
            """, expected: "vaultops.yml:4: 'sources[0].level' should be between 0 and 9, not 11"),
    ]

    static let deployErrorCases: [ErrorCase] = [
        ErrorCase(label: "expect on a tcp gate", yaml: """
            deploy:
              state_dir: /s
              stages:
                - name: a
                  run: up
                  health:
                    tcp: 127.0.0.1:5432
                    expect: ok
            """, expected: "vaultops.yml:8: 'deploy.stages[0].health.expect' only applies to an 'http' gate (a 'tcp' gate has no body to check)"),
        ErrorCase(label: "empty hook", yaml: """
            deploy:
              state_dir: /s
              pre_deploy: "  "
            """, expected: "vaultops.yml:3: 'deploy.pre_deploy' is empty"),
        ErrorCase(label: "bad lock_wait", yaml: """
            deploy:
              state_dir: /s
              lock_wait: forever
            """, expected: "vaultops.yml:3: 'deploy.lock_wait' should be a duration like 10s, 5m or 1h, not 'forever'"),
        ErrorCase(label: "misspelt hook", yaml: """
            deploy:
              state_dir: /s
              post_deply: notify
            """, expected: "vaultops.yml:3: unknown key 'deploy.post_deply' (did you mean 'post_deploy'?)"),
        ErrorCase(label: "logs not a command", yaml: """
            deploy:
              state_dir: /s
              stages:
                - name: a
                  run: up
                  logs: [a, b]
            """, expected: "vaultops.yml:6: 'deploy.stages[0].logs' should be a single value, not a list"),
        ErrorCase(label: "empty expect", yaml: """
            deploy:
              state_dir: /s
              stages:
                - name: a
                  run: up
                  health: { http: "http://127.0.0.1:8080/health", expect: "" }
            """, expected: "vaultops.yml:6: 'deploy.stages[0].health.expect' is empty"),
    ]

    @Test(arguments: deployErrorCases)
    func deployErrorsNameKeyAndLine(_ c: ErrorCase) {
        let error = #expect(throws: ConfigError.self) { try Self.parse(c.yaml, env: c.env) }
        #expect(error?.description == c.expected)
    }

    @Test func deployHooksStopLockWaitLogsAndExpect() throws {
        let config = try Self.parse("""
            deploy:
              state_dir: /var/lib/vaultops
              pre_deploy: docker compose pull
              post_deploy: ./notify.sh "deployed ${VERSION}"
              on_failure: ./notify.sh "failed ${VERSION} at $FAILED_STAGE"
              stop: docker compose stop api worker
              lock_wait: 10m
              stages:
                - name: api
                  run: docker compose up -d api
                  logs: docker compose logs --tail 50 api
                  health:
                    http: http://127.0.0.1:3001/health
                    expect: '"status":"ok"'
                    start_period: 200ms
            """)
        let deploy = try #require(config.deploy)
        #expect(deploy.preDeploy == "docker compose pull")
        // Hooks belong to the shell like stage commands: ${VERSION} is filled in at deploy time.
        #expect(deploy.postDeploy == "./notify.sh \"deployed ${VERSION}\"")
        #expect(deploy.onFailure == "./notify.sh \"failed ${VERSION} at $FAILED_STAGE\"")
        #expect(deploy.stop == "docker compose stop api worker")
        #expect(deploy.lockWait == .seconds(600))
        #expect(deploy.stages == [StageConfig(name: "api", run: "docker compose up -d api",
                                              health: HealthCheck(probe: .http(url: "http://127.0.0.1:3001/health"),
                                                                  startPeriod: .milliseconds(200), expect: "\"status\":\"ok\""),
                                              logs: "docker compose logs --tail 50 api")])
        let defaults = try #require(try Self.parse("deploy:\n  state_dir: /s\n").deploy)
        #expect(defaults.lockWait == nil)
        #expect(defaults.preDeploy == nil && defaults.postDeploy == nil && defaults.onFailure == nil && defaults.stop == nil)
    }

    @Test(arguments: errorCases)
    func errorsNameKeyAndLine(_ c: ErrorCase) {
        let error = #expect(throws: ConfigError.self) { try Self.parse(c.yaml, env: c.env) }
        #expect(error?.description == c.expected)
        #expect(error.map { VaultopsExitCode.for($0) } == .usage)
    }

    @Test func unknownKeyErrorCarriesPathAndLine() throws {
        let error = #expect(throws: ConfigError.self) {
            try Self.parse("backup_dir: /b\nsources:\n  - name: a\n    sqlite: /a.db\n  - name: b\n    sqlitee: /b.db\n")
        }
        #expect(error?.line == 6)
        #expect(error?.keyPath == "sources[1].sqlitee")
        #expect(error?.file == "vaultops.yml")
    }

    @Test func defaultsDollarEscapesAndDotEnv() throws {
        let yaml = """
            backup_dir: ${BACKUP_ROOT:-/var/backups}/vaultops
            oss:
              bucket: ${BUCKET}
              prefix: cost$$5/${EMPTY:-fallback}/${EMPTY-kept}/$plain
              region: ${REGION:-${DEFAULT_REGION:-cn-shanghai}}
            """
        let config = try Self.parse(yaml, env: ["BUCKET": "from-env", "EMPTY": ""],
                                    dotEnv: ["BUCKET": "from-dotenv", "DEFAULT_REGION": "cn-beijing"])
        #expect(config.backupDir == "/var/backups/vaultops")
        #expect(config.oss?.bucket == "from-env")
        #expect(config.oss?.prefix == "cost$5/fallback//$plain")
        #expect(config.oss?.region == "cn-beijing")
        let fromDotEnv = try Self.parse("oss:\n  bucket: ${BUCKET}\n", dotEnv: ["BUCKET": "from-dotenv"])
        #expect(fromDotEnv.oss?.bucket == "from-dotenv")
    }

    @Test func defaultSourceNamesAndRelativePaths() throws {
        let config = try Self.parse("""
            backup_dir: backups
            sources:
              - postgres: postgresql://h/app
              - sqlite: ../data/mms.db
              - files: ~/uploads
            """)
        #expect(config.backupDir == "/etc/vaultops/backups")
        #expect(config.sources.map(\.name) == ["db", "mms", "uploads"])
        #expect(config.sources[1].target == .sqlite(path: "/etc/data/mms.db"))
        #expect(config.sources[2].target == .files(paths: [FileManager.default.homeDirectoryForCurrentUser.path + "/uploads"]))
        #expect(config.source(named: "mms")?.kind == .sqlite)
        #expect(config.lockPath == "/etc/vaultops/backups/.vaultops.lock")
    }

    @Test func missingFileIsAUsageError() {
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.load(from: URL(fileURLWithPath: "/nonexistent/\(UUID().uuidString)/vaultops.yml"))
        }
        #expect(error?.description.contains("the config file does not exist") == true)
        #expect(error.map { VaultopsExitCode.for($0) } == .usage)
    }

    @Test(arguments: [
        (Data("backup_dir: /b\nsources:\n  - sqlite: /d/caf".utf8) + Data([0xE9]) + Data(".db\n".utf8), "vaultops.yml", 3),
        (Data("A=1\nB=".utf8) + Data([0xC3, 0x28]) + Data("\n".utf8), ".env", 2),
        (Data("# ok: 轴承\n\nbackup_dir: /b\n".utf8) + Data([0xED, 0xA0, 0x80]), "vaultops.yml", 4),
    ])
    func invalidUTF8NamesTheLine(bytes: Data, file: String, line: Int) throws {
        let dir = try TempDir("config-utf8")
        try Data("backup_dir: /b\nsources:\n  - sqlite: /d/x.db\n".utf8).write(to: dir.file("vaultops.yml"))
        try bytes.write(to: dir.file(file))
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(from: dir.file("vaultops.yml"), environment: [:]) }
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.description.contains("not valid UTF-8") == true)
        #expect(error?.description.contains(file) == true)
    }

    @Test func sourceTimeoutParsesAndDefaultsToSixHours() throws {
        let config = try ConfigLoader.parse(yaml: """
            backup_dir: /b
            sources:
              - name: a
                sqlite: /a.db
                timeout: 90m
              - name: b
                sqlite: /b.db
            """, file: "v.yml", baseDirectory: URL(fileURLWithPath: "/"))
        #expect(config.sources[0].effectiveTimeout == .seconds(5400))
        #expect(config.sources[1].effectiveTimeout == .seconds(6 * 3600))
        #expect(config.lockAlarmAfter == .seconds(6 * 3600))
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: "backup_dir: /b\nsources:\n  - sqlite: /a.db\n    timeout: 0s\n", file: "v.yml",
                                   baseDirectory: URL(fileURLWithPath: "/"))
        }
        #expect(error?.line == 4)
    }

    @Test func configURLPrefersExplicitThenEnvironment() {
        #expect(ConfigLoader.configURL(explicit: "/x.yml", environment: ["VAULTOPS_CONFIG": "/y.yml"]).path == "/x.yml")
        #expect(ConfigLoader.configURL(explicit: nil, environment: ["VAULTOPS_CONFIG": "/y.yml"]).path == "/y.yml")
        #expect(ConfigLoader.configURL(explicit: nil, environment: [:], currentDirectory: "/nonexistent").path
                == ConfigLoader.defaultPath)
        #expect(ConfigLoader.configURL(explicit: nil, environment: [:], currentDirectory: Self.fixtures.path).path
                == Self.fixtures.appendingPathComponent("vaultops.yml").path)
    }

    // MARK: Pure parts

    @Test(arguments: [
        ("plain", "plain"),
        ("${A}", "1"),
        ("x${A}y${B}z", "x1y2z"),
        ("$$", "$"),
        ("$${A}", "${A}"),
        ("$$$${A}", "$${A}"),
        ("$$${A}", "$1"),
        ("a$", "a$"),
        ("$A", "$A"),
        ("${UNSET:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${UNSET-d}", "d"),
        ("${UNSET:-}", ""),
        ("${UNSET:-${A}-${B}}", "1-2"),
        ("${UNSET:-a:b}", "a:b"),
        ("${A:?need A}", "1"),
    ])
    func substitutes(input: String, expected: String) throws {
        let values = ["A": "1", "B": "2", "EMPTY": ""]
        #expect(try ConfigLoader.substitute(input, lookup: { values[$0] }) == expected)
    }

    @Test(arguments: [
        ("${MISSING}", ConfigLoader.SubstitutionError.unset("MISSING")),
        ("${EMPTY:?}", .required("EMPTY", message: "is required")),
        ("${X", .syntax("'${' without a closing '}'")),
        ("${1X}", .syntax("'${1X}' is not a variable reference")),
        ("${}", .syntax("'${}' is not a variable reference")),
        ("${A+b}", .syntax("'${A+b}' is not a variable reference")),
    ])
    func substitutionErrors(input: String, expected: ConfigLoader.SubstitutionError) {
        let values = ["A": "1", "EMPTY": ""]
        #expect(throws: expected) { try ConfigLoader.substitute(input, lookup: { values[$0] }) }
    }

    @Test func parsesDotEnv() throws {
        let text = """
            # comment
            A=1
            export B = two words
            C="quoted # kept\\n\\"x\\""
            D='single $x'
            E=unquoted # comment
            F=
            G=a=b\r

            """
        let values = try ConfigLoader.parseDotEnv(text, file: ".env")
        #expect(values == ["A": "1", "B": "two words", "C": "quoted # kept\n\"x\"", "D": "single $x", "E": "unquoted",
                           "F": "", "G": "a=b"])
    }

    @Test(arguments: [
        ("A=1\nnot a pair\n", ".env:2: expected KEY=VALUE"),
        ("1A=x\n", ".env:1: '1A' is not a valid variable name"),
        ("A=\"open\n", ".env:1: the value of A has no closing \""),
        ("A='x' y\n", ".env:1: unexpected text after the quoted value of A"),
        ("A=1\nB=2\n\nexport A=3\n", ".env:4: A is set twice, on line 1 and line 4; keep one"),
    ])
    func dotEnvErrors(text: String, expected: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parseDotEnv(text, file: ".env") }
        #expect(error?.description == expected)
    }

    @Test(arguments: [
        ("10s", Duration.seconds(10)), ("5m", .seconds(300)), ("1h", .seconds(3600)), ("1m30s", .seconds(90)),
        ("500ms", .milliseconds(500)), ("2d", .seconds(172_800)), ("45", .seconds(45)), ("0s", .zero),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationParser.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "10", "5 minutes", "1.5s", "-3s", "10x", "1h-5m", "m5"].filter { $0 != "10" })
    func rejectsBadDurations(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }
}
