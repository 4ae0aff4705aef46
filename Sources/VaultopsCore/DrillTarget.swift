import Foundation

/// A source's `drill:`: where `run` restores the newest artifact as a trial, then removes it again.
public enum DrillTarget: Sendable, Equatable, CustomStringConvertible {
    /// A scratch PostgreSQL database (a libpq URI or keyword string; may hold a password).
    case postgres(connection: String)
    /// A temporary folder (SQLite and folder sources).
    case temporaryFolder

    /// The drill for humans, credentials hidden.
    public var description: String {
        switch self {
        case let .postgres(connection): Redacted.connectionString(connection)
        case .temporaryFolder: "a temporary folder"
        }
    }

    /// Why `scratch` may not be a drill database for a source backed up from `source`, or nil when it may.
    ///
    /// The scratch database must name its database, and that name must differ from the source's: the drill
    /// drops what it restored, and must never do so in production (even on another host, the same name is
    /// refused, so a copied URL with only the host changed cannot slip through).
    public static func problem(scratch: String, source: String) -> String? {
        guard let scratchName = databaseName(scratch), !scratchName.isEmpty else {
            return "the drill connection must name its scratch database (postgres://…/scratch_db or dbname=scratch_db)"
        }
        let sourceName = databaseName(source) ?? ""
        if scratchName == sourceName || (sourceName.isEmpty && scratchName == userName(source)) {
            return "the drill database '\(scratchName)' is the source's own database; a drill restores into a scratch "
                + "database and drops what it restored, so it must never be the production one (name another database)"
        }
        return nil
    }

    /// The database a libpq URI or keyword string names (`dbname`, or the URI's path), percent-decoded; nil when none.
    static func databaseName(_ connection: String) -> String? { parameter("dbname", in: connection) }

    static func userName(_ connection: String) -> String? { parameter("user", in: connection) }

    /// A parameter of a libpq URI (the path or user part, or `?key=value`) or keyword string (`key=value`).
    static func parameter(_ key: String, in connection: String) -> String? {
        let text = connection.trimmingCharacters(in: .whitespaces)
        if let scheme = text.range(of: "://"), text.hasPrefix("postgres") {
            var rest = Substring(text[scheme.upperBound...])
            var query: Substring = ""
            if let q = rest.firstIndex(of: "?") {
                query = rest[rest.index(after: q)...]
                rest = rest[..<q]
            }
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == key { return String(parts[1]).removingPercentEncoding ?? String(parts[1]) }
            }
            var userInfo: Substring = ""
            if let at = rest.lastIndex(of: "@") {
                userInfo = rest[..<at]
                rest = rest[rest.index(after: at)...]
            }
            switch key {
            case "dbname":
                guard let slash = rest.firstIndex(of: "/") else { return nil }
                let name = String(rest[rest.index(after: slash)...])
                return name.isEmpty ? nil : name.removingPercentEncoding ?? name
            case "user":
                let user = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
                return user.isEmpty ? nil : user.removingPercentEncoding ?? user
            default:
                return nil
            }
        }
        // Keyword form: key = value pairs, values optionally in single quotes with \' and \\ escapes.
        var index = text.startIndex
        func skipSpaces() { while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) } }
        while index < text.endIndex {
            skipSpaces()
            var name = ""
            while index < text.endIndex, text[index] != "=", !text[index].isWhitespace { name.append(text[index]); index = text.index(after: index) }
            skipSpaces()
            guard index < text.endIndex, text[index] == "=" else { return nil }
            index = text.index(after: index)
            skipSpaces()
            var value = ""
            if index < text.endIndex, text[index] == "'" {
                index = text.index(after: index)
                while index < text.endIndex, text[index] != "'" {
                    if text[index] == "\\", text.index(after: index) < text.endIndex { index = text.index(after: index) }
                    value.append(text[index])
                    index = text.index(after: index)
                }
                if index < text.endIndex { index = text.index(after: index) }
            } else {
                while index < text.endIndex, !text[index].isWhitespace { value.append(text[index]); index = text.index(after: index) }
            }
            if name == key { return value }
        }
        return nil
    }
}
