import Foundation

/// A SQLite expression parsed as far as CHECK translation needs it.
indirect enum SQLExpression {
    case literal(SQLToken)
    case column(String)
    case call(String, [SQLExpression])
    case unary(String, SQLExpression)
    case binary(String, SQLExpression, SQLExpression)
    case isDistinct(SQLExpression, SQLExpression, negated: Bool)
    case isNull(SQLExpression, negated: Bool)
    case inList(SQLExpression, [SQLExpression], negated: Bool)
    case between(SQLExpression, SQLExpression, SQLExpression, negated: Bool)
    case like(SQLExpression, SQLExpression, escape: SQLExpression?, negated: Bool, glob: Bool)
    case caseWhen(SQLExpression?, [(SQLExpression, SQLExpression)], SQLExpression?)
    case cast(SQLExpression, String)
    case collate(SQLExpression, String)

    /// Whether PostgreSQL reads it as one operand without parentheses.
    var isAtomic: Bool {
        switch self {
        case .literal, .column, .call, .caseWhen, .cast: true
        case .unary(let op, let operand): op != "NOT" && operand.isAtomic
        default: false
        }
    }
}

/// Parses SQLite expression tokens with SQLite's operator precedence (https://www.sqlite.org/lang_expr.html).
struct SQLExpressionParser {
    let tokens: [SQLToken]
    let columns: [String: String]
    var position = 0

    init(_ tokens: [SQLToken], columns: [String: String]) {
        self.tokens = tokens
        self.columns = columns
    }

    static func parse(_ tokens: [SQLToken], columns: [String: String]) throws(TranslationProblem) -> SQLExpression {
        var parser = SQLExpressionParser(tokens, columns: columns)
        let expression = try parser.expression(0)
        guard parser.position == tokens.count else {
            throw TranslationProblem("unexpected \(renderSQLiteToken(tokens[parser.position])) in the expression")
        }
        return expression
    }

    private var peek: SQLToken? { position < tokens.count ? tokens[position] : nil }
    private func peek(_ offset: Int) -> SQLToken? { position + offset < tokens.count ? tokens[position + offset] : nil }

    private mutating func expect(_ token: SQLToken) throws(TranslationProblem) {
        guard peek == token else { throw TranslationProblem("expected \(renderSQLiteToken(token)) in the expression") }
        position += 1
    }

    /// Binding power of the binary or postfix operator at the current position (0: none).
    private func infixPrecedence() -> Int {
        guard let token = peek else { return 0 }
        switch token {
        case .word(let w):
            switch w.uppercased() {
            case "OR": return 1
            case "AND": return 2
            case "NOT":
                guard let next = peek(1)?.keyword else { return 0 }
                return ["IN", "LIKE", "GLOB", "BETWEEN", "NULL", "MATCH", "REGEXP"].contains(next) ? 4 : 0
            case "IS", "IN", "LIKE", "GLOB", "BETWEEN", "ISNULL", "NOTNULL", "MATCH", "REGEXP": return 4
            case "COLLATE": return 10
            default: return 0
            }
        case .symbol(let s):
            switch s {
            case "=", "==", "!=", "<>": return 4
            case "<", "<=", ">", ">=": return 5
            case "&", "|", "<<", ">>": return 6
            case "+", "-": return 7
            case "*", "/", "%": return 8
            case "||", "->", "->>": return 9
            default: return 0
            }
        default:
            return 0
        }
    }

