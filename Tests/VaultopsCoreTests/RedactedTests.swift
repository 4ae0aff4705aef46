import Foundation
import Testing
@testable import VaultopsCore

@Suite("Redacted")
struct RedactedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String
        var expected: String
        /// Fragments of the secret that must not survive.
        var secrets: [String]
        var testDescription: String { input }
        init(_ input: String, _ expected: String, hides secrets: [String] = []) {
            self.input = input
            self.expected = expected
            self.secrets = secrets
        }
    }

    static let connectionCases: [Case] = [
        // URIs
        Case("postgresql://user:SECRET@host/db", "postgresql://user:***@host/db", hides: ["SECRET"]),
        Case("postgres://user:SECRET@host:5432/db?sslmode=require", "postgres://user:***@host:5432/db?sslmode=require",
             hides: ["SECRET"]),
        Case("PostgreSQL://u:SECRET@h/d", "PostgreSQL://u:***@h/d", hides: ["SECRET"]),
        Case("postgresql://user:p@ss@host/db", "postgresql://user:***@host/db", hides: ["p@ss", "ss@"]),
        Case("postgresql://user:p%40ss%2Fw@host/db", "postgresql://user:***@host/db", hides: ["p%40ss", "%2Fw"]),
        Case("postgresql://u:pw/with?odd#chars@host/db", "postgresql://u:***@host/db", hides: ["pw/", "with", "odd", "chars"]),
        Case("postgresql://u:a:b@h/d", "postgresql://u:***@h/d", hides: ["a:b"]),
        Case("postgresql://u:@host/db", "postgresql://u:***@host/db"),
        Case("postgresql://user@corp:SECRET@host/db", "postgresql://user@corp:***@host/db", hides: ["SECRET"]),
        Case("postgresql://u:SECRET@[::1]:5432/db", "postgresql://u:***@[::1]:5432/db", hides: ["SECRET"]),
        Case("postgresql://u:SECRET@h1:5432,h2:5433/db?target_session_attrs=read-write",
             "postgresql://u:***@h1:5432,h2:5433/db?target_session_attrs=read-write", hides: ["SECRET"]),
        Case("postgresql://host/db?user=u&password=SECRET&sslmode=require",
             "postgresql://host/db?user=u&password=***&sslmode=require", hides: ["SECRET"]),
        Case("postgresql://host/db?pass%77ord=SECRET", "postgresql://host/db?pass%77ord=***", hides: ["SECRET"]),
        Case("postgresql://host/db?PASSWORD=SECRET", "postgresql://host/db?PASSWORD=***", hides: ["SECRET"]),
        Case("postgresql://host/db?sslpassword=SECRET&x", "postgresql://host/db?sslpassword=***&x", hides: ["SECRET"]),
        Case("postgresql://u:SECRET@h/d?password=OTHER", "postgresql://u:***@h/d?password=***", hides: ["SECRET", "OTHER"]),
        // No password: unchanged.
        Case("postgresql://user@host/db", "postgresql://user@host/db"),
        Case("postgresql://host:5432/db", "postgresql://host:5432/db"),
        Case("postgresql://[2001:db8::1]:5432/db", "postgresql://[2001:db8::1]:5432/db"),
        Case("postgresql://", "postgresql://"),
        Case("postgresql:///db?host=/var/run/postgresql", "postgresql:///db?host=/var/run/postgresql"),
        // Keyword/value strings
        Case("host=x password='a b' user=y", "host=x password=*** user=y", hides: ["a b"]),
        Case("host=x password=SECRET", "host=x password=***", hides: ["SECRET"]),
        Case("password = 'it\\'s' dbname=d", "password = *** dbname=d", hides: ["it", "'s"]),
        Case("host=x password='a\\\\' user=y", "host=x password=*** user=y", hides: ["a\\"]),
        Case("host=x password=a\\ b user=y", "host=x password=*** user=y", hides: ["a\\", " b "]),
        Case("PASSWORD=SECRET host=y", "PASSWORD=*** host=y", hides: ["SECRET"]),
        Case("host=x sslpassword=SECRET", "host=x sslpassword=***", hides: ["SECRET"]),
        Case("\thost=x\n password='' ", "\thost=x\n password=*** "),
        Case("dbname=postgresql://u:SECRET@h/d user=z", "dbname='postgresql://u:***@h/d' user=z", hides: ["SECRET"]),
        // Malformed: everything after the password key goes.
        Case("host=x password='SECRET user=y", "host=x password=***", hides: ["SECRET"]),
        Case("host=x password", "host=x ***"),
        Case("host=x user=y", "host=x user=y"),
        // Neither form.
        Case("mydb", "mydb"),
        Case("/var/run/postgresql", "/var/run/postgresql"),
        Case("", ""),
    ]

    @Test(arguments: connectionCases)
    func connectionString(_ c: Case) {
        let out = Redacted.connectionString(c.input)
        #expect(out == c.expected)
        for secret in c.secrets { #expect(!out.contains(secret), "'\(secret)' leaked in \(out)") }
        // Redacting twice changes nothing more.
        #expect(Redacted.connectionString(out) == out)
    }

    static let textCases: [Case] = [
        Case("pg_dump: error: connection to \"postgresql://u:SECRET@h/db\" failed",
             "pg_dump: error: connection to \"postgresql://u:***@h/db\" failed", hides: ["SECRET"]),
        Case("tried postgres://a:SECRET@h/d and postgresql://b:OTHER@[::1]/e.",
             "tried postgres://a:***@h/d and postgresql://b:***@[::1]/e.", hides: ["SECRET", "OTHER"]),
        Case("env PGPASSWORD=SECRET pg_dump", "env PGPASSWORD=*** pg_dump", hides: ["SECRET"]),
        Case("conninfo host=h password='SECRET VALUE' user=u", "conninfo host=h password=*** user=u", hides: ["SECRET"]),
        Case("POST https://oapi.dingtalk.com/robot/send?access_token=SECRET failed",
             "POST https://oapi.dingtalk.com/robot/send?access_token=*** failed", hides: ["SECRET"]),
        Case("OSS_ACCESS_KEY_SECRET=Zx9vQ", "OSS_ACCESS_KEY_SECRET=***", hides: ["Zx9vQ"]),
        Case("postgres is fine, password authentication failed for user \"u\"",
             "postgres is fine, password authentication failed for user \"u\""),
        Case("a=b c==d postgres", "a=b c==d postgres"),
    ]

    @Test(arguments: textCases)
    func text(_ c: Case) {
        let out = Redacted.text(c.input)
        #expect(out == c.expected)
        for secret in c.secrets { #expect(!out.contains(secret), "'\(secret)' leaked in \(out)") }
    }

    @Test func explicitSecretsAreHidden() {
        let out = Redacted.text("webhook https://hooks.example/T0/B1/abc failed with key LTAI-xyz",
                                secrets: ["https://hooks.example/T0/B1/abc", "LTAI-xyz"])
        #expect(out == "webhook *** failed with key ***")
    }

    @Test func registeredSecretsAreHiddenEverywhereIncludingPercentEncoded() {
        let secret = "reg-\(UUID().uuidString)/+@x"
        #expect(!Redacted.text("value \(secret)").contains("***"))
        Redacted.register(secret: secret)
        let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let out = Redacted.text("value \(secret) and \(encoded) end")
        #expect(out == "value *** and *** end")
    }

    @Test func longerSecretIsHiddenWhole() {
        let out = Redacted.text("abcdef and abc", secrets: ["abc", "abcdef"])
        #expect(out == "*** and ***")
    }

    @Test func secretValuePrintsMasked() {
        let value = "sec-\(UUID().uuidString)"
        let secret = Secret(value)
        #expect("\(secret)" == "***")
        #expect(String(reflecting: secret) == "Secret(***)")
        #expect(secret.value == value)
        // Creating it registered the value.
        #expect(Redacted.text("x \(value) y") == "x *** y")
    }

    @Test func concurrentRegistrationKeepsEverySecret() async {
        let prefix = "conc-\(UUID().uuidString)-"
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask {
                    Redacted.register(secret: prefix + String(i))
                    _ = Redacted.text("probe")
                }
            }
        }
        let registered = Set(Redacted.registeredSecrets)
        for i in 0..<200 { #expect(registered.contains(prefix + String(i))) }
    }

    @Test func emptySecretIsIgnored() {
        Redacted.register(secret: "")
        #expect(Redacted.text("nothing to hide") == "nothing to hide")
    }
}
