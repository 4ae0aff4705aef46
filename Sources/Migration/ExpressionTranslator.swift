import Foundation

/// Quotes a PostgreSQL identifier so that any SQLite name survives: `"` around it, inner `"` doubled.
public func pgIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Quotes a PostgreSQL string literal (standard_conforming_strings on, the default since 9.1).
public func pgLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}

/// Translates SQLite expressions (CHECK, DEFAULT, generated columns, index terms, view queries) to PostgreSQL.
///
/// Token by token: identifiers are matched to the table's columns (SQLite names are case-insensitive) and
/// quoted; `==` becomes `=`; a small set of functions with the same meaning in both is kept or renamed;
/// anything else in strict mode makes the expression untranslatable, with the reason.
package struct ExpressionTranslator {
    /// Column names of the table, keyed by lowercased name.
    package var columns: [String: String]
    /// Column kinds, keyed by real name.
    package var kinds: [String: ValueKind]
    /// The qualified PostgreSQL collation standing in for SQLite's NOCASE, when there is one.
    package var nocaseCollation: String?

    package init(columns: [String: String], kinds: [String: ValueKind] = [:], nocaseCollation: String? = nil) {
        self.columns = columns
        self.kinds = kinds
        self.nocaseCollation = nocaseCollation
    }

    static let keywords: Set<String> = [
        "AND", "OR", "NOT", "NULL", "IS", "IN", "BETWEEN", "LIKE", "CASE", "WHEN", "THEN", "ELSE", "END",
        "TRUE", "FALSE", "CAST", "AS", "DISTINCT", "ESCAPE", "ASC", "DESC", "COLLATE", "EXISTS",
    ]
    /// SQLite function → PostgreSQL function with the same meaning on the values SQLite would pass.
    static let functions: [String: String] = [
        "LENGTH": "length", "LOWER": "lower", "UPPER": "upper", "ABS": "abs", "TRIM": "btrim",
        "LTRIM": "ltrim", "RTRIM": "rtrim", "COALESCE": "coalesce", "IFNULL": "coalesce", "NULLIF": "nullif",
        "REPLACE": "replace", "SUBSTR": "substr", "SUBSTRING": "substr", "INSTR": "strpos", "CAST": "CAST",
    ]
    static let castTypes: [String: String] = [
        "INTEGER": "bigint", "INT": "bigint", "BIGINT": "bigint", "REAL": "double precision", "TEXT": "text",
        "NUMERIC": "numeric", "BLOB": "bytea",
    ]

    /// The PostgreSQL text of `tokens`, or the reason it cannot be translated.
    package func translate(_ tokens: [SQLToken], strict: Bool = true) -> Result<String, TranslationProblem> {
        var out: [String] = []
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            let next = i + 1 < tokens.count ? tokens[i + 1] : nil
            switch token {
            case .word(let word):
                let upper = word.uppercased()
                if next == .symbol("(") {
                    if let mapped = Self.functions[upper] {
                        out.append(mapped + "(")
                        i += 2
                        continue
                    } else if !strict {
                        out.append(word + "(")
                        i += 2
                        continue
                    } else {
                        return .failure(TranslationProblem("function \(word)() has no PostgreSQL equivalent"))
                    }
                } else if let column = columns[word.lowercased()] {
                    out.append(pgIdentifier(column))
                } else if upper == "CURRENT_TIMESTAMP" || upper == "CURRENT_DATE" || upper == "CURRENT_TIME" {
                    return .failure(TranslationProblem("\(upper) depends on the clock"))
                } else if Self.keywords.contains(upper) {
                    if upper == "AS", let typeName = next?.keyword, let pgType = Self.castTypes[typeName] {
                        out.append("AS \(pgType)")
                        i += 2
                        continue
                    }
                    if upper == "COLLATE", let name = next?.identifier {
                        if name.uppercased() == "NOCASE", let nocaseCollation {
                            out.append("COLLATE \(nocaseCollation)")
                        } else if name.uppercased() != "BINARY" {
                            return .failure(TranslationProblem("COLLATE \(name) has no PostgreSQL equivalent"))
                        }
                        i += 2
                        continue
                    }
                    out.append(upper)
                } else if !strict {
                    out.append(word)
                } else {
                    return .failure(TranslationProblem("unknown name \(word)"))
                }
            case .quotedIdentifier(let name):
                out.append(pgIdentifier(columns[name.lowercased()] ?? name))
            case .string(let text):
                out.append(pgLiteral(text))
            case .blob(let hex):
                out.append("'\\x\(hex)'::bytea")
            case .number(let n):
                out.append(n)
            case .symbol(let s):
                switch s {
                case "==": out.append("=")
                case "(", ")", ",", "=", "<", ">", "<=", ">=", "!=", "<>", "+", "-", "*", "/", "%", "||", ".", ";":
                    out.append(s)
                default:
                    if strict { return .failure(TranslationProblem("operator \(s) has no PostgreSQL equivalent")) }
                    out.append(s)
                }
            }
            i += 1
        }
        while out.last == ";" { out.removeLast() }
        return .success(join(out))
    }

    /// Joins tokens with spaces except around parentheses, commas and dots.
    private func join(_ parts: [String]) -> String {
        var text = ""
        var previous = ""
        for part in parts {
            let tight = part == ")" || part == "," || part == "." || previous.hasSuffix("(") || previous == "." || text.isEmpty
            text += (tight ? "" : " ") + part
            previous = part
        }
        return text
    }

    /// Whether a CHECK only restates what a PostgreSQL boolean column already guarantees (`x IN (0, 1)`).
    package func isBooleanDomainCheck(_ tokens: [SQLToken]) -> Bool {
        guard tokens.count == 7, let name = tokens[0].identifier, let column = columns[name.lowercased()],
              kinds[column] == .boolean, tokens[1].keyword == "IN", tokens[2] == .symbol("("),
              tokens[4] == .symbol(","), tokens[6] == .symbol(")") else { return false }
        let values = Set([tokens[3], tokens[5]])
        return values == [.number("0"), .number("1")]
    }
}

