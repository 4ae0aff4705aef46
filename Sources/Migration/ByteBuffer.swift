import Foundation

/// A growable byte buffer over raw memory, for the export's hot loop.
///
/// `[UInt8]` costs a uniqueness check, an exclusivity check and a bounds check per appended byte; the
/// export appends a few hundred bytes per row, so it writes through a pointer instead. Non-copyable: one
/// owner frees the memory.
struct ByteBuffer: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    /// Bytes in use; set it lower to drop what was appended after that point.
    var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes in use (valid until the next append).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (base + count).update(from: source, count: n)
        count += n
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress else { return }
        append(start.assumingMemoryBound(to: UInt8.self), count: bytes.count)
    }

    mutating func append(contentsOf array: [UInt8]) {
        array.withUnsafeBytes { append($0) }
    }

    /// Appends a copy of bytes already in this buffer (`start..<start+n`).
    @inline(__always)
    mutating func appendCopy(from start: Int, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (base + count).update(from: base + start, count: n)
        count += n
    }

    /// Appends a 4-byte big-endian length (the canonical row form's field boundary).
    @inline(__always)
    mutating func appendLength(_ n: Int) {
        reserve(4)
        base[count] = UInt8(truncatingIfNeeded: n >> 24)
        base[count + 1] = UInt8(truncatingIfNeeded: n >> 16)
        base[count + 2] = UInt8(truncatingIfNeeded: n >> 8)
        base[count + 3] = UInt8(truncatingIfNeeded: n)
        count += 4
    }

    /// Appends the decimal text of `v`, exactly as `String(v)` spells it.
    @inline(__always)
    mutating func appendDecimal(_ v: Int64) {
        reserve(20)
        var magnitude = v.magnitude
        if v < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var i = count + digits - 1
        repeat {
            base[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
            magnitude /= 10
            i -= 1
        } while magnitude > 0
        count += digits
    }

    /// Appends `bytes` as a quoted CSV field: `"` around, every `"` inside doubled.
    @inline(__always)
    mutating func appendQuoted(_ source: UnsafePointer<UInt8>?, count n: Int) {
        reserve(n + 2)
        base[count] = UInt8(ascii: "\"")
        count += 1
        if let source { appendDoublingQuotes(source, count: n) }
        append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` with every `"` doubled (the inside of a quoted CSV field).
    @inline(__always)
    mutating func appendDoublingQuotes(_ source: UnsafePointer<UInt8>, count n: Int) {
        guard n > 0 else { return }
        if memchr(source, 0x22, n) == nil {
            append(source, count: n)
        } else {
            reserve(n + n / 8)
            for i in 0..<n {
                let byte = source[i]
                if byte == 0x22 { append(0x22) }
                append(byte)
            }
        }
    }

    private static let hexDigits: (UInt64, UInt64) = (0x3736_3534_3332_3130, 0x6665_6463_6261_3938)

    /// Appends `\x` and the lowercase hex digits of `bytes` (PostgreSQL's bytea text form).
    mutating func appendHex(_ source: UnsafePointer<UInt8>?, count n: Int) {
        reserve(2 + 2 * n)
        base[count] = UInt8(ascii: "\\")
        base[count + 1] = UInt8(ascii: "x")
        count += 2
        guard let source else { return }
        appendHexDigits(source, count: n)
    }

    /// Appends the lowercase hex digits of `bytes`.
    mutating func appendHexDigits(_ source: UnsafePointer<UInt8>, count n: Int) {
        reserve(2 * n)
        withUnsafeBytes(of: Self.hexDigits) { table in
            for i in 0..<n {
                let byte = source[i]
                base[count] = table[Int(byte >> 4)]
                base[count + 1] = table[Int(byte & 0xF)]
                count += 2
            }
        }
    }
}

/// The number of Unicode scalars when `n` bytes at `p` are well-formed UTF-8, else nil.
///
/// The same acceptance as `String(validating:as: UTF8.self)` (Unicode Table 3-7: no overlong forms, no
/// surrogates, nothing past U+10FFFF), without building a string.
func utf8ScalarCount(_ p: UnsafePointer<UInt8>?, _ n: Int) -> Int? {
    guard let p, n > 0 else { return 0 }
    var i = 0
    var scalars = 0
    @inline(__always) func continuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }
    while i < n {
        // Eight ASCII bytes at a time.
        while i + 8 <= n, UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            i += 8
            scalars += 8
        }
        guard i < n else { break }
        let b0 = p[i]
        if b0 < 0x80 {
            i += 1
        } else if b0 < 0xC2 {
            return nil
        } else if b0 < 0xE0 {
            guard i + 1 < n, continuation(p[i + 1]) else { return nil }
            i += 2
        } else if b0 < 0xF0 {
            guard i + 2 < n else { return nil }
            let b1 = p[i + 1]
            let lower: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let upper: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            guard b1 >= lower, b1 <= upper, continuation(p[i + 2]) else { return nil }
            i += 3
        } else if b0 < 0xF5 {
            guard i + 3 < n else { return nil }
            let b1 = p[i + 1]
            let lower: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let upper: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            guard b1 >= lower, b1 <= upper, continuation(p[i + 2]), continuation(p[i + 3]) else { return nil }
            i += 4
        } else {
            return nil
        }
        scalars += 1
    }
    return scalars
}
