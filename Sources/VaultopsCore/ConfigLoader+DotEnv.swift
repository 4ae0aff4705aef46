import Foundation

/// The `.env` file beside the config, and the UTF-8 check both files go through.
extension ConfigLoader {
    /// `data` as UTF-8 text, or an error naming the line of the first byte that is not UTF-8.
    static func utf8Text(_ data: Data, file: String) throws(ConfigError) -> String {
        if let text = String(data: data, encoding: .utf8) { return text }
        let offset = firstInvalidUTF8(Array(data)) ?? 0
        let line = data.prefix(offset).filter { $0 == 0x0A }.count + 1
        throw ConfigError(file: file, line: line, message: "not valid UTF-8 (byte \(offset + 1) of the file); save it as UTF-8")
    }

    /// The offset of the first byte that does not belong to a valid UTF-8 sequence, or nil when all do.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch b {
            case 0x00...0x7F: i += 1; continue
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xED: length = 3; high = 0x9F
            case 0xE1...0xEF: length = 3
            case 0xF0: length = 4; low = 0x90
            case 0xF4: length = 4; high = 0x8F
            case 0xF1...0xF3: length = 4
            default: return i
            }
            guard i + length <= bytes.count else { return i }
            // Only the second byte has a narrowed range (no overlongs, surrogates or code points past U+10FFFF).
            guard (low...high).contains(bytes[i + 1]) else { return i }
            for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return i }
            i += length
        }
        return nil
    }

    /// Parses a `.env` file: `KEY=VALUE` lines, `#` comments, optional `export `, optional quotes.
    ///
    /// A key set twice is an error naming both lines: which one docker compose or a shell would take differs.
    public static func parseDotEnv(_ text: String, file: String) throws(ConfigError) -> [String: String] {
        var values: [String: String] = [:]
        var lines: [String: Int] = [:]
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            // `\r\n` is one Character, so Windows line ends split like Unix ones.
            let trimmed = rawLine.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var body = Substring(trimmed)
            if body.hasPrefix("export ") { body = body.dropFirst("export ".count).drop(while: { $0 == " " }) }
            guard let eq = body.firstIndex(of: "=") else {
                throw ConfigError(file: file, line: index + 1, message: "expected KEY=VALUE")
            }
            let key = body[..<eq].trimmingCharacters(in: .whitespaces)
            guard isVariableName(key) else {
                throw ConfigError(file: file, line: index + 1, message: "'\(key)' is not a valid variable name")
            }
            if let first = lines[key] {
                throw ConfigError(file: file, line: index + 1,
                                  message: "\(key) is set twice, on line \(first) and line \(index + 1); keep one")
            }
            lines[key] = index + 1
            var value = body[body.index(after: eq)...].drop(while: { $0 == " " || $0 == "\t" })
            if let quote = value.first, quote == "\"" || quote == "'" {
                var out = ""
                var closed = false
                var i = value.index(after: value.startIndex)
                while i < value.endIndex {
                    let c = value[i]
                    if c == quote { closed = true; i = value.index(after: i); break }
                    if quote == "\"", c == "\\", value.index(after: i) < value.endIndex {
                        let next = value[value.index(after: i)]
                        switch next {
                        case "n": out.append("\n")
                        case "t": out.append("\t")
                        default: out.append(next)
                        }
                        i = value.index(i, offsetBy: 2)
                        continue
                    }
                    out.append(c)
                    i = value.index(after: i)
                }
                guard closed else {
                    throw ConfigError(file: file, line: index + 1, message: "the value of \(key) has no closing \(quote)")
                }
                let tail = value[i...].trimmingCharacters(in: .whitespaces)
                guard tail.isEmpty || tail.hasPrefix("#") else {
                    throw ConfigError(file: file, line: index + 1, message: "unexpected text after the quoted value of \(key)")
                }
                values[key] = out
            } else {
                // An unquoted value ends at ` #` (a comment), as in docker compose.
                if let hash = value.range(of: " #") ?? value.range(of: "\t#") { value = value[..<hash.lowerBound] }
                values[key] = value.trimmingCharacters(in: .whitespaces)
            }
        }
        return values
    }
}
