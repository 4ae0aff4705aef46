import Foundation
import HTTP
@testable import ObjectStorage
import Testing
import VaultopsCore

@Suite("Client logic (pure)")
struct ClientLogicTests {
    @Test(arguments: [
        ("oss://bucket-1/a/b.gz", "bucket-1", "a/b.gz"),
        ("oss://bucket-1", "bucket-1", ""),
        ("oss://bucket-1/", "bucket-1", ""),
        ("OSS://abc/x y+z", "abc", "x y+z"),
        ("oss://abc/中文/", "abc", "中文/"),
    ])
    func locations(_ text: String, _ bucket: String, _ key: String) throws {
        let location = try OSSLocation(parsing: text)
        #expect(location.bucket == bucket)
        #expect(location.key == key)
    }

    @Test(arguments: [
        ("s3://bucket/k", "not an OSS location"),
        ("bucket/k", "not an OSS location"),
        ("oss://", "bucket name is missing"),
        ("oss:///key", "bucket name is missing"),
        ("oss://ab/k", "3 to 63 characters"),
        ("oss://UPPER/k", "lower-case letters"),
        ("oss://under_score", "lower-case letters"),
        ("oss://-dash/k", "must not start or end with '-'"),
        ("oss://bucket/" + String(repeating: "k", count: 1024), "at most 1023 bytes"),
    ])
    func badLocations(_ text: String, _ message: String) {
        let error = #expect(throws: ObjectStorageError.self) { try OSSLocation(parsing: text) }
        #expect(error?.kind == .invalidURL)
        #expect(error?.isUsageError == true)
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
    }

    struct EndpointCase: Sendable {
        var text: String, scheme: String, host: String, port: Int?, region: String?, ip: Bool
    }

    static let endpointCases: [EndpointCase] = [
        EndpointCase(text: "oss-cn-hangzhou.aliyuncs.com", scheme: "https", host: "oss-cn-hangzhou.aliyuncs.com", port: nil, region: "cn-hangzhou", ip: false),
        EndpointCase(text: "https://oss-cn-shanghai-internal.aliyuncs.com/", scheme: "https", host: "oss-cn-shanghai-internal.aliyuncs.com", port: nil, region: "cn-shanghai", ip: false),
        EndpointCase(text: "http://127.0.0.1:9000", scheme: "http", host: "127.0.0.1", port: 9000, region: nil, ip: true),
        EndpointCase(text: "http://[::1]:9000", scheme: "http", host: "[::1]", port: 9000, region: nil, ip: true),
        EndpointCase(text: "http://localhost:8080", scheme: "http", host: "localhost", port: 8080, region: nil, ip: false),
        EndpointCase(text: "minio.example.com:9443", scheme: "https", host: "minio.example.com", port: 9443, region: nil, ip: false),
    ]

    @Test(arguments: endpointCases)
    func endpoints(_ c: EndpointCase) throws {
        let endpoint = try OSSEndpoint(parsing: c.text)
        #expect(endpoint.scheme == c.scheme)
        #expect(endpoint.host == c.host)
        #expect(endpoint.port == c.port)
        #expect(endpoint.impliedRegion == c.region)
        #expect(endpoint.isIPAddress == c.ip)
    }

    @Test(arguments: ["ftp://host", "host/path", "http://host:0", "http://host:x", "user@host", ""])
    func badEndpoints(_ text: String) {
        #expect(throws: ObjectStorageError.self) { try OSSEndpoint(parsing: text) }
    }

    @Test("virtual-hosted by default, path style for IP endpoints or on request")
    func urls() throws {
        let creds = OSSCredentials(accessKeyId: "a", accessKeySecret: "s")
        var config = OSSConfiguration(endpoint: try OSSEndpoint(parsing: "oss-cn-hangzhou.aliyuncs.com"), region: "cn-hangzhou", credentials: creds)
        let request = OSSRequest(method: "GET", bucket: "b-1", key: "dir/a b+c~%.gz", query: [QueryItem("uploads"), QueryItem("x", "a/b c")])
        #expect(config.url(for: request) == "https://b-1.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%2Bc~%25.gz?uploads&x=a%2Fb%20c")
        config.addressing = .path
        #expect(config.url(for: request) == "https://oss-cn-hangzhou.aliyuncs.com/b-1/dir/a%20b%2Bc~%25.gz?uploads&x=a%2Fb%20c")
        config = OSSConfiguration(endpoint: try OSSEndpoint(parsing: "http://10.0.0.5:9000"), region: "r", credentials: creds)
        #expect(config.url(for: OSSRequest(method: "GET", bucket: "b-1", key: nil)) == "http://10.0.0.5:9000/b-1/")
    }

