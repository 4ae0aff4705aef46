import CCurl
import Foundation

/// What a transfer sends.
package enum RequestBody {
    case empty
    case data(Data)
    /// `length` bytes of the open file `fd` from `offset` (read with pread, so the descriptor can be shared).
    case file(fd: Int32, offset: Int64, length: Int64)

    package var length: Int64 {
        switch self {
        case .empty: return 0
        case .data(let d): return Int64(d.count)
        case .file(_, _, let length): return length
        }
    }
}

/// Where a response body goes.
package enum ResponseSink {
    /// Keep the body in memory, failing past `limit` bytes.
    case memory(limit: Int)
    /// Keep the first `limit` bytes of the body and drop the rest without failing, whatever the status.
    case prefix(limit: Int)
    /// Write a successful (2xx) body to `fd` from `offset` (pwrite), showing each chunk written to `observe`
    /// (a checksum, say); an error body goes to memory.
    case file(fd: Int32, offset: Int64, observe: ((UnsafeRawBufferPointer) -> Void)? = nil)

    /// Enough for what webhook robots and health pages answer (a few bytes): a longer body is cut, not an error.
    package static var shortAnswer: ResponseSink { .prefix(limit: 64 * 1024) }
}

/// One HTTP exchange for `CurlEasy.perform`.
package struct HTTPTransfer {
    package var method: String
    package var url: String
    /// Sent as `name: value`; an empty value removes the header libcurl would add itself (`Expect`, `Accept`).
    package var headers: [(name: String, value: String)]
    package var body: RequestBody
    package var sink: ResponseSink
    package var connectTimeout: Duration
    /// The whole exchange must end within this, or nil for no limit.
    package var timeout: Duration?
    /// Abort when fewer than 1 byte/s moves for this many seconds (a stalled connection), or nil for no limit.
    package var lowSpeedTime: Int?
    /// Ignore proxies from the environment (a health gate asks the service itself).
    package var bypassProxy: Bool
    /// The `User-Agent` header, or nil for none.
    package var userAgent: String?
    /// Called with the number of body bytes just sent or received.
    package var progress: ((Int64) -> Void)?
    /// A bandwidth limit: called with the bytes of the request body about to be sent, or of a response just
    /// written to a file, and sleeps as long as the limit requires (reads and writes then go in 16 KiB steps).
    package var throttle: ((Int) -> Void)?

    package init(method: String, url: String, headers: [(name: String, value: String)], body: RequestBody = .empty,
                 sink: ResponseSink = .memory(limit: 16 << 20), connectTimeout: Duration = .seconds(10),
                 timeout: Duration? = nil, lowSpeedTime: Int? = 30, bypassProxy: Bool = false, userAgent: String? = nil,
                 progress: ((Int64) -> Void)? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.sink = sink
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.lowSpeedTime = lowSpeedTime
        self.bypassProxy = bypassProxy
        self.userAgent = userAgent
        self.progress = progress
    }
}

/// What came back.
package struct HTTPResponse {
    package var status: Int
    /// Header names lower-cased; the last value wins.
    package var headers: [String: String]
    /// The body when it went to memory (always for non-2xx answers).
    package var body: Data
    /// Bytes written to a file sink.
    package var bytesWritten: Int64

    package init(status: Int, headers: [String: String], body: Data, bytesWritten: Int64) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bytesWritten = bytesWritten
    }

    package func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// No HTTP answer came (DNS, connect, TLS, timeout, a local file), or libcurl refused to start; the callers
/// turn it into their own error (`ObjectStorageError`, a webhook or health-gate message).
package struct HTTPFailure: Error, CustomStringConvertible, Sendable {
    package enum Kind: Sendable, Equatable {
        /// libcurl could not be set up: `curl_global_init`, `curl_easy_init` or an option (`step`).
        case setup
        /// The exchange failed: connect, timeout, reset, TLS, protocol.
        case transport
        /// The upload source or the download file could not be read or written.
        case localFile
    }

    package var kind: Kind
    /// For `.setup`, what failed: `curl_global_init`, `curl_easy_init` or an option name such as `URL`.
    package var step: String?
    /// What happened: libcurl's detailed message, else its generic one; or the local file problem.
    package var message: String
    /// The libcurl `CURLcode`, when libcurl gave one.
    package var curlCode: Int?

    package init(_ kind: Kind, _ message: String, step: String? = nil, curlCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.step = step
        self.curlCode = curlCode
    }

    /// The message with the curl error number, for transport and setup failures.
    package var detail: String {
        guard kind != .localFile, let curlCode else { return message }
        return "\(message) (curl error \(curlCode))"
    }

    package var description: String { step.map { "setup (\($0)) failed: \(detail)" } ?? detail }
}