    mutating func expression(_ minimum: Int) throws(TranslationProblem) -> SQLExpression {
        var left = try prefix()
        while true {
            let precedence = infixPrecedence()
            guard precedence > 0, precedence >= minimum, let token = peek else { return left }
            position += 1
            if case .symbol(let s) = token {
                guard s != "->", s != "->>" else { throw TranslationProblem("operator \(s) has no PostgreSQL equivalent") }
                let op = s == "==" ? "=" : (s == "!=" ? "<>" : s)
                left = .binary(op, left, try expression(precedence + 1))
                continue
            }
            var keyword = token.keyword ?? ""
            var negated = false
            if keyword == "NOT" {
                negated = true
                keyword = peek?.keyword ?? ""
                position += 1
            }
            switch keyword {
            case "OR", "AND":
                left = .binary(keyword, left, try expression(precedence + 1))
            case "NULL":
                left = .isNull(left, negated: true)
            case "ISNULL", "NOTNULL":
                left = .isNull(left, negated: keyword == "NOTNULL")
            case "IS":
                if peek?.keyword == "NOT" {
                    negated = true
                    position += 1
                }
                if peek?.keyword == "DISTINCT" {
                    guard peek(1)?.keyword == "FROM" else { throw TranslationProblem("IS DISTINCT without FROM") }
                    position += 2
                    negated.toggle()
                }
                if peek?.keyword == "NULL" {
                    position += 1
                    left = .isNull(left, negated: negated)
                } else {
                    left = .isDistinct(left, try expression(precedence + 1), negated: !negated)
                }
            case "IN":
                left = .inList(left, try list(), negated: negated)
            case "BETWEEN":
                let low = try expression(precedence + 1)
                guard peek?.keyword == "AND" else { throw TranslationProblem("BETWEEN without AND") }
                position += 1
                left = .between(left, low, try expression(precedence + 1), negated: negated)
            case "LIKE", "GLOB":
                let pattern = try expression(precedence + 1)
                var escape: SQLExpression?
                if peek?.keyword == "ESCAPE" {
                    position += 1
                    escape = try expression(precedence + 1)
                }
                left = .like(left, pattern, escape: escape, negated: negated, glob: keyword == "GLOB")
            case "COLLATE":
                guard let name = peek?.identifier else { throw TranslationProblem("COLLATE without a name") }
                position += 1
                left = .collate(left, name)
            default:
                throw TranslationProblem("operator \(keyword) has no PostgreSQL equivalent")
            }
        }
    }

    /// `( expr, … )` after IN.
    private mutating func list() throws(TranslationProblem) -> [SQLExpression] {
        guard peek == .symbol("(") else { throw TranslationProblem("IN without a list in parentheses") }
        position += 1
        if peek?.keyword == "SELECT" { throw TranslationProblem("IN (SELECT …) has no place in a CHECK") }
        var items: [SQLExpression] = []
        if peek == .symbol(")") {
            position += 1
            return items
        }
        while true {
            items.append(try expression(1))
            if peek == .symbol(",") { position += 1; continue }
            try expect(.symbol(")"))
            return items
        }
    }

    private mutating func prefix() throws(TranslationProblem) -> SQLExpression {
        guard let token = peek else { throw TranslationProblem("the expression ends too early") }
        position += 1
        switch token {
        case .number, .string, .blob:
            return .literal(token)
        case .quotedIdentifier(let name):
            return .column(columns[name.lowercased()] ?? name)
        case .symbol(let s):
            switch s {
            case "(":
                let inner = try expression(1)
                try expect(.symbol(")"))
                return inner
            case "-", "+", "~":
                return .unary(s, try expression(11))
            default:
                throw TranslationProblem("operator \(s) has no PostgreSQL equivalent")
            }
        case .word(let word):
            let upper = word.uppercased()
            switch upper {
            case "NOT": return .unary("NOT", try expression(3))
            case "NULL", "TRUE", "FALSE": return .literal(token)
            case "CASE": return try caseExpression()
            case "CAST": return try castExpression()
            case "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME": throw TranslationProblem("\(upper) depends on the clock")
            case "SELECT", "EXISTS": throw TranslationProblem("\(upper) has no place in a CHECK")
            default: break
            }
            if peek == .symbol("(") {
                position += 1
                var arguments: [SQLExpression] = []
                if peek == .symbol(")") {
                    position += 1
                    return .call(upper, arguments)
                }
                if peek?.keyword == "DISTINCT" || peek == .symbol("*") {
                    throw TranslationProblem("function \(word)() has no PostgreSQL equivalent")
                }
                while true {
                    arguments.append(try expression(1))
                    if peek == .symbol(",") { position += 1; continue }
                    try expect(.symbol(")"))
                    return .call(upper, arguments)
                }
            }
            guard let column = columns[word.lowercased()] else { throw TranslationProblem("unknown name \(word)") }
            return .column(column)
        }
    }

