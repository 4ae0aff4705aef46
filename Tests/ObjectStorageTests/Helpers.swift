import Foundation
import TestSupport

/// A temporary folder for one test (wraps TestSupport's TempDir).
final class TempDirectory {
    let dir: TempDir
    var url: URL { dir.url }
    init() throws { dir = try TempDir("oss") }
}

/// Runs a command and returns its standard output; throws with stderr when it fails.
@discardableResult
func runCommand(_ exe: String, _ args: [String], environment: [String: String]? = nil) throws -> String {
    let r = try runProcess(exe, args, environment: environment)
    guard r.status == 0 else { throw TestSupportError("\(exe) \(args.first ?? "") failed (\(r.status)): \(r.stderr)") }
    return r.stdout
}
