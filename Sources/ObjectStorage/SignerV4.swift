import Crypto
import Foundation

/// OSS signature version 4 (`OSS4-HMAC-SHA256`), as pure functions; the default for new requests.
///
/// Follows <https://help.aliyun.com/zh/oss/developer-reference/recommend-to-use-signature-version-4>:
/// a canonical request, a scope `date/region/oss/aliyun_v4_request`, and a signing key derived from
/// `"aliyun_v4" + secret` through the date, the region, the product and `aliyun_v4_request`.
public enum SignerV4 {
    /// The algorithm name in headers and query parameters.
    public static let algorithm = "OSS4-HMAC-SHA256"
    /// The payload hash OSS accepts without hashing the body.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Whether `lowerName` is always signed (`x-oss-*`, `content-type`, `content-md5`).
    public static func isDefaultSignedHeader(_ lowerName: String) -> Bool {
        lowerName.hasPrefix("x-oss-") || lowerName == "content-type" || lowerName == "content-md5"
    }

    /// The additional headers actually signed: requested, present with a value, not signed by default; sorted, lower case.
    public static func additionalHeaders(_ requested: Set<String>, in request: OSSRequest) -> [String] {
        Set(requested.map { $0.lowercased() }).filter { name in
            !isDefaultSignedHeader(name) && !(request.header(name) ?? "").isEmpty
        }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The scope `yyyymmdd/region/product/aliyun_v4_request`.
    public static func scope(date: Date, region: String, product: String = "oss") -> String {
        "\(HTTPDate.iso8601Basic(date).prefix(8))/\(region)/\(product)/aliyun_v4_request"
    }

    /// The canonical request: method, URI, query, headers, additional header names and payload hash, one per line.
    public static func canonicalRequest(_ request: OSSRequest, additionalHeaders: [String]) -> String {
        var uri = "/"
        if let bucket = request.bucket { uri += bucket + "/" }
        if let key = request.key { uri += key }
        let canonicalURI = OSSPercentEncoding.encode(uri, keepSlash: true)

        let canonicalQuery = request.query
            .map { (OSSPercentEncoding.encode($0.name, keepSlash: false), OSSPercentEncoding.encode($0.value, keepSlash: false)) }
            .sorted { $0.0 != $1.0 ? $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) : $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) }
            .map { $0.1.isEmpty ? $0.0 : "\($0.0)=\($0.1)" }
            .joined(separator: "&")

        let additional = Set(additionalHeaders)
        let canonicalHeaders = request.headers.compactMap { h -> (String, String)? in
            let lower = h.name.lowercased()
            return isDefaultSignedHeader(lower) || additional.contains(lower) ? (lower, h.value) : nil
        }
        .sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        .map { "\($0.0):\($0.1)\n" }
        .joined()

        let payload = request.header("x-oss-content-sha256") ?? unsignedPayload
        return "\(request.method)\n\(canonicalURI)\n\(canonicalQuery)\n\(canonicalHeaders)\n\(additionalHeaders.joined(separator: ";"))\n\(payload)"
    }

    /// The string to sign: algorithm, timestamp, scope and the hex SHA-256 of the canonical request.
    public static func stringToSign(canonicalRequest: String, timestamp: String, scope: String) -> String {
        let hash = SHA256.hash(data: Data(canonicalRequest.utf8))
        return "\(algorithm)\n\(timestamp)\n\(scope)\n\(hex(hash))"
    }

    /// The signing key: HMAC chain over date, region, product and `aliyun_v4_request`.
    public static func signingKey(secret: String, date: String, region: String, product: String = "oss") -> SymmetricKey {
        var key = SymmetricKey(data: Data(("aliyun_v4" + secret).utf8))
        for part in [date, region, product, "aliyun_v4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// Hex HMAC-SHA256 of the string to sign with the derived key.
    public static func signature(stringToSign: String, secret: String, date: String, region: String, product: String = "oss") -> String {
        let key = signingKey(secret: secret, date: date, region: region, product: product)
        return hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    /// What signing produced, for logs of a rejected request and for golden tests.
    public struct Result: Sendable, Equatable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signature: String
    }

    /// Signs `request` in place: sets `x-oss-date`, `x-oss-content-sha256`, the token, `Date` and `Authorization`.
    @discardableResult
    public static func sign(_ request: inout OSSRequest, credentials: OSSCredentials, region: String, now: Date,
                            additionalHeaders requested: Set<String> = [], product: String = "oss") -> Result {
        let timestamp = HTTPDate.iso8601Basic(now)
        request.setHeader("x-oss-date", timestamp)
        request.setHeader("Date", HTTPDate.rfc1123(now))
        if let token = credentials.securityToken {
            request.setHeader("x-oss-security-token", token)
        }
        request.setHeader("x-oss-content-sha256", unsignedPayload)
        let additional = additionalHeaders(requested, in: request)
        let scope = scope(date: now, region: region, product: product)
        let canonical = canonicalRequest(request, additionalHeaders: additional)
        let toSign = stringToSign(canonicalRequest: canonical, timestamp: timestamp, scope: scope)
        let sig = signature(stringToSign: toSign, secret: credentials.accessKeySecret, date: String(timestamp.prefix(8)),
                            region: region, product: product)
        var authorization = "\(algorithm) Credential=\(credentials.accessKeyId)/\(scope)"
        if !additional.isEmpty { authorization += ",AdditionalHeaders=\(additional.joined(separator: ";"))" }
        authorization += ",Signature=\(sig)"
        request.setHeader("Authorization", authorization)
        return Result(canonicalRequest: canonical, stringToSign: toSign, signature: sig)
    }

    /// Presigns `request`: adds the `x-oss-*` signing parameters and `x-oss-signature` to its query.
    ///
    /// `expiresIn` is whole seconds (OSS allows at most 7 days for V4).
    @discardableResult
    public static func presign(_ request: inout OSSRequest, credentials: OSSCredentials, region: String, now: Date,
                               expiresIn: Int, additionalHeaders requested: Set<String> = [], product: String = "oss") -> Result {
        let signingNames: Set<String> = ["x-oss-signature", "x-oss-security-token", "x-oss-additional-headers",
                                         "x-oss-signature-version", "x-oss-date", "x-oss-expires", "x-oss-credential"]
        request.query.removeAll { signingNames.contains($0.name) }
        let timestamp = HTTPDate.iso8601Basic(now)
        let scope = scope(date: now, region: region, product: product)
        let additional = additionalHeaders(requested, in: request)
        request.query.append(QueryItem("x-oss-signature-version", algorithm))
        request.query.append(QueryItem("x-oss-date", timestamp))
        request.query.append(QueryItem("x-oss-expires", String(expiresIn)))
        request.query.append(QueryItem("x-oss-credential", "\(credentials.accessKeyId)/\(scope)"))
        if let token = credentials.securityToken {
            request.query.append(QueryItem("x-oss-security-token", token))
        }
        if !additional.isEmpty {
            request.query.append(QueryItem("x-oss-additional-headers", additional.joined(separator: ";")))
        }
        let canonical = canonicalRequest(request, additionalHeaders: additional)
        let toSign = stringToSign(canonicalRequest: canonical, timestamp: timestamp, scope: scope)
        let sig = signature(stringToSign: toSign, secret: credentials.accessKeySecret, date: String(timestamp.prefix(8)),
                            region: region, product: product)
        request.query.append(QueryItem("x-oss-signature", sig))
        return Result(canonicalRequest: canonical, stringToSign: toSign, signature: sig)
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
