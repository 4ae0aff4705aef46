/// One token of SQLite SQL text, as far as schema translation needs it.
public enum SQLToken: Sendable, Hashable {
    /// A bare word: keyword, unquoted identifier or function name.
    case word(String)
    /// A quoted identifier (`"x"`, `` `x` ``, `[x]`), unquoted.
    case quotedIdentifier(String)
    /// A string literal, without its quotes and with `''` undone.
    case string(String)
    /// A blob literal `X'…'`, the hex digits only.
    case blob(String)
    /// A numeric literal as written.
    case number(String)
    /// Punctuation or an operator (`(`, `)`, `,`, `==`, `||`, …).
    case symbol(String)

    /// The keyword (uppercased) when the token is a bare word.
    public var keyword: String? { if case .word(let w) = self { w.uppercased() } else { nil } }

    /// The identifier name when the token can name something (bare word, quoted identifier or SQLite's
    /// string-as-identifier fallback).
    public var identifier: String? {
        switch self {
        case .word(let w): w
        case .quotedIdentifier(let q): q
        case .string(let s): s
        default: nil
        }
    }
}

/// Splits SQLite SQL into tokens; comments and whitespace are dropped.
///
/// Follows https://www.sqlite.org/lang_expr.html for literals and https://www.sqlite.org/lang_keywords.html
/// for the four identifier quoting styles.
package func tokenizeSQL(_ sql: String) -> [SQLToken] {
    let s = Array(sql.unicodeScalars)
    var i = 0
    var tokens: [SQLToken] = []
    func isWordStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic || c.value > 127 }
    func isWord(_ c: Unicode.Scalar) -> Bool { isWordStart(c) || ("0"..."9").contains(c) || c == "$" }
    func quoted(_ close: Unicode.Scalar, doubling: Bool) -> String {
        var out = String.UnicodeScalarView()
        i += 1
        while i < s.count {
            if s[i] == close {
                if doubling, i + 1 < s.count, s[i + 1] == close { out.append(close); i += 2; continue }
                i += 1
                return String(out)
            }
            out.append(s[i]); i += 1
        }
        return String(out)
    }
    while i < s.count {
        let c = s[i]
        if c.properties.isWhitespace { i += 1; continue }
        if c == "-", i + 1 < s.count, s[i + 1] == "-" {
            while i < s.count, s[i] != "\n" { i += 1 }
            continue
        }
        if c == "/", i + 1 < s.count, s[i + 1] == "*" {
            i += 2
            while i + 1 < s.count, !(s[i] == "*" && s[i + 1] == "/") { i += 1 }
            i += 2
            continue
        }
        if (c == "x" || c == "X"), i + 1 < s.count, s[i + 1] == "'" {
            i += 1
            tokens.append(.blob(quoted("'", doubling: true)))
            continue
        }
        if c == "'" { tokens.append(.string(quoted("'", doubling: true))); continue }
        if c == "\"" { tokens.append(.quotedIdentifier(quoted("\"", doubling: true))); continue }
        if c == "`" { tokens.append(.quotedIdentifier(quoted("`", doubling: true))); continue }
        if c == "[" { tokens.append(.quotedIdentifier(quoted("]", doubling: false))); continue }
        if ("0"..."9").contains(c) || (c == "." && i + 1 < s.count && ("0"..."9").contains(s[i + 1])) {
            var out = String.UnicodeScalarView()
            if c == "0", i + 1 < s.count, s[i + 1] == "x" || s[i + 1] == "X" {
                out.append(s[i]); out.append(s[i + 1]); i += 2
                while i < s.count, s[i].properties.isASCIIHexDigit { out.append(s[i]); i += 1 }
            } else {
                while i < s.count {
                    let d = s[i]
                    if ("0"..."9").contains(d) || d == "." || d == "_" {
                        out.append(d); i += 1
                    } else if (d == "e" || d == "E") {
                        out.append(d); i += 1
                        if i < s.count, s[i] == "+" || s[i] == "-" { out.append(s[i]); i += 1 }
                    } else { break }
                }
            }
            tokens.append(.number(String(out)))
            continue
        }
        if isWordStart(c) {
            var out = String.UnicodeScalarView()
            while i < s.count, isWord(s[i]) { out.append(s[i]); i += 1 }
            tokens.append(.word(String(out)))
            continue
        }
        let two = i + 1 < s.count ? String(String.UnicodeScalarView([c, s[i + 1]])) : ""
        if ["==", "!=", "<>", "<=", ">=", "||", "<<", ">>", "->"].contains(two) {
            if two == "->", i + 2 < s.count, s[i + 2] == ">" {
                tokens.append(.symbol("->>")); i += 3; continue
            }
            tokens.append(.symbol(two)); i += 2; continue
        }
        tokens.append(.symbol(String(c)))
        i += 1
    }
    return tokens
}

