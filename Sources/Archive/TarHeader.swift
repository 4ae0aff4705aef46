/// Encoding and decoding of ustar header blocks and pax extended records (POSIX.1-2001, `pax` format).
///
/// Field layout: name 0/100, mode 100/8, uid 108/8, gid 116/8, size 124/12, mtime 136/12, chksum 148/8,
/// typeflag 156, linkname 157/100, magic 257/6, version 263/2, uname 265/32, gname 297/32, devmajor 329/8,
/// devminor 337/8, prefix 345/155.
package enum TarHeader {
    /// Tar's unit: headers and data are padded to 512-byte blocks.
    package static let blockSize = 512

    // MARK: Encoding

    /// The header blocks for `entry`: a pax 'x' header with its records when some field does not fit ustar,
    /// then the ustar header.
    package static func encode(_ entry: TarEntry) -> [UInt8] {
        var records: [(String, String)] = []
        let nameBytes = Array(entry.name.utf8)
        if nameBytes.count > 100 || !isASCII(nameBytes) { records.append(("path", entry.name)) }
        let linkBytes = Array(entry.linkName.utf8)
        if linkBytes.count > 100 || !isASCII(linkBytes) { records.append(("linkpath", entry.linkName)) }
        let size = entry.kind.isHeaderOnly ? 0 : entry.size
        if size > maxOctal(digits: 11) { records.append(("size", String(size))) }
        if entry.mtime < 0 || UInt64(entry.mtime) > maxOctal(digits: 11) || entry.mtimeNanoseconds != 0 {
            records.append(("mtime", formatPaxTime(entry.mtime, entry.mtimeNanoseconds)))
        }
        if entry.uid < 0 || UInt64(entry.uid) > maxOctal(digits: 7) { records.append(("uid", String(entry.uid))) }
        if entry.gid < 0 || UInt64(entry.gid) > maxOctal(digits: 7) { records.append(("gid", String(entry.gid))) }
        let unameBytes = Array(entry.uname.utf8)
        if unameBytes.count > 32 || !isASCII(unameBytes) { records.append(("uname", entry.uname)) }
        let gnameBytes = Array(entry.gname.utf8)
        if gnameBytes.count > 32 || !isASCII(gnameBytes) { records.append(("gname", entry.gname)) }

        var out: [UInt8] = []
        if !records.isEmpty {
            let payload = encodePaxRecords(records)
            let paxEntry = TarEntry(name: "././@PaxHeader", kind: .other(UInt8(ascii: "x")), size: UInt64(payload.count),
                                    mode: 0o644, mtime: max(0, min(entry.mtime, Int64(maxOctal(digits: 11)))))
            out += ustarBlock(paxEntry, name: Array("././@PaxHeader".utf8), link: [], size: UInt64(payload.count))
            out += payload
            out += [UInt8](repeating: 0, count: padding(for: UInt64(payload.count)))
        }
        out += ustarBlock(entry, name: asciiFallback(nameBytes, limit: 100), link: asciiFallback(linkBytes, limit: 100), size: size)
        return out
    }

    /// One ustar header block; fields that overflow were also put in pax records by the caller.
    static func ustarBlock(_ entry: TarEntry, name: [UInt8], link: [UInt8], size: UInt64) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        put(&block, 0, 100, name)
        putNumber(&block, 100, 8, Int64(entry.mode & 0o7777))
        putNumber(&block, 108, 8, Int64(clamping: entry.uid))
        putNumber(&block, 116, 8, Int64(clamping: entry.gid))
        putNumber(&block, 124, 12, Int64(clamping: size))
        putNumber(&block, 136, 12, entry.mtime)
        block[156] = entry.kind.typeflag
        put(&block, 157, 100, link)
        put(&block, 257, 6, Array("ustar\0".utf8))
        put(&block, 263, 2, Array("00".utf8))
        put(&block, 265, 32, asciiFallback(Array(entry.uname.utf8), limit: 32))
        put(&block, 297, 32, asciiFallback(Array(entry.gname.utf8), limit: 32))
        putNumber(&block, 329, 8, 0)
        putNumber(&block, 337, 8, 0)
        let sum = checksum(block)
        // chksum: six octal digits, NUL, space (what GNU tar and Python write).
        let digits = Array(String(sum, radix: 8).utf8)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 6 - digits.count)) + digits
        put(&block, 148, 8, padded + [0, UInt8(ascii: " ")])
        return block
    }

    /// pax records `"<len> <key>=<value>\n"`, where len counts the whole record including its own digits.
    package static func encodePaxRecords(_ records: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n".utf8.count
            var length = body + String(body).count
            if String(length).count != String(body).count { length = body + String(length).count }
            out += Array("\(length) \(key)=\(value)\n".utf8)
        }
        return out
    }

    static func formatPaxTime(_ seconds: Int64, _ nanoseconds: Int32) -> String {
        guard nanoseconds != 0 else { return String(seconds) }
        var whole = seconds
        var fraction = Int64(nanoseconds)
        var sign = ""
        if seconds < 0 {
            // -2 s + 0.5 s is written -1.5.
            whole = -(seconds + 1)
            fraction = 1_000_000_000 - fraction
            sign = "-"
        }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(sign)\(whole).\(digits)"
    }

    static func maxOctal(digits: Int) -> UInt64 { (UInt64(1) << (3 * UInt64(digits))) - 1 }

    static func put(_ block: inout [UInt8], _ offset: Int, _ width: Int, _ bytes: [UInt8]) {
        for (i, b) in bytes.prefix(width).enumerated() { block[offset + i] = b }
    }

    /// Octal with a NUL terminator when it fits in `width - 1` digits, otherwise GNU base-256 (which GNU tar,
    /// bsdtar, Go and Python read); the pax record carries the value for strict POSIX readers.
    static func putNumber(_ block: inout [UInt8], _ offset: Int, _ width: Int, _ value: Int64) {
        if value >= 0 && UInt64(value) <= maxOctal(digits: width - 1) {
            let digits = Array(String(value, radix: 8).utf8)
            let padded = [UInt8](repeating: UInt8(ascii: "0"), count: width - 1 - digits.count) + digits
            put(&block, offset, width, padded + [0])
        } else {
            var v = value
            for i in stride(from: width - 1, through: 1, by: -1) {
                block[offset + i] = UInt8(truncatingIfNeeded: v)
                v >>= 8
            }
            block[offset] = value < 0 ? 0xff : 0x80
        }
    }

    static func checksum(_ block: [UInt8]) -> Int {
        var sum = 0
        for i in 0..<blockSize { sum += (148..<156).contains(i) ? 32 : Int(block[i]) }
        return sum
    }

    /// Old tars summed signed chars; accepted on reading as GNU tar does.
    static func signedChecksum(_ block: [UInt8]) -> Int {
        var sum = 0
        for i in 0..<blockSize { sum += (148..<156).contains(i) ? 32 : Int(Int8(bitPattern: block[i])) }
        return sum
    }

    static func isASCII(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 < 0x80 && $0 != 0 } }

    /// A best-effort ASCII name for readers that ignore pax records; the pax record holds the real one.
    static func asciiFallback(_ bytes: [UInt8], limit: Int) -> [UInt8] {
        Array(bytes.map { $0 < 0x80 && $0 != 0 ? $0 : UInt8(ascii: "_") }.prefix(limit))
    }

    /// Zero bytes needed after `size` bytes of data to reach the next block.
    package static func padding(for size: UInt64) -> Int {
        let remainder = Int(size % UInt64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    // MARK: Decoding

    /// The fields of one header block, before pax and GNU long-name records are applied.
    package struct Raw {
        var name: [UInt8]
        var mode: Int64
        var uid: Int64
        var gid: Int64
        var size: Int64
        var mtime: Int64
        var typeflag: UInt8
        var linkName: [UInt8]
        var uname: [UInt8]
        var gname: [UInt8]
        var isPOSIXUstar: Bool
        var prefix: [UInt8]
    }

    /// Why a header block is invalid (the reader adds the file and offset).
    package struct DecodeError: Error { let reason: String }

    /// Whether a block is all zeros (the end-of-archive marker is two of them).
    package static func isZeroBlock(_ block: [UInt8]) -> Bool { block.allSatisfy { $0 == 0 } }

    /// Parses and checksums one header block.
    package static func decode(_ block: [UInt8]) throws(DecodeError) -> Raw {
        let stored = try number(block, 148, 8, field: "chksum")
        let sum = checksum(block)
        guard stored == Int64(sum) || stored == Int64(signedChecksum(block)) else {
            throw DecodeError(reason: "header checksum is \(stored) but the block sums to \(sum) (not a tar header, or damaged)")
        }
        let magic = Array(block[257..<263])
        let isPOSIX = magic == Array("ustar\0".utf8)
        return Raw(
            name: cString(block, 0, 100),
            mode: try number(block, 100, 8, field: "mode"),
            uid: try number(block, 108, 8, field: "uid"),
            gid: try number(block, 116, 8, field: "gid"),
            size: try number(block, 124, 12, field: "size"),
            mtime: try number(block, 136, 12, field: "mtime"),
            typeflag: block[156],
            linkName: cString(block, 157, 100),
            uname: cString(block, 265, 32),
            gname: cString(block, 297, 32),
            isPOSIXUstar: isPOSIX,
            // The GNU format stores atime/ctime where ustar keeps the prefix, so only POSIX ustar has one.
            prefix: isPOSIX ? cString(block, 345, 155) : [])
    }

    static func cString(_ block: [UInt8], _ offset: Int, _ width: Int) -> [UInt8] {
        let field = block[offset..<(offset + width)]
        if let end = field.firstIndex(of: 0) { return Array(field[..<end]) }
        return Array(field)
    }

    /// An octal field (spaces and NULs around it allowed) or a GNU base-256 one.
    static func number(_ block: [UInt8], _ offset: Int, _ width: Int, field: String) throws(DecodeError) -> Int64 {
        let bytes = block[offset..<(offset + width)]
        if bytes.first! & 0x80 != 0 {
            // Base-256: big-endian two's complement, first byte 0x80 (positive) or 0xff (negative).
            let negative = bytes.first! == 0xff
            var value: Int64 = negative ? -1 : 0
            for (i, b) in bytes.enumerated() {
                let byte = (i == 0 && !negative) ? b & 0x7f : b
                if !negative && value > (Int64.max >> 8) { throw DecodeError(reason: "\(field) field overflows 63 bits") }
                if negative && value < (Int64.min >> 8) { throw DecodeError(reason: "\(field) field overflows 63 bits") }
                value = (value << 8) | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var started = false
        var ended = false
        for b in bytes {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard !ended else { throw DecodeError(reason: "\(field) field has digits after its end") }
                started = true
                guard value < (Int64.max >> 3) else { throw DecodeError(reason: "\(field) field overflows") }
                value = value * 8 + Int64(b - UInt8(ascii: "0"))
            case UInt8(ascii: " "), 0:
                if started { ended = true }
            default:
                throw DecodeError(reason: "\(field) field holds \(b) which is not an octal digit")
            }
        }
        return value
    }

    /// Parses pax records; each must be `"<len> <key>=<value>\n"` with a correct length.
    package static func parsePaxRecords(_ payload: [UInt8]) throws(DecodeError) -> [(String, String)] {
        var records: [(String, String)] = []
        var i = 0
        while i < payload.count {
            // Some writers pad the payload with NULs.
            if payload[i] == 0 { break }
            guard let space = payload[i...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: payload[i..<space], as: UTF8.self)),
                  length > 0, i + length <= payload.count, payload[i + length - 1] == UInt8(ascii: "\n") else {
                throw DecodeError(reason: "malformed pax record at byte \(i) of the extended header")
            }
            let record = payload[(space + 1)..<(i + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw DecodeError(reason: "pax record without '=' at byte \(i) of the extended header")
            }
            records.append((String(decoding: record[..<equals], as: UTF8.self),
                            String(decoding: record[(equals + 1)...], as: UTF8.self)))
            i += length
        }
        return records
    }

    /// Parses a pax time `"[-]seconds[.fraction]"` into seconds and nanoseconds (nanoseconds always >= 0).
    package static func parsePaxTime(_ text: String) -> (Int64, Int32)? {
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = Int64(parts[0]) else { return nil }
        var nanos: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            nanos = Int64(digits + String(repeating: "0", count: 9 - digits.count)) ?? 0
        }
        if !negative { return (whole, Int32(nanos)) }
        if nanos == 0 { return (-whole, 0) }
        return (-whole - 1, Int32(1_000_000_000 - nanos))
    }
}
