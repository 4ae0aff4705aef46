import Foundation
import VaultopsCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The release history: an append-only JSON-lines file, `<state_dir>/releases.jsonl`, one `ReleaseEvent` a line
/// (snake_case keys).
///
/// Each append is one `write` of a whole line followed by `fsync`, so a crash leaves at most a torn last
/// line; reading ignores such a line with a warning, and the next append starts on a fresh line.
public struct ReleaseLog: Sendable {
    /// The history file.
    public let url: URL

    /// The history in `stateDir`.
    public init(stateDir: String) {
        url = URL(fileURLWithPath: stateDir).appendingPathComponent("releases.jsonl")
    }

    /// The events in the file (none when it does not exist yet) and a warning per line that could not be read.
    public func read() throws(DeployError) -> (events: [ReleaseEvent], warnings: [String]) {
        guard FileManager.default.fileExists(atPath: url.path) else { return ([], []) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DeployError(.history, "cannot read the release history: \(error.localizedDescription)", file: url.path)
        }
        return Self.decode(data, file: url.path)
    }

    /// The releases, folded (see `ReleaseHistory.fold`), and the read warnings.
    public func releases() throws(DeployError) -> (releases: [Release], warnings: [String]) {
        let (events, warnings) = try read()
        return (ReleaseHistory.fold(events), warnings)
    }

    /// Decodes history text; a line that is not a complete event is skipped with a warning naming it.
    public static func decode(_ data: Data, file: String) -> (events: [ReleaseEvent], warnings: [String]) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var events: [ReleaseEvent] = []
        var warnings: [String] = []
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where !line.isEmpty {
            do {
                events.append(try decoder.decode(ReleaseEvent.self, from: Data(line)))
            } catch {
                let torn = index == lines.count - 1
                warnings.append("\(file):\(index + 1): ignored \(torn ? "a torn last line (vaultops was stopped while writing it)" : "a line that is not a release event")")
            }
        }
        return (events, warnings)
    }

    /// Encodes one event as its line (without the newline).
    public static func encode(_ event: ReleaseEvent) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        // snake_case like the manifests and the status file.
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings, numbers and dates cannot fail.
        return (try? encoder.encode(event)) ?? Data("{}".utf8)
    }

    /// Appends `event` as one line and syncs it to disk, creating the file (0600) and its folder when needed.
    public func append(_ event: ReleaseEvent) throws(DeployError) {
        let folder = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DeployError(.history, "cannot create the state folder: \(error.localizedDescription)", file: folder)
        }
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DeployError(.history, "cannot open the release history: \(errnoText())", file: url.path) }
        defer { close(fd) }
        var line = Self.encode(event)
        line.append(UInt8(ascii: "\n"))
        // After a torn write, start on a new line so the fragment stays a line of its own.
        let size = lseek(fd, 0, SEEK_END)
        if size > 0 {
            var last: UInt8 = 0
            let readFD = open(url.path, O_RDONLY | O_CLOEXEC)
            if readFD >= 0 {
                if pread(readFD, &last, 1, size - 1) == 1, last != UInt8(ascii: "\n") { line.insert(UInt8(ascii: "\n"), at: 0) }
                close(readFD)
            }
        }
        let written = line.withUnsafeBytes { raw in write(fd, raw.baseAddress, raw.count) }
        guard written == line.count else {
            throw DeployError(.history, "cannot append to the release history: \(written < 0 ? errnoText() : "short write")", file: url.path)
        }
        guard fsync(fd) == 0 else { throw DeployError(.history, "cannot sync the release history: \(errnoText())", file: url.path) }
        if size == 0 { syncDirectory(folder) }
    }
}

/// Makes a new file's name durable: fsync of its folder.
func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
}

func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
