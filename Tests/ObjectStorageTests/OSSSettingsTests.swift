import Foundation
import ObjectStorage
import Storage
import Testing
import VaultopsCore

@Suite("OSSSettings: the one place OSS settings come from")
struct OSSSettingsTests {
    static let dotEnv = ["OSS_ACCESS_KEY_ID": "dotenv-id", "OSS_ACCESS_KEY_SECRET": "dotenv-secret", "OSS_REGION": "cn-beijing",
                         "OSS_ENDPOINT": "oss-cn-beijing.aliyuncs.com", "OTHER": "x"]

    /// One case: the config's oss: block (nil: no config), the environment, and the settings expected.
    struct Case: Sendable, CustomTestStringConvertible {
        var what: String
        var oss: OSSConfig?
        var environment: [String: String]
        var host, region, id, secret: String
        init(_ what: String, _ oss: OSSConfig?, _ environment: [String: String], _ host: String, _ region: String, _ id: String,
             _ secret: String) {
            (self.what, self.oss, self.environment, self.host, self.region, self.id, self.secret) = (what, oss, environment, host, region, id, secret)
        }
        var testDescription: String { what }
    }

    static let cases: [Case] = [
        Case("no config: the environment alone", nil,
         ["OSS_ENDPOINT": "oss-cn-shanghai.aliyuncs.com", "OSS_ACCESS_KEY_ID": "env-id", "OSS_ACCESS_KEY_SECRET": "env-secret"],
         "oss-cn-shanghai.aliyuncs.com", "cn-shanghai", "env-id", "env-secret"),
        Case("config without keys: .env fills in", OSSConfig(bucket: "b-1"), [:],
         "oss-cn-beijing.aliyuncs.com", "cn-beijing", "dotenv-id", "dotenv-secret"),
        Case("the environment wins over .env", OSSConfig(bucket: "b-1"), ["OSS_ACCESS_KEY_SECRET": "env-secret", "OSS_REGION": "cn-shenzhen"],
         "oss-cn-beijing.aliyuncs.com", "cn-shenzhen", "dotenv-id", "env-secret"),
        Case("the oss: block wins over both",
         OSSConfig(bucket: "b-1", endpoint: "oss-cn-hangzhou.aliyuncs.com", region: "cn-hangzhou", accessKeyID: "yaml-id",
                   accessKeySecret: Secret("yaml-secret")),
         ["OSS_ACCESS_KEY_ID": "env-id", "OSS_REGION": "cn-shenzhen"],
         "oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou", "yaml-id", "yaml-secret"),
    ]

    @Test("precedence: the oss: block, then the environment, then the .env beside the config", arguments: cases)
    func precedence(_ c: Case) throws {
        let config = c.oss.map { Config(file: "/etc/vaultops/config.yaml", oss: $0, dotEnv: Self.dotEnv) }
        let configuration = try OSSSettings(config: config, environment: c.environment).configuration()
        #expect(configuration.endpoint.host == c.host)
        #expect(configuration.region == c.region)
        #expect(configuration.credentials.accessKeyId == c.id)
        #expect(configuration.credentials.accessKeySecret == c.secret)
    }

    @Test("part size and parallelism from the command line; missing credentials name the variables to set")
    func overridesAndErrors() throws {
        var settings = OSSSettings(environment: ["OSS_ENDPOINT": "oss-cn-beijing.aliyuncs.com", "OSS_ACCESS_KEY_ID": "i",
                                                 "OSS_ACCESS_KEY_SECRET": "s"])
        settings.partSize = 16 << 20
        settings.parallelism = 0
        let configuration = try settings.configuration()
        #expect(configuration.partSize == 16 << 20 && configuration.parallelism == 1)
        let backend = try settings.backend(bucket: "b-1", prefix: "/nightly")
        #expect(backend.location == "oss://b-1/nightly/")

        let error = try #require(throws: ObjectStorageError.self) {
            try OSSSettings(config: Config(file: "/c.yaml", oss: OSSConfig(bucket: "b-1")), environment: ["OSS_ENDPOINT": "x"]).configuration()
        }
        #expect(error.kind == .missingCredentials)
        #expect(error.description.contains("OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET"))
    }
}