/// Why an expression or object was not translated.
public struct TranslationProblem: Error, Sendable, Equatable, Codable {
    /// The reason, for the report.
    public var reason: String
    /// Creates a problem.
    public init(_ reason: String) { self.reason = reason }
}

/// Translates a column DEFAULT as SQLite stores it (`PRAGMA table_xinfo.dflt_value`) for a column of
/// `postgresType`; a pure function.
///
/// SQLite's clock defaults produce UTC text, so for timestamp/date columns they become UTC values and for
/// text columns the same text PostgreSQL-side.
public func translateDefault(_ sqlite: String, postgresType: String, kind: ValueKind) -> Result<String, TranslationProblem> {
    var tokens = tokenizeSQL(sqlite)
    while tokens.first == .symbol("("), matchingParen(tokens, from: 0) == tokens.count {
        tokens = Array(tokens.dropFirst().dropLast())
    }
    let flat = tokens.map(renderSQLiteToken).joined(separator: " ").uppercased()
    let utcNow = "(now() AT TIME ZONE 'UTC')"
    let clock: [String: (temporal: String, text: String)] = [
        "CURRENT_TIMESTAMP": (utcNow, "to_char(\(utcNow), 'YYYY-MM-DD HH24:MI:SS')"),
        "DATETIME ( 'NOW' )": (utcNow, "to_char(\(utcNow), 'YYYY-MM-DD HH24:MI:SS')"),
        "CURRENT_DATE": ("(\(utcNow))::date", "to_char(\(utcNow), 'YYYY-MM-DD')"),
        "DATE ( 'NOW' )": ("(\(utcNow))::date", "to_char(\(utcNow), 'YYYY-MM-DD')"),
        "CURRENT_TIME": ("", "to_char(\(utcNow), 'HH24:MI:SS')"),
        "STRFTIME ( '%S' , 'NOW' )": ("", "(extract(epoch FROM now())::bigint)"),
        "UNIXEPOCH ( )": ("", "(extract(epoch FROM now())::bigint)"),
    ]
    if let rule = clock[flat] {
        if flat.contains("'%S'") || flat.hasPrefix("UNIXEPOCH") {
            return kind == .integer || postgresType == "bigint" ? .success(rule.text)
                : .failure(TranslationProblem("DEFAULT \(sqlite) on a \(postgresType) column"))
        }
        switch postgresType {
        case "timestamp", "date":
            return rule.temporal.isEmpty ? .failure(TranslationProblem("DEFAULT \(sqlite) on a \(postgresType) column"))
                : .success(rule.temporal)
        case "bigint", "boolean", "double precision", "bytea":
            return .failure(TranslationProblem("DEFAULT \(sqlite) on a \(postgresType) column"))
        default:
            return .success(rule.text)
        }
    }
    // Literals: a number (maybe signed), a string, a blob, NULL, TRUE/FALSE.
    if tokens.count == 1 || (tokens.count == 2 && (tokens[0] == .symbol("-") || tokens[0] == .symbol("+"))) {
        let sign = tokens.count == 2 ? (tokens[0] == .symbol("-") ? "-" : "") : ""
        let literal = tokens[tokens.count - 1]
        switch literal {
        case .number(let n):
            let text = sign + n
            switch kind {
            case .boolean:
                if text == "0" { return .success("false") }
                if text == "1" { return .success("true") }
                return .failure(TranslationProblem("DEFAULT \(text) is not a boolean"))
            case .text, .date, .timestamp:
                return .success(pgLiteral(text))
            case .blob:
                return .failure(TranslationProblem("numeric DEFAULT on a BLOB column"))
            default:
                return .success(text)
            }
        case .string(let s) where sign.isEmpty:
            if kind == .boolean {
                if ["true", "t", "yes", "1"].contains(s.lowercased()) { return .success("true") }
                if ["false", "f", "no", "0"].contains(s.lowercased()) { return .success("false") }
            }
            if kind == .blob { return .success("'\\x" + Data(s.utf8).map { String(format: "%02x", $0) }.joined() + "'::bytea") }
            return .success(pgLiteral(s))
        case .blob(let hex) where sign.isEmpty:
            return kind == .blob ? .success("'\\x\(hex.lowercased())'::bytea")
                : .failure(TranslationProblem("blob DEFAULT on a \(postgresType) column"))
        case .word(let w) where sign.isEmpty:
            switch w.uppercased() {
            case "NULL": return .success("NULL")
            case "TRUE": return .success(kind == .boolean ? "true" : "1")
            case "FALSE": return .success(kind == .boolean ? "false" : "0")
            default: break
            }
        default:
            break
        }
    }
    return ExpressionTranslator(columns: [:]).translate(tokens).mapError {
        TranslationProblem("DEFAULT \(sqlite): \($0.reason)")
    }
}
