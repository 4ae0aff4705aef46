import Foundation
import ObjectStorage
import Testing

/// One golden signing case as the generator script (or the SDK unit tests) wrote it.
struct SigningCase: Decodable, CustomTestStringConvertible, Sendable {
    struct Expected: Decodable, Sendable {
        var stringToSign: String?
        var authorization: String?
        var query: [String: String]?
    }

    var name: String
    var version: String
    var mode: String
    var method: String
    var bucket: String?
    var key: String?
    var query: [[String]]
    var headers: [[String]]
    var accessKeyId: String
    var accessKeySecret: String
    var securityToken: String?
    var region: String?
    var additionalHeaders: [String]?
    var time: Double
    var expires: Double?
    var expected: [String: Expected]

    var testDescription: String { "\(name) [\(version) \(mode)]" }

    var request: OSSRequest {
        OSSRequest(method: method, bucket: bucket, key: key,
                   query: query.map { QueryItem($0[0], $0[1]) },
                   headers: headers.map { (name: $0[0], value: $0[1]) })
    }

    var credentials: OSSCredentials {
        OSSCredentials(accessKeyId: accessKeyId, accessKeySecret: accessKeySecret, securityToken: securityToken)
    }
}

enum Fixtures {
    /// The repository's `Fixtures/` folder, found from this source file.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func signingCases(_ file: String) -> [SigningCase] {
        struct File: Decodable { var cases: [SigningCase] }
        do {
            let data = try Data(contentsOf: root.appendingPathComponent("oss/\(file)"))
            return try JSONDecoder().decode(File.self, from: data).cases
        } catch {
            // An unreadable fixture must fail the suite, not shrink it to nothing.
            Issue.record("cannot load Fixtures/oss/\(file): \(error)")
            return []
        }
    }
}

/// Splits `OSS4-HMAC-SHA256 Credential=…, Signature=…` (either SDK's spacing) into its fields.
func v4AuthorizationFields(_ header: String) -> [String: String] {
    var fields: [String: String] = [:]
    let body = header.dropFirst(SignerV4.algorithm.count)
    for part in body.split(separator: ",") {
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        guard let eq = trimmed.firstIndex(of: "=") else { continue }
        fields[String(trimmed[..<eq])] = String(trimmed[trimmed.index(after: eq)...])
    }
    return fields
}

func checkSigningCase(_ c: SigningCase) {
    #expect(!c.expected.isEmpty, "a case without any SDK result checks nothing")
    for (sdk, expected) in c.expected {
        var request = c.request
        let now = Date(timeIntervalSince1970: c.time)
        var stringToSign: String
        switch (c.version, c.mode) {
        case ("v1", "header"):
            stringToSign = SignerV1.sign(&request, credentials: c.credentials, now: now)
        case ("v1", "query"):
            stringToSign = SignerV1.presign(&request, credentials: c.credentials, expires: Date(timeIntervalSince1970: c.expires!))
        case ("v4", "header"):
            stringToSign = SignerV4.sign(&request, credentials: c.credentials, region: c.region!, now: now,
                                         additionalHeaders: Set(c.additionalHeaders ?? [])).stringToSign
        case ("v4", "query"):
            stringToSign = SignerV4.presign(&request, credentials: c.credentials, region: c.region!, now: now,
                                            expiresIn: Int(c.expires! - c.time),
                                            additionalHeaders: Set(c.additionalHeaders ?? [])).stringToSign
        default:
            Issue.record("unknown case kind \(c.version) \(c.mode)")
            continue
        }
        if let want = expected.stringToSign {
            #expect(stringToSign == want, "\(sdk): string to sign")
        }
        if let want = expected.authorization {
            let got = request.header("Authorization") ?? ""
            if c.version == "v4" && sdk == "oss2" {
                // oss2 separates the fields with ", " and lists them in another order; the fields must agree.
                #expect(v4AuthorizationFields(got) == v4AuthorizationFields(want), "\(sdk): Authorization")
            } else {
                #expect(got == want, "\(sdk): Authorization")
            }
        }
        if let want = expected.query {
            var got: [String: String] = [:]
            for item in request.query { got[item.name] = item.value }
            for (name, value) in want {
                #expect(got[name] == value, "\(sdk): query parameter \(name)")
            }
            // And the URL we would send decodes back to the same parameters.
            let decoded = request.encodedQuery.split(separator: "&").map { pair -> (String, String) in
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                return (OSSPercentEncoding.decode(parts[0]) ?? "", parts.count > 1 ? OSSPercentEncoding.decode(parts[1]) ?? "" : "")
            }
            #expect(decoded.map { $0.0 } == request.query.map { $0.name })
        }
    }
}

