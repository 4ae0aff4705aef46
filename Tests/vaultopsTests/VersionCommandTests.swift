import Foundation
import Testing
import TestSupport
import VaultopsCore

/// `vaultops --version`: what a bug report needs, read from the libraries the process really loaded.
@Suite("vaultops --version")
struct VersionCommandTests {
    /// The `name: value` lines of `vaultops --version`, after its first line.
    private func report() throws -> (first: String, fields: [String: String]) {
        let r = try vaultops(["--version"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return (lines.first ?? "", fields)
    }

    /// The version pkg-config reports for a library's development files (the same Debian source package).
    private func pkgConfigVersion(_ module: String) throws -> String {
        let r = try runProcess("pkg-config", ["--modversion", module])
        guard r.status == 0 else { throw TestSupportError("pkg-config --modversion \(module): \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("the first line is the tool's version, then the commit")
    func toolVersionAndCommit() throws {
        let (first, fields) = try report()
        #expect(first == "vaultops \(VaultopsVersion.current)")
        let commit = try #require(fields["commit"])
        // A test build is not made by packaging/build-release, unless the environment gave a commit.
        #expect(commit.range(of: "^[0-9a-f]{7,40}(-dirty)?$", options: .regularExpression) != nil
            || commit == "unknown (built without VAULTOPS_GIT_COMMIT)", "commit: \(commit)")
    }

    @Test("the libraries' versions match the installed ones", arguments: [
        ("libpq", "libpq"), ("SQLite", "sqlite3"), ("zlib", "zlib"), ("libdeflate", "libdeflate"), ("libcurl", "libcurl"),
    ])
    func libraryVersion(name: String, pkgConfigModule: String) throws {
        let (_, fields) = try report()
        let shown = try #require(fields[name], "no \(name) line in vaultops --version")
        let installed = try pkgConfigVersion(pkgConfigModule)
        // libdeflate says "(headers)", libcurl names its TLS library after the version.
        #expect(shown == installed || shown.hasPrefix(installed + " "), "\(name): shown \(shown), installed \(installed)")
    }
}