    private mutating func caseExpression() throws(TranslationProblem) -> SQLExpression {
        let base: SQLExpression? = peek?.keyword == "WHEN" ? nil : try expression(1)
        var branches: [(SQLExpression, SQLExpression)] = []
        while peek?.keyword == "WHEN" {
            position += 1
            let condition = try expression(1)
            guard peek?.keyword == "THEN" else { throw TranslationProblem("CASE … WHEN without THEN") }
            position += 1
            branches.append((condition, try expression(1)))
        }
        var otherwise: SQLExpression?
        if peek?.keyword == "ELSE" {
            position += 1
            otherwise = try expression(1)
        }
        guard peek?.keyword == "END", !branches.isEmpty else { throw TranslationProblem("CASE without WHEN … END") }
        position += 1
        return .caseWhen(base, branches, otherwise)
    }

    private mutating func castExpression() throws(TranslationProblem) -> SQLExpression {
        try expect(.symbol("("))
        let value = try expression(1)
        guard peek?.keyword == "AS" else { throw TranslationProblem("CAST without AS") }
        position += 1
        var words: [String] = []
        while let word = peek?.keyword {
            words.append(word)
            position += 1
        }
        try expect(.symbol(")"))
        let name = words.joined(separator: " ")
        guard let type = ExpressionTranslator.castTypes[name] else { throw TranslationProblem("CAST to \(name) has no exact PostgreSQL equivalent") }
        return .cast(value, type)
    }
}

extension ExpressionTranslator {
    /// The PostgreSQL text of a CHECK expression with SQLite's meaning, or why it cannot be translated exactly.
    ///
    /// IN/NOT IN lists and BETWEEN keep their form (a number compared with a TEXT column becomes a string, as
    /// SQLite's TEXT affinity makes it); LIKE folds ASCII case only, on both sides, with no escape character
    /// unless ESCAPE names one (SQLite's rules, where PostgreSQL's ILIKE would also fold non-ASCII letters);
    /// GLOB becomes a case-sensitive LIKE, or an anchored regular expression when it has a character class;
    /// `typeof(column)` becomes the storage class the column's PostgreSQL type holds; CASE keeps its form.
    package func translateCheck(_ tokens: [SQLToken]) -> Result<String, TranslationProblem> {
        do throws(TranslationProblem) {
            let expression = try SQLExpressionParser.parse(tokens, columns: columns)
            return .success(try render(expression))
        } catch {
            return .failure(error)
        }
    }

    static let asciiFold = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'"

    private func kind(_ expression: SQLExpression) -> ValueKind? {
        if case .column(let name) = expression { return kinds[name] }
        return nil
    }

    private func wrapped(_ expression: SQLExpression) throws(TranslationProblem) -> String {
        let text = try render(expression)
        return expression.isAtomic ? text : "(\(text))"
    }

    /// Renders `operand` as compared with `other`: a number literal meeting a TEXT column is a string.
    private func operand(_ operand: SQLExpression, against other: SQLExpression) throws(TranslationProblem) -> String {
        if case .literal(.number(let n)) = operand, kind(other) == .text { return pgLiteral(n) }
        return try wrapped(operand)
    }

    /// The text SQLite's LIKE and GLOB see for `expression`: TEXT as it is, integers as their decimal text.
    private func likeOperand(_ expression: SQLExpression, _ op: String) throws(TranslationProblem) -> String {
        switch kind(expression) {
        case .integer?: return "(\(try render(expression)))::text"
        case .text?, nil: return try wrapped(expression)
        case let other?: throw TranslationProblem("\(op) on a \(other.rawValue) column: SQLite matches its own text form")
        }
    }

