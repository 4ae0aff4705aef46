import CCurl
import Foundation

/// An HTTP answer: the status and the start of the body.
package struct HTTPAnswer: Sendable, Equatable {
    package var status: Int
    /// The body, cut at `HTTPClient.bodyLimit` bytes.
    package var body: Data
}

/// No HTTP answer came (DNS, connect, TLS, timeout), or libcurl refused an option; carries libcurl's message.
package struct HTTPFailure: Error, CustomStringConvertible, Sendable {
    /// The option that failed to set, or nil when the request itself failed.
    package var step: String?
    /// libcurl's detailed message, else its generic one, with the curl error number.
    package var detail: String

    package var description: String { step.map { "setup (\($0)) failed: \(detail)" } ?? detail }
}

/// Collects a response body for the write callback, up to a limit.
private final class AnswerBody {
    var data = Data()
    let limit: Int
    init(limit: Int) { self.limit = limit }
}

private let answerWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, user in
    guard let buffer, let user else { return 0 }
    let box = Unmanaged<AnswerBody>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    // Webhook robots and health pages answer with a few bytes; the rest of a large body is dropped, not an error.
    let keep = max(0, min(n, box.limit - box.data.count))
    if keep > 0 { box.data.append(UnsafeRawBufferPointer(start: buffer, count: keep).bindMemory(to: UInt8.self)) }
    return n
}

private enum HTTPCurlGlobal {
    // curl_global_init must run before the first handle; a global let runs it once, thread-safely
    // (libcurl counts calls, so ObjectStorage initialising it as well is fine).
    static let initialized: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))
}

/// A minimal blocking HTTP client over one libcurl easy handle: webhook POSTs and health-gate GETs.
///
/// Follows <https://curl.se/libcurl/c/libcurl-easy.html>: http and https only, no redirects, connect and total
/// timeouts, no signals (safe in threaded processes). ObjectStorage's `CurlEasy` is built around signed OSS
/// transfers instead.
/// - Important: an easy handle belongs to one thread; this type is not Sendable.
package final class HTTPClient {
    /// How much of a body is kept.
    package static let bodyLimit = 64 * 1024
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    package init() throws(HTTPFailure) {
        let global = HTTPCurlGlobal.initialized
        guard global == CURLE_OK else {
            throw HTTPFailure(step: "curl_global_init", detail: String(cString: curl_easy_strerror(global)))
        }
        guard let h = curl_easy_init() else { throw HTTPFailure(step: "curl_easy_init", detail: "out of memory?") }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    /// Sends a GET (`body` nil) or a POST of `body` to `url`; returns the answer whatever its status.
    ///
    /// - Parameters:
    ///   - connectTimeout: at most `timeout`.
    ///   - bypassProxy: ignore proxies from the environment (a health gate asks the service itself).
    /// - Throws: `HTTPFailure` when no HTTP answer came. Its message never contains `url`'s query.
    package func send(_ url: String, body: Data? = nil, headers: [String] = [], timeout: Duration,
                      connectTimeout: Duration = .seconds(10), bypassProxy: Bool = false,
                      userAgent: String = "vaultops") throws(HTTPFailure) -> HTTPAnswer {
        curl_easy_reset(handle)
        let box = AnswerBody(limit: Self.bodyLimit)
        let user = Unmanaged.passUnretained(box).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        for line in headers { list = curl_slist_append(list, line) }
        defer { curl_slist_free_all(list) }
        let total = max(1, milliseconds(timeout))
        let connect = min(total, max(1, milliseconds(connectTimeout)))
        errorBuffer[0] = 0
        do {
            return try withExtendedLifetime(box) {
                try errorBuffer.withUnsafeMutableBufferPointer { errbuf in
                    defer { _ = vaultops_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil) }
                    try check(vaultops_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errbuf.baseAddress), "ERRORBUFFER", errbuf)
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_URL, url), "URL", errbuf)
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS_STR", errbuf)
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "NOSIGNAL", errbuf)
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, total), "TIMEOUT_MS", errbuf)
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connect), "CONNECTTIMEOUT_MS", errbuf)
                    try check(vaultops_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION", errbuf)
                    try check(vaultops_curl_setopt_str(handle, CURLOPT_USERAGENT, userAgent), "USERAGENT", errbuf)
                    if bypassProxy { try check(vaultops_curl_setopt_str(handle, CURLOPT_NOPROXY, "*"), "NOPROXY", errbuf) }
                    if let body {
                        try check(vaultops_curl_setopt_long(handle, CURLOPT_POST, 1), "POST", errbuf)
                        try check(vaultops_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "POSTFIELDSIZE", errbuf)
                        // COPYPOSTFIELDS: libcurl keeps its own copy, so the Swift buffer need not outlive this call.
                        try body.withUnsafeBytes { raw in
                            try check(vaultops_curl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress)),
                                      "COPYPOSTFIELDS", errbuf)
                        }
                    }
                    try check(vaultops_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list)), "HTTPHEADER", errbuf)
                    try check(vaultops_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION, answerWriteCallback), "WRITEFUNCTION", errbuf)
                    try check(vaultops_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, user), "WRITEDATA", errbuf)
                    try check(curl_easy_perform(handle), nil, errbuf)
                    var status = 0
                    try check(vaultops_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "RESPONSE_CODE", errbuf)
                    return HTTPAnswer(status: status, body: box.data)
                }
            }
        } catch let error as HTTPFailure {
            throw error
        } catch {
            throw HTTPFailure(step: nil, detail: "\(error)")
        }
    }

    /// The one funnel from CURLcode to our error: libcurl's detailed message, else its generic one.
    private func check(_ code: CURLcode, _ step: String?, _ errbuf: UnsafeMutableBufferPointer<CChar>) throws {
        guard code != CURLE_OK else { return }
        let detail = errbuf[0] != 0 ? String(cString: errbuf.baseAddress!) : String(cString: curl_easy_strerror(code))
        throw HTTPFailure(step: step, detail: "\(detail) (curl error \(code.rawValue))")
    }

    private func milliseconds(_ d: Duration) -> Int {
        let (s, a) = d.components
        return Int(s) * 1000 + Int(a / 1_000_000_000_000_000)
    }
}

@available(*, unavailable)
extension HTTPClient: Sendable {}
