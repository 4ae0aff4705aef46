import LibPQ

/// A psql meta-command line of a script, as far as restore understands them.
///
/// pg_dump writes `\connect` (with `--create`) and `\restrict`/`\unrestrict` (since 17.6, 16.10, 15.14,
/// 14.19 and 13.22); anything else is refused so a script never silently does less than psql would.
package enum MetaCommand: Equatable, Sendable {
    /// `\restrict KEY` or `\unrestrict KEY`: psql's guard against meta-commands injected into dump data; nothing to do.
    case restrict
    /// `\connect DBNAME` or `\connect -reuse-previous=on "dbname='…'"`: continue in another database of the same server.
    case connect(database: String)
    /// Any other meta-command, by name (without the backslash).
    case unsupported(String)

    /// Parses one meta-command line (starting at its backslash).
    package static func parse(_ line: String) throws -> MetaCommand {
        var args = arguments(line)
        guard !args.isEmpty else { return .unsupported("") }
        let name = args.removeFirst().value
        switch name {
        case "restrict", "unrestrict":
            return .restrict
        case "connect", "c":
            args.removeAll { !$0.quoted && $0.value.hasPrefix("-reuse-previous") }
            guard let first = args.first else {
                throw MetaCommandError("\\connect without a database name")
            }
            // Further positional arguments (user, host, port) would leave the server we were given.
            if args.dropFirst().contains(where: { $0.value != "-" }) {
                throw MetaCommandError("\\connect with a user, host or port; only switching databases on the same server is supported")
            }
            let target = first.value
            if target.contains("=") || target.hasPrefix("postgres://") || target.hasPrefix("postgresql://") {
                guard let options = ConnectionInfo.parse(target) else {
                    throw MetaCommandError("\\connect with an unparseable connection string")
                }
                let others = options.keys.filter { $0 != "dbname" }
                guard others.isEmpty else {
                    throw MetaCommandError("\\connect with \(others.sorted().joined(separator: ", ")); only switching databases on the same server is supported")
                }
                guard let database = options["dbname"], !database.isEmpty else {
                    throw MetaCommandError("\\connect without a database name")
                }
                return .connect(database: database)
            }
            return .connect(database: target)
        default:
            return .unsupported(name)
        }
    }

    /// One argument: its value after psql's quoting rules for `\connect` (OT_SQLIDHACK), and whether it was quoted.
    struct Argument: Equatable {
        var value: String
        var quoted: Bool
    }

    /// Splits `\name arg…` into the command name and its arguments.
    ///
    /// Double quotes keep case and are removed (`""` is a quote), single quotes are literal strings
    /// (`''` and backslash escapes), and unquoted text is folded to lower case, as psql does for `\connect`.
    static func arguments(_ line: String) -> [Argument] {
        var chars = Array(line.unicodeScalars)
        if chars.first == "\\" { chars.removeFirst() }
        var result: [Argument] = []
        // The command name runs to the first space or quote.
        var i = 0
        var name = ""
        while i < chars.count, !chars[i].properties.isWhitespace, chars[i] != "\"", chars[i] != "'" {
            name.unicodeScalars.append(chars[i]); i += 1
        }
        result.append(Argument(value: name, quoted: false))
        while i < chars.count {
            while i < chars.count, chars[i].properties.isWhitespace { i += 1 }
            guard i < chars.count else { break }
            var value = String.UnicodeScalarView()
            var quoted = false
            while i < chars.count, !chars[i].properties.isWhitespace {
                let c = chars[i]
                if c == "\"" {
                    quoted = true
                    i += 1
                    while i < chars.count {
                        if chars[i] == "\"" {
                            if i + 1 < chars.count, chars[i + 1] == "\"" { value.append("\""); i += 2; continue }
                            i += 1
                            break
                        }
                        value.append(chars[i]); i += 1
                    }
                } else if c == "'" {
                    quoted = true
                    i += 1
                    while i < chars.count {
                        if chars[i] == "'" {
                            if i + 1 < chars.count, chars[i + 1] == "'" { value.append("'"); i += 2; continue }
                            i += 1
                            break
                        }
                        if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                        value.append(chars[i]); i += 1
                    }
                } else {
                    value.append(contentsOf: String(c).lowercased().unicodeScalars)
                    i += 1
                }
            }
            result.append(Argument(value: String(value), quoted: quoted))
        }
        return result
    }
}

/// A malformed meta-command; the runner adds the file and line.
struct MetaCommandError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