    func render(_ expression: SQLExpression) throws(TranslationProblem) -> String {
        switch expression {
        case .literal(let token):
            switch token {
            case .string(let s): return pgLiteral(s)
            case .blob(let hex): return "'\\x\(hex.lowercased())'::bytea"
            case .number(let n): return n
            default:
                switch token.keyword {
                case "TRUE": return "true"
                case "FALSE": return "false"
                default: return "NULL"
                }
            }
        case .column(let name):
            return pgIdentifier(name)
        case .call(let name, let arguments):
            return try renderCall(name, arguments)
        case .unary(let op, let operand):
            return op == "NOT" ? "NOT \(try wrapped(operand))" : op + (try wrapped(operand))
        case .binary(let op, let left, let right):
            return "\(try operand(left, against: right)) \(op) \(try operand(right, against: left))"
        case .isDistinct(let left, let right, let negated):
            return "\(try wrapped(left)) IS \(negated ? "NOT " : "")DISTINCT FROM \(try wrapped(right))"
        case .isNull(let operand, let negated):
            return "\(try wrapped(operand)) IS \(negated ? "NOT " : "")NULL"
        case .inList(let left, let items, let negated):
            // SQLite allows an empty list: x IN () is false and x NOT IN () true, even for NULL.
            guard !items.isEmpty else { return negated ? "true" : "false" }
            var rendered: [String] = []
            for item in items { rendered.append(try operand(item, against: left)) }
            return "\(try wrapped(left)) \(negated ? "NOT " : "")IN (\(rendered.joined(separator: ", ")))"
        case .between(let value, let low, let high, let negated):
            return "\(try wrapped(value)) \(negated ? "NOT " : "")BETWEEN \(try operand(low, against: value)) AND \(try operand(high, against: value))"
        case .like(let value, let pattern, let escape, let negated, let glob):
            return glob ? try renderGlob(value, pattern, negated: negated) : try renderLike(value, pattern, escape: escape, negated: negated)
        case .caseWhen(let base, let branches, let otherwise):
            var text = "CASE"
            if let base { text += " " + (try render(base)) }
            for (condition, result) in branches {
                let when: String
                if let base { when = try operand(condition, against: base) } else { when = try render(condition) }
                text += " WHEN \(when) THEN \(try render(result))"
            }
            if let otherwise { text += " ELSE \(try render(otherwise))" }
            return text + " END"
        case .cast(let value, let type):
            return "CAST(\(try render(value)) AS \(type))"
        case .collate(let value, let name):
            switch name.uppercased() {
            case "BINARY": return try render(value)
            case "NOCASE" where nocaseCollation != nil: return "\(try wrapped(value)) COLLATE \(nocaseCollation!)"
            default: throw TranslationProblem("COLLATE \(name) has no PostgreSQL equivalent")
            }
        }
    }

    private func renderCall(_ name: String, _ arguments: [SQLExpression]) throws(TranslationProblem) -> String {
        switch name {
        case "TYPEOF":
            // The column's PostgreSQL type holds one storage class, so typeof() is that class or 'null'.
            let classes: [ValueKind: String] = [.integer: "integer", .boolean: "integer", .real: "real", .text: "text", .blob: "blob"]
            guard arguments.count == 1, case .column(let column) = arguments[0], let kind = kinds[column] else {
                throw TranslationProblem("typeof() of anything but a column has no exact PostgreSQL equivalent")
            }
            guard let storageClass = classes[kind] else {
                throw TranslationProblem("typeof() of the \(kind.rawValue) column \(column): SQLite stores either integers or reals there")
            }
            return "CASE WHEN \(pgIdentifier(column)) IS NULL THEN 'null' ELSE '\(storageClass)' END"
        case "LENGTH":
            guard arguments.count == 1 else { throw TranslationProblem("length() takes one argument") }
            switch kind(arguments[0]) {
            case .integer?: return "length((\(try render(arguments[0])))::text)"
            case .real?, .numeric?, .date?, .timestamp?, .boolean?:
                throw TranslationProblem("length() of a \(kind(arguments[0])!.rawValue) column measures SQLite's own text form")
            default: return "length(\(try render(arguments[0])))"
            }
        default:
            guard let mapped = Self.functions[name], mapped != "CAST" else {
                throw TranslationProblem("function \(name.lowercased())() has no PostgreSQL equivalent")
            }
            var rendered: [String] = []
            for argument in arguments { rendered.append(try render(argument)) }
            return "\(mapped)(\(rendered.joined(separator: ", ")))"
        }
    }

