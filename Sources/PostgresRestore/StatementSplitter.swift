/// An incremental state machine that finds statement boundaries in a SQL script, byte by byte.
///
/// It follows psql's lexer (`src/fe_utils/psqlscan.l`) as far as splitting needs: single-quoted
/// strings, `E''` strings with backslash escapes, double-quoted identifiers, dollar quotes with tags,
/// `--` comments, nested `/* */` comments, parentheses, and `BEGIN ATOMIC … END` bodies of
/// `CREATE FUNCTION`/`CREATE PROCEDURE`; a semicolon inside any of them does not end a statement.
/// A backslash outside all of them starts a psql meta-command that runs to the end of the line.
///
/// The splitter never holds script text: it reports positions in the buffer the caller scans, so
/// the caller keeps only the current statement. Positions are absolute indexes into that buffer;
/// when the caller moves its unconsumed bytes, it calls `rebase(by:)`.
///
/// It starts with `standard_conforming_strings = on` (the default since PostgreSQL 9.1), so a
/// backslash in a plain `'…'` string is an ordinary character; the reader switches it off when the
/// script runs `SET standard_conforming_strings = off` (pg_dump of a server configured that way).
package struct StatementSplitter: Sendable {
    /// A boundary found by `scan`.
    package enum Boundary: Equatable, Sendable {
        /// A statement ends just before `end` (after its `;`).
        case statement(end: Int)
        /// A meta-command runs from `start` (its backslash) to just before `end` (after its newline, or at EOF).
        /// `insideStatement` is true when statement text came before it on the same statement.
        case metaCommand(start: Int, end: Int, insideStatement: Bool)
    }

    private enum State: Sendable {
        case normal
        case dash              // saw "-" : a comment if another "-" follows
        case slash             // saw "/" : a comment if "*" follows
        case lineComment
        case blockComment
        case blockCommentStar  // saw "*" inside a comment
        case blockCommentSlash // saw "/" inside a comment
        case singleQuote
        case escapeString
        case escapeStringBackslash
        case escapeStringQuote // saw "'" in an E string: "''" continues it
        case doubleQuote
        case dollarTag         // reading a possible opening tag after "$"
        case dollarBody
        case metaCommand
    }

    private var state: State = .normal
    private var commentDepth = 0
    private var parenDepth = 0
    private var beginDepth = 0
    /// The opening dollar-quote tag without its dollars (empty for `$$`).
    private var tag: [UInt8] = []
    /// How many bytes of the closing `$tag$` have matched so far.
    private var closeMatch = 0
    /// Whether the previous byte in normal text could continue an identifier or number.
    private var previousIsIdentifier = false
    /// The previous byte was a lone `E`/`e` that started a token, so a quote now opens an E string.
    private var escapePrefix = false
    /// The current word (lowercased, capped) and how long it really is, for the BEGIN ATOMIC heuristic.
    private var word: [UInt8] = []
    private var wordLength = 0
    /// psql's `identifiers[]`: first letters of the leading CREATE [OR REPLACE] FUNCTION|PROCEDURE words.
    private var heads: [UInt8] = []
    private var identifierCount = 0
    private var metaStart = 0
    private var metaInsideStatement = false

    /// The current line number (1-based) at the scan position.
    package private(set) var line = 1
    /// Whether the current statement has text other than whitespace and comments.
    package private(set) var hasContent = false
    /// Where the current statement's first significant byte is, once `hasContent`.
    package private(set) var contentStart = 0
    /// The line of the current statement's first significant byte.
    package private(set) var contentLine = 1
    private var candidateStart = 0
    private var candidateLine = 1

    /// Whether plain `'…'` strings treat backslashes as ordinary characters (psql tracks the same setting).
    package var standardConformingStrings = true

    package init() {}

    /// Whether the splitter is between statements, with nothing open (so EOF here is clean).
    package var isAtBoundary: Bool {
        !hasContent && (state == .normal || state == .lineComment)
    }

    /// What is open at this point, for an error message about a script that ends early.
    package var openConstruct: String {
        switch state {
        case .singleQuote, .escapeString, .escapeStringBackslash, .escapeStringQuote: return "a quoted string"
        case .doubleQuote: return "a quoted identifier"
        case .dollarBody: return tag.isEmpty ? "a $$ dollar-quoted string" : "a $\(String(decoding: tag, as: UTF8.self))$ dollar-quoted string"
        case .blockComment, .blockCommentStar, .blockCommentSlash: return "a /* */ comment"
        case .metaCommand: return "a meta-command"
        default:
            if parenDepth > 0 { return "parentheses" }
            if beginDepth > 0 { return "a BEGIN … END function body" }
            return "a statement without its closing semicolon"
        }
    }

    /// Counts `n` lines consumed outside the splitter (COPY data).
    package mutating func advanceLines(_ n: Int) {
        line += n
    }

    /// Shifts every remembered position by `delta` after the caller moved its buffer contents.
    package mutating func rebase(by delta: Int) {
        contentStart += delta
        candidateStart += delta
        metaStart += delta
    }

    /// Forgets the finished statement, keeping the line count.
    private mutating func resetStatement() {
        hasContent = false
        parenDepth = 0
        beginDepth = 0
        identifierCount = 0
        heads.removeAll(keepingCapacity: true)
        previousIsIdentifier = false
        escapePrefix = false
        word.removeAll(keepingCapacity: true)
        wordLength = 0
    }

    /// Scans `bytes[from..<bytes.count]` and returns the first boundary with the index after it,
    /// or nil with everything consumed.
    package mutating func scan(_ bytes: UnsafeRawBufferPointer, from: Int) -> (boundary: Boundary, next: Int)? {
        var i = from
        let count = bytes.count
        while i < count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") { line += 1 }
            if let boundary = step(byte, at: i) {
                return (boundary, i + 1)
            }
            i += 1
        }
        return nil
    }

    /// Ends the script: a meta-command without a final newline is complete; anything else open is not.
    package mutating func finish(at end: Int) -> Boundary? {
        if state == .metaCommand {
            state = .normal
            return .metaCommand(start: metaStart, end: end, insideStatement: metaInsideStatement)
        }
        if state == .dash || state == .slash {
            // A lone "-" or "/" at the very end is statement text without a semicolon.
            markContent(at: candidateStart, line: candidateLine)
            state = .normal
        }
        return nil
    }

    private mutating func markContent(at index: Int, line: Int) {
        if !hasContent {
            hasContent = true
            contentStart = index
            contentLine = line
        }
    }

    private static func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80
    }

    private static func isIdentifierContinue(_ b: UInt8) -> Bool {
        isIdentifierStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x24
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C || b == 0x0B
    }

    /// Processes one byte; returns a boundary when the byte completes one.
    private mutating func step(_ byte: UInt8, at i: Int) -> Boundary? {
        while true {
            switch state {
            case .normal:
                return normal(byte, at: i)
            case .dash:
                if byte == UInt8(ascii: "-") { state = .lineComment; return nil }
                markContent(at: candidateStart, line: candidateLine)
                state = .normal
                continue // the "-" was an operator; this byte is ordinary text
            case .slash:
                if byte == UInt8(ascii: "*") { state = .blockComment; commentDepth = 1; return nil }
                markContent(at: candidateStart, line: candidateLine)
                state = .normal
                continue
            case .lineComment:
                if byte == UInt8(ascii: "\n") { state = .normal }
                return nil
            case .blockComment:
                if byte == UInt8(ascii: "*") { state = .blockCommentStar }
                else if byte == UInt8(ascii: "/") { state = .blockCommentSlash }
                return nil
            case .blockCommentStar:
                if byte == UInt8(ascii: "/") {
                    commentDepth -= 1
                    state = commentDepth == 0 ? .normal : .blockComment
                    return nil
                }
                state = .blockComment
                continue
            case .blockCommentSlash:
                if byte == UInt8(ascii: "*") { commentDepth += 1; state = .blockComment; return nil }
                state = .blockComment
                continue
            case .singleQuote:
                if byte == UInt8(ascii: "'") { state = .normal } // "''" reopens at once: same effect
                return nil
            case .escapeString:
                if byte == UInt8(ascii: "\\") { state = .escapeStringBackslash }
                else if byte == UInt8(ascii: "'") { state = .escapeStringQuote }
                return nil
            case .escapeStringBackslash:
                state = .escapeString
                return nil
            case .escapeStringQuote:
                if byte == UInt8(ascii: "'") { state = .escapeString; return nil }
                state = .normal
                continue
            case .doubleQuote:
                if byte == UInt8(ascii: "\"") { state = .normal } // "\"\"" reopens at once: same effect
                return nil
            case .dollarTag:
                if byte == UInt8(ascii: "$") {
                    state = .dollarBody
                    closeMatch = 0
                    return nil
                }
                let valid = tag.isEmpty ? Self.isIdentifierStart(byte) : (Self.isIdentifierContinue(byte) && byte != 0x24)
                if valid { tag.append(byte); return nil }
                // Not a dollar quote ("$1", "$foo bar"): like psql, the "$" was a lone character and
                // any tag bytes after it were an ordinary identifier.
                previousIsIdentifier = !tag.isEmpty
                state = .normal
                continue
            case .dollarBody:
                // Match "$tag$"; on a mismatch a "$" may itself start the closing delimiter.
                if closeMatch == 0 {
                    if byte == UInt8(ascii: "$") { closeMatch = 1 }
                    return nil
                }
                if closeMatch <= tag.count {
                    if byte == tag[closeMatch - 1] { closeMatch += 1 }
                    else { closeMatch = byte == UInt8(ascii: "$") ? 1 : 0 }
                    return nil
                }
                // closeMatch == tag.count + 1: expecting the final "$".
                if byte == UInt8(ascii: "$") {
                    state = .normal
                    previousIsIdentifier = false
                    return nil
                }
                closeMatch = 0
                continue
            case .metaCommand:
                if byte == UInt8(ascii: "\n") {
                    state = .normal
                    return .metaCommand(start: metaStart, end: i + 1, insideStatement: metaInsideStatement)
                }
                return nil
            }
        }
    }

    private mutating func normal(_ byte: UInt8, at i: Int) -> Boundary? {
        let wasEscapePrefix = escapePrefix
        escapePrefix = false
        let continuesWord = Self.isIdentifierContinue(byte) && previousIsIdentifier
        if !continuesWord && wordLength > 0 { endWord() }

        if Self.isSpace(byte) {
            previousIsIdentifier = false
            return nil
        }
        switch byte {
        case UInt8(ascii: "-"):
            candidateStart = i; candidateLine = line
            state = .dash
            previousIsIdentifier = false
            return nil
        case UInt8(ascii: "/"):
            candidateStart = i; candidateLine = line
            state = .slash
            previousIsIdentifier = false
            return nil
        case UInt8(ascii: "\\"):
            metaStart = i
            metaInsideStatement = hasContent
            state = .metaCommand
            previousIsIdentifier = false
            return nil
        default:
            break
        }
        markContent(at: i, line: line)
        switch byte {
        case UInt8(ascii: ";"):
            previousIsIdentifier = false
            if parenDepth == 0 && beginDepth == 0 {
                resetStatement()
                return .statement(end: i + 1)
            }
        case UInt8(ascii: "'"):
            state = wasEscapePrefix || !standardConformingStrings ? .escapeString : .singleQuote
            previousIsIdentifier = false
        case UInt8(ascii: "\""):
            state = .doubleQuote
            previousIsIdentifier = false
        case UInt8(ascii: "$"):
            if previousIsIdentifier {
                // "$" inside an identifier (foo$bar) or after a number.
                return nil
            }
            tag.removeAll(keepingCapacity: true)
            state = .dollarTag
        case UInt8(ascii: "("):
            parenDepth += 1
            previousIsIdentifier = false
        case UInt8(ascii: ")"):
            if parenDepth > 0 { parenDepth -= 1 }
            previousIsIdentifier = false
        default:
            if Self.isIdentifierContinue(byte) {
                if !previousIsIdentifier {
                    // A new token: a word when it starts with a letter, otherwise a number.
                    if Self.isIdentifierStart(byte) {
                        word.removeAll(keepingCapacity: true)
                        wordLength = 0
                        escapePrefix = byte == UInt8(ascii: "E") || byte == UInt8(ascii: "e")
                        appendWord(byte)
                    }
                } else if wordLength > 0 {
                    appendWord(byte)
                }
                previousIsIdentifier = true
            } else {
                previousIsIdentifier = false
            }
        }
        return nil
    }

    private mutating func appendWord(_ byte: UInt8) {
        wordLength += 1
        if word.count < 10 { word.append(byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte) }
    }

    /// psql's heuristic for SQL-standard function bodies: inside CREATE [OR REPLACE] FUNCTION|PROCEDURE,
    /// BEGIN (and CASE within it) opens a block that END closes, and semicolons inside do not split.
    private mutating func endWord() {
        defer { word.removeAll(keepingCapacity: true); wordLength = 0 }
        let text = wordLength <= 10 ? word : []
        func isWord(_ s: StaticString) -> Bool {
            guard text.count == s.utf8CodeUnitCount else { return false }
            return s.withUTF8Buffer { $0.elementsEqual(text) }
        }
        if identifierCount < 4 {
            let lead: UInt8 = (isWord("create") || isWord("function") || isWord("procedure") || isWord("or") || isWord("replace"))
                ? text[0] : 0
            heads.append(lead)
        }
        identifierCount += 1
        func head(_ n: Int) -> UInt8 { n < heads.count ? heads[n] : 0 }
        let c = UInt8(ascii: "c"), f = UInt8(ascii: "f"), p = UInt8(ascii: "p"), o = UInt8(ascii: "o"), r = UInt8(ascii: "r")
        let inRoutine = head(0) == c && (head(1) == f || head(1) == p || (head(1) == o && head(2) == r && (head(3) == f || head(3) == p)))
        guard inRoutine && parenDepth == 0 else { return }
        if isWord("begin") {
            beginDepth += 1
        } else if isWord("case") {
            if beginDepth >= 1 { beginDepth += 1 }
        } else if isWord("end") {
            if beginDepth > 0 { beginDepth -= 1 }
        }
    }
}
