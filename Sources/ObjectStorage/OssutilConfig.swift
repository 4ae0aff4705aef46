import Foundation

/// The credentials and endpoint in ossutil's configuration file (`~/.ossutilconfig`), so a host where ossutil
/// already works needs nothing more.
///
/// ossutil 1.x writes `[Credentials]` with `language`, `endpoint`, `accessKeyID`, `accessKeySecret` and
/// `stsToken`; ossutil 2.0 writes `[default]` (`[profile default]`) with `accessKeyId`, `accessKeySecret`,
/// `region`, `endpoint`. Section and key names are case-insensitive, and `-`/`_` between words do not matter
/// (ossutil 2.0's rule: `accesskeyid`, `accessKeyId`, `access-key-id`, `access_key_id` are one key); `#` and
/// `;` start comments; indentation is allowed (ossutil 1.x's own help indents its example).
public struct OssutilConfig: Sendable, Equatable {
    public var accessKeyId: String?
    public var accessKeySecret: String?
    public var securityToken: String?
    public var endpoint: String?
    public var region: String?

    public init(accessKeyId: String? = nil, accessKeySecret: String? = nil, securityToken: String? = nil,
                endpoint: String? = nil, region: String? = nil) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
        self.endpoint = endpoint
        self.region = region
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

    /// The credentials section's settings: `[Credentials]` (ossutil 1.x) or else `[default]`/`[profile default]`.
    public static func parse(_ text: String) -> OssutilConfig {
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
            let key = normalized(String(line[..<equals]))
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key] = value
        }
        let values = sections["credentials"] ?? sections["default"] ?? [:]
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { values[$0] }.first { !$0.isEmpty }
        }
        return OssutilConfig(accessKeyId: value("accesskeyid"), accessKeySecret: value("accesskeysecret"),
                             securityToken: value("ststoken", "securitytoken", "sessiontoken"),
                             endpoint: value("endpoint"), region: value("region"))
    }

    /// `access_key_id`, `access-key-id`, `accessKeyID` → `accesskeyid`.
    static func normalized(_ key: String) -> String {
        key.trimmingCharacters(in: .whitespaces).lowercased().filter { $0 != "-" && $0 != "_" }
    }

    /// The key pair, when the file has both halves.
    public var credentials: OSSCredentials? {
        guard let accessKeyId, let accessKeySecret else { return nil }
        return OSSCredentials(accessKeyId: accessKeyId, accessKeySecret: accessKeySecret, securityToken: securityToken)
    }
}
