#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Archive

/// Where a script comes from: a name for messages and a way to open it (twice for `--clean`, which
/// reads the script once to learn what it creates).
///
/// A script is any Archive `ByteSource`: a `FileSource`, a `GzipReader` over a `.sql.gz` file, a
/// `ReadAheadSource` over either, a checked artifact. What a stream throws while the restore reads it reaches
/// the caller as itself (see `ScriptRestorer.restore`).
public struct ScriptInput {
    /// The file name or URL shown in messages.
    public var name: String
    /// Opens a fresh stream positioned at the start of the script.
    public var open: () throws -> any ByteSource
    /// Opens further streams of the same script from any thread, for the workers of `RestoreOptions.jobs` > 1
    /// (each loads table data from a stream of its own); nil when the script can be read only once.
    public var openConcurrently: (@Sendable () throws -> any ByteSource)?

    /// A script from `open`, called `name` in messages.
    public init(name: String, open: @escaping () throws -> any ByteSource,
                openConcurrently: (@Sendable () throws -> any ByteSource)? = nil) {
        self.name = name
        self.open = open
        self.openConcurrently = openConcurrently
    }

    /// A plain (uncompressed) script file.
    ///
    /// For `.sql.gz`, pass a `ScriptInput` whose `open` wraps the file in Archive's `GzipReader`.
    public static func file(_ path: String) -> ScriptInput {
        let open: @Sendable () throws -> any ByteSource = {
            do {
                return try FileSource(path: path)
            } catch ArchiveError.io(_, _, let code) {
                throw PostgresRestoreError(kind: .io, message: "cannot open the script: \(String(cString: strerror(code)))", file: path)
            }
        }
        return ScriptInput(name: path, open: open, openConcurrently: open)
    }
}
