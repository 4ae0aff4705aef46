import Archive
import CBuildInfo
import LibPQ
import HTTP
import SQLite
import VaultopsCore

/// What `vaultops --version` prints: the tool's version, its git commit and the C libraries it runs with.
///
/// The library versions are read from the loaded libraries at run time (libdeflate has no such call: its header
/// version), so a bug report shows what actually ran on the host, not what the build machine had.
enum VersionReport {
    /// The report, one `name: value` line per item after the first line `vaultops VERSION`.
    static var text: String {
        let commit = String(cString: vaultops_git_commit())
        let lines: [(String, String)] = [
            ("commit", commit.isEmpty ? "unknown (built without VAULTOPS_GIT_COMMIT)" : commit),
            ("libpq", LibPQ.Connection.libraryVersion),
            ("SQLite", SQLite.Connection.libraryVersion),
            ("zlib", CompressionLibraries.zlibVersion),
            ("libdeflate", CompressionLibraries.libdeflateVersion + " (headers)"),
            ("libcurl", CurlLibrary.version),
        ]
        return (["vaultops \(VaultopsVersion.current)"] + lines.map { "\($0.0): \($0.1)" }).joined(separator: "\n")
    }
}