/// Per-transfer state the C callbacks reach through their user-data pointer.
private final class TransferState {
    let body: RequestBody
    let sink: ResponseSink
    let progress: ((Int64) -> Void)?
    var throttle: ((Int) -> Void)?
    var sent: Int64 = 0
    var status = 0
    var headers: [String: String] = [:]
    var memory = Data()
    var written: Int64 = 0
    var failure: String?

    init(body: RequestBody, sink: ResponseSink, progress: ((Int64) -> Void)?) {
        self.body = body
        self.sink = sink
        self.progress = progress
    }
}

private let curlReadCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, user in
    guard let buffer, let user else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(user).takeUnretainedValue()
    let room = size * count
    let remaining = state.body.length - state.sent
    // Under a limit, small reads keep the waits short and the rate smooth.
    let cap = state.throttle == nil ? room : min(room, 16 * 1024)
    let n = Int(min(Int64(cap), remaining))
    guard n > 0 else { return 0 }
    state.throttle?(n)
    switch state.body {
    case .empty:
        return 0
    case .data(let data):
        let start = data.startIndex + Int(state.sent)
        data.copyBytes(to: UnsafeMutableRawPointer(buffer).assumingMemoryBound(to: UInt8.self), from: start..<(start + n))
    case .file(let fd, let offset, _):
        let got = pread(fd, buffer, n, off_t(offset + state.sent))
        guard got > 0 else {
            state.failure = "reading the upload source failed: \(String(cString: strerror(errno)))"
            return Int(CURL_READFUNC_ABORT)
        }
        state.sent += Int64(got)
        state.progress?(Int64(got))
        return got
    }
    state.sent += Int64(n)
    state.progress?(Int64(n))
    return n
}

private let curlHeaderCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, user in
    guard let buffer, let user else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: n), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        // A new status line (after `100 Continue`, say) starts a new header block.
        let parts = line.split(separator: " ", maxSplits: 2)
        state.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        state.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        state.headers[name] = value
    }
    return n
}

private let curlWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, user in
    guard let buffer, let user else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    let bytes = UnsafeRawBufferPointer(start: buffer, count: n)
    if case .file(let fd, let offset, let observe) = state.sink, (200..<300).contains(state.status) {
        var done = 0
        while done < n {
            let w = pwrite(fd, buffer + done, n - done, off_t(offset + state.written + Int64(done)))
            if w < 0 {
                if errno == EINTR { continue }
                state.failure = "writing the download failed: \(String(cString: strerror(errno)))"
                return 0
            }
            done += w
        }
        observe?(bytes)
        state.written += Int64(n)
        state.progress?(Int64(n))
        state.throttle?(n)
        return n
    }
    let limit: Int
    switch state.sink {
    case .memory(let l): limit = l
    case .prefix(let l):
        let keep = max(0, min(n, l - state.memory.count))
        if keep > 0 { state.memory.append(UnsafeRawBufferPointer(rebasing: bytes[..<keep]).bindMemory(to: UInt8.self)) }
        return n
    case .file: limit = 1 << 20
    }
    if state.memory.count + n > limit {
        state.failure = "the response is larger than \(limit) bytes"
        return 0
    }
    state.memory.append(bytes.bindMemory(to: UInt8.self))
    return n
}

private enum CurlGlobal {
    // curl_global_init must run once before any handle exists; a global let runs it exactly once, thread-safely.
    static let initialized: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))
}

/// A curl_slist owned by Swift, freed when released.
private final class CurlHeaderList {
    private(set) var list: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) {
        for line in lines {
            list = curl_slist_append(list, line)
        }
    }

    deinit { curl_slist_free_all(list) }
}

