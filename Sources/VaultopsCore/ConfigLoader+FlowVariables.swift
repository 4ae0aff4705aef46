import Foundation

/// Lets `${VAR}` stand unquoted where YAML gives `{` and `}` a meaning of their own.
///
/// In a flow list (`files: [${UPLOADS}]`) YAML reads `{` as the start of a flow mapping, so the reference
/// would need quotes. Before parsing, the braces of every `${…}` are swapped for two private-use characters
/// (plain-scalar text to YAML); the reader swaps them back before substituting, so the text is unchanged.
extension ConfigLoader {
    static let openBrace: Character = "\u{E000}"
    static let closeBrace: Character = "\u{E001}"

    /// `yaml` with the braces of each `${…}` (on one line) hidden from the YAML parser.
    static func hidingVariableBraces(_ yaml: String) -> String {
        // A file that already holds the stand-ins is left alone: swapping back would change it.
        guard yaml.contains("${"), !yaml.contains(openBrace), !yaml.contains(closeBrace) else { return yaml }
        let chars = Array(yaml)
        var out = ""
        var i = 0
        while i < chars.count {
            guard chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{" else { out.append(chars[i]); i += 1; continue }
            var depth = 1
            var j = i + 2
            while j < chars.count, !chars[j].isNewline {
                if chars[j] == "{" { depth += 1 } else if chars[j] == "}" { depth -= 1 }
                if depth == 0 { break }
                j += 1
            }
            // An unclosed `${` stays as written; substitution reports it with its line.
            guard j < chars.count, depth == 0 else { out.append(chars[i]); i += 1; continue }
            out.append("$")
            for c in chars[(i + 1)...j] {
                out.append(c == "{" ? openBrace : c == "}" ? closeBrace : c)
            }
            i = j + 1
        }
        return out
    }

    /// Scalar text as written in the file, the braces of `${…}` restored.
    static func restoringVariableBraces(_ text: String) -> String {
        guard text.contains(openBrace) || text.contains(closeBrace) else { return text }
        return String(text.map { $0 == openBrace ? "{" : $0 == closeBrace ? "}" : $0 })
    }
}
