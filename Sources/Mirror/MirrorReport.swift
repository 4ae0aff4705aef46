import Foundation
import VaultopsCore

/// How a mirror runs.
public struct MirrorOptions: Sendable {
    /// Files in flight at once (one thread and one OSS connection each; large files add their part workers).
    public var jobs: Int
    /// Remove destination files whose source file is gone (upload only).
    public var delete: Bool
    /// Decide everything (including CRC-64 comparisons) but change nothing.
    public var dryRun: Bool
    /// Where resumable multipart uploads keep their checkpoints (default `OSSClient.defaultCheckpointDirectory`).
    public var checkpointDirectory: URL?
    /// Which local files (path relative to their folder) are mirrored, for `run`'s `exclude:`; all when nil.
    /// A file left out is neither sent nor compared (and, with `delete`, its copy on OSS is kept).
    public var include: (@Sendable (String) -> Bool)?

    public init(jobs: Int = 4, delete: Bool = false, dryRun: Bool = false, checkpointDirectory: URL? = nil) {
        self.jobs = jobs
        self.delete = delete
        self.dryRun = dryRun
        self.checkpointDirectory = checkpointDirectory
    }
}

/// One thing that happened during a mirror, as it happens (called from worker threads).
public enum MirrorEvent: Sendable {
    /// A file was copied (or, on a dry run, would be), with why.
    case sent(subject: String, bytes: Int64, reason: MirrorPlan.Reason)
    /// A file was the same on both sides.
    case skipped(subject: String)
    /// A destination file was removed (or would be).
    case deleted(subject: String)
    /// Something on the source side that is not mirrored.
    case problem(MirrorProblem)
    /// A copy or removal failed.
    case failed(subject: String, message: String)
}

/// What a mirror did: the summary line and the exit status come from here.
public struct MirrorReport: Sendable {
    public enum Direction: String, Sendable { case upload, download }

    public var direction: Direction
    /// `DIR, DIR` or `oss://bucket/prefix/`.
    public var source: String
    public var destination: String
    public var dryRun: Bool
    public var sent = 0
    public var skipped = 0
    /// Local files left out by `MirrorOptions.include`.
    public var excluded = 0
    public var deleted = 0
    /// Destination files without a source file, left alone.
    public var extra = 0
    public var bytesSent: Int64 = 0
    public var seconds: Double = 0
    /// Source entries that were not mirrored (symlinks, sockets, unreadable, refused keys).
    public var problems: [MirrorProblem] = []
    /// `subject: message` for each copy or removal that failed.
    public var failures: [String] = []

    public init(direction: Direction, source: String, destination: String, dryRun: Bool) {
        self.direction = direction
        self.source = source
        self.destination = destination
        self.dryRun = dryRun
    }

    /// Files not mirrored: failed copies and removals plus source problems.
    public var failed: Int { failures.count + problems.count }
    /// Nothing failed and no problem was found.
    public var ok: Bool { failed == 0 }

    /// `sent 12 (3.0 MiB), skipped 4,988, deleted 0, failed 0 in 0:04 (750.0 KiB/s)`.
    public var summary: String {
        let verb = dryRun ? "would send" : "sent"
        var text = "\(direction.rawValue) \(source) -> \(destination): \(verb) \(sent) (\(ProgressReporter.formatBytes(bytesSent))), "
            + "skipped \(skipped), \(dryRun ? "would delete" : "deleted") \(deleted), failed \(failed)"
        if extra > 0 { text += ", \(extra) not in the source left in place" }
        text += " in \(ProgressReporter.formatDuration(seconds))"
        if seconds > 0, !dryRun { text += " (\(ProgressReporter.formatBytes(Int64(Double(bytesSent) / seconds)))/s)" }
        return text
    }
}
