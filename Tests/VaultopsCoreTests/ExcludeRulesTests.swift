import Foundation
import Testing
@testable import VaultopsCore

@Suite("ExcludeRules (gitignore-style)")
struct ExcludeRulesTests {
    /// (patterns, path relative to the folder, is a directory, excluded).
    static let cases: [([String], String, Bool, Bool)] = [
        // A name without a slash matches at any depth.
        (["*.log"], "app.log", false, true),
        (["*.log"], "deep/er/app.log", false, true),
        (["*.log"], "app.log.gz", false, false),
        (["*.log"], "logs", true, false),
        // `*` and `?` stop at a slash.
        (["a*b"], "a/b", false, false),
        (["a?c"], "abc", false, true),
        (["[0-9]*.tmp"], "7up.tmp", false, true),
        (["[!0-9]*.tmp"], "7up.tmp", false, false),
        // A trailing slash: directories only, and everything under them.
        (["node_modules/"], "node_modules", true, true),
        (["node_modules/"], "web/node_modules", true, true),
        (["node_modules/"], "web/node_modules/react/index.js", false, true),
        (["node_modules/"], "node_modules", false, false),  // a file of that name stays
        // A leading slash anchors at the folder.
        (["/cache"], "cache", true, true),
        (["/cache"], "cache/x.bin", false, true),
        (["/cache"], "sub/cache", true, false),
        // An inner slash anchors too.
        (["logs/*.gz"], "logs/a.gz", false, true),
        (["logs/*.gz"], "app/logs/a.gz", false, false),
        // `**`.
        (["**/tmp"], "tmp", true, true),
        (["**/tmp"], "a/b/tmp", true, true),
        (["a/**/b"], "a/b", false, true),
        (["a/**/b"], "a/x/y/b", false, true),
        (["a/**/b"], "c/a/x/b", false, false),
        (["cache/**"], "cache", true, false),                // the folder itself stays
        (["cache/**"], "cache/x", false, true),
        // `!` re-includes; the last matching pattern wins.
        (["*.log", "!keep.log"], "keep.log", false, false),
        (["*.log", "!keep.log"], "sub/keep.log", false, false),
        (["*.log", "!keep.log"], "other.log", false, true),
        (["!keep.log", "*.log"], "keep.log", false, true),
        // Nothing below an excluded folder comes back (git's rule: the folder is never entered).
        (["logs/", "!logs/keep.log"], "logs/keep.log", false, true),
        // `\!` is a literal `!`.
        (["\\!important"], "!important", false, true),
        ([], "anything", false, false),
    ]

    @Test("matching follows .gitignore", arguments: cases.indices)
    func matching(index: Int) throws {
        let (patterns, path, isDirectory, excluded) = Self.cases[index]
        let rules = try ExcludeRules.parse(patterns)
        #expect(rules.isExcluded(path, isDirectory: isDirectory) == excluded, "\(patterns) \(path)\(isDirectory ? "/" : "")")
    }

    @Test("patterns that cannot mean anything are refused, naming the pattern", arguments: [
        ("", "'' is not a pattern"), ("/", "'/' is not a pattern"), ("!", "'!' is not a pattern"),
        ("a//b", "'a//b' is not a pattern"), ("./cache", "'./cache' has '.' or '..'"), ("../x", "'../x' has '.' or '..'"),
    ])
    func refused(pattern: String, message: String) {
        let error = #expect(throws: ConfigValueError.self) { try ExcludeRules.parse([pattern]) }
        #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "no error")")
    }
}