/// The index just past the parenthesis that closes the one at `open`.
package func matchingParen(_ tokens: [SQLToken], from open: Int) -> Int {
    var depth = 0
    var i = open
    while i < tokens.count {
        if tokens[i] == .symbol("(") { depth += 1 }
        if tokens[i] == .symbol(")") {
            depth -= 1
            if depth == 0 { return i + 1 }
        }
        i += 1
    }
    return tokens.count
}

/// Splits `tokens` at top-level commas.
package func splitTopLevel(_ tokens: ArraySlice<SQLToken>) -> [ArraySlice<SQLToken>] {
    var parts: [ArraySlice<SQLToken>] = []
    var depth = 0
    var start = tokens.startIndex
    for i in tokens.indices {
        switch tokens[i] {
        case .symbol("("): depth += 1
        case .symbol(")"): depth -= 1
        case .symbol(","):
            if depth == 0 { parts.append(tokens[start..<i]); start = i + 1 }
        default: break
        }
    }
    if start < tokens.endIndex { parts.append(tokens[start..<tokens.endIndex]) }
    return parts
}

/// What the `CREATE TABLE` text says that SQLite's pragmas do not: CHECKs, collations, generated
/// expressions and AUTOINCREMENT.
package struct CreateTableDetails: Sendable, Equatable {
    /// Table-level and column-level CHECK expressions, as token lists.
    package var checks: [[SQLToken]] = []
    /// Column name (as written) → collation name.
    package var collations: [String: String] = [:]
    /// Column name (as written) → generated-column expression tokens.
    package var generated: [String: [SQLToken]] = [:]
    /// Whether the table uses AUTOINCREMENT.
    package var autoincrement = false
    /// Whether the table is declared `WITHOUT ROWID`.
    package var withoutRowid = false
}

/// Reads CHECK constraints, COLLATE clauses, generated expressions and AUTOINCREMENT from a `CREATE TABLE`.
package func parseCreateTable(_ sql: String) -> CreateTableDetails {
    let tokens = tokenizeSQL(sql)
    var details = CreateTableDetails()
    guard let open = tokens.firstIndex(of: .symbol("(")) else { return details }
    let close = matchingParen(tokens, from: open)
    let rest = tokens[min(close, tokens.count)...].compactMap(\.keyword)
    details.withoutRowid = rest.contains("ROWID") && rest.contains("WITHOUT")
    let body = tokens[(open + 1)..<max(open + 1, close - 1)]
    let constraintStarts: Set<String> = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
    for item in splitTopLevel(body) {
        guard let first = item.first else { continue }
        let isTableConstraint = first.keyword.map { constraintStarts.contains($0) } ?? false
        let column: String? = isTableConstraint ? nil : first.identifier
        var i = item.startIndex + (isTableConstraint ? 0 : 1)
        while i < item.endIndex {
            let keyword = item[i].keyword
            if keyword == "AUTOINCREMENT" { details.autoincrement = true }
            if keyword == "CHECK", i + 1 < item.endIndex, item[i + 1] == .symbol("(") {
                let end = matchingParen(Array(item), from: i + 1 - item.startIndex) + item.startIndex
                details.checks.append(Array(item[(i + 2)..<(end - 1)]))
                i = end
                continue
            }
            if keyword == "COLLATE", let column, i + 1 < item.endIndex, let name = item[i + 1].identifier {
                details.collations[column] = name
                i += 2
                continue
            }
            if keyword == "AS", let column, i + 1 < item.endIndex, item[i + 1] == .symbol("(") {
                let end = matchingParen(Array(item), from: i + 1 - item.startIndex) + item.startIndex
                details.generated[column] = Array(item[(i + 2)..<(end - 1)])
                i = end
                continue
            }
            if keyword == "DEFAULT" || keyword == "REFERENCES", i + 1 < item.endIndex, item[i + 1] == .symbol("(") {
                i = matchingParen(Array(item), from: i + 1 - item.startIndex) + item.startIndex
                continue
            }
            i += 1
        }
    }
    return details
}

/// The `(…)` column list and `WHERE` predicate of a `CREATE INDEX` statement, as tokens.
package func parseCreateIndex(_ sql: String) -> (columns: [SQLToken], predicate: [SQLToken]?)? {
    let tokens = tokenizeSQL(sql)
    guard let on = tokens.firstIndex(where: { $0.keyword == "ON" }),
          let open = tokens[on...].firstIndex(of: .symbol("(")) else { return nil }
    let close = matchingParen(tokens, from: open)
    let columns = Array(tokens[(open + 1)..<max(open + 1, close - 1)])
    if let whereIndex = tokens[min(close, tokens.count)...].firstIndex(where: { $0.keyword == "WHERE" }) {
        return (columns, Array(tokens[(whereIndex + 1)...]))
    }
    return (columns, nil)
}
