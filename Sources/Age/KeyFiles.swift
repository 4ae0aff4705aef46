import Archive
import Foundation

/// Identity files and recipients files as `age-keygen` writes them and `age -i`/`age -R` read them.
///
/// One key per line; empty lines and lines starting with `#` are comments.
public enum AgeKeyFile {
    /// Parses the X25519 identities of an identity file's `text`; at least one.
    ///
    /// A bad line is named by its number only: it may be a secret key with a typo.
    public static func identities(in text: String, name: String = "identity file") throws -> [X25519Identity] {
        var identities: [X25519Identity] = []
        for (number, line) in keyLines(text) {
            do { identities.append(try X25519Identity(line)) } catch {
                throw AgeError.invalidIdentity("\(name) line \(number) is not an AGE-SECRET-KEY-1… identity")
            }
        }
        guard !identities.isEmpty else { throw AgeError.invalidIdentity("\(name) holds no identity") }
        return identities
    }

    /// Reads the identity file at `path`.
    public static func identities(atPath path: String) throws -> [X25519Identity] {
        try identities(in: try readSmallFile(path), name: path)
    }

    /// Parses the X25519 recipients of a recipients file's `text`; at least one.
    public static func recipients(in text: String, name: String = "recipients file") throws -> [X25519Recipient] {
        var recipients: [X25519Recipient] = []
        for (number, line) in keyLines(text) {
            do { recipients.append(try X25519Recipient(line)) } catch {
                throw AgeError.invalidRecipient("\(name) line \(number) is not an age1… recipient")
            }
        }
        guard !recipients.isEmpty else { throw AgeError.invalidRecipient("\(name) holds no recipient") }
        return recipients
    }

    /// Reads the recipients file at `path`.
    public static func recipients(atPath path: String) throws -> [X25519Recipient] {
        try recipients(in: try readSmallFile(path), name: path)
    }

    /// The text `age-keygen` writes for `identity`: created time (RFC 3339, local zone), public key, secret.
    public static func keygenText(for identity: X25519Identity, created: Date = Date(),
                                  timeZone: TimeZone = .current) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = timeZone
        return """
            # created: \(formatter.string(from: created))
            # public key: \(identity.recipient.string)
            \(identity.secretString)

            """
    }

    /// Generates an identity and writes it to `path` with mode 0600 (an existing file is an error).
    @discardableResult
    public static func generate(to path: String, created: Date = Date()) throws -> X25519Identity {
        let identity = X25519Identity.generate()
        let sink = try FileSink(path: path, mode: 0o600)
        try sink.write(string: keygenText(for: identity, created: created))
        try sink.sync()
        try sink.close()
        return identity
    }

    /// The (line number, trimmed-of-CR line) pairs that are not comments or blank.
    private static func keyLines(_ text: String) -> [(Int, String)] {
        var result: [(Int, String)] = []
        // Split on the LF byte: a String split on "\n" keeps "\r\n" together (one Character).
        for (index, raw) in text.utf8.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            var line = raw[...]
            if line.last == 0x0d { line = line.dropLast() }
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            result.append((index + 1, String(decoding: line, as: UTF8.self)))
        }
        return result
    }

    /// Key files are small; one larger than 16 MiB is not a key file.
    private static func readSmallFile(_ path: String) throws -> String {
        let source = try FileSource(path: path)
        defer { source.close() }
        var bytes: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { break }
            bytes += buffer[..<n]
            if bytes.count > 16 << 20 { throw AgeError.invalidIdentity("\(path) is larger than 16 MiB") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
