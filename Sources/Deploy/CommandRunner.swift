import Foundation
import VaultopsCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one shell command did.
public struct CommandResult: Sendable, Equatable {
    /// The exit status, when it exited.
    public var exitStatus: Int32?
    /// The signal that ended it, when one did.
    public var signal: Int32?
    /// It ran past its timeout and its process group was killed.
    public var timedOut: Bool
    public var seconds: Double
    /// The last lines of its output (standard output and error together), redacted.
    public var tail: [String]
    /// Why the shell could not be started, when it could not.
    public var startFailure: String?
    /// The signal vaultops received while the command ran (its process group was stopped).
    public var interruptedBy: Int32? = nil

    /// Exited 0 in time.
    public var succeeded: Bool { exitStatus == 0 && !timedOut && interruptedBy == nil }

    /// `exit 0`, `exit 3`, `killed by signal 9`, `timed out after 2.0s`, `could not start: …`.
    public var summary: String {
        if let startFailure { return "could not start: \(startFailure)" }
        if let interruptedBy { return "stopped: vaultops got \(Interruption.name(interruptedBy))" }
        if timedOut { return "timed out after \(formatSeconds(seconds)) (process group killed)" }
        if let exitStatus { return "exit \(exitStatus)" }
        if let signal { return "killed by signal \(signal)" }
        return "ended"
    }
}

/// The per-release output log, `<state_dir>/logs/<release>.log`: every command's output, redacted, with a
/// header line per command.
///
/// - Important: used from the deploy's one thread only.
public final class ReleaseOutput {
    /// The log file.
    public let url: URL
    private let fd: Int32

    /// Opens (appends to) the log of `release` in `stateDir`.
    public init(stateDir: String, release: String) throws(DeployError) {
        let folder = URL(fileURLWithPath: stateDir).appendingPathComponent("logs")
        url = folder.appendingPathComponent("\(release).log")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw DeployError(.history, "cannot create the release log folder: \(error.localizedDescription)", file: folder.path)
        }
        fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DeployError(.history, "cannot open the release log: \(errnoText())", file: url.path) }
    }

    deinit {
        _ = fsync(fd)
        close(fd)
    }

    /// Appends one line (redacted).
    public func write(_ line: String) {
        writeAll(fd, Array((Redacted.text(line) + "\n").utf8))
    }
}

@available(*, unavailable)
extension ReleaseOutput: Sendable {}

/// Runs shell commands for a release: `/bin/sh -c` in the working folder, in their own process group,
/// output captured line by line into the release log and a short in-memory tail.
///
/// - Important: blocking; use from one thread. A command may leave background processes behind (a
///   service it started): the command is done when the shell exits, not when its output closes.
public final class CommandRunner {
    /// How many output lines a result keeps.
    public static let tailLines = 50
    /// The folder commands run in.
    public let workingDirectory: String
    /// The environment every command gets (the process environment; not the `.env`'s keys, see `StageEnvironment`).
    public let baseEnvironment: [String: String]
    private let output: ReleaseOutput?

    /// - Parameters:
    ///   - environment: the process environment.
    ///   - output: where output lines go besides the tail (nil: only the tail).
    public init(workingDirectory: String, environment: [String: String], output: ReleaseOutput?) {
        self.workingDirectory = workingDirectory
        self.baseEnvironment = environment
        self.output = output
        // Commands see these variables and may print them (`set -x`, a failing client's error message).
        for (name, value) in baseEnvironment where Self.looksSecret(name: name) && value.count >= 6 {
            Redacted.register(secret: value)
        }
    }

    /// Whether a variable's name says it holds a secret: `*PASSWORD*`, `*PASSWD*`, `*SECRET*`, `*TOKEN*`, `*_KEY`.
    public static func looksSecret(name: String) -> Bool {
        let n = name.uppercased()
        return ["PASSWORD", "PASSWD", "SECRET", "TOKEN"].contains { n.contains($0) } || n.hasSuffix("_KEY") || n == "KEY"
    }

    /// Runs `command` with `variables` added to the environment; `label` heads its lines in the release log.
    ///
    /// Never throws: a command that cannot even be started is a failed result (`startFailure`), so a deploy
    /// goes on to its rollback whatever happens to one command.
    public func run(_ command: String, label: String, variables: [String: String], timeout: Duration?) -> CommandResult {
        output?.write("== \(label): \(command)")
        func notStarted(_ reason: String) -> CommandResult {
            output?.write("== \(label): could not start: \(reason)")
            return CommandResult(exitStatus: nil, signal: nil, timedOut: false, seconds: 0, tail: [], startFailure: reason)
        }
        let env = baseEnvironment.merging(variables) { _, new in new }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return notStarted("pipe failed: \(errnoText())") }
        let readFD = fds[0], writeFD = fds[1]
        // Close-on-exec, so no other child keeps the pipe open (dup2 onto 1 and 2 clears it for the command).
        _ = fcntl(readFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(readFD, F_SETFL, fcntl(readFD, F_GETFL) | O_NONBLOCK)

        var pid: pid_t = 0
        markDescriptorsCloseOnExec()
        let spawnError = spawn(command: command, env: env, stdoutFD: writeFD, pid: &pid)
        close(writeFD)
        guard spawnError == 0 else {
            close(readFD)
            return notStarted("/bin/sh: \(errnoText(spawnError))")
        }

        let started = ContinuousClock.now
        let deadline = timeout.map { started + $0 }
        var lines = LineCollector(limit: Self.tailLines) { [output] line in output?.write(line) }
        var status: Int32 = 0
        var exited = false
        var timedOut = false
        var killDeadline: ContinuousClock.Instant?
        var interruptedBy: Int32?
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pipeOpen = true
        while !exited {
            if pipeOpen {
                var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
                _ = poll(&pfd, 1, 100)
                pipeOpen = drain(readFD, into: &lines, buffer: &buffer)
            } else {
                usleep(50_000)
            }
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { exited = true; break }
            let now = ContinuousClock.now
            if let deadline, now >= deadline, !timedOut {
                // The whole group: `sh -c` may have started children that would otherwise keep running.
                timedOut = true
                kill(-pid, SIGTERM)
                killDeadline = now + .seconds(3)
            }
            if let signal = Interruption.signal, interruptedBy == nil, killDeadline == nil {
                interruptedBy = signal
                kill(-pid, SIGTERM)
                killDeadline = now + .seconds(3)
            }
            if let killDeadline, now >= killDeadline {
                kill(-pid, SIGKILL)
                self.killDeadlineReached(pid: pid, status: &status)
                exited = true
            }
        }
        // What is already in the pipe; background children may keep it open, so never wait for EOF.
        if pipeOpen { _ = drain(readFD, into: &lines, buffer: &buffer) }
        close(readFD)
        lines.flush()
        let elapsed = ContinuousClock.now - started
        var result = CommandResult(exitStatus: nil, signal: nil, timedOut: timedOut, seconds: seconds(elapsed), tail: lines.tail,
                                   startFailure: nil)
        if exitedNormally(status) { result.exitStatus = exitStatusOf(status) } else { result.signal = termSignalOf(status) }
        result.interruptedBy = interruptedBy
        output?.write("== \(label): \(result.summary) in \(formatSeconds(result.seconds))")
        return result
    }

