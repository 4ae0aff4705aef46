import CCurl
import Foundation

/// The answer to a webhook POST.
struct WebhookResponse: Sendable {
    var status: Int
    /// The body, cut at `NotifierHTTP.responseLimit` bytes.
    var body: Data
}

/// Collects a response body for the write callback, up to a limit.
private final class ResponseBuffer {
    var data = Data()
    let limit: Int
    init(limit: Int) { self.limit = limit }
}

private let webhookWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    buffer, size, count, user in
    guard let buffer, let user else { return 0 }
    let box = Unmanaged<ResponseBuffer>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    // Robots answer with a few bytes of JSON; anything past the limit is dropped, not an error.
    let keep = max(0, min(n, box.limit - box.data.count))
    if keep > 0 { box.data.append(UnsafeRawBufferPointer(start: buffer, count: keep).bindMemory(to: UInt8.self)) }
    return n
}

private enum NotifierCurlGlobal {
    // curl_global_init must run before the first handle; a global let runs it once, thread-safely
    // (libcurl counts calls, so ObjectStorage initialising it as well is fine).
    static let initialized: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))
}

/// A minimal blocking HTTP POST client over one libcurl easy handle, for webhook notifications.
///
/// Follows <https://curl.se/libcurl/c/libcurl-easy.html>: only http and https, no redirects to other
/// protocols, connect and total timeouts, no signals (safe in threaded processes).
/// - Important: an easy handle belongs to one thread; this type is not Sendable.
final class NotifierHTTP {
    static let responseLimit = 64 * 1024
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    init() throws {
        let global = NotifierCurlGlobal.initialized
        guard global == CURLE_OK else {
            throw BackupJobError.failed("curl_global_init failed: \(String(cString: curl_easy_strerror(global)))")
        }
        guard let h = curl_easy_init() else { throw BackupJobError.failed("curl_easy_init failed (out of memory?)") }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    /// POSTs `body` to `url` with `headers` and returns the status and body, whatever the status.
    ///
    /// - Throws: `BackupJobError.failed` with libcurl's message when no HTTP answer came (DNS, connect,
    ///   TLS, timeout). The message never contains `url`'s query, where robot tokens live.
    func post(url: String, body: Data, headers: [String], timeoutSeconds: Int) throws -> WebhookResponse {
        curl_easy_reset(handle)
        let box = ResponseBuffer(limit: Self.responseLimit)
        let user = Unmanaged.passUnretained(box).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        for line in headers { list = curl_slist_append(list, line) }
        defer { curl_slist_free_all(list) }
        errorBuffer[0] = 0
        return try withExtendedLifetime(box) {
            try errorBuffer.withUnsafeMutableBufferPointer { errbuf in
                defer { _ = vaultops_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil) }
                try check(vaultops_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errbuf.baseAddress), "ERRORBUFFER", errbuf)
                try check(vaultops_curl_setopt_str(handle, CURLOPT_URL, url), "URL", errbuf)
                try check(vaultops_curl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS_STR", errbuf)
                try check(vaultops_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "NOSIGNAL", errbuf)
                try check(vaultops_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, 10), "CONNECTTIMEOUT", errbuf)
                try check(vaultops_curl_setopt_long(handle, CURLOPT_TIMEOUT, timeoutSeconds), "TIMEOUT", errbuf)
                try check(vaultops_curl_setopt_long(handle, CURLOPT_POST, 1), "POST", errbuf)
                try check(vaultops_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "POSTFIELDSIZE", errbuf)
                // COPYPOSTFIELDS: libcurl keeps its own copy, so the Swift buffer need not outlive this call.
                try body.withUnsafeBytes { raw in
                    try check(vaultops_curl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress)),
                              "COPYPOSTFIELDS", errbuf)
                }
                try check(vaultops_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list)), "HTTPHEADER", errbuf)
                try check(vaultops_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION, webhookWriteCallback), "WRITEFUNCTION", errbuf)
                try check(vaultops_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, user), "WRITEDATA", errbuf)
                try check(curl_easy_perform(handle), "perform", errbuf)
                var status = 0
                try check(vaultops_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "RESPONSE_CODE", errbuf)
                return WebhookResponse(status: status, body: box.data)
            }
        }
    }

    /// The one funnel from CURLcode to our error: libcurl's detailed message, else its generic one.
    private func check(_ code: CURLcode, _ step: String, _ errbuf: UnsafeMutableBufferPointer<CChar>) throws {
        guard code != CURLE_OK else { return }
        let detail = errbuf[0] != 0 ? String(cString: errbuf.baseAddress!) : String(cString: curl_easy_strerror(code))
        throw BackupJobError.failed("webhook \(step == "perform" ? "request" : "setup (\(step))") failed: \(detail) (curl error \(code.rawValue))")
    }
}

@available(*, unavailable)
extension NotifierHTTP: Sendable {}
