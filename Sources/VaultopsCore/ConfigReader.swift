import Foundation
import Yams

/// A node with its key path, for messages.
struct YAMLValue {
    let node: Node
    let path: String

    var line: Int? { node.mark?.line }

    /// `path` extended by a key or an index.
    func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
    func child(_ index: Int) -> String { path + "[\(index)]" }

    /// An explicit `null`, `~` or empty value.
    var isNull: Bool {
        guard case let .scalar(scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}

/// Walks the node tree; every error names the key path and the line.
struct Reader {
    let file: String
    let baseDirectory: URL
    let lookup: (String) -> String?

    func error(_ value: YAMLValue, _ message: String) -> ConfigError {
        ConfigError(file: file, line: value.line, keyPath: value.path, message: message)
    }

    /// The pairs of a mapping, rejecting keys not in `allowed`.
    func mapping(_ value: YAMLValue, allowed: [String]) throws(ConfigError) -> Fields {
        guard case let .mapping(mapping) = value.node else {
            throw error(value, "'\(value.path)' should be a mapping of keys (\(allowed.joined(separator: ", ")))")
        }
        var fields: [String: YAMLValue] = [:]
        for (keyNode, child) in mapping {
            guard case let .scalar(key) = keyNode else {
                throw ConfigError(file: file, line: keyNode.mark?.line, keyPath: value.path,
                                  message: "keys of '\(value.path.isEmpty ? "the config" : value.path)' must be plain names")
            }
            let path = value.child(key.string)
            guard allowed.contains(key.string) else {
                var message = "unknown key '\(path)'"
                if let suggestion = closest(key.string, in: allowed) { message += " (did you mean '\(suggestion)'?)" }
                throw ConfigError(file: file, line: keyNode.mark?.line, keyPath: path, message: message)
            }
            fields[key.string] = YAMLValue(node: child, path: path)
        }
        return Fields(owner: value, values: fields, reader: self)
    }

    /// The scalar text of `value`, `${…}` substituted.
    func string(_ value: YAMLValue, substitute: Bool = true) throws(ConfigError) -> String {
        guard case let .scalar(scalar) = value.node else {
            throw error(value, "'\(value.path)' should be a single value, not a \(value.node.mapping != nil ? "mapping" : "list")")
        }
        let text = ConfigLoader.restoringVariableBraces(scalar.string)
        guard substitute else { return text }
        do {
            return try ConfigLoader.substitute(text, lookup: lookup)
        } catch let failure {
            switch failure {
            case let .unset(name):
                throw error(value, "variable '\(name)' used by '\(value.path)' is not set (set it in the environment or in .env, or write ${\(name):-default})")
            case let .required(name, message):
                throw error(value, "variable '\(name)' used by '\(value.path)': \(message)")
            case let .syntax(detail):
                throw error(value, "'\(value.path)': \(detail) (write $$ for a literal $)")
            }
        }
    }

    /// A non-empty string.
    func nonEmpty(_ value: YAMLValue) throws(ConfigError) -> String {
        let s = try string(value)
        guard !s.trimmingCharacters(in: .whitespaces).isEmpty else { throw error(value, "'\(value.path)' is empty") }
        return s
    }

    func int(_ value: YAMLValue, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let s = try string(value).trimmingCharacters(in: .whitespaces)
        guard let n = Int(s) else { throw error(value, "'\(value.path)' should be a whole number, not '\(s)'") }
        guard range.contains(n) else {
            let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            throw error(value, "'\(value.path)' should be \(bound), not \(n)")
        }
        return n
    }

    func duration(_ value: YAMLValue) throws(ConfigError) -> Duration {
        let s = try string(value)
        guard let d = DurationParser.parse(s) else {
            throw error(value, "'\(value.path)' should be a duration like 10s, 5m or 1h, not '\(s)'")
        }
        return d
    }

    /// A list of strings; a single string counts as a list of one.
    func stringList(_ value: YAMLValue) throws(ConfigError) -> [String] {
        switch value.node {
        case .scalar:
            return [try nonEmpty(value)]
        case let .sequence(sequence):
            var items: [String] = []
            for (index, node) in sequence.enumerated() {
                items.append(try nonEmpty(YAMLValue(node: node, path: value.child(index))))
            }
            guard !items.isEmpty else { throw error(value, "'\(value.path)' is an empty list") }
            return items
        default:
            throw error(value, "'\(value.path)' should be a list")
        }
    }

    func list(_ value: YAMLValue) throws(ConfigError) -> [YAMLValue] {
        guard case let .sequence(sequence) = value.node else { throw error(value, "'\(value.path)' should be a list") }
        return sequence.enumerated().map { YAMLValue(node: $1, path: value.child($0)) }
    }

    /// A path: `~/` expanded, relative paths resolved against the config's folder.
    func path(_ value: YAMLValue) throws(ConfigError) -> String {
        resolve(try nonEmpty(value))
    }

    func resolve(_ raw: String) -> String {
        var p = raw
        if p == "~" || p.hasPrefix("~/") {
            p = FileManager.default.homeDirectoryForCurrentUser.path + p.dropFirst()
        }
        if p.hasPrefix("/") { return p }
        return baseDirectory.appendingPathComponent(p).standardizedFileURL.path
    }
}

/// The fields of one mapping, for `required`/optional access with good messages.
struct Fields {
    let owner: YAMLValue
    let values: [String: YAMLValue]
    let reader: Reader

    /// The value at `key`; an explicit null counts as absent.
    subscript(key: String) -> YAMLValue? {
        guard let v = values[key], !v.isNull else { return nil }
        return v
    }

    func required(_ key: String) throws(ConfigError) -> YAMLValue {
        if let v = self[key] { return v }
        let path = owner.child(key)
        if let v = values[key] { throw reader.error(v, "'\(path)' has no value") }
        throw reader.error(owner, "missing required key '\(path)'")
    }
}

/// The allowed key nearest to `key` when it is a likely typo (edit distance ≤ 2).
private func closest(_ key: String, in allowed: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let k = Array(key.lowercased())
    let best = allowed.map { ($0, distance(k, Array($0))) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= 2, best.1 < key.count else { return nil }
    return best.0
}
