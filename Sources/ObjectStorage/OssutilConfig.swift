import Foundation

/// The credentials and endpoint in ossutil's configuration file (`~/.ossutilconfig`), so a host where ossutil
/// already works needs nothing more.
///
/// ossutil 1.x writes `[Credentials]` with `language`, `endpoint`, `accessKeyID`, `accessKeySecret` and `stsToken`,
/// and reads each under its own aliases, any case (`host`; `access_key_id`, `access_id`, `accessid`; `access_key`,
/// `accesskey`; `sts_token`); an ECS RAM role is `[AkService]` `ecsAk = http://100.100.100.200/latest/meta-data/
/// Ram/security-credentials/ROLE`. ossutil 2.0 writes `[default]` (`[profile default]`) with `accessKeyId`,
/// `accessKeySecret`, `region`, `endpoint`, or `mode = EcsRamRole` with `ecsRoleName`; its keys may be in any case
/// with `-`/`_` between words. `#` and `;` start comments; indentation is allowed (ossutil 1.x's own help indents).
public struct OssutilConfig: Sendable, Equatable {
    public var accessKeyId: String?
    public var accessKeySecret: String?
    public var securityToken: String?
    public var endpoint: String?
    public var region: String?
    /// The ECS RAM role ossutil uses, when it uses one instead of keys.
    public var ecsRoleName: String?

    public init(accessKeyId: String? = nil, accessKeySecret: String? = nil, securityToken: String? = nil,
                endpoint: String? = nil, region: String? = nil, ecsRoleName: String? = nil) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.endpoint = endpoint
        self.region = region
        self.ecsRoleName = ecsRoleName
    }

    /// `~/.ossutilconfig` under `home`.
    public static func defaultPath(home: String) -> String {
        (home.hasSuffix("/") ? home : home + "/") + ".ossutilconfig"
    }

    /// The file at `path`, or nil when there is none.
    public static func load(path: String) throws -> OssutilConfig? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ObjectStorageError(.invalidConfiguration, "cannot read the ossutil configuration \(path)")
        }
        return parse(String(decoding: data, as: UTF8.self))
    }

    /// ossutil 1.x's aliases of each `[Credentials]` setting (matched in any case).
    static let v1Aliases: [(setting: String, names: [String])] = [
        ("endpoint", ["endpoint", "host"]),
        ("accesskeyid", ["accesskeyid", "access_key_id", "access_id", "accessid", "access-key-id", "access-id"]),
        ("accesskeysecret", ["accesskeysecret", "access_key_secret", "access_key", "accesskey", "access-key-secret", "access-key"]),
        ("ststoken", ["ststoken", "sts_token", "sts-token"]),
    ]

    /// `[Credentials]` (ossutil 1.x), else `[default]`/`[profile default]` (ossutil 2.0).
    public static func parse(_ text: String) -> OssutilConfig {
        let sections = self.sections(text)
        if let v1 = sections["credentials"] {
            func value(_ setting: String) -> String? {
                let names = v1Aliases.first { $0.setting == setting }?.names ?? []
                return names.lazy.compactMap { v1[$0] }.first { !$0.isEmpty }
            }
            var config = OssutilConfig(accessKeyId: value("accesskeyid"), accessKeySecret: value("accesskeysecret"),
                                       securityToken: value("ststoken"), endpoint: value("endpoint"))
            if let url = sections["akservice"]?["ecsak"], let range = url.range(of: "security-credentials/", options: .caseInsensitive) {
                let role = url[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "/ "))
                config.ecsRoleName = role.isEmpty ? nil : role
            }
            return config
        }
        var v2: [String: String] = [:]
        for (key, value) in sections["default"] ?? [:] { v2[normalized(key)] = value }
        func value(_ names: String...) -> String? { names.lazy.compactMap { v2[$0] }.first { !$0.isEmpty } }
        let role = value("mode")?.lowercased() == "ecsramrole" ? value("ecsrolename") : nil
        return OssutilConfig(accessKeyId: value("accesskeyid"), accessKeySecret: value("accesskeysecret"),
                             securityToken: value("ststoken", "securitytoken", "sessiontoken"),
                             endpoint: value("endpoint"), region: value("region"), ecsRoleName: role)
    }

    /// Section name (lower-cased) → key (lower-cased) → value.
    static func sections(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces).lowercased()
                current = name == "profile default" ? "default" : name
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            sections[section, default: [:]][key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return sections
    }

    /// `access_key_id`, `access-key-id`, `accessKeyId` → `accesskeyid` (ossutil 2.0's rule).
    static func normalized(_ key: String) -> String {
        key.lowercased().filter { $0 != "-" && $0 != "_" }
    }

    /// The key pair, when the file has both halves.
    public var credentials: OSSCredentials? {
        guard let accessKeyId, let accessKeySecret else { return nil }
        return OSSCredentials(accessKeyId: accessKeyId, accessKeySecret: accessKeySecret, securityToken: securityToken)
    }
}
