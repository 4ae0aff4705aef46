import Foundation
import Testing
@testable import VaultopsCore

@Suite("Config: replicate")
struct ReplicateConfigTests {
    static func parse(_ source: String) throws(ConfigError) -> Config {
        try ConfigLoader.parse(yaml: "backup_dir: /b\nsources:\n" + source, file: "v.yml", baseDirectory: URL(fileURLWithPath: "/"))
    }

    @Test func flagsAndSettingsParse() throws {
        let config = try Self.parse("""
              - name: mms
                sqlite: /a.db
                replicate: true
              - name: shop
                sqlite: /b.db
                replicate: { interval: 2s, snapshot_every: 12h, keep: 3d }
              - name: off
                sqlite: /c.db
                replicate: false
              - name: plain
                sqlite: /d.db
            """)
        #expect(config.sources[0].replicate == ReplicateConfig())
        #expect(config.sources[0].replicate?.interval == .seconds(1))
        #expect(config.sources[1].replicate == ReplicateConfig(interval: .seconds(2), snapshotEvery: .seconds(12 * 3600),
                                                                keep: .seconds(3 * 86_400)))
        #expect(config.sources[2].replicate == nil)
        #expect(config.sources[3].replicate == nil)
        #expect(config.sources[0].replicate?.alertLag == .seconds(60))
    }

    @Test func alertLagParsesAndTheStateFolderIsTheBackupFolder() throws {
        let config = try Self.parse("  - name: mms\n    sqlite: /a.db\n    replicate: { alert_lag: 5m }\n")
        #expect(config.sources[0].replicate?.alertLag == .seconds(300))
        #expect(config.replicationStateDir == "/b")
    }

    @Test("refused: other kinds of source, unknown keys, zero or bad durations", arguments: [
        ("  - postgres: postgres://app@db/app\n    replicate: true\n", "applies to 'sqlite' sources only"),
        ("  - files: [/srv]\n    replicate: true\n", "applies to 'sqlite' sources only"),
        ("  - sqlite: /a.db\n    replicate: { every: 1s }\n", "unknown key 'sources[0].replicate.every'"),
        ("  - sqlite: /a.db\n    replicate: { interval: 0s }\n", "must be longer than zero"),
        ("  - sqlite: /a.db\n    replicate: { alert_lag: 0s }\n", "must be longer than zero"),
        ("  - sqlite: /a.db\n    replicate: { keep: soon }\n", "should be a duration"),
        ("  - sqlite: /a.db\n    replicate: maybe\n", "should be true or false"),
        ("  - sqlite: /a.db\n    replicate: { interval: 10s, snapshot_every: 1s }\n", "must not be shorter than the interval"),
    ])
    func refused(source: String, message: String) {
        let error = #expect(throws: ConfigError.self) { try Self.parse(source) }
        #expect(error.map { "\($0)" }?.contains(message) == true, "\(String(describing: error))")
        #expect(error.map { "\($0)" }?.contains("sources[0].replicate") == true)
    }
}
