import Archive
import Foundation

/// The spellings of names in dump text: dumps quote a name only when it needs it, and other writers may always.
enum NameForms {
    /// `name` unquoted when that is how PostgreSQL would read it back (lower-case letters, digits, `_`, `$`).
    static func simple(_ name: String) -> String? {
        guard let first = name.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) else { return nil }
        let ok = name.unicodeScalars.allSatisfy { $0 == "_" || $0 == "$" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        return ok ? name : nil
    }

    /// Every spelling of `schema.name`.
    static func qualified(_ schema: String, _ name: String) -> [String] {
        let schemas = [simple(schema), quoteIdentifier(schema)].compactMap { $0 }
        let names = [simple(name), quoteIdentifier(name)].compactMap { $0 }
        return schemas.flatMap { s in names.map { "\(s).\($0)" } }
    }

    /// Every spelling of a name on its own.
    static func bare(_ name: String) -> [String] { [simple(name), quoteIdentifier(name)].compactMap { $0 } }

    static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x24 || b >= 0x80
    }

    /// The ranges where `form` occurs in `text` as a whole name (not part of a longer one).
    static func occurrences(_ form: String, in text: String) -> [Range<String.Index>] {
        var found: [Range<String.Index>] = []
        let bytes = Array(text.utf8)
        let pattern = Array(form.utf8)
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return [] }
        var i = 0
        while i + pattern.count <= bytes.count {
            if bytes[i] == pattern[0], Array(bytes[i..<(i + pattern.count)]) == pattern {
                let before = i > 0 ? bytes[i - 1] : 0x20
                let after = i + pattern.count < bytes.count ? bytes[i + pattern.count] : 0x20
                let startsOK = !isIdentifierByte(before) && before != UInt8(ascii: ".") && before != UInt8(ascii: "\"")
                let endsOK = pattern.last == UInt8(ascii: "\"") ? after != UInt8(ascii: "\"") : !isIdentifierByte(after) && after != UInt8(ascii: "\"")
                if startsOK && endsOK {
                    let utf8 = text.utf8
                    found.append(utf8.index(utf8.startIndex, offsetBy: i)..<utf8.index(utf8.startIndex, offsetBy: i + pattern.count))
                    i += pattern.count
                    continue
                }
            }
            i += 1
        }
        return found
    }

    static func occurs(_ form: String, in text: String) -> Bool { !occurrences(form, in: text).isEmpty }

    /// `text` with every whole-name occurrence of `form` replaced by `replacement`.
    static func replace(_ form: String, with replacement: String, in text: String) -> String {
        var result = text
        for range in occurrences(form, in: text).reversed() { result.replaceSubrange(range, with: replacement) }
        return result
    }
}