    /// SQLite's LIKE: ASCII letters match either case, other characters only themselves; no escape character
    /// unless ESCAPE gives one.
    private func renderLike(_ value: SQLExpression, _ pattern: SQLExpression, escape: SQLExpression?, negated: Bool) throws(TranslationProblem) -> String {
        let left = "translate(\(try likeOperand(value, "LIKE")), \(Self.asciiFold))"
        let right: String
        if case .literal(.string(let text)) = pattern {
            right = pgLiteral(String(text.unicodeScalars.map { $0.isASCII ? Character(String($0).lowercased()) : Character($0) }))
        } else {
            right = "translate(\(try likeOperand(pattern, "LIKE")), \(Self.asciiFold))"
        }
        var escapeClause = "ESCAPE ''"
        if let escape {
            guard case .literal(.string(let e)) = escape, e.unicodeScalars.count == 1,
                  let scalar = e.unicodeScalars.first, !(scalar.isASCII && scalar.properties.isAlphabetic) else {
                throw TranslationProblem("LIKE … ESCAPE needs one non-letter character to translate exactly")
            }
            escapeClause = "ESCAPE \(pgLiteral(e))"
        }
        return "\(left) \(negated ? "NOT " : "")LIKE \(right) \(escapeClause)"
    }

    /// SQLite's GLOB (case-sensitive; `*`, `?`, `[…]`, `[^…]`; no escape) as LIKE or an anchored regex.
    private func renderGlob(_ value: SQLExpression, _ pattern: SQLExpression, negated: Bool) throws(TranslationProblem) -> String {
        guard case .literal(.string(let glob)) = pattern else {
            throw TranslationProblem("GLOB with a pattern that is not a literal has no exact PostgreSQL equivalent")
        }
        let left = try likeOperand(value, "GLOB")
        let scalars = Array(glob.unicodeScalars)
        if !scalars.contains("[") {
            var like = ""
            for c in scalars {
                switch c {
                case "*": like += "%"
                case "?": like += "_"
                case "%", "_", "\\": like += "\\" + String(c)
                default: like.unicodeScalars.append(c)
                }
            }
            return "\(left) \(negated ? "NOT " : "")LIKE \(pgLiteral(like))"
        }
        var regex = "^"
        var i = 0
        func literal(_ c: Unicode.Scalar) -> String {
            // In PostgreSQL's regular expressions a backslash before a non-alphanumeric character means the character.
            c.isASCII && !c.properties.isAlphabetic && !("0"..."9").contains(c) ? "\\" + String(c) : String(c)
        }
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "*": regex += ".*"
            case "?": regex += "."
            case "[":
                var j = i + 1
                var set = "["
                if j < scalars.count, scalars[j] == "^" { set += "^"; j += 1 }
                if j < scalars.count, scalars[j] == "]" { set += "]"; j += 1 }
                while j < scalars.count, scalars[j] != "]" {
                    let m = scalars[j]
                    set += m == "\\" || m == "[" ? "\\" + String(m) : String(m)
                    j += 1
                }
                guard j < scalars.count else { throw TranslationProblem("GLOB pattern \(glob) has an unclosed [") }
                regex += set + "]"
                i = j
            default: regex += literal(c)
            }
            i += 1
        }
        return "\(left) \(negated ? "!~" : "~") \(pgLiteral(regex + "$"))"
    }
}
