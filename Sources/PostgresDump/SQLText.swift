import Foundation

/// Pure helpers for writing SQL text safely.
enum SQLText {
    /// A string literal with standard_conforming_strings on: quotes doubled, backslashes literal.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// `text` made safe for a `--` comment: no line breaks, so nothing can start a psql meta-command line.
    static func commentSafe(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": out.append(" ")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The `-- Name: …; Type: …` header line pg_dump writes before each object.
    static func header(name: String, type: String, schema: String?, owner: String?) -> String {
        var line = "-- Name: \(commentSafe(name)); Type: \(type); Schema: \(commentSafe(schema ?? "-"))"
        line += "; Owner: \(commentSafe(owner ?? "-"))"
        return "--\n\(line)\n--\n\n"
    }

    /// `WITH (…)` storage parameters from `reloptions` entries (`name=value`), values quoted as pg_dump does.
    static func reloptions(_ options: [String?]) -> String {
        let items: [String] = options.compactMap { option in
            guard let option, let eq = option.firstIndex(of: "=") else { return nil }
            let name = String(option[..<eq])
            let value = String(option[option.index(after: eq)...])
            return "\(name)=\(literal(value))"
        }
        return items.joined(separator: ", ")
    }
}
