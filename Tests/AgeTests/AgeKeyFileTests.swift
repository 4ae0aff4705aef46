import Age
import Foundation
import Testing
import TestSupport

@Suite("age identity and recipients files, key generation")
struct AgeKeyFileTests {
    @Test("generate writes age-keygen's three lines with mode 0600 and refuses to overwrite")
    func generate() throws {
        let dir = try TempDir("age-keygen")
        let path = dir.file("key.txt").path
        let created = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
        let identity = try AgeKeyFile.generate(to: path, created: created)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[3].isEmpty)
        #expect(lines[0].hasPrefix("# created: 20"))
        #expect(lines[1] == "# public key: \(identity.recipient.string)")
        #expect(lines[2] == "\(identity.secretString)")
        #expect(try AgeKeyFile.identities(atPath: path).map(\.secretString) == [identity.secretString])
        #expect(throws: (any Error).self) { try AgeKeyFile.generate(to: path) }
        let utc = AgeKeyFile.keygenText(for: identity, created: created, timeZone: TimeZone(identifier: "UTC")!)
        #expect(utc.hasPrefix("# created: 2026-01-01T00:00:00Z\n"))
    }

    @Test("age-keygen's own file parses, and its printed public key is our recipient for it")
    func readsAgeKeygen() throws {
        let dir = try TempDir("age-keygen-interop")
        let path = dir.file("key.txt").path
        let result = try runProcess("age-keygen", ["-o", path])
        try #require(result.status == 0, "age-keygen failed: \(result.stderr)")
        let printed = result.stderr.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let identities = try AgeKeyFile.identities(atPath: path)
        #expect(identities.count == 1)
        #expect(identities[0].recipient.string == printed)
        let converted = try runProcess("age-keygen", ["-y", path])
        #expect(converted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == identities[0].recipient.string)
    }

    @Test("comments, blank lines and CRLF are skipped; a bad line is named by number without its text")
    func parsing() throws {
        let a = X25519Identity.generate(), b = X25519Identity.generate()
        let text = "# a comment\n\n\(a.secretString)\r\n# another\n\(b.secretString)\n"
        #expect(try AgeKeyFile.identities(in: text).map(\.secretString) == [a.secretString, b.secretString])
        let last = a.secretString.last == "Q" ? "P" : "Q"  // a different last character: a bad checksum
        let typo = "# created: x\n" + a.secretString.dropLast() + last + "\n"
        do {
            _ = try AgeKeyFile.identities(in: String(typo))
            Issue.record("a bad identity line parsed")
        } catch let error as AgeError {
            #expect(error == .invalidIdentity("identity file line 2 is not an AGE-SECRET-KEY-1… identity"))
            #expect(!error.description.contains(String(a.secretString.prefix(20))))
        }
        #expect(throws: AgeError.invalidIdentity("identity file holds no identity")) {
            try AgeKeyFile.identities(in: "# nothing\n")
        }
        let recipients = "# team\n\(a.recipient.string)\n\n\(b.recipient.string)\n"
        #expect(try AgeKeyFile.recipients(in: recipients) == [a.recipient, b.recipient])
        #expect(throws: AgeError.self) { try AgeKeyFile.recipients(in: "age1nope\n") }
    }
}
