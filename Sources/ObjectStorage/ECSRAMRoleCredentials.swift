import Foundation
import HTTP

/// STS credentials of the ECS instance's RAM role, from the instance metadata service (Alibaba's recommended
/// way to reach OSS from ECS: no AccessKey on disk).
///
/// As the official credentials SDKs do: an IMDSv2 token first (`PUT /latest/api/token` with
/// `X-aliyun-ecs-metadata-token-ttl-seconds`), sent as `X-aliyun-ecs-metadata-token`; without one, IMDSv1 (no
/// token) unless `imdsV1Disabled`. The role is named, or read from `…/security-credentials/` (`auto`). The pair is
/// cached and fetched again shortly before its `Expiration` (3 minutes, or a quarter of its lifetime when that is
/// shorter), and at once when OSS rejects it as expired.
public final class ECSRAMRoleCredentials: OSSCredentialsProvider, @unchecked Sendable {
    // Safety: `cached` is only read and written under `lock`, which also keeps fetches one at a time.
    private let lock = NSLock()
    private var cached: (credentials: OSSCredentials, expiration: Date, fetched: Date)?

    /// The metadata service, `http://100.100.100.200` on ECS.
    public let endpoint: String
    /// The role's name, or nil to use the role attached to the instance (`ram_role: auto`).
    public let roleName: String?
    /// Refuse IMDSv1 (`ALIBABA_CLOUD_IMDSV1_DISABLED`): without an IMDSv2 token, fail.
    public let imdsV1Disabled: Bool
    /// The clock expirations are judged by; injected by tests.
    let clock: @Sendable () -> Date

    /// ECS's documented metadata address.
    public static let defaultEndpoint = "http://100.100.100.200"
    /// The IMDSv2 token lifetime asked for (the SDKs' 21,600 s, ECS's maximum).
    static let tokenTTL = 21_600

    public init(endpoint: String = ECSRAMRoleCredentials.defaultEndpoint, roleName: String?, imdsV1Disabled: Bool = false,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.roleName = roleName
        self.imdsV1Disabled = imdsV1Disabled
        self.clock = clock
    }

    public var source: String {
        roleName.map { "the ECS RAM role '\($0)'" } ?? "the ECS instance's RAM role"
    }

    public func credentials() throws -> OSSCredentials {
        try lock.withLock {
            let now = clock()
            if let cached {
                let margin = min(180, cached.expiration.timeIntervalSince(cached.fetched) / 4)
                if now < cached.expiration.addingTimeInterval(-margin) { return cached.credentials }
            }
            let (credentials, expiration) = try fetch()
            cached = (credentials, expiration, now)
            return credentials
        }
    }

    public func invalidate(accessKeyId: String?) -> Bool {
        lock.withLock {
            // Another worker may have fetched a new pair already: forget only the one OSS refused.
            if let cached, accessKeyId == nil || cached.credentials.accessKeyId == accessKeyId { self.cached = nil }
        }
        return true
    }

    // MARK: - Fetching

    private static let rolePath = "/latest/meta-data/ram/security-credentials/"

    /// One fetch: token (or v1), role name when `auto`, then the role's JSON.
    func fetch() throws -> (OSSCredentials, Date) {
        let easy = try metadataCall { () throws(HTTPFailure) in try CurlEasy() }
        let token = try metadataToken(easy)
        var role = roleName
        if role == nil {
            let listing = try get(Self.rolePath, token: token, easy)
            guard listing.status == 200, let name = Self.text(listing.body).split(whereSeparator: \.isNewline).first,
                  !name.isEmpty else {
                throw failure("no RAM role is attached to this ECS instance (\(endpoint)\(Self.rolePath) answered HTTP \(listing.status)); attach one in the ECS console or configure an AccessKey")
            }
            role = String(name).trimmingCharacters(in: .whitespaces)
        }
        let name = role!
        let answer = try get(Self.rolePath + name, token: token, easy)
        guard answer.status == 200 else {
            var message = "the ECS metadata service has no RAM role named '\(name)' (HTTP \(answer.status) from \(endpoint)\(Self.rolePath)\(name))"
            if answer.status == 404, let attached = try? get(Self.rolePath, token: token, easy), attached.status == 200 {
                message += "; the role attached to this instance is '\(Self.text(attached.body).trimmingCharacters(in: .whitespacesAndNewlines))': set ram_role to it, or to auto"
            } else if answer.status == 404 {
                message += "; check the name, or set ram_role: auto"
            }
            throw failure(message)
        }
        return try Self.parse(answer.body, role: name, failure: failure)
    }

