import Foundation
import LibPQ

/// Large objects (pg_largeobject_metadata): each created with its owner and comment, then filled, in the
/// data section after the sequences, as pg_dump 17+ writes them; grants go with the other privileges.
///
/// The contents are written as `SELECT pg_catalog.lo_put(oid, offset, '\x…')` statements of 16 KiB (pg_dump's
/// chunk), which need no large-object descriptor kept open between statements: the script restores with one
/// transaction, with none, and with `vaultops restore --jobs`. Memory stays bounded whatever the objects'
/// sizes: metadata is read 1,000 objects at a time, contents at most `fetchBytes` per object and query.
enum LargeObjects {
    /// Objects per metadata query.
    static let metadataBatch = 1000
    /// Objects whose first piece one contents query reads.
    static let contentsBatch = 32
    /// The most bytes one query reads of one object (its hex text is twice that).
    static let fetchBytes = 512 * 1024
    /// Bytes per `lo_put` statement, as pg_dump's `lowrite` chunks.
    static let statementBytes = 16 * 1024

    static let metadata = """
        SELECT l.oid, pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(l.lomowner)) AS owner,
               pg_catalog.obj_description(l.oid, 'pg_largeobject') AS comment,
               \(CatalogQueries.aclStatements(acl: "l.lomacl", owner: "l.lomowner", kind: "LARGE OBJECT", target: "l.oid::text")) AS acl
        FROM pg_catalog.pg_largeobject_metadata l
        WHERE l.oid > $1::pg_catalog.oid
        ORDER BY l.oid
        LIMIT \(metadataBatch)
        """

    /// The first `fetchBytes` of each object in `$1`, hex-encoded (independent of bytea_output).
    static let firstPieces = """
        SELECT l.oid, pg_catalog.encode(pg_catalog.lo_get(l.oid, 0, \(fetchBytes)), 'hex') AS hex
        FROM pg_catalog.unnest($1::pg_catalog.oid[]) AS l(oid)
        """

    static let piece = "SELECT pg_catalog.encode(pg_catalog.lo_get($1::pg_catalog.oid, $2::pg_catalog.int8, \(fetchBytes)), 'hex') AS hex"

    /// Writes every large object's metadata and contents; returns their grants (for the privileges section).
    static func write(_ c: Connection, includeOwners: Bool, to out: ScriptWriter) throws -> [String] {
        var oids: [UInt32] = []
        var owners: [UInt32: String] = [:]
        var grants: [String] = []
        var last: UInt32 = 0
        while true {
            let rows = try c.query(metadata, [String(last)]).rows
            for row in rows {
                let oid = try row.oid("oid"), own = try row.string("owner")
                oids.append(oid)
                owners[oid] = own
                var sql = SQLText.header(name: String(oid), type: "BLOB METADATA", schema: nil, owner: own)
                sql += "SELECT pg_catalog.lo_create('\(oid)');\n\n"
                if includeOwners { sql += "ALTER LARGE OBJECT \(oid) OWNER TO \(own);\n\n" }
                if let text = try row.optionalString("comment") {
                    sql += "COMMENT ON LARGE OBJECT \(oid) IS \(SQLText.literal(text));\n\n"
                }
                try out.write(sql + "\n")
                if let acl = try row.optionalString("acl") {
                    grants.append(SQLText.header(name: "LARGE OBJECT \(oid)", type: "ACL", schema: nil, owner: own) + acl + "\n\n\n")
                }
                last = oid
            }
            if rows.count < metadataBatch { break }
        }
        var start = 0
        while start < oids.count {
            let batch = Array(oids[start..<min(start + contentsBatch, oids.count)])
            start += batch.count
            let array = "{" + batch.map(String.init).joined(separator: ",") + "}"
            var first: [UInt32: String] = [:]
            for row in try c.query(firstPieces, [array]).rows { first[try row.oid("oid")] = try row.string("hex") }
            for oid in batch {
                try out.write("--\n-- Data for Name: \(oid); Type: BLOBS; Schema: -; Owner: \(SQLText.commentSafe(owners[oid] ?? "-"))\n--\n\n")
                var hex = first[oid] ?? ""
                var offset = 0
                while true {
                    try writePuts(oid: oid, hex: hex, offset: offset, to: out)
                    offset += hex.utf8.count / 2
                    // A piece shorter than asked for is the object's end.
                    guard hex.utf8.count / 2 == fetchBytes else { break }
                    hex = try c.query(piece, [String(oid), String(offset)]).rows.first?.string("hex") ?? ""
                }
                try out.write("\n")
            }
            first.removeAll()
        }
        return grants
    }

    /// `lo_put` statements writing `hex` (hex digits) at `offset` of object `oid`, `statementBytes` each.
    static func writePuts(oid: UInt32, hex: String, offset: Int, to out: ScriptWriter) throws {
        let digits = Array(hex.utf8)
        var at = 0
        while at < digits.count {
            let end = min(at + 2 * statementBytes, digits.count)
            try out.write("SELECT pg_catalog.lo_put('\(oid)', \(offset + at / 2), '\\x")
            try digits[at..<end].withUnsafeBytes { try out.write($0) }
            try out.write("');\n")
            at = end
        }
    }
}
