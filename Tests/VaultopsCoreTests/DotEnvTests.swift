import Foundation
import Testing
import TestSupport
@testable import VaultopsCore

/// `.env` beside the config, read by docker compose's rules (quotes, `export`, interpolation).
@Suite("DotEnv")
struct DotEnvTests {
    /// Loads a config whose folder holds `dotEnv`, and returns the `.env` values vaultops took from it.
    static func load(_ dotEnv: String, environment: [String: String] = [:], yaml: String = "backup_dir: backups\n")
        throws -> Config {
        let dir = try TempDir("dotenv")
        try Data(dotEnv.utf8).write(to: dir.file(".env"))
        try Data(yaml.utf8).write(to: dir.file("vaultops.yml"))
        return try ConfigLoader.load(from: dir.file("vaultops.yml"), environment: environment)
    }

    @Test("interpolation, quotes, escapes and comments as docker compose reads them", arguments: [
        // (the .env, the process environment, the key, its expected value)
        ("PW=s3cret\nURL=postgresql://app:${PW}@db/app\n", [:], "URL", "postgresql://app:s3cret@db/app"),
        ("PW=s3cret\nURL=postgresql://app:$PW@db/app\n", [:], "URL", "postgresql://app:s3cret@db/app"),
        ("PW=s3cret\nURL=\"a:${PW}@b\"\n", [:], "URL", "a:s3cret@b"),
        ("PW=s3cret\nURL='a:${PW}@b'\n", [:], "URL", "a:${PW}@b"),
        ("URL=a:${PW}@b\n", ["PW": "from-env"], "URL", "a:from-env@b"),
        ("PW=dotenv\nURL=${PW}\n", ["PW": "env-wins"], "URL", "env-wins"),
        ("URL=${PW:-fallback}\n", [:], "URL", "fallback"),
        ("PW=\nURL=${PW:-fallback}\n", [:], "URL", "fallback"),
        ("PW=\nURL=${PW-fallback}\n", [:], "URL", ""),
        ("URL=${PW-fallback}\n", [:], "URL", "fallback"),
        ("PW=x\nURL=${PW:?need PW}\n", [:], "URL", "x"),
        ("PRICE=$$5\n", [:], "PRICE", "$5"),
        ("PRICE=\"\\$5\"\n", [:], "PRICE", "$5"),
        ("A=\"line1\\nline2\\t\\\"q\\\" \\\\\"\n", [:], "A", "line1\nline2\t\"q\" \\"),
        ("A='no \\n escape'\n", [:], "A", "no \\n escape"),
        ("A=\"first\nsecond\"\n", [:], "A", "first\nsecond"),
        ("A=value # comment\n", [:], "A", "value"),
        ("A=value#not-a-comment\n", [:], "A", "value#not-a-comment"),
        ("A=\"v # kept\" # comment\n", [:], "A", "v # kept"),
        ("export A=exported\n", [:], "A", "exported"),
        ("A=1\nB=${A}${A}\nC=${B}-$A\n", [:], "C", "11-1"),
        ("A=trailing   \n", [:], "A", "trailing"),
        ("A=$\n", [:], "A", "$"),
        ("A=${B:-${C:-deep}}\n", [:], "A", "deep"),
    ])
    func interpolates(dotEnv: String, environment: [String: String], key: String, expected: String) throws {
        let config = try Self.load(dotEnv, environment: environment)
        #expect(config.dotEnv[key] == expected)
    }

    @Test("interpolation problems name the .env file, the line and the variable", arguments: [
        ("A=1\nURL=${MISSING}\n", ".env:2: variable 'MISSING' used by URL is not set"),
        ("URL=${PW:?set the database password}\n", ".env:1: variable 'PW' used by URL: set the database password"),
        ("URL=\"${PW\"\n", ".env:1: URL: '${' without a closing '}'"),
    ])
    func interpolationErrors(dotEnv: String, expected: String) throws {
        let error = #expect(throws: ConfigError.self) { try Self.load(dotEnv) }
        #expect(error.map { String(describing: $0).contains(expected) } == true, "\(String(describing: error))")
    }

    @Test("an interpolated .env value reaches ${…} in the YAML")
    func reachesYAML() throws {
        let config = try Self.load("PW=dotenv-p4ss-91b3\nDATABASE_URL=postgresql://app:${PW}@127.0.0.1/app\n", yaml: """
            backup_dir: backups
            sources:
              - name: app
                postgres: ${DATABASE_URL}
            """)
        #expect(config.sources.first?.target == .postgres(connection: "postgresql://app:dotenv-p4ss-91b3@127.0.0.1/app"))
    }

    @Test("${VAR} works unquoted inside a YAML flow list")
    func flowListVariable() throws {
        let config = try ConfigLoader.parse(yaml: """
            backup_dir: backups
            sources:
              - name: uploads
                files: [${UPLOADS}, ${OTHER:-/srv/other}]
            """, file: "vaultops.yml", baseDirectory: URL(fileURLWithPath: "/etc/vaultops"), environment: ["UPLOADS": "/srv/uploads"])
        #expect(config.sources.first?.target == .files(paths: ["/srv/uploads", "/srv/other"]))
    }

    @Test("OSS settings: the config first, then the environment, then the .env beside the config")
    func ossPrecedence() throws {
        let config = try Self.load("OSS_ACCESS_KEY_ID=dotenv-id\nOSS_ACCESS_KEY_SECRET=dotenv-secret\nOSS_REGION=cn-beijing\n"
                                   + "OSS_ENDPOINT=oss-cn-beijing.aliyuncs.com\nOTHER=x\n",
                                   environment: ["OSS_ACCESS_KEY_SECRET": "env-secret", "OSS_REGION": "cn-shanghai"],
                                   yaml: "backup_dir: backups\noss:\n  bucket: b-1\n  region: cn-hangzhou\n")
        let vars = config.ossVariables(environment: ["OSS_ACCESS_KEY_SECRET": "env-secret", "OSS_REGION": "cn-shanghai"])
        #expect(vars == ["OSS_ACCESS_KEY_ID": "dotenv-id", "OSS_ACCESS_KEY_SECRET": "env-secret", "OSS_REGION": "cn-hangzhou",
                         "OSS_ENDPOINT": "oss-cn-beijing.aliyuncs.com"])
    }
}