    /// The IMDSv2 token, or nil to go on with IMDSv1 when that is allowed.
    private func metadataToken(_ easy: CurlEasy) throws -> String? {
        let response: HTTPResponse
        do {
            response = try call(easy, method: "PUT", path: "/latest/api/token",
                                headers: [("X-aliyun-ecs-metadata-token-ttl-seconds", String(Self.tokenTTL))])
        } catch {
            if imdsV1Disabled { throw error }
            return nil
        }
        if response.status == 200, !response.body.isEmpty { return Self.text(response.body) }
        if imdsV1Disabled {
            throw failure("the ECS metadata service gave no IMDSv2 token (PUT \(endpoint)/latest/api/token answered HTTP \(response.status)) and ALIBABA_CLOUD_IMDSV1_DISABLED forbids IMDSv1")
        }
        return nil
    }

    private func get(_ path: String, token: String?, _ easy: CurlEasy) throws -> HTTPResponse {
        let response = try call(easy, method: "GET", path: path, headers: token.map { [("X-aliyun-ecs-metadata-token", $0)] } ?? [])
        if token == nil, response.status == 403 {
            throw failure("the ECS metadata service refused IMDSv1 (HTTP 403 for \(path)): the instance requires IMDSv2 tokens, and none was given")
        }
        return response
    }

    private func call(_ easy: CurlEasy, method: String, path: String, headers: [(String, String)]) throws -> HTTPResponse {
        let transfer = HTTPTransfer(method: method, url: endpoint + path, headers: headers + [("Expect", ""), ("Accept", "")],
                                    connectTimeout: .seconds(2), timeout: .seconds(5), lowSpeedTime: nil, bypassProxy: true)
        return try metadataCall { () throws(HTTPFailure) in try easy.perform(transfer) }
    }

    private func metadataCall<T>(_ body: () throws(HTTPFailure) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw failure("cannot reach the ECS metadata service at \(endpoint) (\(error)); is this an ECS instance? Without a RAM role, configure an AccessKey")
        }
    }

    private func failure(_ message: String) -> ObjectStorageError {
        ObjectStorageError(.missingCredentials, message, operation: "ECS RAM role credentials")
    }

    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    /// The credentials in the role's JSON (`Code` `Success`, `AccessKeyId`, `AccessKeySecret`, `SecurityToken`,
    /// `Expiration` in ISO 8601).
    static func parse(_ body: Data, role: String, failure: (String) -> ObjectStorageError) throws -> (OSSCredentials, Date) {
        struct Answer: Decodable {
            var Code: String?
            var AccessKeyId: String?
            var AccessKeySecret: String?
            var SecurityToken: String?
            var Expiration: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: body) else {
            throw failure("the ECS metadata service answered for role '\(role)' with something that is not its credentials JSON")
        }
        if let code = answer.Code, code != "Success" {
            throw failure("the ECS metadata service could not give credentials for role '\(role)' (Code \(code))")
        }
        guard let id = answer.AccessKeyId, let secret = answer.AccessKeySecret, let token = answer.SecurityToken,
              let expirationText = answer.Expiration, let expiration = HTTPDate.parseISO8601(expirationText) else {
            throw failure("the ECS metadata service's credentials for role '\(role)' lack AccessKeyId, AccessKeySecret, SecurityToken or Expiration")
        }
        return (OSSCredentials(accessKeyId: id, accessKeySecret: secret, securityToken: token, expiration: expiration), expiration)
    }
}
