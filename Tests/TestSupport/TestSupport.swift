import Foundation

/// An error raised by a test helper, with a message that says what to fix.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A temporary folder removed when the value is released.
public final class TempDir: @unchecked Sendable {
    // Safety: `url` is immutable after init; the folder is only removed in deinit.
    public let url: URL
    public var path: String { url.path }

    public init(_ label: String = "test") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        url = base.appendingPathComponent("vaultops-\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the folder.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The result of running a child process to completion.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public let stdoutData: Data
}

/// Runs `executable` with `arguments` and waits for it; output is captured.
///
/// `executable` without a slash is looked up in PATH. `stdin` is written to the child's standard input.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       stdin: Data? = nil, currentDirectory: URL? = nil) throws -> ProcessResult {
    let process = Process()
    if executable.contains("/") {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
    }
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let outURL = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vaultops-out-\(UUID().uuidString)")
    let errURL = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vaultops-err-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    // Files rather than pipes: a child that writes a lot can never block on a full pipe buffer.
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    process.standardOutput = outHandle
    process.standardError = errHandle
    var inURL: URL?
    if let stdin {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vaultops-in-\(UUID().uuidString)")
        try stdin.write(to: url)
        process.standardInput = try FileHandle(forReadingFrom: url)
        inURL = url
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    defer { if let inURL { try? FileManager.default.removeItem(at: inURL) } }
    try process.run()
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    let out = try Data(contentsOf: outURL)
    let err = try Data(contentsOf: errURL)
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: out, as: UTF8.self),
                         stderr: String(decoding: err, as: UTF8.self),
                         stdoutData: out)
}

/// Runs a shell command line with `bash -c` and returns its result.
@discardableResult
public func shell(_ command: String, environment: [String: String]? = nil) throws -> ProcessResult {
    try runProcess("/bin/bash", ["-c", command], environment: environment)
}

/// Where the built `vaultops` executable lives (beside the test bundle in the build folder).
public var vaultopsExecutable: String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // The test binary sits in <build>/debug/vaultopsPackageTests.xctest (a file on Linux).
    if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
    return dir.appendingPathComponent("vaultops").path
}

/// Runs the built `vaultops` executable with `arguments`.
@discardableResult
public func vaultops(_ arguments: [String], environment: [String: String]? = nil, stdin: Data? = nil,
                     currentDirectory: URL? = nil) throws -> ProcessResult {
    let exe = vaultopsExecutable
    guard FileManager.default.isExecutableFile(atPath: exe) else {
        throw TestSupportError("the vaultops executable is not built at \(exe)")
    }
    return try runProcess(exe, arguments, environment: environment, stdin: stdin, currentDirectory: currentDirectory)
}

/// The throwaway PostgreSQL server that `.ci/pg-start` runs for the tests.
///
/// Tests that need it call `PostgresTestServer.freshDatabase()`; without the server they fail loudly,
/// never pass silently.
public enum PostgresTestServer {
    /// The superuser URL of the maintenance database (`VAULTOPS_TEST_PG_URL`).
    public static func adminURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["VAULTOPS_TEST_PG_URL"], !url.isEmpty else {
            throw TestSupportError("VAULTOPS_TEST_PG_URL is not set: start the test server with `source .ci/pg-start` (bash .ci/run does this)")
        }
        return url
    }

    /// The URL of `database` on the test server.
    public static func url(database: String) throws -> String {
        let admin = try adminURL()
        guard let slash = admin.range(of: "/", options: .backwards) else { throw TestSupportError("bad VAULTOPS_TEST_PG_URL") }
        return String(admin[..<slash.upperBound]) + database
    }

    /// Runs SQL with psql against `database` (default: the maintenance database), stopping on the first error.
    @discardableResult
    public static func psql(_ sql: String, database: String? = nil) throws -> String {
        let url = try database.map { try self.url(database: $0) } ?? adminURL()
        let r = try runProcess("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        guard r.status == 0 else { throw TestSupportError("psql failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates an empty database with a unique name and returns its name.
    public static func freshDatabase(_ label: String = "t") throws -> String {
        let name = "\(label.lowercased())_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try psql("CREATE DATABASE \"\(name)\"")
        return name
    }
}
