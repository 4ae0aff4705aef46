/// The base64 of the age header: standard alphabet, no `=` padding, canonical only (RFC 4648, 3.5).
enum RawBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()

    /// True for the 64 characters of the alphabet.
    static func isAlphabet(_ byte: UInt8) -> Bool { reverse[Int(byte)] >= 0 }

    /// Encodes `data` without padding.
    static func encode(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((data.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= data.count {
            let n = UInt32(data[index]) << 16 | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((n >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = data.count - index
        if rest == 1 {
            let n = UInt32(data[index]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(data[index]) << 16 | UInt32(data[index + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return out
    }

    /// Encodes `data` as a String without padding.
    static func encodeString(_ data: [UInt8]) -> String { String(decoding: encode(data), as: UTF8.self) }

    /// Decodes `text`; nil when it has a character outside the alphabet (padding included), an impossible
    /// length, or non-zero bits in the unused low bits of its last character (a non-canonical encoding).
    static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        if text.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for char in text {
            let value = reverse[Int(char)]
            guard value >= 0 else { return nil }
            acc = acc << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xff))
            }
        }
        // Leftover bits (2 or 4) must be zero, or two encodings would decode to the same bytes.
        guard acc & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
