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

    /// The variables of the `.env` beside the config at `url`, none when there is no such file.
    static func dotEnv(besideConfig url: URL, environment: [String: String]) throws(ConfigError) -> [String: String] {
        let envURL = url.deletingLastPathComponent().appendingPathComponent(".env")
        guard FileManager.default.fileExists(atPath: envURL.path) else { return [:] }
        // A .env that exists but cannot be read would silently change what ${VAR} means: refuse it.
        guard let envData = try? Data(contentsOf: envURL) else {
            throw ConfigError(file: envURL.path, line: nil, message: "cannot read the .env file beside the config")
        }
        return try parseDotEnv(try utf8Text(envData, file: envURL.path), file: envURL.path, environment: environment)
    }

    /// Parses a `.env` file by docker compose's rules, interpolating as it goes.
    ///
    /// `KEY=VALUE` lines, `#` comments, an optional `export ` prefix. Single-quoted values are literal;
    /// double-quoted ones take the escapes `\n`, `\t`, `\"`, `\\`, `\$` and may span lines; unquoted ones end
    /// at ` #` and are trimmed. Double-quoted and unquoted values are interpolated (`${VAR}`, `$VAR`,
    /// `${VAR:-x}`, `${VAR-x}`, `${VAR:?err}`, `${VAR?err}`, `$$` for a literal `$`) from `environment` first,
    /// then the keys above in the same file — compose's order. An unset variable without a default is an
    /// error naming the line (compose would quietly use an empty string, which breaks a password silently).
    /// A key set twice is an error naming both lines: which one docker compose or a shell would take differs.
    public static func parseDotEnv(_ text: String, file: String,
                                   environment: [String: String] = [:]) throws(ConfigError) -> [String: String] {
        var values: [String: String] = [:]
        var lines: [String: Int] = [:]
        // `\r\n` is one Character, so Windows line ends split like Unix ones.
        let all = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        var index = 0
        while index < all.count {
            let lineNumber = index + 1
            let trimmed = all[index].trimmingCharacters(in: .whitespaces)
            index += 1
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var body = Substring(trimmed)
            if body.hasPrefix("export ") { body = body.dropFirst("export ".count).drop(while: { $0 == " " }) }
            guard let eq = body.firstIndex(of: "=") else {
                throw ConfigError(file: file, line: lineNumber, message: "expected KEY=VALUE")
            }
            let key = body[..<eq].trimmingCharacters(in: .whitespaces)
            guard isVariableName(key) else {
                throw ConfigError(file: file, line: lineNumber, message: "'\(key)' is not a valid variable name")
            }
            if let first = lines[key] {
                throw ConfigError(file: file, line: lineNumber,
                                  message: "\(key) is set twice, on line \(first) and line \(lineNumber); keep one")
            }
            lines[key] = lineNumber
            var value = String(body[body.index(after: eq)...].drop(while: { $0 == " " || $0 == "\t" }))
            let raw: DotEnvValue
            if let quote = value.first, quote == "\"" || quote == "'" {
                // A quoted value may go on over the next lines until its closing quote.
                while closingQuote(in: value, quote: quote) == nil, index < all.count {
                    value += "\n" + all[index]
                    index += 1
                }
                guard let close = closingQuote(in: value, quote: quote) else {
                    throw ConfigError(file: file, line: lineNumber, message: "the value of \(key) has no closing \(quote)")
                }
                let tail = value[value.index(after: close)...].trimmingCharacters(in: .whitespaces)
                guard tail.isEmpty || tail.hasPrefix("#") else {
                    throw ConfigError(file: file, line: lineNumber, message: "unexpected text after the quoted value of \(key)")
                }
                let inner = String(value[value.index(after: value.startIndex)..<close])
                raw = quote == "'" ? .literal(inner) : .interpolated(unescapeDoubleQuoted(inner))
            } else {
                // An unquoted value ends at ` #` (a comment), as in docker compose.
                if let hash = value.range(of: " #") ?? value.range(of: "\t#") { value = String(value[..<hash.lowerBound]) }
                raw = .interpolated(value.trimmingCharacters(in: .whitespaces))
            }
            values[key] = try raw.resolved(key: key, file: file, line: lineNumber) { environment[$0] ?? values[$0] }
        }
        return values
    }

    /// The index of the quote that closes `value` (which starts with `quote`), skipping `\"` in double quotes.
    static func closingQuote(in value: String, quote: Character) -> String.Index? {
        var i = value.index(after: value.startIndex)
        while i < value.endIndex {
            let c = value[i]
            if c == quote { return i }
            if quote == "\"", c == "\\", value.index(after: i) < value.endIndex { i = value.index(i, offsetBy: 2); continue }
            i = value.index(after: i)
        }
        return nil
    }

    /// Resolves compose's double-quote escapes; `\$` becomes `$$` so interpolation leaves a literal `$`.
    static func unescapeDoubleQuoted(_ text: String) -> String {
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            guard c == "\\", next < text.endIndex else { out.append(c); i = next; continue }
            switch text[next] {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "$": out += "$$"
            default: out.append(text[next])
            }
            i = text.index(after: next)
        }
        return out
    }
}

/// A `.env` value before interpolation: single-quoted values are taken as written.
enum DotEnvValue {
    case literal(String)
    case interpolated(String)

    /// The final value; interpolation problems name the file, line and key.
    func resolved(key: String, file: String, line: Int, lookup: (String) -> String?) throws(ConfigError) -> String {
        switch self {
        case let .literal(text):
            return text
        case let .interpolated(text):
            do {
                return try ConfigLoader.substitute(text, bareNames: true, lookup: lookup)
            } catch let failure {
                switch failure {
                case let .unset(name):
                    throw ConfigError(file: file, line: line, message: "variable '\(name)' used by \(key) is not set "
                                      + "(set it above in .env or in the environment, write ${\(name):-default}, "
                                      + "or $$ or single quotes for a literal $)")
                case let .required(name, message):
                    throw ConfigError(file: file, line: line, message: "variable '\(name)' used by \(key): \(message)")
                case let .syntax(detail):
                    throw ConfigError(file: file, line: line, message: "\(key): \(detail) (write $$ for a literal $)")
                }
            }
        }
    }
}
