import Crypto
import Foundation

/// OSS signature version 1 (`OSS AccessKeyId:Signature`, HMAC-SHA1), as pure functions.
///
/// Follows <https://help.aliyun.com/zh/oss/developer-reference/include-signatures-in-the-authorization-header>:
/// `VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource`.
public enum SignerV1 {
    /// The query parameters that V1 signs as sub-resources; every other parameter is left out.
    ///
    /// The union of the sets in the official Python SDKs (oss2 and alibabacloud-oss-v2).
    public static let subresources: Set<String> = [
        "acl", "uploads", "location", "cors", "logging", "website", "referer", "lifecycle", "delete", "append",
        "tagging", "objectMeta", "uploadId", "partNumber", "security-token", "position", "img", "style",
        "styleName", "replication", "replicationProgress", "replicationLocation", "cname", "bucketInfo", "comp",
        "qos", "live", "status", "vod", "startTime", "endTime", "symlink", "x-oss-process",
        "response-content-type", "response-content-language", "response-expires", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "udf", "udfName", "udfImage",
        "udfId", "udfImageDesc", "udfApplication", "udfApplicationLog", "restore", "callback", "callback-var",
        "qosInfo", "policy", "stat", "encryption", "versions", "versioning", "versionId", "requestPayment",
        "x-oss-request-payer", "sequential", "inventory", "inventoryId", "continuation-token", "asyncFetch",
        "worm", "wormId", "wormExtend", "x-oss-traffic-limit", "group", "link", "objectInfo", "transferAcceleration",
        "metaQuery", "x-oss-ac-source-ip", "x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-ac-forward-allow",
        "resourceGroup", "x-oss-async-process", "regionList", "x-oss-write-get-object-response",
        "bucketArchiveDirectRead", "httpsConfig", "redundancyTransition", "x-oss-target-redundancy-type",
        "x-oss-redundancy-transition-taskid", "accessPoint", "accessPointPolicy", "publicAccessBlock",
        "x-oss-access-point-name", "requesterQosInfo", "qosRequester", "resourcePoolInfo", "resourcePool",
        "resourcePoolBuckets", "cloudboxes",
    ]

    /// `CanonicalizedOSSHeaders`: every `x-oss-*` header, lower-cased, sorted, one `name:value\n` each.
    public static func canonicalizedHeaders(_ headers: [(name: String, value: String)]) -> String {
        headers.compactMap { h -> (String, String)? in
            let lower = h.name.lowercased()
            return lower.hasPrefix("x-oss-") ? (lower, h.value) : nil
        }
        .sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        .map { "\($0.0):\($0.1)\n" }
        .joined()
    }

    /// `CanonicalizedResource`: `/bucket/key` (raw, unescaped) plus the signed sub-resources, sorted.
    public static func canonicalizedResource(bucket: String?, key: String?, query: [QueryItem]) -> String {
        var resource = "/"
        if let bucket {
            resource += bucket + "/" + (key ?? "")
        }
        let signed = query.filter { subresources.contains($0.name) }
            .sorted { $0.name != $1.name ? $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) : $0.value.utf8.lexicographicallyPrecedes($1.value.utf8) }
        if !signed.isEmpty {
            resource += "?" + signed.map { $0.value.isEmpty ? $0.name : "\($0.name)=\($0.value)" }.joined(separator: "&")
        }
        return resource
    }

    /// The string to sign; `date` is the `Date` header, or the `Expires` seconds for a presigned URL.
    ///
    /// An `x-oss-date` header, when present, takes the place of `date` (as the SDKs do).
    public static func stringToSign(_ request: OSSRequest, date: String) -> String {
        let effectiveDate = request.header("x-oss-date") ?? date
        return [request.method, request.header("Content-MD5") ?? "", request.header("Content-Type") ?? "", effectiveDate]
            .joined(separator: "\n") + "\n"
            + canonicalizedHeaders(request.headers)
            + canonicalizedResource(bucket: request.bucket, key: request.key, query: request.query)
    }

    /// Base64 of HMAC-SHA1(secret, stringToSign).
    public static func signature(stringToSign: String, secret: String) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Signs `request` in place: sets `Date`, the STS token header and `Authorization`; returns the string to sign.
    @discardableResult
    public static func sign(_ request: inout OSSRequest, credentials: OSSCredentials, now: Date) -> String {
        request.setHeader("Date", HTTPDate.rfc1123(now))
        if let token = credentials.securityToken {
            request.setHeader("x-oss-security-token", token)
        }
        let toSign = stringToSign(request, date: HTTPDate.rfc1123(now))
        let sig = signature(stringToSign: toSign, secret: credentials.accessKeySecret)
        request.setHeader("Authorization", "OSS \(credentials.accessKeyId):\(sig)")
        return toSign
    }

    /// Presigns `request`: appends `OSSAccessKeyId`, `Expires` (epoch seconds), the token and `Signature` to its query.
    ///
    /// Returns the string to sign; the signed query is `request.encodedQuery` afterwards.
    @discardableResult
    public static func presign(_ request: inout OSSRequest, credentials: OSSCredentials, expires: Date) -> String {
        request.query.removeAll { ["OSSAccessKeyId", "Expires", "Signature", "security-token"].contains($0.name) }
        let expiresText = String(Int64(expires.timeIntervalSince1970.rounded(.down)))
        if let token = credentials.securityToken {
            request.query.append(QueryItem("security-token", token))
        }
        let toSign = stringToSign(request, date: expiresText)
        let sig = signature(stringToSign: toSign, secret: credentials.accessKeySecret)
        request.query.append(QueryItem("OSSAccessKeyId", credentials.accessKeyId))
        request.query.append(QueryItem("Expires", expiresText))
        request.query.append(QueryItem("Signature", sig))
        return toSign
    }
}
