import Foundation

/// One value read from SQLite: the storage class, with text kept as raw bytes so invalid UTF-8 is seen.
package enum SourceValue: Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(Data)
    case blob(Data)
}

/// Converts SQLite values to the text PostgreSQL loads, and both sides' values to one canonical form.
///
/// The "transfer text" is what goes into the CSV field. The canonical form that the verification hashes
/// is `canonicalize(kind, text)`, applied to the transfer text on the SQLite side and to PostgreSQL's
/// output text on the other, so a value that changed anywhere on the way shows up as a difference.
/// Conversion rules (documented in `typeMappingRules`):
/// - integer columns: integers; text that is a whole decimal number in bigint range; everything else is an error.
/// - real columns: reals in the shortest form that reads back exactly (≤ 17 significant digits), ±Infinity; integers when exactly
///   representable; numeric text; the rest is an error.
/// - numeric columns: integers, reals in shortest round-trip form, numeric text.
/// - boolean columns: 0/1 and true/false/t/f/yes/no/y/n/on/off text (any case).
/// - text columns: text that is valid UTF-8 without NUL bytes; numbers as their text; such blobs as text.
/// - blob columns: blobs and text as their bytes (`\x` hex).
/// - date/timestamp columns: text as written; numbers as their text (the column then falls back to text or bigint).
package enum ValueCodec {
    /// Appends the transfer text of `value` to `out`; returns nil when the value is NULL, or throws the
    /// reason the value cannot be loaded. Updates `profile`.
    ///
    /// For kinds where `sourceCanonicalIsIdentity` is false, the canonical form is appended to `canonical`
    /// (the caller uses `out` itself otherwise), so each value is normalized once.
    package static func transfer(_ value: SourceValue, kind: ValueKind, into out: inout [UInt8],
                                 canonical: inout [UInt8], profile: inout ColumnProfile) -> Result<Bool, ValueError> {
        let result = transferText(value, kind: kind, into: &out, canonical: &canonical, profile: &profile)
        if case .success(true) = result, kind == .numeric {
            let text = String(decoding: out, as: UTF8.self)
            canonical.append(contentsOf: (canonicalDecimal(text) ?? text).utf8)
        } else if case .success(true) = result, kind == .timestamp, canonical.isEmpty {
            canonical.append(contentsOf: out)
        }
        return result
    }

    private static func transferText(_ value: SourceValue, kind: ValueKind, into out: inout [UInt8],
                                     canonical: inout [UInt8], profile: inout ColumnProfile) -> Result<Bool, ValueError> {
        switch value {
        case .null:
            profile.nulls += 1
            return .success(false)
        case .integer(let v):
            profile.integers += 1
            switch kind {
            case .integer, .numeric, .text, .date, .timestamp:
                appendInteger(v, to: &out)
            case .real:
                let d = Double(v)
                // Doubles hold integers exactly only up to 2^53; a larger one would change silently.
                guard abs(d) < 9.2e18, Int64(d) == v else {
                    profile.outOfRange += 1
                    return .failure(ValueError("integer \(v) has no exact double precision value"))
                }
                appendReal17(d, to: &out)
            case .boolean:
                guard v == 0 || v == 1 else {
                    profile.outOfRange += 1
                    return .failure(ValueError("integer \(v) is not a boolean (0 or 1)"))
                }
                out.append(v == 1 ? UInt8(ascii: "t") : UInt8(ascii: "f"))
            case .blob:
                return .failure(ValueError("integer \(v) in a BLOB column"))
            }
            return .success(true)
        case .real(let d):
            profile.reals += 1
            switch kind {
            case .real:
                appendReal17(d, to: &out)
            case .numeric, .text, .date, .timestamp:
                guard d.isFinite || kind != .numeric else {
                    profile.outOfRange += 1
                    return .failure(ValueError("real \(shortestReal(d)) does not fit numeric"))
                }
                out.append(contentsOf: shortestReal(d).utf8)
            case .integer:
                profile.outOfRange += 1
                if d.isFinite, d == d.rounded(), abs(d) >= 9.2e18 {
                    return .failure(ValueError("real \(shortestReal(d)) is past the bigint range"))
                }
                return .failure(ValueError("real \(shortestReal(d)) is not an integer"))
            case .boolean:
                guard d == 0 || d == 1 else {
                    profile.outOfRange += 1
                    return .failure(ValueError("real \(shortestReal(d)) is not a boolean (0 or 1)"))
                }
                out.append(d == 1 ? UInt8(ascii: "t") : UInt8(ascii: "f"))
            case .blob:
                return .failure(ValueError("real \(shortestReal(d)) in a BLOB column"))
            }
            return .success(true)
        case .text(let bytes):
            profile.texts += 1
            if kind == .blob {
                appendHex(bytes, to: &out)
                return .success(true)
            }
            if let nul = firstNUL(bytes) {
                profile.nulBytes += 1
                return .failure(ValueError("text contains a NUL byte at offset \(nul) (PostgreSQL text cannot hold it)"))
            }
            guard let characters = utf8CharacterCount(bytes) else {
                profile.invalidUTF8 += 1
                return .failure(ValueError("text is not valid UTF-8"))
            }
            profile.maxCharacters = max(profile.maxCharacters, characters)
            switch kind {
            case .text:
                out.append(contentsOf: bytes)
            case .date:
                if bytes.withUnsafeBytes({ isDate($0) }) { profile.temporal += 1 }
                out.append(contentsOf: bytes)
            case .timestamp:
                if bytes.withUnsafeBytes({ normalizeTimestamp($0, into: &canonical) }) { profile.temporal += 1 }
                out.append(contentsOf: bytes)
            case .integer:
                let text = String(decoding: bytes, as: UTF8.self)
                guard isWholeNumber(text) else {
                    profile.outOfRange += 1
                    return .failure(ValueError("text \(quoted(text)) is not an integer"))
                }
                guard let v = Int64(text) else {
                    profile.outOfRange += 1
                    return .failure(ValueError("text \(quoted(text)) is past the bigint range"))
                }
                appendInteger(v, to: &out)
            case .real:
                let text = String(decoding: bytes, as: UTF8.self)
                guard canonicalDecimal(text) != nil, let d = Double(text) else {
                    profile.outOfRange += 1
                    return .failure(ValueError("text \(quoted(text)) is not a number"))
                }
                appendReal17(d, to: &out)
            case .numeric:
                let text = String(decoding: bytes, as: UTF8.self)
                guard canonicalDecimal(text) != nil else {
                    profile.outOfRange += 1
                    return .failure(ValueError("text \(quoted(text)) is not a number"))
                }
                out.append(contentsOf: text.utf8)
            case .boolean:
                let text = String(decoding: bytes, as: UTF8.self).lowercased()
                if ["true", "t", "yes", "y", "on", "1"].contains(text) {
                    out.append(UInt8(ascii: "t"))
                } else if ["false", "f", "no", "n", "off", "0"].contains(text) {
                    out.append(UInt8(ascii: "f"))
                } else {
                    profile.outOfRange += 1
                    return .failure(ValueError("text \(quoted(text)) is not a boolean"))
                }
            case .blob:
                break
            }
            return .success(true)
        case .blob(let bytes):
            profile.blobs += 1
            switch kind {
            case .blob:
                appendHex(bytes, to: &out)
                return .success(true)
            case .text:
                // A blob that is clean UTF-8 is text SQLite was handed as bytes; anything else cannot be text.
                guard !bytes.contains(0), let characters = utf8CharacterCount(bytes) else {
                    return .failure(ValueError("blob of \(bytes.count) bytes in a text column is not UTF-8 text"))
                }
                profile.maxCharacters = max(profile.maxCharacters, characters)
                out.append(contentsOf: bytes)
                return .success(true)
            default:
                return .failure(ValueError("blob of \(bytes.count) bytes in a \(kind.rawValue) column"))
            }
        }
    }

    /// Appends the canonical form of PostgreSQL's output text for a column of `kind` to `out`.
    ///
    /// Reals are parsed and printed again (PostgreSQL prints `100`, the export wrote `100.0`), decimals
    /// lose redundant zeros, timestamps take PostgreSQL's spelling; everything else is compared byte for byte.
    package static func canonicalize(_ kind: ValueKind, _ text: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        switch kind {
        case .real:
            let string = String(decoding: text, as: UTF8.self)
            if let d = Double(string) { out.append(contentsOf: shortestReal(d).utf8) } else { out.append(contentsOf: text) }
        case .numeric:
            let string = String(decoding: text, as: UTF8.self)
            out.append(contentsOf: (canonicalDecimal(string) ?? string).utf8)
        case .timestamp:
            if !normalizeTimestamp(text, into: &out) { out.append(contentsOf: text) }
        default:
            out.append(contentsOf: text)
        }
    }

    /// Whether `canonicalize` is the identity for PostgreSQL output of `kind`.
    package static func canonicalIsIdentity(_ kind: ValueKind) -> Bool {
        kind != .real && kind != .numeric && kind != .timestamp
    }

    /// Whether the transfer text is already canonical on the SQLite side (reals are written in the
    /// canonical shortest form; decimals and timestamps are normalized by `transfer`).
    package static func sourceCanonicalIsIdentity(_ kind: ValueKind) -> Bool {
        kind != .numeric && kind != .timestamp
    }

    // MARK: - Formatting

    static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        // At most 20 bytes: a small string lives inline, so this does not allocate.
        out.append(contentsOf: String(v).utf8)
    }

    /// Appends the exact text of a double: the shortest digits that read back as the same value (at most
    /// 17 significant digits, PostgreSQL's own output format since version 12), never a rounded 15-digit form.
    static func appendReal17(_ d: Double, to out: inout [UInt8]) { out.append(contentsOf: shortestReal(d).utf8) }

    /// The shortest text that reads back as exactly `d` (Swift's algorithm), with PostgreSQL's spellings of infinity.
    package static func shortestReal(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return "\(d)"
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func appendHex(_ bytes: Data, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        out.reserveCapacity(out.count + bytes.count * 2)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
    }

    static func quoted(_ text: String) -> String {
        let short = text.count > 60 ? String(text.prefix(60)) + "…" : text
        return "'" + short + "'"
    }

    // MARK: - Parsing

    /// The number of characters when `bytes` is valid UTF-8, else nil.
    package static func utf8CharacterCount(_ bytes: Data) -> Int? {
        let ascii = bytes.withUnsafeBytes { raw in !raw.contains { $0 >= 0x80 } }
        if ascii { return bytes.count }
        guard let string = String(validating: bytes, as: UTF8.self) else { return nil }
        return string.unicodeScalars.count
    }

    /// The offset of the first NUL byte, if any.
    static func firstNUL(_ bytes: Data) -> Int? {
        bytes.withUnsafeBytes { raw in raw.firstIndex(of: 0) }
    }

    /// Whether `text` is an optional sign followed by decimal digits only.
    package static func isWholeNumber(_ text: String) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        if scalars.first == "-" || scalars.first == "+" { scalars = scalars.dropFirst() }
        return !scalars.isEmpty && scalars.allSatisfy { ("0"..."9").contains($0) }
    }

    /// A canonical spelling of a decimal number (`digits` `e` `exponent`, no redundant zeros), or nil when
    /// `text` is not a plain decimal number; `Infinity` spellings are kept as they are.
    package static func canonicalDecimal(_ text: String) -> String? {
        if ["Infinity", "-Infinity", "NaN"].contains(text) { return text }
        var chars = Array(text.utf8)
        var negative = false
        if chars.first == UInt8(ascii: "-") { negative = true; chars.removeFirst() } else if chars.first == UInt8(ascii: "+") { chars.removeFirst() }
        var digits: [UInt8] = []
        var exponent = 0
        var seenDot = false
        var seenDigit = false
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                seenDigit = true
                digits.append(c)
                if seenDot { exponent -= 1 }
            } else if c == UInt8(ascii: "."), !seenDot {
                seenDot = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                guard seenDigit, let e = Int(String(decoding: chars[(i + 1)...], as: UTF8.self)), abs(e) < 100_000 else { return nil }
                exponent += e
                i = chars.count
                break
            } else {
                return nil
            }
            i += 1
        }
        guard seenDigit else { return nil }
        while digits.first == UInt8(ascii: "0") { digits.removeFirst() }
        while digits.last == UInt8(ascii: "0") { digits.removeLast(); exponent += 1 }
        if digits.isEmpty { return "0" }
        return (negative ? "-" : "") + String(decoding: digits, as: UTF8.self) + "e" + String(exponent)
    }

    private static func number(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        var value = 0
        for i in range {
            guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { return nil }
            value = value * 10 + Int(b[i] - 0x30)
        }
        return value
    }

    private static func validDate(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let y = number(b, 0..<4), let m = number(b, 5..<7), let d = number(b, 8..<10),
              y >= 1, m >= 1, m <= 12, d >= 1 else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = m == 2 ? (leap ? 29 : 28) : (m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31)
        return d <= days
    }

    /// Whether `bytes` is exactly `YYYY-MM-DD`, a valid date (PostgreSQL prints dates this way).
    package static func isDate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count == 10 && validDate(bytes)
    }

    /// Appends `YYYY-MM-DD[ T]HH:MM[:SS[.f{1,6}]]` rewritten as PostgreSQL prints a timestamp
    /// (`YYYY-MM-DD HH:MM:SS[.f]` without trailing zeros) and returns true; returns false (appending
    /// nothing) when `b` is not such a timestamp.
    package static func normalizeTimestamp(_ b: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        guard b.count >= 16, validDate(b), b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), let h = number(b, 11..<13), let mi = number(b, 14..<16), h < 24, mi < 60
        else { return false }
        var fractionEnd = 0
        if b.count > 16 {
            guard b.count >= 19, b[16] == UInt8(ascii: ":"), let s = number(b, 17..<19), s < 60 else { return false }
            if b.count > 19 {
                guard b[19] == UInt8(ascii: "."), b.count >= 21, b.count <= 26, number(b, 20..<b.count) != nil else { return false }
                fractionEnd = b.count
                while fractionEnd > 20, b[fractionEnd - 1] == UInt8(ascii: "0") { fractionEnd -= 1 }
            }
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[0..<10]))
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[11..<16]))
        if b.count == 16 {
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: "0"), UInt8(ascii: "0")])
        } else {
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[16..<19]))
        }
        if fractionEnd > 20 { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[19..<fractionEnd])) }
        return true
    }

    /// `normalizeTimestamp` for tests: the normalized bytes, or nil.
    package static func normalizedTimestamp(_ bytes: Data) -> [UInt8]? {
        var out: [UInt8] = []
        return bytes.withUnsafeBytes { normalizeTimestamp($0, into: &out) } ? out : nil
    }
}

/// Why one value cannot be loaded.
package struct ValueError: Error, Sendable {
    package let reason: String
    package init(_ reason: String) { self.reason = reason }
}
