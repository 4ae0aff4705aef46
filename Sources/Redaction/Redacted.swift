import Foundation

/// The one place that hides secrets: connection strings, registered secret values, `password=` pairs.
///
/// Logs, manifests and error descriptions all go through it, so a secret is hidden the same way
/// everywhere. When unsure where a secret ends, it hides more rather than less.
public enum Redacted {
    /// What a hidden value is replaced with.
    public static let mask = "***"

    /// Parameter names (libpq's and common ones) whose values are secrets.
    static let secretParameterNames: Set<String> = ["password", "sslpassword"]

    // MARK: Connection strings

    /// `connection` with its password hidden; works for libpq URIs and keyword/value strings.
    ///
    /// `postgresql://user:SECRET@host/db` → `postgresql://user:***@host/db` (also `postgres://`,
    /// `?password=`); `host=x password='a b' user=y` → `host=x password=*** user=y`. A string that is
    /// neither (a plain database name, a path) comes back unchanged.
    public static func connectionString(_ connection: String) -> String {
        if let uri = redactURI(Substring(connection)) { return uri }
        if connection.contains("=") { return redactKeywords(connection) }
        return connection
    }

    /// Whether `s` starts with a libpq URI scheme (`postgresql://` or `postgres://`, any case).
    public static func isPostgresURI(_ s: some StringProtocol) -> Bool {
        let lower = s.prefix(13).lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    /// A libpq URI with the password in its user info and its secret query parameters hidden.
    ///
    /// The user info ends at the *last* `@`: libpq stops at the first one, but a password typed with a raw
    /// `@` (or `/`, `?`, `#`) must still be hidden, and hiding a little too much is the safe mistake.
    private static func redactURI(_ s: Substring) -> String? {
        guard isPostgresURI(s), let sep = s.range(of: "://") else { return nil }
        var out = String(s[..<sep.upperBound])
        var rest = s[sep.upperBound...]
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                out += userInfo[..<colon] + ":" + mask + "@"
            } else {
                out += userInfo + "@"
            }
            rest = rest[rest.index(after: at)...]
        }
        guard let question = rest.firstIndex(of: "?") else { return out + rest }
        out += rest[...question]
        let query = rest[rest.index(after: question)...]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
            let key = pair[..<eq]
            let decoded = (String(key).removingPercentEncoding ?? String(key)).lowercased()
            return secretParameterNames.contains(decoded) ? key + "=" + mask : String(pair)
        }
        return out + parameters.joined(separator: "&")
    }

    /// A libpq keyword/value string with secret values hidden, following libpq's quoting rules.
    ///
    /// Values are either single-quoted (`\'` and `\\` escape) or run to the next white space (`\` escapes).
    /// A string that does not parse is cut off after its first `password`, since its end cannot be known.
    private static func redactKeywords(_ s: String, found: (String) -> Void = { _ in }) -> String {
        let chars = Array(s)
        var out = ""
        var i = 0
        func isSpace(_ c: Character) -> Bool { c.isWhitespace }
        while i < chars.count {
            // White space between pairs is copied as is.
            if isSpace(chars[i]) { out.append(chars[i]); i += 1; continue }
            let keyStart = i
            while i < chars.count, chars[i] != "=", !isSpace(chars[i]) { i += 1 }
            let key = String(chars[keyStart..<i])
            var j = i
            while j < chars.count, isSpace(chars[j]) { j += 1 }
            guard j < chars.count, chars[j] == "=" else { return truncatedAtSecret(s, found: found) }
            j += 1
            while j < chars.count, isSpace(chars[j]) { j += 1 }
            let separator = String(chars[i..<j])
            // Read the value, decoding escapes, and remember where it ends.
            var value = ""
            var k = j
            if k < chars.count, chars[k] == "'" {
                k += 1
                var closed = false
                while k < chars.count {
                    if chars[k] == "\\", k + 1 < chars.count { value.append(chars[k + 1]); k += 2; continue }
                    if chars[k] == "'" { closed = true; k += 1; break }
                    value.append(chars[k]); k += 1
                }
                guard closed else { return truncatedAtSecret(s, found: found) }
            } else {
                while k < chars.count, !isSpace(chars[k]) {
                    if chars[k] == "\\", k + 1 < chars.count { value.append(chars[k + 1]); k += 2; continue }
                    value.append(chars[k]); k += 1
                }
            }
            out += key + separator
            if secretParameterNames.contains(key.lowercased()) {
                found(value)
                out += mask
            } else if isPostgresURI(value), let inner = redactURI(Substring(value)), inner != value {
                // libpq accepts a whole connection string as `dbname`; its password must go too.
                out += "'" + inner.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
            } else {
                out += String(chars[j..<k])
            }
            i = k
        }
        return out
    }

    /// `s` cut after the first `password…=` (or at `password` itself), for strings that do not parse.
    private static func truncatedAtSecret(_ s: String, found report: (String) -> Void) -> String {
        guard let found = s.range(of: "password", options: .caseInsensitive) else { return s }
        if let eq = s[found.upperBound...].firstIndex(of: "=") {
            let rest = s[s.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            report(rest.hasPrefix("'") ? String(rest.dropFirst()) : rest)
            return String(s[...eq]) + mask
        }
        return String(s[..<found.lowerBound]) + mask
    }

    /// The password values inside a connection string (raw and percent-decoded), for registering.
    package static func passwords(inConnection connection: String) -> [String] {
        var found: [String] = []
        func add(_ value: some StringProtocol) {
            let raw = String(value)
            guard !raw.isEmpty else { return }
            found.append(raw)
            if let decoded = raw.removingPercentEncoding, decoded != raw, !decoded.isEmpty { found.append(decoded) }
        }
        if isPostgresURI(connection), let sep = connection.range(of: "://") {
            var rest = connection[sep.upperBound...]
            if let at = rest.lastIndex(of: "@") {
                let userInfo = rest[..<at]
                if let colon = userInfo.firstIndex(of: ":") { add(userInfo[userInfo.index(after: colon)...]) }
                rest = rest[rest.index(after: at)...]
            }
            if let question = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: question)...].split(separator: "&") {
                    guard let eq = pair.firstIndex(of: "=") else { continue }
                    let key = String(pair[..<eq])
                    if secretParameterNames.contains((key.removingPercentEncoding ?? key).lowercased()) {
                        add(pair[pair.index(after: eq)...])
                    }
                }
            }
        } else if connection.contains("=") {
            _ = redactKeywords(connection) { add($0) }
        }
        return found
    }

    // MARK: Free text

    /// `text` with every registered secret, every value in `secrets`, URI passwords and
    /// `…password=`/`…secret=`/`…token=` values hidden.
    public static func text(_ text: String, secrets: some Sequence<String> = [String]()) -> String {
        var result = text
        let all = (registry.secrets + secrets.flatMap(variants(of:))).sorted { $0.count > $1.count }
        // Longest first, so a secret that contains another is hidden whole.
        for secret in all where !secret.isEmpty && result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: mask)
        }
        result = redactEmbeddedURIs(result)
        result = redactAssignments(result)
        return result
    }

    /// Registers the passwords in a libpq connection string, and `PGPASSWORD` from `environment`, so that
    /// `text(_:)` hides them from now on: what opens connections calls it first, so nothing it logs shows them.
    public static func register(connection: String,
                                environment: [String: String] = ProcessInfo.processInfo.environment) {
        for password in passwords(inConnection: connection) { register(secret: password) }
        if let password = environment["PGPASSWORD"] { register(secret: password) }
    }

    /// Registers a secret value so that `text(_:)` (and so the logger) hides it from now on.
    ///
    /// Thread-safe. Its percent-encoded form is registered too, since URLs carry it that way.
    public static func register(secret: String) {
        guard !secret.isEmpty else { return }
        registry.add(variants(of: secret))
    }

    /// The secrets registered so far (for tests and diagnostics; never print them).
    package static var registeredSecrets: [String] { registry.secrets }

    private static func variants(of secret: String) -> [String] {
        guard !secret.isEmpty else { return [] }
        // Encoders differ on the unreserved marks (`-._~`), so register both spellings.
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        let spellings = [secret,
                         secret.addingPercentEncoding(withAllowedCharacters: unreserved) ?? secret,
                         secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret]
        var seen = Set<String>()
        return spellings.filter { seen.insert($0).inserted }
    }

    /// Hides URI passwords in every `postgres://`/`postgresql://` found in `text`.
    private static func redactEmbeddedURIs(_ text: String) -> String {
        guard text.range(of: "postgres", options: .caseInsensitive) != nil else { return text }
        var out = ""
        var rest = Substring(text)
        while let found = rest.range(of: "postgres", options: .caseInsensitive) {
            out += rest[..<found.lowerBound]
            let tail = rest[found.lowerBound...]
            guard isPostgresURI(tail) else {
                out += rest[found]
                rest = rest[found.upperBound...]
                continue
            }
            // A URI in prose ends at white space or a quote.
            let end = tail.firstIndex(where: { $0.isWhitespace || "\"'`<>".contains($0) }) ?? tail.endIndex
            out += redactURI(tail[..<end]) ?? String(tail[..<end])
            rest = tail[end...]
        }
        return out + rest
    }

    /// Hides values of `name=value` pairs whose name ends in password, passwd, secret or token.
    private static func redactAssignments(_ text: String) -> String {
        let chars = Array(text)
        guard chars.contains("=") else { return text }
        var out = ""
        var i = 0
        while i < chars.count {
            guard chars[i] == "=" else { out.append(chars[i]); i += 1; continue }
            // Look back over the name just copied (letters, digits, `_`, `-`, `.`), skipping spaces before `=`.
            var n = out.endIndex
            while n > out.startIndex, out[out.index(before: n)] == " " { n = out.index(before: n) }
            var start = n
            while start > out.startIndex {
                let c = out[out.index(before: start)]
                guard c.isLetter || c.isNumber || c == "_" || c == "-" || c == "." else { break }
                start = out.index(before: start)
            }
            let name = out[start..<n].lowercased()
            out.append("=")
            i += 1
            guard ["password", "passwd", "secret", "token"].contains(where: { name.hasSuffix($0) }) else { continue }
            while i < chars.count, chars[i] == " " { out.append(" "); i += 1 }
            if i + 3 <= chars.count, String(chars[i..<i + 3]) == mask { continue }
            if i < chars.count, chars[i] == "'" || chars[i] == "\"" {
                let quote = chars[i]
                i += 1
                while i < chars.count, chars[i] != quote {
                    i += chars[i] == "\\" ? 2 : 1
                }
                i = min(i + 1, chars.count)
            } else {
                while i < chars.count, !chars[i].isWhitespace { i += 1 }
            }
            out += mask
        }
        return out
    }

    private static let registry = SecretRegistry()
}

/// The process-wide set of secret values to hide.
private final class SecretRegistry: @unchecked Sendable {
    // Safety: `values` is only read or written while holding `lock`.
    private let lock = NSLock()
    private var values: Set<String> = []

    var secrets: [String] { lock.withLock { Array(values) } }

    func add(_ secrets: [String]) {
        lock.withLock { values.formUnion(secrets) }
    }
}

/// A secret value (password, OSS secret, webhook URL) that prints as `***`.
///
/// Creating one registers the value with `Redacted`, so it is hidden even when it leaks into text.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The real value; pass it only to the API that needs it.
    public let value: String

    public init(_ value: String) {
        self.value = value
        Redacted.register(secret: value)
    }

    public var description: String { Redacted.mask }
    public var debugDescription: String { "Secret(\(Redacted.mask))" }
}