/// How a partial restore renames what it restores beside the live tables (`--rename-to`, `--into-schema`).
package struct PartialRenames: Equatable, Sendable {
    package struct Pair: Equatable, Sendable {
        package var old: TableName
        package var new: TableName
        /// A table (whose old name must be gone from the rewritten text) rather than one of its objects.
        package var isTable: Bool
    }

    /// Schema-qualified names: tables, their sequences and indexes.
    package var qualified: [Pair] = []
    /// Names written without their schema after `INDEX`, `CONSTRAINT` or `CLUSTER ON` (indexes, constraints).
    package var bare: [String: String] = [:]

    package init() {}

    /// The renames `request` asks for (none when it replaces the tables).
    static func make(request: PartialRestoreRequest, tables: [TableName], sequences: [TableName], indexes: [TableName],
                     constraints: [String]) -> PartialRenames {
        var renames = PartialRenames()
        if let schema = request.intoSchema {
            for table in tables { renames.qualified.append(Pair(old: table, new: TableName(schema: schema, name: table.name), isTable: true)) }
            for object in sequences + indexes {
                renames.qualified.append(Pair(old: object, new: TableName(schema: schema, name: object.name), isTable: false))
            }
        } else if let newName = request.renameTo, let table = tables.first {
            // The table's other objects take its new name in place of its old one (t_pkey → u_pkey), or as a prefix.
            func renamed(_ name: String) -> String {
                name.hasPrefix(table.name) ? newName + name.dropFirst(table.name.count) : newName + "_" + name
            }
            renames.qualified.append(Pair(old: table, new: TableName(schema: table.schema, name: newName), isTable: true))
            for object in sequences + indexes {
                renames.qualified.append(Pair(old: object, new: TableName(schema: object.schema, name: renamed(object.name)), isTable: false))
            }
            for name in indexes.map(\.name) + constraints { renames.bare[name] = renamed(name) }
        }
        return renames
    }

    /// Where `table` is restored.
    package func destination(_ table: TableName) -> TableName {
        qualified.first { $0.isTable && $0.old == table }?.new ?? table
    }

    /// `text` with the renames made; throws when a table's old name is still in it (so nothing is ever restored
    /// into the live table by mistake).
    package func apply(_ text: String, entry: String) throws -> String {
        guard !qualified.isEmpty else { return text }
        var result = text
        for pair in qualified {
            let replacement = quoteIdentifier(pair.new.schema) + "." + quoteIdentifier(pair.new.name)
            for form in NameForms.qualified(pair.old.schema, pair.old.name) {
                result = NameForms.replace(form, with: replacement, in: result)
            }
        }
        for (old, new) in bare.sorted(by: { $0.key < $1.key }) {
            for keyword in ["INDEX ", "CONSTRAINT ", "CLUSTER ON "] {
                for form in NameForms.bare(old) {
                    result = NameForms.replace(keyword + form, with: keyword + quoteIdentifier(new), in: result)
                }
            }
        }
        for pair in qualified where pair.isTable {
            if NameForms.qualified(pair.old.schema, pair.old.name).contains(where: { NameForms.occurs($0, in: result) }) {
                throw PostgresRestoreError(kind: .invalidScript,
                                           message: "cannot rename every mention of \(pair.old) in the dump's entry \(entry); nothing was restored")
            }
        }
        return result
    }

    /// Reads a table's contents entry with its COPY statement renamed; the data lines pass unchanged.
    package func renamingCopy(_ source: any ByteSource, entry: String) throws -> any ByteSource {
        guard !qualified.isEmpty else { return source }
        // The entry starts with its header comment, then the COPY statement on one line.
        var head: [UInt8] = []
        var byte = [UInt8](repeating: 0, count: 1)
        while true {
            let n = try byte.withUnsafeMutableBytes { try source.read(into: $0) }
            guard n == 1 else { break }
            head.append(byte[0])
            if byte[0] == 0x0A {
                let lineStart = head.dropLast().lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
                let line = String(decoding: head[lineStart...], as: UTF8.self)
                if line.hasPrefix("COPY ") { break }
                if !line.hasPrefix("--") && !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    throw PostgresRestoreError(kind: .options,
                                               message: "the contents of \(entry) are not one COPY (INSERT statements?); they can only replace the table, not be restored beside it")
                }
            }
            if head.count > 1 << 20 { break }
        }
        let rewritten = try apply(String(decoding: head, as: UTF8.self), entry: entry)
        return ChainedSource([{ BytesSource(Array(rewritten.utf8)) }, { source }])
    }
}

/// The bytes of several sources, one after the other, each opened when the one before it has ended.
package final class ChainedSource: ByteSource {
    private var pending: [() throws -> any ByteSource]
    private var current: (any ByteSource)?

    package init(_ sources: [() throws -> any ByteSource]) { pending = sources }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if current == nil {
                guard !pending.isEmpty else { return 0 }
                current = try pending.removeFirst()()
            }
            let n = try current!.read(into: buffer)
            if n > 0 { return n }
            current = nil
        }
    }
}

@available(*, unavailable)
extension ChainedSource: Sendable {}
