import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP connect probe: the gate passes when `host:port` accepts a connection within the timeout.
public enum TCPProbe {
    /// Tries every address `host` resolves to, non-blocking connect with `timeout` each.
    public static func connect(host: String, port: Int, timeout: Duration) -> ProbeAnswer {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            return ProbeAnswer(ok: false, detail: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var problem = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        let millis = Int32(max(1, min(Double(Int32.max), seconds(timeout) * 1000)))
        while let ai = cursor {
            cursor = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                            ai.pointee.ai_protocol)
            guard fd >= 0 else { problem = "socket: \(errnoText())"; continue }
            defer { close(fd) }
            if Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 {
                return ProbeAnswer(ok: true, detail: "connected to \(host):\(port)")
            }
            guard errno == EINPROGRESS else { problem = errnoText(); continue }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pfd, 1, millis)
            guard ready > 0 else {
                problem = ready == 0 ? "no answer within \(formatDuration(timeout))" : errnoText()
                continue
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError == 0 { return ProbeAnswer(ok: true, detail: "connected to \(host):\(port)") }
            problem = errnoText(soError)
        }
        return ProbeAnswer(ok: false, detail: "\(host):\(port): \(problem)")
    }
}