    @Test func environment() throws {
        let config = try OSSConfiguration.fromEnvironment([
            "OSS_ACCESS_KEY_ID": "id", "OSS_ACCESS_KEY_SECRET": "secret", "OSS_SESSION_TOKEN": "tok",
            "OSS_ENDPOINT": "oss-cn-beijing.aliyuncs.com", "OSS_SIGNATURE_VERSION": "v1",
        ])
        #expect(config.region == "cn-beijing")
        #expect(config.signatureVersion == .v1)
        #expect(config.credentials.securityToken == "tok")
        let noEndpoint = #expect(throws: ObjectStorageError.self) {
            try OSSConfiguration.fromEnvironment(["OSS_ACCESS_KEY_ID": "id", "OSS_ACCESS_KEY_SECRET": "s"])
        }
        #expect(noEndpoint?.kind == .invalidConfiguration)
        #expect(noEndpoint?.description.contains("OSS_ENDPOINT") == true)
        let noKeys = #expect(throws: ObjectStorageError.self) {
            try OSSConfiguration.fromEnvironment(["OSS_ENDPOINT": "oss-cn-beijing.aliyuncs.com", "OSS_ACCESS_KEY_ID": " "])
        }
        #expect(noKeys?.kind == .missingCredentials)
        #expect(noKeys.map { VaultopsExitCode.for($0) } == .usage)
    }

    @Test("backoff is capped and jittered", arguments: [
        (2, 1.0, 0.3), (3, 1.0, 0.6), (4, 1.0, 1.2), (10, 1.0, 20.0), (30, 1.0, 20.0), (5, 0.5, 1.2), (3, 0.0, 0.0),
    ])
    func backoff(_ attempt: Int, _ random: Double, _ expected: Double) {
        let policy = RetryPolicy(maxAttempts: 6, baseDelay: 0.3, maxDelay: 20)
        #expect(abs(policy.delay(beforeAttempt: attempt, random: random) - expected) < 1e-9)
    }

    @Test("what is retried", arguments: [
        (ObjectStorageError(.service, "x", httpStatus: 500, serviceCode: "InternalError"), true),
        (ObjectStorageError(.service, "x", httpStatus: 503), true),
        (ObjectStorageError(.service, "x", httpStatus: 429, serviceCode: "Throttling"), true),
        (ObjectStorageError(.service, "x", httpStatus: 403, serviceCode: "RequestTimeTooSkewed"), true),
        (ObjectStorageError(.service, "x", httpStatus: 403, serviceCode: "SignatureDoesNotMatch"), false),
        (ObjectStorageError(.service, "x", httpStatus: 404, serviceCode: "NoSuchKey"), false),
        (ObjectStorageError(.transport, "timeout", curlCode: 28), true),
        (ObjectStorageError(.transport, "reset", curlCode: 56), true),
        (ObjectStorageError(.transport, "empty reply", curlCode: 52), true),
        (ObjectStorageError(.transport, "bad certificate", curlCode: 60), false),
        (ObjectStorageError(.checksumMismatch, "crc"), false),
        (ObjectStorageError(.localFile, "disk"), false),
    ])
    func retryable(_ error: ObjectStorageError, _ expected: Bool) {
        #expect(RetryPolicy.isRetryable(error) == expected)
    }

    struct PlanCase: Sendable {
        var size: Int64, preferred: Int64, partSize: Int64, count: Int
    }

    static let planCases: [PlanCase] = [
        PlanCase(size: 0, preferred: 8 << 20, partSize: 8 << 20, count: 1),
        PlanCase(size: 200 << 20, preferred: 8 << 20, partSize: 8 << 20, count: 25),
        PlanCase(size: (200 << 20) + 1, preferred: 8 << 20, partSize: 8 << 20, count: 26),
        PlanCase(size: 1 << 40, preferred: 8 << 20, partSize: 105 << 20, count: 9987),  // 1 TiB: parts grow to stay within 10,000
        PlanCase(size: 1 << 20, preferred: 1000, partSize: 100 * 1024, count: 11),      // never below 100 KB
    ]

    @Test(arguments: planCases)
    func partPlans(_ c: PlanCase) {
        let plan = PartPlan(fileSize: c.size, preferred: c.preferred)
        #expect(plan.partSize == c.partSize)
        #expect(plan.count == c.count)
        #expect(plan.count <= 10_000)
        if c.size > 0 {
            let last = plan.range(of: plan.count)
            #expect(last.offset + last.length == c.size)
        }
    }

    @Test("error XML becomes Code, Message and RequestId")
    func errorXML() {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>AccessDenied</Code><Message>You have no right to access this object.</Message>
            <RequestId>5C3D9175B6FC201293AD****</RequestId><HostId>b.oss-cn-hangzhou.aliyuncs.com</HostId></Error>
            """
        let response = HTTPResponse(status: 403, headers: ["x-oss-request-id": "other"], body: Data(body.utf8), bytesWritten: 0)
        let error = OSSClient.serviceError(response, operation: "GetObject", bucket: "b", key: "k")
        #expect(error.description == "GetObject oss://b/k: HTTP 403 AccessDenied: You have no right to access this object. (RequestId: 5C3D9175B6FC201293AD****). the credentials lack permission for this bucket or object")
        let head = OSSClient.serviceError(HTTPResponse(status: 404, headers: ["x-oss-request-id": "R1"], body: Data(), bytesWritten: 0),
                                          operation: "HeadObject", bucket: "b", key: "k")
        #expect(head.serviceCode == "NoSuchKey")
        #expect(head.requestId == "R1")
    }

    @Test(arguments: [
        (Int64(0), Int64(100), 0.0, "f  0 B / 100 B  0%"),
        (Int64(50 << 20), Int64(200 << 20), 10.0, "f  50.0 MiB / 200.0 MiB  25%  5.0 MiB/s  ETA 30s"),
        (Int64(200 << 20), Int64(200 << 20), 100.0, "f  200.0 MiB / 200.0 MiB  100%  2.0 MiB/s"),
        (Int64(1 << 20), Int64(8000 << 20), 1.0, "f  1.0 MiB / 7.8 GiB  0%  1.0 MiB/s  ETA 2h13m"),
    ])
    func progressLines(_ done: Int64, _ total: Int64, _ elapsed: Double, _ expected: String) {
        #expect(TransferProgress.line(label: "f", done: done, total: total, elapsed: elapsed) == expected)
    }
}
