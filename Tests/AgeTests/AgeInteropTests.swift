import Age
import Archive
import Foundation
import Testing
import TestSupport

@Suite("age interop with the age command")
struct AgeInteropTests {
    static let sizes = [0, 1, 65535, 65536, 65537, 5_000_000]

    func write(_ bytes: [UInt8], to url: URL) throws { try Data(bytes).write(to: url) }
    func read(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

    @Test("age -d decrypts what we encrypt to X25519 recipients (one and three)", arguments: sizes)
    func ageDecryptsOurs(size: Int) throws {
        let dir = try TempDir("age-interop")
        let keys = try (0..<3).map { i -> (X25519Identity, String) in
            let path = dir.file("key\(i).txt").path
            return (try AgeKeyFile.generate(to: path), path)
        }
        let plaintext = patternBytes(size)
        for recipients in [[keys[0].0.recipient], keys.map(\.0.recipient)] {
            let encrypted = dir.file("data.age")
            try write(try encrypt(plaintext, to: recipients, step: 65536), to: encrypted)
            for key in recipients.count == 1 ? [keys[0]] : keys {
                // To standard output: age creates an -o file only once it has a byte to write.
                let result = try runProcess("age", ["-d", "-i", key.1, encrypted.path])
                try #require(result.status == 0, "age -d failed: \(result.stderr)")
                #expect(Array(result.stdoutData) == plaintext)
            }
        }
    }

    @Test("we decrypt what age encrypts to one and to several recipients", arguments: sizes)
    func weDecryptAges(size: Int) throws {
        let dir = try TempDir("age-interop")
        let identities = (0..<3).map { _ in X25519Identity.generate() }
        let plaintext = patternBytes(size, seed: 5)
        try write(plaintext, to: dir.file("plain"))
        for count in [1, 3] {
            let encrypted = dir.file("data-\(count).age")
            let args = identities.prefix(count).flatMap { ["-r", $0.recipient.string] }
            let result = try runProcess("age", ["-e"] + args + ["-o", encrypted.path, dir.file("plain").path])
            try #require(result.status == 0, "age -e failed: \(result.stderr)")
            let file = try read(encrypted)
            for identity in identities.prefix(count) {
                let decrypted = decrypt(file, with: [identity], step: 30_000)
                #expect(decrypted.error == nil)
                #expect(decrypted.released == plaintext)
            }
            #expect(decrypt(file, with: [X25519Identity.generate()]).error as? AgeError == .noMatchingIdentity)
        }
    }

    @Test("passphrase both ways: age -d opens our scrypt file, we open age -p's")
    func passphrase() throws {
        let dir = try TempDir("age-interop-pass")
        let plaintext = patternBytes(200_000, seed: 9)
        let ours = dir.file("ours.age")
        try write(try encrypt(plaintext, to: [try ScryptRecipient(passphrase: "hunter2 hunter2", workFactor: 12)]),
                  to: ours)
        let out = dir.file("out")
        let decrypted = try ageWithTTY(["-d", "-o", out.path, ours.path], passphrase: "hunter2 hunter2")
        try #require(decrypted.status == 0, "age -d failed: \(decrypted.stderr)")
        #expect(try read(out) == plaintext)

        try write(plaintext, to: dir.file("plain"))
        let theirs = dir.file("theirs.age")
        let encrypted = try ageWithTTY(["-p", "-o", theirs.path, dir.file("plain").path], passphrase: "open sesame")
        try #require(encrypted.status == 0, "age -p failed: \(encrypted.stderr)")
        let file = try read(theirs)
        #expect(decrypt(file, with: [try ScryptIdentity(passphrase: "open sesame")]).released == plaintext)
        #expect(decrypt(file, with: [try ScryptIdentity(passphrase: "open sesamE")]).error as? AgeError
                == .noMatchingIdentity)
    }

    @Test("age itself refuses what we refuse: a tampered chunk, a cut file, a swapped header, a wrong key")
    func ageRefusesTheSame() throws {
        let dir = try TempDir("age-interop-bad")
        let keyPath = dir.file("key.txt").path
        let identity = try AgeKeyFile.generate(to: keyPath)
        let plaintext = patternBytes(200_000)
        let good = try encrypt(plaintext, to: [identity.recipient])
        let other = try encrypt(patternBytes(10), to: [identity.recipient])
        var tampered = good
        tampered[good.count - 500] ^= 0x80
        let headerLength = { (file: [UInt8]) -> Int in
            let mac = file.indices.first { file[$0...].starts(with: Array("\n--- ".utf8)) }!
            return file[(mac + 1)...].firstIndex(of: 0x0a)! + 1
        }
        let swapped = Array(other.prefix(headerLength(other))) + good[headerLength(good)...]
        let cases: [(String, [UInt8], String)] = [
            ("tampered", tampered, keyPath),
            ("truncated", Array(good.prefix(good.count - 1000)), keyPath),
            ("swapped", swapped, keyPath),
        ]
        for (label, bytes, key) in cases {
            let path = dir.file("\(label).age")
            try write(bytes, to: path)
            let result = try runProcess("age", ["-d", "-i", key, "-o", dir.file("\(label).out").path, path.path])
            #expect(result.status != 0, "age accepted the \(label) file")
            #expect(decrypt(bytes, with: [identity]).error != nil, "we accepted the \(label) file")
        }
        let otherKey = dir.file("other.txt").path
        try AgeKeyFile.generate(to: otherKey)
        try write(good, to: dir.file("good.age"))
        let wrongKey = try runProcess("age", ["-d", "-i", otherKey, dir.file("good.age").path])
        #expect(wrongKey.status != 0)
        #expect(decrypt(good, with: try AgeKeyFile.identities(atPath: otherKey)).error as? AgeError == .noMatchingIdentity)
    }
}
