/// One object of a plain dump script, found by the `-- Name: …; Type: …; Schema: …; Owner: …` comment that
/// pg_dump (and vaultops' dumper, which writes the same) puts before it.
public struct DumpEntry: Sendable, Equatable {
    /// The header's type: `TABLE`, `TABLE DATA`, `INDEX`, `FK CONSTRAINT`, `ACL`, `SEQUENCE SET`, …
    public var kind: String
    /// The header's name as written (unquoted; `table constraint` for constraints, `TABLE t` for ACLs).
    public var name: String
    /// The schema, or nil for `-`.
    public var schema: String?
    /// The owner, or nil for `-`.
    public var owner: String?
    /// Where the entry lies in the decompressed script: from its header (the `--` line before it) to the next one.
    public var range: Range<UInt64>
    /// The entry's script text (header included), when the scan kept it.
    public var text: String?

    public init(kind: String, name: String, schema: String?, owner: String?, range: Range<UInt64>, text: String? = nil) {
        self.kind = kind
        self.name = name
        self.schema = schema
        self.owner = owner
        self.range = range
        self.text = text
    }

    /// Kinds whose entries hold table contents (COPY data or INSERTs) rather than definitions.
    public static let dataKinds: Set<String> = ["TABLE DATA", "BLOBS", "BLOB DATA", "LARGE OBJECT DATA"]

    /// Whether the entry holds table contents.
    public var isData: Bool { Self.dataKinds.contains(kind) }

    /// `schema.name` as the user writes it (`-` for no schema).
    public var qualifiedName: String { (schema.map { $0 + "." } ?? "") + name }
}

/// A dump script split into its objects: the prelude (settings before the first object), the objects, and the
/// footer (from the completion comment on).
public struct DumpContents: Sendable, Equatable {
    public var prelude: DumpEntry
    public var entries: [DumpEntry]
    public var footer: DumpEntry?

    public init(prelude: DumpEntry, entries: [DumpEntry], footer: DumpEntry?) {
        self.prelude = prelude
        self.entries = entries
        self.footer = footer
    }

    /// The lines `restore --list` prints: start and end offset in the decompressed script, kind, schema, name, owner
    /// (tab-separated).
    public var listing: [String] {
        entries.map { entry in
            [String(entry.range.lowerBound), String(entry.range.upperBound), entry.kind, entry.schema ?? "-", entry.name, entry.owner ?? "-"]
                .joined(separator: "\t")
        }
    }
}

/// The header comment of a dump entry.
package struct DumpHeader: Sendable, Equatable {
    package var kind: String
    package var name: String
    package var schema: String?
    package var owner: String?

    /// The prefixes pg_dump writes: `-- Name: ` for definitions, `-- Data for Name: ` for table contents.
    static let prefixes = ["-- Name: ", "-- Data for Name: "]
    /// The completion comment pg_dump writes (vaultops' dumper adds ` (vaultops)`).
    static let footerPrefix = "-- PostgreSQL database dump complete"

    /// Parses a header line (without its newline), or returns nil when `line` is not one.
    ///
    /// Names are written unquoted and may hold `;`: the fields are found by their labels, left to right.
    package static func parse(_ line: String) -> DumpHeader? {
        guard let prefix = prefixes.first(where: { line.hasPrefix($0) }) else { return nil }
        let rest = line.dropFirst(prefix.count)
        guard let type = rest.range(of: "; Type: ") else { return nil }
        let name = String(rest[..<type.lowerBound])
        let afterType = rest[type.upperBound...]
        guard let schemaLabel = afterType.range(of: "; Schema: ") else { return nil }
        let kind = String(afterType[..<schemaLabel.lowerBound])
        let afterSchema = afterType[schemaLabel.upperBound...]
        var schema = String(afterSchema)
        var owner: String?
        if let ownerLabel = afterSchema.range(of: "; Owner: ") {
            schema = String(afterSchema[..<ownerLabel.lowerBound])
            var ownerText = afterSchema[ownerLabel.upperBound...]
            if let tablespace = ownerText.range(of: "; Tablespace: ") { ownerText = ownerText[..<tablespace.lowerBound] }
            owner = String(ownerText)
        }
        return DumpHeader(kind: kind, name: name, schema: schema == "-" ? nil : schema, owner: owner == "-" ? nil : owner)
    }
}
