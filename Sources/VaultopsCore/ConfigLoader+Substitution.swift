import Foundation

/// `${VAR}` expansion, the one set of rules the config and the `.env` beside it share (docker compose's).
extension ConfigLoader {
    /// A problem in `${…}` substitution.
    public enum SubstitutionError: Error, Equatable {
        /// `${NAME}` with NAME unset and no default.
        case unset(String)
        /// `${NAME:?message}` with NAME unset or empty.
        case required(String, message: String)
        /// A `${` without its `}` or with a bad name.
        case syntax(String)
    }

    /// Replaces `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}` and `$$` in `text`.
    ///
    /// docker compose's rules: `:-` also replaces an empty value, `-` only an unset one; defaults may
    /// themselves hold `${…}`. With `bareNames` (`.env` files), `$VAR` is a reference too; otherwise, and
    /// always before anything but a name, a `$` stays as it is.
    public static func substitute(_ text: String, bareNames: Bool = false,
                                  lookup: (String) -> String?) throws(SubstitutionError) -> String {
        guard text.contains("$") else { return text }
        let chars = Array(text)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "$", i + 1 < chars.count else { out.append(c); i += 1; continue }
            if chars[i + 1] == "$" { out.append("$"); i += 2; continue }
            guard chars[i + 1] == "{" else {
                var end = i + 1
                while bareNames, end < chars.count, chars[end].isASCII,
                      chars[end].isLetter || chars[end].isNumber || chars[end] == "_" { end += 1 }
                let name = String(chars[(i + 1)..<end])
                guard isVariableName(name) else { out.append(c); i += 1; continue }
                guard let value = lookup(name) else { throw .unset(name) }
                out += value
                i = end
                continue
            }
            // Find the matching `}`, allowing nested `${…}` in a default.
            var depth = 1
            var j = i + 2
            while j < chars.count, depth > 0 {
                if chars[j] == "{" { depth += 1 } else if chars[j] == "}" { depth -= 1 }
                if depth > 0 { j += 1 }
            }
            guard j < chars.count else { throw .syntax("'${' without a closing '}'") }
            let inner = String(chars[(i + 2)..<j])
            let nameEnd = inner.firstIndex(where: { !($0.isLetter || $0.isNumber || $0 == "_") || !$0.isASCII }) ?? inner.endIndex
            let name = String(inner[..<nameEnd])
            let op = inner[nameEnd...]
            guard isVariableName(name) else { throw .syntax("'${\(inner)}' is not a variable reference") }
            let value = lookup(name)
            if op.isEmpty {
                guard let value else { throw .unset(name) }
                out += value
            } else if op.hasPrefix(":-") || op.hasPrefix("-") {
                let emptyCounts = op.hasPrefix(":-")
                let fallback = String(op.dropFirst(emptyCounts ? 2 : 1))
                if let value, !(emptyCounts && value.isEmpty) {
                    out += value
                } else {
                    out += try substitute(fallback, bareNames: bareNames, lookup: lookup)
                }
            } else if op.hasPrefix(":?") || op.hasPrefix("?") {
                let emptyCounts = op.hasPrefix(":?")
                if let value, !(emptyCounts && value.isEmpty) {
                    out += value
                } else {
                    let message = String(op.dropFirst(emptyCounts ? 2 : 1))
                    throw .required(name, message: message.isEmpty ? "is required" : message)
                }
            } else {
                throw .syntax("'${\(inner)}' is not a variable reference")
            }
            i = j + 1
        }
        return out
    }

    static func isVariableName(_ s: some StringProtocol) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
