import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `exclude:` of a files source: gitignore-style patterns, matched against paths relative to each configured folder.
///
/// Supported (as in `.gitignore`): `*`, `?` and `[a-z]`/`[!a-z]` within one path component; a pattern with no `/`
/// (or only a trailing one) matches a name at any depth (`*.log`, `node_modules/`); a leading or inner `/` anchors it
/// to the folder (`/cache`, `logs/*.gz`); a trailing `/` matches directories only; `**/` matches any number of
/// folders (`**/tmp`, `a/**/b`), a trailing `/**` everything inside; `!pattern` re-includes what an earlier
/// pattern excluded (the last matching pattern wins), except below an excluded folder, which is never entered;
/// `\` escapes a special character (`\!keep`). Not supported: comments and `.gitignore` files in the tree.
public struct ExcludeRules: Sendable, Equatable {
    /// One pattern, parsed.
    public struct Rule: Sendable, Equatable {
        /// The pattern as written.
        public var pattern: String
        public var negated: Bool
        public var directoryOnly: Bool
        /// Path components to match; `**` stands for any number of them.
        public var segments: [String]
    }

    public var rules: [Rule]

    public init(rules: [Rule] = []) { self.rules = rules }

    public var isEmpty: Bool { rules.isEmpty }

    /// Parses the patterns in order.
    ///
    /// - Throws: a message naming the pattern that is empty or matches nothing.
    public static func parse(_ patterns: [String]) throws(ConfigValueError) -> ExcludeRules {
        var rules: [Rule] = []
        for pattern in patterns {
            var text = pattern.trimmingCharacters(in: .whitespaces)
            var negated = false
            if text.hasPrefix("!") { negated = true; text.removeFirst() }
            if text.hasPrefix("\\!") || text.hasPrefix("\\#") { text.removeFirst() }
            var directoryOnly = false
            while text.hasSuffix("/") { directoryOnly = true; text.removeLast() }
            let anchored = text.contains("/")
            if text.hasPrefix("/") { text.removeFirst() }
            let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard !text.isEmpty, !parts.contains("") else {
                throw ConfigValueError("'\(pattern)' is not a pattern (write e.g. '*.log', 'node_modules/', '/cache' or '**/tmp')")
            }
            guard !parts.contains(".."), !parts.contains(".") else {
                throw ConfigValueError("'\(pattern)' has '.' or '..'; patterns are relative to the folder (write '/cache', not './cache')")
            }
            // A name without a slash matches at any depth, as if written `**/name`.
            let segments = anchored ? parts : ["**"] + parts
            rules.append(Rule(pattern: pattern, negated: negated, directoryOnly: directoryOnly, segments: segments))
        }
        return ExcludeRules(rules: rules)
    }

    /// Whether the path (relative to the folder, `/`-separated) is excluded, its parent folders included: a path
    /// below an excluded folder is excluded whatever later `!` patterns say (the folder is never entered).
    public func isExcluded(_ path: String, isDirectory: Bool) -> Bool {
        let components = path.split(separator: "/").map(String.init)
        guard !components.isEmpty else { return false }
        for count in 1..<components.count where decides(components.prefix(count), isDirectory: true) == true {
            return true
        }
        return decides(components[...], isDirectory: isDirectory) ?? false
    }

    /// What the last matching rule says about exactly this path (true: excluded), or nil when none matches.
    func decides(_ components: ArraySlice<String>, isDirectory: Bool) -> Bool? {
        for rule in rules.reversed() where !rule.directoryOnly || isDirectory {
            if Self.match(rule.segments[...], components) { return !rule.negated }
        }
        return nil
    }

    static func match(_ segments: ArraySlice<String>, _ components: ArraySlice<String>) -> Bool {
        guard let segment = segments.first else { return components.isEmpty }
        if segment == "**" {
            // A trailing `/**` matches what is inside, not the folder itself.
            if segments.count == 1 { return !components.isEmpty }
            for skip in 0...components.count where match(segments.dropFirst(), components.dropFirst(skip)) { return true }
            return false
        }
        guard let component = components.first, fnmatch(segment, component, 0) == 0 else { return false }
        return match(segments.dropFirst(), components.dropFirst())
    }
}