    private func killDeadlineReached(pid: pid_t, status: inout Int32) {
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Reads what is available now; false at end of file.
    private func drain(_ fd: Int32, into lines: inout LineCollector, buffer: inout [UInt8]) -> Bool {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { lines.add(buffer[0..<n]); continue }
            if n == 0 { return false }
            if errno == EINTR { continue }
            return true // EAGAIN: nothing more for now
        }
    }

    /// posix_spawn of `/bin/sh -c command` in a new process group, stdin from /dev/null, stdout and stderr to `stdoutFD`.
    private func spawn(command: String, env: [String: String], stdoutFD: Int32, pid: inout pid_t) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1)
        posix_spawn_file_actions_adddup2(&actions, stdoutFD, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group (so a timeout kills everything the command started), default signal handling
        // and an empty mask (our process may ignore SIGPIPE; the command's tools should not).
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)

        // posix_spawn_file_actions_addchdir_np is not visible from Swift's Glibc module, so a first shell changes
        // folder and execs the command's shell: the command sees a plain `sh -c` in the working folder.
        let words = ["/bin/sh", "-c", "cd -- \"$0\" && exec /bin/sh -c \"$1\"", workingDirectory, command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        return posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
    }
}

@available(*, unavailable)
extension CommandRunner: Sendable {}

/// Sets close-on-exec on every open descriptor above 2, so a command (and the services it leaves running)
/// inherits none of ours: not the lock file, not a libpq socket, not a pipe a parent process waits on.
///
/// posix_spawn passes on every descriptor without the flag, and glibc's `addclosefrom_np` is not visible
/// from Swift; marking ours (read from /proc/self/fd) cannot fail on a descriptor another thread just closed.
func markDescriptorsCloseOnExec() {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for name in names {
        guard let fd = Int32(name), fd > 2 else { continue }
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
}

/// Splits output bytes into lines, keeping the last `limit` (redacted) and handing each to `sink`.
struct LineCollector {
    let limit: Int
    let sink: (String) -> Void
    private var pending: [UInt8] = []
    private(set) var tail: [String] = []

    init(limit: Int, sink: @escaping (String) -> Void) {
        self.limit = limit
        self.sink = sink
    }

    mutating func add(_ bytes: ArraySlice<UInt8>) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                emit()
            } else {
                pending.append(byte)
                // A command printing one endless line must not grow memory without bound.
                if pending.count >= 16 * 1024 { emit() }
            }
        }
    }

    mutating func flush() { if !pending.isEmpty { emit() } }

    private mutating func emit() {
        var text = String(decoding: pending, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        pending.removeAll(keepingCapacity: true)
        let line = Redacted.text(text)
        sink(line)
        tail.append(line)
        if tail.count > limit { tail.removeFirst(tail.count - limit) }
    }
}

/// Writes every byte (retrying short writes); a log that cannot be written must not stop a deploy.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        done += n
    }
}

private func exitedNormally(_ status: Int32) -> Bool { status & 0x7f == 0 }
private func exitStatusOf(_ status: Int32) -> Int32 { (status >> 8) & 0xff }
private func termSignalOf(_ status: Int32) -> Int32 { status & 0x7f }

func seconds(_ d: Duration) -> Double {
    let c = d.components
    return Double(c.seconds) + Double(c.attoseconds) / 1e18
}

/// `0.2s`, `12.0s`, `3m05s`.
func formatSeconds(_ s: Double) -> String {
    if s < 60 { return String(format: "%.1fs", s) }
    let total = Int(s.rounded())
    return "\(total / 60)m" + String(format: "%02ds", total % 60)
}

/// `200ms`, `5s`, `1m30s`, as config files spell durations.
public func formatDuration(_ d: Duration) -> String {
    let ms = Int64(seconds(d) * 1000 + 0.5)
    if ms == 0 { return "0s" }
    if ms % 1000 != 0 { return "\(ms)ms" }
    var s = ms / 1000
    var out = ""
    if s >= 3600 { out += "\(s / 3600)h"; s %= 3600 }
    if s >= 60 { out += "\(s / 60)m"; s %= 60 }
    if s > 0 { out += "\(s)s" }
    return out
}
