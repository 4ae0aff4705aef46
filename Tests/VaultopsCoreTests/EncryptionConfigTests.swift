import Foundation
import Testing
@testable import VaultopsCore

/// `encryption:` globally and per source, encrypted artifact names, and the manifest's `encryption` record.
@Suite("Encryption: config, names, manifest")
struct EncryptionConfigTests {
    static let alice = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    static let bob = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"

    @Test func globalAndPerSourceRecipients() throws {
        let config = try ConfigTests.parse("""
            backup_dir: /b
            encryption:
              recipients: [\(Self.alice)]
            sources:
              - name: db
                postgres: postgresql://localhost/app
              - name: up
                files: /u
                encryption:
                  recipients_file: keys/recipients.txt
            """)
        #expect(config.encryption == EncryptionConfig(recipients: [Self.alice]))
        #expect(config.encryption(for: config.sources[0]) == EncryptionConfig(recipients: [Self.alice]))
        let own = try #require(config.encryption(for: config.sources[1]))
        #expect(own.recipients.isEmpty)
        // Relative to the config file's folder, like every path.
        #expect(own.recipientsFile?.hasSuffix("/keys/recipients.txt") == true)
    }

    @Test func noEncryptionWritesPlainArtifacts() throws {
        let config = try ConfigTests.parse("backup_dir: /b\nsources:\n  - name: db\n    postgres: postgresql://localhost/app\n")
        #expect(config.encryption(for: config.sources[0]) == nil)
    }

    @Test("bad settings are configuration errors with their line", arguments: [
        ("encryption: {}\n", "names no one to encrypt to"),
        ("encryption:\n  recipients: [\(alice)]\n  passphrase_file: /p\n", "passphrase_file cannot be combined with recipients"),
        ("encryption:\n  recipients: [AGE-SECRET-KEY-1QQQQ]\n", "is given as a recipient"),
        ("encryption:\n  recipients: [age1short]\n", "is not an age X25519 recipient"),
        ("encryption:\n  recipient: [\(alice)]\n", "recipient"),
        ("encryption:\n  recipients: []\n", "is an empty list"),
    ])
    func badSettings(yaml: String, message: String) {
        #expect {
            _ = try ConfigTests.parse("backup_dir: /b\n" + yaml)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.description.contains(message) && error.line != nil && error.failureKind == .usage
        }
    }

    /// An identity pasted where a recipient belongs: refused without echoing the secret key (74 characters, which a
    /// longer excerpt would print whole into the terminal, the log and `run --dry-run`'s report).
    @Test func secretKeyInRecipientsIsNeverEchoed() {
        let secret = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
        #expect {
            _ = try ConfigTests.parse("backup_dir: /b\nencryption:\n  recipients: [\(secret)]\n")
        } throws: { error in
            let text = "\(error)"
            return text.contains("age identity") && !text.contains("GFPYYSJZ")
        }
        #expect(EncryptionConfig.shown(secret) == "(an age identity, a secret key: not shown)")
        #expect(EncryptionConfig.shown("age-secret-key-1abc") == "(an age identity, a secret key: not shown)")
        #expect(EncryptionConfig.shown("age1short") == "'age1short'")
    }

    @Test func encryptionOnAMirrorOnlySourceIsRefused() {
        #expect(throws: ConfigError.self) {
            _ = try ConfigTests.parse("""
                backup_dir: /b
                sources:
                  - name: up
                    files: /u
                    mirror: oss://bucket/up/
                    archive: false
                    encryption: { recipients: [\(Self.alice)] }
                """)
        }
    }

    @Test func encryptedNamesParseAndPrint() throws {
        let stamp = ArtifactStamp(year: 2025, month: 1, day: 1)
        #expect(ArtifactName.fileName(source: "db", kind: .postgres, stamp: stamp, encrypted: true) == "db_20250101.sql.gz.age")
        for name in ["db_20250101.sql.gz.age", "mms_20250101_020000-2.db.gz.age", "up_20250101.tar.gz.age"] {
            let parsed = try #require(ArtifactName.parse(name))
            #expect(parsed.encrypted)
            #expect(parsed.fileName == name)
            let manifest = try #require(ArtifactName.parse(name + ".manifest.json"))
            #expect(manifest.isManifest && manifest.encrypted && manifest.artifactFileName == name)
            #expect(ArtifactName.parse(name + ".partial")?.isPartial == true)
        }
        #expect(ArtifactName.parse("db_20250101.sql.gz")?.encrypted == false)
        #expect(ArtifactName.parse("db_20250101.age") == nil)
    }

    @Test func aPlainAndAnEncryptedBackupNeverShareAStamp() throws {
        let date = Date(timeIntervalSince1970: 1_735_696_800)  // 2025-01-01T02:00:00Z
        let utc = TimeZone(identifier: "UTC")!
        let afterPlain = try ArtifactName.chooseName(source: "db", kind: .postgres, at: date, timeZone: utc, encrypted: true) {
            $0 == "db_20250101.sql.gz"
        }
        #expect(afterPlain == "db_20250101_020000.sql.gz.age")
        let afterEncrypted = try ArtifactName.chooseName(source: "db", kind: .postgres, at: date, timeZone: utc) {
            $0 == "db_20250101.sql.gz.age.manifest.json"
        }
        #expect(afterEncrypted == "db_20250101_020000.sql.gz")
    }

    @Test func manifestRecordsRecipientsAndReadsBack() throws {
        var manifest = ManifestTests.sample()
        manifest.artifact = "db_20250101.sql.gz.age"
        manifest.encryption = ManifestEncryption(recipients: [Self.alice, Self.bob])
        let text = String(decoding: try manifest.encoded(), as: UTF8.self)
        #expect(text.contains("\"format\" : \"age-encryption.org/v1\""))
        #expect(text.contains(Self.bob))
        #expect(try Manifest.decode(manifest.encoded(), file: "m") == manifest)
        // Older manifests have no such field and read as plain.
        #expect(try Manifest.decode(ManifestTests.sample().encoded(), file: "m").encryption == nil)
    }
}
