import Foundation

/// Runs `age` under a pseudo-terminal (python3's pty), answering each passphrase prompt with `passphrase`:
/// age reads passphrases from the terminal only, never from a pipe or the environment.
public func ageWithTTY(_ arguments: [String], passphrase: String) throws -> ProcessResult {
    let script = """
        import os, pty, sys
        passphrase, args = sys.argv[1].encode(), sys.argv[2:]
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp("age", ["age"] + args)
        out = b""
        while True:
            try:
                data = os.read(fd, 1024)
            except OSError:
                break
            if not data:
                break
            out += data
            # Answer each prompt once it is shown, whole ("Enter passphrase", "Confirm passphrase").
            if out.rstrip().endswith(b":"):
                os.write(fd, passphrase + b"\\n")
                out += b"<answered>"
        _, status = os.waitpid(pid, 0)
        sys.stderr.write(out.decode(errors="replace"))
        sys.exit(os.waitstatus_to_exitcode(status))
        """
    return try runProcess("python3", ["-c", script, passphrase] + arguments)
}