@Suite("Signing golden vectors")
struct SigningVectorTests {
    @Test("vectors generated by the official SDKs", arguments: Fixtures.signingCases("signing-vectors.json"))
    func generated(_ c: SigningCase) {
        checkSigningCase(c)
    }

    @Test("vectors published in the SDK's own unit tests", arguments: Fixtures.signingCases("sdk-unit-vectors.json"))
    func sdkUnitTests(_ c: SigningCase) {
        checkSigningCase(c)
    }

    @Test func generatedSetIsLargeAndCoversEveryKind() {
        let cases = Fixtures.signingCases("signing-vectors.json")
        #expect(cases.count >= 300)
        let kinds = Set(cases.map { "\($0.version) \($0.mode) \($0.securityToken == nil ? "ak" : "sts")" })
        #expect(kinds == ["v1 header ak", "v1 query ak", "v1 query sts", "v4 header ak", "v4 header sts",
                          "v4 query ak", "v4 query sts", "v1 header sts"])
        #expect(cases.contains { ($0.key ?? "").contains(" ") && ($0.key ?? "").contains("+") })
        #expect(cases.contains { c in c.headers.contains { $0[0].hasPrefix("X-") && $0[0].lowercased().hasPrefix("x-oss-meta-") } })
        #expect(cases.contains { c in Set(c.query.map { $0[0] }).count < c.query.count })
    }
}

@Suite("Signing pieces")
struct SigningPieceTests {
    @Test(arguments: [
        ("", true, ""),
        ("a b", true, "a%20b"),
        ("a/b", true, "a/b"),
        ("a/b", false, "a%2Fb"),
        ("+~%", false, "%2B~%25"),
        ("中", false, "%E4%B8%AD"),
        ("-_.~AZaz09", false, "-_.~AZaz09"),
        ("*'()!", false, "%2A%27%28%29%21"),
    ])
    func percentEncoding(_ input: String, _ keepSlash: Bool, _ expected: String) {
        #expect(OSSPercentEncoding.encode(input, keepSlash: keepSlash) == expected)
        #expect(OSSPercentEncoding.decode(expected) == input)
    }

    @Test(arguments: [
        (1702743657.0, "Sat, 16 Dec 2023 16:20:57 GMT", "20231216T162057Z"),
        (0.0, "Thu, 01 Jan 1970 00:00:00 GMT", "19700101T000000Z"),
        (951782400.0, "Tue, 29 Feb 2000 00:00:00 GMT", "20000229T000000Z"),
        (4102444799.0, "Thu, 31 Dec 2099 23:59:59 GMT", "20991231T235959Z"),
    ])
    func dates(_ seconds: Double, _ rfc: String, _ iso: String) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(HTTPDate.rfc1123(date) == rfc)
        #expect(HTTPDate.iso8601Basic(date) == iso)
        #expect(HTTPDate.parseRFC1123(rfc) == date)
    }

    @Test func credentialsNeverPrintTheSecret() {
        let c = OSSCredentials(accessKeyId: "AKID", accessKeySecret: "s3cr3t-value", securityToken: "tok-value")
        for text in [c.description, c.debugDescription, String(reflecting: c), "\(c)"] {
            #expect(!text.contains("s3cr3t-value"))
            #expect(!text.contains("tok-value"))
        }
    }

    @Test func v1SignsOnlySubresources() {
        let resource = SignerV1.canonicalizedResource(bucket: "b", key: "k", query: [
            QueryItem("prefix", "x"), QueryItem("uploadId", "u1"), QueryItem("partNumber", "2"), QueryItem("uploads"),
        ])
        #expect(resource == "/b/k?partNumber=2&uploadId=u1&uploads")
    }
}
