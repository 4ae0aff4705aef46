/// One recipient stanza of an age header: `-> type args…`, then a base64 body wrapped at 64 columns.
public struct Stanza: Equatable, Sendable {
    /// The arguments after `->`; the first names the recipient type (`X25519`, `scrypt`, …).
    public var arguments: [String]
    /// The decoded body (for native types, the wrapped file key).
    public var body: [UInt8]

    /// A stanza with `arguments` (at least one, each 1*VCHAR) and `body`.
    public init(arguments: [String], body: [UInt8]) {
        self.arguments = arguments
        self.body = body
    }

    /// The recipient type: the first argument.
    public var type: String { arguments.first ?? "" }

    /// The stanza as the header carries it, ending with its final (short, possibly empty) body line.
    func encoded() -> [UInt8] {
        var out = Array("-> ".utf8) + Array(arguments.joined(separator: " ").utf8) + [0x0a]
        let body = RawBase64.encode(self.body)
        var start = 0
        // Lines of 64 columns; the body always ends with a line shorter than 64, empty if need be.
        while true {
            let end = min(start + 64, body.count)
            out += body[start..<end]
            out.append(0x0a)
            if end - start < 64 { break }
            start = end
        }
        return out
    }
}

/// A way to wrap a file key: what encryption is given.
public protocol AgeRecipient: Sendable {
    /// The stanzas that carry `fileKey` (16 bytes) for this recipient.
    func wrap(fileKey: [UInt8]) throws -> [Stanza]
    /// True when files for this recipient must carry no other stanza (scrypt: a passphrase authenticates).
    var mustBeAlone: Bool { get }
}

extension AgeRecipient {
    public var mustBeAlone: Bool { false }
}

/// A way to unwrap a file key: what decryption is given.
public protocol AgeIdentity: Sendable {
    /// The file key from the first stanza addressed to this identity that opens; nil when none does.
    ///
    /// Throws `AgeError.badHeader` for a stanza of this identity's type that breaks the rules of that type
    /// (argument count, canonical base64, body length), as the age specification requires.
    func unwrap(stanzas: [Stanza]) throws -> [UInt8]?
}
