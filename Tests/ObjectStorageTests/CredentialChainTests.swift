import Foundation
@testable import ObjectStorage
import Storage
import Testing
import TestSupport
import VaultopsCore

/// The credential chain (config → `OSS_*` → ECS RAM role → `~/.ossutilconfig`) against the emulator and a mock
/// ECS metadata service issuing rotating STS credentials.
@Suite("OSS credential chain: config, environment, ECS RAM role, ossutil config")
struct CredentialChainTests {
    /// The emulator's endpoint and region, and nothing else: credentials come from the source under test.
    static func place() throws -> [String: String] {
        ["OSS_ENDPOINT": try OSSEmulator.endpoint, "OSS_REGION": try OSSEmulator.env("VAULTOPS_TEST_OSS_REGION")]
    }

    /// Puts, reads back and lists an object through a backend from `settings`: the credentials really work.
    static func roundTrip(_ settings: OSSSettings, label: String) throws {
        var settings = settings
        settings.partSize = nil
        let bucket = try OSSEmulator.freshBucket(label)
        let backend = try settings.backend(bucket: bucket, prefix: "p")
        _ = try backend.save("a.txt", data: Data("hello \(label)".utf8), options: SaveOptions())
        #expect(try backend.load("a.txt", range: nil) == Data("hello \(label)".utf8))
        #expect(try backend.list(prefix: "", recursive: true).map(\.name) == ["a.txt"])
    }

    static func config(_ yaml: String) throws -> Config {
        try ConfigLoader.parse(yaml: yaml, file: "/etc/vaultops/vaultops.yml", baseDirectory: URL(fileURLWithPath: "/etc/vaultops"))
    }

    // MARK: - ~/.ossutilconfig

