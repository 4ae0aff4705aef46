import Crypto

/// The parsed header of an age v1 file: its stanzas, its MAC, and the exact bytes the MAC covers.
struct Header {
    static let versionLine = Array("age-encryption.org/v1".utf8)
    /// A header longer than this is refused before anything is unwrapped: it bounds memory and the work an
    /// untrusted file can cause (every stanza can cost a key agreement). The format sets no limit; a header
    /// of 1 MiB holds some 10,000 X25519 recipients.
    static let maximumSize = 1 << 20

    var stanzas: [Stanza]
    var mac: [UInt8]
    /// The header from the version line up to and including `---`: what the MAC covers.
    var macInput: [UInt8]

    /// Serializes a header for `stanzas` with its MAC keyed by `fileKey`.
    static func encode(stanzas: [Stanza], fileKey: [UInt8]) -> [UInt8] {
        var out = versionLine + [0x0a]
        for stanza in stanzas { out += stanza.encoded() }
        out += Array("---".utf8)
        let mac = computeMAC(out, fileKey: fileKey)
        out += [0x20] + RawBase64.encode(mac) + [0x0a]
        return out
    }

    /// HMAC-SHA-256 over `macInput`, keyed with HKDF-SHA-256(file key, salt empty, info "header").
    static func computeMAC(_ macInput: [UInt8], fileKey: [UInt8]) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: fileKey), salt: [UInt8](),
                                         info: Array("header".utf8), outputByteCount: 32)
        return Array(HMAC<SHA256>.authenticationCode(for: macInput, using: key))
    }

    /// True when `mac` is the header's MAC for `fileKey` (compared in constant time by swift-crypto).
    func verifyMAC(fileKey: [UInt8]) -> Bool {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: fileKey), salt: [UInt8](),
                                         info: Array("header".utf8), outputByteCount: 32)
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: macInput, using: key)
    }

    /// Reads and parses a header from `input`, which is left at the first byte after the MAC line.
    ///
    /// Strict: every line ends with LF alone, arguments are 1*VCHAR, body lines are canonical unpadded base64
    /// of 64 columns but the last, which is shorter (possibly empty), and the MAC line is `--- ` and 43
    /// base64 characters.
    static func read(from input: BufferedInput) throws -> Header {
        var raw: [UInt8] = []
        func line(_ what: String) throws -> ArraySlice<UInt8> {
            guard let line = try input.readLine(limit: maximumSize - raw.count) else {
                if input.hitLimit { throw AgeError.badHeader("header longer than \(maximumSize) bytes") }
                throw AgeError.badHeader("file ends in the header, \(what)")
            }
            let start = raw.count
            raw += line
            return raw[start..<(raw.count - 1)]  // without its LF
        }
        let first = try line("before the version line")
        if !first.elementsEqual(versionLine) {
            if first.starts(with: "age-encryption.org/".utf8) {
                throw AgeError.unsupportedVersion(String(decoding: first, as: UTF8.self))
            }
            throw AgeError.badHeader("not an age file (no version line)")
        }
        var stanzas: [Stanza] = []
        var next = try line("before the first stanza")
        while next.starts(with: "-> ".utf8) {
            let arguments = try parseArguments(next.dropFirst(3))
            var body: [UInt8] = []
            while true {
                let bodyLine = try line("inside a stanza body")
                guard bodyLine.count <= 64, bodyLine.allSatisfy(RawBase64.isAlphabet) else {
                    throw AgeError.badHeader("stanza body line is not base64 of at most 64 columns")
                }
                body += bodyLine
                if bodyLine.count < 64 { break }
            }
            guard let decoded = RawBase64.decode(body) else {
                throw AgeError.badHeader("stanza body is not canonical base64")
            }
            stanzas.append(Stanza(arguments: arguments, body: decoded))
            next = try line("before the MAC line")
        }
        guard !stanzas.isEmpty else { throw AgeError.badHeader("no recipient stanza") }
        guard next.starts(with: "--- ".utf8) else { throw AgeError.badHeader("expected a stanza or the MAC line") }
        let encodedMAC = next.dropFirst(4)
        guard encodedMAC.count == 43, let mac = RawBase64.decode(encodedMAC), mac.count == 32 else {
            throw AgeError.badHeader("MAC is not 43 characters of canonical base64")
        }
        // The MAC covers everything up to "---", without the space and the MAC itself.
        let macInput = Array(raw[..<(raw.count - 1 - encodedMAC.count - 1)])
        return Header(stanzas: stanzas, mac: mac, macInput: macInput)
    }

    private static func parseArguments(_ text: ArraySlice<UInt8>) throws -> [String] {
        let parts = text.split(separator: 0x20, omittingEmptySubsequences: false)
        guard !parts.isEmpty else { throw AgeError.badHeader("stanza without arguments") }
        return try parts.map { part in
            // VCHAR is 0x21-0x7E: no empty argument, no CR, no control or non-ASCII byte.
            guard !part.isEmpty, part.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }) else {
                throw AgeError.badHeader("stanza argument is empty or has a character outside VCHAR")
            }
            return String(decoding: part, as: UTF8.self)
        }
    }
}