/// One libcurl easy handle: the blocking HTTP client of OSS transfers, webhooks and health gates; it keeps its
/// connections alive between transfers.
///
/// Follows <https://curl.se/libcurl/c/libcurl-easy.html>: http and https only, no redirects, TLS peers
/// verified, no signals (safe in threaded processes). Each transfer resets the options (the connection cache
/// survives `curl_easy_reset`), so nothing leaks from one request into the next.
/// - Important: an easy handle must only be used by one thread at a time; use one handle per thread.
package final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    package init() throws(HTTPFailure) {
        let global = CurlGlobal.initialized
        guard global == CURLE_OK else {
            throw HTTPFailure(.setup, String(cString: curl_easy_strerror(global)), step: "curl_global_init",
                              curlCode: Int(global.rawValue))
        }
        guard let h = curl_easy_init() else {
            throw HTTPFailure(.setup, "out of memory?", step: "curl_easy_init")
        }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    /// Runs one transfer to completion (blocking) and returns the response, whatever its status.
    ///
    /// Throws `.transport` for connection failures, timeouts and resets, `.localFile` when the body
    /// source or file sink fails. Its message never contains the URL.
    package func perform(_ transfer: HTTPTransfer) throws(HTTPFailure) -> HTTPResponse {
        curl_easy_reset(handle)
        let state = TransferState(body: transfer.body, sink: transfer.sink, progress: transfer.progress)
        state.throttle = transfer.throttle
        let user = Unmanaged.passUnretained(state).toOpaque()
        let headerList = CurlHeaderList(transfer.headers.map { $0.value.isEmpty ? "\($0.name):" : "\($0.name): \($0.value)" })
        let total = transfer.timeout.map { max(1, milliseconds($0)) }
        let connect = min(total ?? .max, max(1, milliseconds(transfer.connectTimeout)))

        try withExtendedLifetime((state, headerList)) { () throws(HTTPFailure) in
            try errorBuffer.withUnsafeMutableBufferPointer { errbuf throws(HTTPFailure) in
                errbuf[0] = 0
                try check(vaultops_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errbuf.baseAddress), "ERRORBUFFER")
                try check(vaultops_curl_setopt_str(handle, CURLOPT_URL, transfer.url), "URL")
                try check(vaultops_curl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS_STR")
                try check(vaultops_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION")
                try check(vaultops_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
                try check(vaultops_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), "SSL_VERIFYPEER")
                try check(vaultops_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), "SSL_VERIFYHOST")
                try check(vaultops_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connect), "CONNECTTIMEOUT_MS")
                if let total {
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, total), "TIMEOUT_MS")
                }
                if let lowSpeedTime = transfer.lowSpeedTime {
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1), "LOW_SPEED_LIMIT")
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, lowSpeedTime), "LOW_SPEED_TIME")
                }
                if transfer.bypassProxy {
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_NOPROXY, "*"), "NOPROXY")
                }
                if let userAgent = transfer.userAgent {
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_USERAGENT, userAgent), "USERAGENT")
                }
                try check(vaultops_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList.list), "HTTPHEADER")
                try check(vaultops_curl_setopt_write(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback), "HEADERFUNCTION")
                try check(vaultops_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, user), "HEADERDATA")
                try check(vaultops_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback), "WRITEFUNCTION")
                try check(vaultops_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, user), "WRITEDATA")
                switch transfer.method {
                case "GET":
                    break
                case "HEAD":
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_NOBODY, 1), "NOBODY")
                case "PUT", "POST":
                    // Upload mode for both: the body streams from the read callback with a known length, and
                    // POST is set by name so libcurl never adds its form Content-Type (ours is always explicit).
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_UPLOAD, 1), "UPLOAD")
                    try check(vaultops_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(transfer.body.length)), "INFILESIZE")
                    try check(vaultops_curl_setopt_write(handle, CURLOPT_READFUNCTION, curlReadCallback), "READFUNCTION")
                    try check(vaultops_curl_setopt_ptr(handle, CURLOPT_READDATA, user), "READDATA")
                    if transfer.method == "POST" {
                        try check(vaultops_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, "POST"), "CUSTOMREQUEST")
                    }
                default:
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, transfer.method), "CUSTOMREQUEST")
                }
                let code = curl_easy_perform(handle)
                // The error buffer is only ours while the options point at it.
                let detail = String(cString: errbuf.baseAddress!)
                _ = vaultops_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil)
                if let failure = state.failure {
                    throw HTTPFailure(.localFile, failure, curlCode: Int(code.rawValue))
                }
                if code != CURLE_OK {
                    let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
                    throw HTTPFailure(.transport, text, curlCode: Int(code.rawValue))
                }
            }
        }
        var status = 0
        _ = vaultops_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status != 0 ? status : state.status, headers: state.headers, body: state.memory,
                            bytesWritten: state.written)
    }

    /// The one funnel from CURLcode to our error type.
    private func check(_ code: CURLcode, _ option: String) throws(HTTPFailure) {
        guard code == CURLE_OK else {
            throw HTTPFailure(.setup, String(cString: curl_easy_strerror(code)), step: option, curlCode: Int(code.rawValue))
        }
    }

    private func milliseconds(_ d: Duration) -> Int {
        let (s, a) = d.components
        return Int(s) * 1000 + Int(a / 1_000_000_000_000_000)
    }
}

@available(*, unavailable)
extension CurlEasy: Sendable {}
