import CLibPQ
import Foundation
import Redaction

/// Parsing and redaction of libpq connection strings (URIs and keyword/value strings).
///
/// See <https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING>.
public enum ConnectionInfo {
    /// The options libpq parses out of `conninfo`, or nil when libpq cannot parse it.
    ///
    /// Only options that were given explicitly are returned; defaults and environment variables are not.
    public static func parse(_ conninfo: String) -> [String: String]? {
        var errmsg: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errmsg) else {
            if let errmsg { PQfreemem(errmsg) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var result: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                result[String(cString: keyword)] = String(cString: value)
            }
            option += 1
        }
        return result
    }

    /// A description of the target that is safe to print: host, port, database and user, never a password.
    ///
    /// Unparseable input is described without echoing any of it, since it may hold a password.
    public static func redacted(_ conninfo: String) -> String {
        // libpq would show part of the password as the host: describe it the way the user meant it instead.
        if rawAtProblem(conninfo) != nil { return Redacted.connectionString(conninfo) }
        guard let options = parse(conninfo) else { return "connection string (unparseable, not shown)" }
        var parts: [String] = []
        for key in ["host", "hostaddr", "port", "dbname", "user"] {
            if let value = options[key], !value.isEmpty { parts.append("\(key)=\(value)") }
        }
        if parts.isEmpty { return "default connection (libpq environment)" }
        return parts.joined(separator: " ")
    }

    /// `text` with the passwords named in `conninfo` (and `PGPASSWORD`) hidden, via the shared `Redacted` helper.
    ///
    /// libpq does not normally echo passwords, but some parse errors quote parts of the input, so
    /// every message taken from libpq goes through this before it is stored in an error.
    static func scrub(_ text: String, secrets: [String]) -> String {
        Redacted.text(text, secrets: secrets)
    }

    /// Why libpq would misread the URI `conninfo`, or nil: a raw `@` in the user name or password.
    ///
    /// libpq ends the user info at the *first* `@` (`postgresql://app:p@ss@host/db` gives password `p` and host
    /// `ss@host`), so the rest of the password would be shown wherever the host is: in its own errors, in logs,
    /// in the status file. The host part (up to the first `/` or `?`) of a URI that libpq reads can hold no `@`
    /// at all, so a second one there always means this mistake. The message never repeats the URI.
    public static func rawAtProblem(_ conninfo: String) -> String? {
        guard Redacted.isPostgresURI(conninfo), let scheme = conninfo.range(of: "://") else { return nil }
        let rest = conninfo[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard authority.filter({ $0 == "@" }).count > 1 else { return nil }
        return "the connection URI has a raw '@' in its user name or password, which libpq would read as the end of "
            + "the password and show the rest as the host; write each '@' inside them as %40"
    }

    /// The secrets that must never be shown for `conninfo`.
    static func secrets(in conninfo: String) -> [String] {
        // The password as the user meant it (up to the last `@`), whatever libpq makes of it.
        var secrets: [String] = Redacted.passwords(inConnection: conninfo)
        if let options = parse(conninfo), let password = options["password"], !password.isEmpty {
            secrets.append(password)
        }
        if let env = getenv("PGPASSWORD") {
            let value = String(cString: env)
            if !value.isEmpty { secrets.append(value) }
        }
        return secrets
    }
}

