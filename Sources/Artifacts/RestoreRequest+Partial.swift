import PostgresRestore

extension RestoreRequest {
    /// The option that asks for part of an artifact (`--table`, `--path`), or nil when the whole is restored.
    var partOfArtifact: String? {
        partial != nil ? "--table/--schema" : paths.isEmpty ? nil : "--path"
    }

    /// Asks for some tables of a dump (`--table`, `--schema`, `--rename-to`, `--into-schema`); nothing when all are
    /// empty. Throws, with a message for the command line, when a table name cannot be read or the options clash.
    public mutating func restrict(tables: [String], schemas: [String], renameTo: String?, intoSchema: String?) throws(RestoreRequestError) {
        guard !tables.isEmpty || !schemas.isEmpty || renameTo != nil || intoSchema != nil else {
            partial = nil
            return
        }
        var parsed: [TableName] = []
        for text in tables {
            guard let table = TableName(parsing: text) else {
                throw RestoreRequestError("--table \(text): write schema.name (double-quote parts that need it)")
            }
            parsed.append(table)
        }
        let request = PartialRestoreRequest(tables: parsed, schemas: schemas, renameTo: renameTo, intoSchema: intoSchema)
        if let conflict = request.conflict { throw RestoreRequestError(conflict) }
        partial = request
    }
}