    @Test("ossutil 1.x's [Credentials] file, as its help shows it (indented, language, stsToken)")
    func ossutil1Format() {
        let text = """
            [Credentials]
                    language=EN
                    endpoint=oss-cn-shanghai.aliyuncs.com
                    accessKeyID=LTAI5tExampleId
                    accessKeySecret=ExampleSecret123
                    stsToken=CAISexample+/=
            [Bucket-Endpoint]
                    bucket1 = oss-cn-beijing.aliyuncs.com
            """
        #expect(OssutilConfig.parse(text) == OssutilConfig(accessKeyId: "LTAI5tExampleId", accessKeySecret: "ExampleSecret123",
                                                           securityToken: "CAISexample+/=", endpoint: "oss-cn-shanghai.aliyuncs.com"))
    }

    @Test("ossutil 2.0's [default] profile: keys in any case, with - or _ between words; comments skipped")
    func ossutil2Format() {
        let text = """
            # written by ossutil config
            [default]
            access-key-id = LTAI5tOther
            Access_Key_Secret = OtherSecret
            region=cn-beijing
            ; a comment
            [profile dev]
            accessKeyId = not-this-one
            """
        #expect(OssutilConfig.parse(text) == OssutilConfig(accessKeyId: "LTAI5tOther", accessKeySecret: "OtherSecret", region: "cn-beijing"))
        #expect(OssutilConfig.parse("[Credentials]\nendpoint=x\n").credentials == nil)
    }

    @Test("ossutil's aliases (host, access_id, accesskey, sts_token, any case) and its ECS role settings")
    func ossutilAliasesAndRoles() {
        #expect(OssutilConfig.parse("[credentials]\nHost = oss-cn-beijing.aliyuncs.com\nACCESS_ID = i\naccesskey = s\nsts_token = t\n")
                == OssutilConfig(accessKeyId: "i", accessKeySecret: "s", securityToken: "t", endpoint: "oss-cn-beijing.aliyuncs.com"))
        let v1Role = OssutilConfig.parse("""
            [Credentials]
            language=CH
            endpoint=oss-cn-hangzhou-internal.aliyuncs.com
            [AkService]
            ecsAk=http://100.100.100.200/latest/meta-data/Ram/security-credentials/backup-role
            """)
        #expect(v1Role.ecsRoleName == "backup-role" && v1Role.credentials == nil)
        #expect(OssutilConfig.parse("[default]\nmode = EcsRamRole\necs-role-name = r2\nregion = cn-hangzhou\n").ecsRoleName == "r2")
        #expect(OssutilConfig.parse("[default]\necsRoleName = r2\n").ecsRoleName == nil, "only with mode EcsRamRole")
    }

    @Test("an ossutil config set up with the ECS role signs with that role's STS credentials")
    func ossutilEcsRole() throws {
        let metadata = try OSSEmulator.startMetadataService(roles: ["ossutil-role": 600], attached: "ossutil-role")
        let home = try TempDir("ossutil-role")
        try """
            [Credentials]
            language=EN
            endpoint=\(try OSSEmulator.endpoint)
            [AkService]
            ecsAk=http://100.100.100.200/latest/meta-data/Ram/security-credentials/ossutil-role
            """.write(to: home.file(".ossutilconfig"), atomically: true, encoding: .utf8)
        let settings = OSSSettings(environment: ["HOME": home.path, "OSS_REGION": try OSSEmulator.env("VAULTOPS_TEST_OSS_REGION"),
                                                 "VAULTOPS_ECS_METADATA_ENDPOINT": metadata])
        #expect(try settings.configuration().credentialsProvider?.source == "the ECS RAM role 'ossutil-role'")
        try Self.roundTrip(settings, label: "ossutilrole")
        // ALIBABA_CLOUD_ECS_METADATA_DISABLED turns the metadata service off for ossutil's role too.
        let off = OSSSettings(environment: ["HOME": home.path, "OSS_REGION": try OSSEmulator.env("VAULTOPS_TEST_OSS_REGION"),
                                            "VAULTOPS_ECS_METADATA_ENDPOINT": metadata, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"])
        let refused = try #require(throws: ObjectStorageError.self) { try off.configuration() }
        #expect(refused.description.contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED") && refused.description.contains(".ossutilconfig"),
                "\(refused)")
    }

    @Test("~/.ossutilconfig alone is enough: its keys and its endpoint reach the emulator")
    func ossutilConfigWorks() throws {
        let home = try TempDir("ossutil-home")
        try """
            [Credentials]
            language=EN
            endpoint=\(try OSSEmulator.endpoint)
            accessKeyID=\(try OSSEmulator.env("VAULTOPS_TEST_OSS_ACCESS_KEY_ID"))
            accessKeySecret=\(try OSSEmulator.env("VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"))
            """.write(to: home.file(".ossutilconfig"), atomically: true, encoding: .utf8)
        let settings = OSSSettings(environment: ["HOME": home.path, "OSS_REGION": try OSSEmulator.env("VAULTOPS_TEST_OSS_REGION")])
        #expect(try settings.configuration().credentialsProvider == nil)
        try Self.roundTrip(settings, label: "ossutil")
    }

    // MARK: - ECS RAM role

    @Test("ram_role: NAME in the config: IMDSv2 token, then the role's credentials with the token header")
    func namedRole() throws {
        let metadata = try OSSEmulator.startMetadataService(roles: ["backup-writer": 600], attached: "backup-writer")
        let config = try Self.config("oss:\n  bucket: b\n  ram_role: backup-writer\n")
        #expect(config.oss?.ramRole == "backup-writer")
        let settings = OSSSettings(config: config, environment: try Self.place().merging(["VAULTOPS_ECS_METADATA_ENDPOINT": metadata]) { $1 })
        try Self.roundTrip(settings, label: "namedrole")
        let log = try OSSEmulator.metadataLog(metadata)
        #expect(log.first?.method == "PUT" && log.first?.path == "/latest/api/token")
        #expect(log.contains { $0.method == "GET" && $0.path == "/latest/meta-data/ram/security-credentials/backup-writer" && $0.token })
        #expect(log.allSatisfy { $0.method == "PUT" || $0.token }, "every GET carries the IMDSv2 token")
        // Cached: one fetch serves every request of the round trip.
        #expect(log.filter { $0.method == "GET" }.count == 1)
    }

    @Test("ram_role: auto reads the attached role's name; ALIBABA_CLOUD_ECS_METADATA names one without a config")
    func autoAndEnvironmentRole() throws {
        let metadata = try OSSEmulator.startMetadataService(roles: ["attached-role": 600], attached: "attached-role")
        let auto = OSSSettings(config: try Self.config("oss:\n  bucket: b\n  ram_role: auto\n"),
                               environment: try Self.place().merging(["VAULTOPS_ECS_METADATA_ENDPOINT": metadata]) { $1 })
        try Self.roundTrip(auto, label: "autorole")
        #expect(try OSSEmulator.metadataLog(metadata).contains { $0.path == "/latest/meta-data/ram/security-credentials/" })
        let other = try OSSEmulator.startMetadataService(roles: ["env-role": 600], attached: nil)
        let fromEnvironment = OSSSettings(environment: try Self.place().merging(
            ["VAULTOPS_ECS_METADATA_ENDPOINT": other, "ALIBABA_CLOUD_ECS_METADATA": "env-role"]) { $1 })
        try Self.roundTrip(fromEnvironment, label: "envrole")
    }

    @Test("a role name the instance does not have: a clear error naming it and the attached role")
    func badRoleName() throws {
        let metadata = try OSSEmulator.startMetadataService(roles: ["real-role": 600], attached: "real-role")
        let settings = OSSSettings(environment: try Self.place().merging(
            ["VAULTOPS_ECS_METADATA_ENDPOINT": metadata, "ALIBABA_CLOUD_ECS_METADATA": "no-such-role"]) { $1 })
        let error = try #require(throws: ObjectStorageError.self) { try Self.roundTrip(settings, label: "badrole") }
        #expect(error.kind == .missingCredentials)
        #expect(error.description.contains("no RAM role named 'no-such-role'"))
        #expect(error.description.contains("the role attached to this instance is 'real-role'"))
    }

    @Test("IMDSv1 is the fallback without a token endpoint, unless ALIBABA_CLOUD_IMDSV1_DISABLED; a v2-only instance works")
    func imdsVersions() throws {
        let v1 = try OSSEmulator.startMetadataService(roles: ["r": 600], attached: "r", mode: "v1-only")
        var environment = try Self.place().merging(["VAULTOPS_ECS_METADATA_ENDPOINT": v1, "ALIBABA_CLOUD_ECS_METADATA": "r"]) { $1 }
        try Self.roundTrip(OSSSettings(environment: environment), label: "imdsv1")
        #expect(try OSSEmulator.metadataLog(v1).contains { $0.method == "GET" && !$0.token })
        environment["ALIBABA_CLOUD_IMDSV1_DISABLED"] = "TRUE"
        let refused = try #require(throws: ObjectStorageError.self) {
            try Self.roundTrip(OSSSettings(environment: environment), label: "imdsv1off")
        }
        #expect(refused.description.contains("ALIBABA_CLOUD_IMDSV1_DISABLED forbids IMDSv1"))
        let v2 = try OSSEmulator.startMetadataService(roles: ["r": 600], attached: "r", mode: "v2-only")
        environment["VAULTOPS_ECS_METADATA_ENDPOINT"] = v2
        try Self.roundTrip(OSSSettings(environment: environment), label: "imdsv2only")
    }

    // MARK: - Order

    /// Which source `settings` picked: the AccessKey ID of a fixed pair, or the provider's description.
    static func chosen(_ settings: OSSSettings) throws -> String {
        let configuration = try settings.configuration()
        return configuration.credentialsProvider?.source ?? configuration.credentials.accessKeyId
    }

    @Test("the documented order: config keys, then OSS_* variables, then the RAM role, then ~/.ossutilconfig")
    func order() throws {
        let home = try TempDir("ossutil-order")
        try "[Credentials]\naccessKeyID=ossutil-id\naccessKeySecret=ossutil-secret\n"
            .write(to: home.file(".ossutilconfig"), atomically: true, encoding: .utf8)
        let base = ["OSS_ENDPOINT": "oss-cn-hangzhou.aliyuncs.com", "HOME": home.path]
        let keys = ["OSS_ACCESS_KEY_ID": "env-id", "OSS_ACCESS_KEY_SECRET": "env-secret"]
        let withKeys = try Self.config("oss:\n  bucket: b\n  access_key_id: yaml-id\n  access_key_secret: yaml-secret\n  ram_role: r\n")
        let withRole = try Self.config("oss:\n  bucket: b\n  ram_role: config-role\n")
        #expect(try Self.chosen(OSSSettings(config: withKeys, environment: base.merging(keys) { $1 })) == "yaml-id")
        #expect(try Self.chosen(OSSSettings(config: withRole, environment: base.merging(keys) { $1 })) == "env-id")
        #expect(try Self.chosen(OSSSettings(config: withRole, environment: base)) == "the ECS RAM role 'config-role'")
        #expect(try Self.chosen(OSSSettings(config: withRole, environment: base.merging(["ALIBABA_CLOUD_ECS_METADATA": "env-role"]) { $1 }))
                == "the ECS RAM role 'config-role'", "the config's ram_role wins over the variable")
        #expect(try Self.chosen(OSSSettings(environment: base.merging(["ALIBABA_CLOUD_ECS_METADATA": "env-role"]) { $1 }))
                == "the ECS RAM role 'env-role'")
        #expect(try Self.chosen(OSSSettings(environment: base)) == "ossutil-id")
        let nothing = try #require(throws: ObjectStorageError.self) {
            try OSSSettings(environment: ["OSS_ENDPOINT": "oss-cn-hangzhou.aliyuncs.com"]).configuration()
        }
        #expect(nothing.kind == .missingCredentials && nothing.description.contains("ram_role") && nothing.description.contains("~/.ossutilconfig"))
        let disabled = try #require(throws: ObjectStorageError.self) {
            try OSSSettings(config: withRole, environment: base.merging(["ALIBABA_CLOUD_ECS_METADATA_DISABLED": "1"]) { $1 }).configuration()
        }
        #expect(disabled.description.contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED"))
    }

    // MARK: - Rotation

    @Test("a presigned URL never outlives the STS credentials it is signed with: longer is refused, naming the limit")
    func presignWithinRoleCredentials() throws {
        let metadata = try OSSEmulator.startMetadataService(roles: ["short-lived": 600], attached: "short-lived")
        let settings = OSSSettings(environment: try Self.place().merging(
            ["VAULTOPS_ECS_METADATA_ENDPOINT": metadata, "ALIBABA_CLOUD_ECS_METADATA": "short-lived"]) { $1 })
        let client = OSSClient(configuration: try settings.configuration())
        let error = try #require(throws: ObjectStorageError.self) {
            try client.presignedURL(bucket: "b", key: "k.gz", expires: 3600)
        }
        #expect(error.kind == .invalidConfiguration)
        #expect(error.message.contains("temporary (STS) credentials"), "\(error)")
        #expect(error.message.contains("--expires"), "\(error)")
        // Within the credentials' life it signs, carrying the token.
        let url = try client.presignedURL(bucket: "b", key: "k.gz", expires: 300)
        #expect(url.contains("security-token"))
    }

    @Test("a multipart upload outlives its credentials: refreshed before expiry, and a part refused as expired is re-sent")
    func rotationDuringMultipartUpload() throws {
        // Credentials live 3 s; one part is held 3.5 s by the emulator before it checks the signature, so it arrives
        // with expired credentials (403 SecurityTokenExpired) whatever the timing, and the rest of the upload spans
        // several rotations.
        let metadata = try OSSEmulator.startMetadataService(roles: ["rotating": 3], attached: "rotating")
        var settings = OSSSettings(environment: try Self.place().merging(
            ["VAULTOPS_ECS_METADATA_ENDPOINT": metadata, "ALIBABA_CLOUD_ECS_METADATA": "rotating"]) { $1 })
        settings.partSize = 256 << 10
        settings.parallelism = 2
        let bucket = try OSSEmulator.freshBucket("rotation")
        try OSSEmulator.addFault(bucket: bucket, ["op": "UploadPart", "action": "slow", "seconds": 3.5, "part": 3, "times": 1])
        var configuration = try settings.configuration()
        configuration.multipartThreshold = 1 << 20
        let client = OSSClient(configuration: configuration)
        let dir = try TempDir("rotation")
        let bytes = testBytes(6 << 20, seed: 23)
        try bytes.write(to: dir.file("big.bin"))
        let started = Date()
        let result = try client.uploadFile(at: dir.file("big.bin").path, bucket: bucket, key: "big.bin", progress: { _, _ in
            // Slow the upload to span rotations even on a fast machine.
            Thread.sleep(forTimeInterval: 0.15)
        })
        #expect(result.multipart && result.crc64 == CRC64.checksum(bytes))
        #expect(Date().timeIntervalSince(started) > 4)
        let log = try OSSEmulator.log(bucket)
        #expect(log.contains { $0.op == "UploadPart" && $0.code == "SecurityTokenExpired" })
        #expect(log.filter { $0.op == "UploadPart" && $0.ok }.count == 24)
        let fetches = try OSSEmulator.metadataLog(metadata).filter { $0.method == "GET" }.count
        // At least one rotation: the refused part's refresh, or another worker's refresh before expiry that the
        // refused part then reuses (it forgets only the pair OSS refused).
        #expect(fetches >= 2, "credentials were fetched \(fetches) times")
        let back = dir.file("back.bin")
        _ = try client.download(bucket: bucket, key: "big.bin", to: back.path)
        #expect(try Data(contentsOf: back) == bytes)
    }
}
