/// What an offline read of a script found: it splits cleanly, uses only understood meta-commands,
/// and ends with its writer's completion marker.
public struct ScriptCheck: Sendable, Equatable {
    /// Who wrote the script.
    public var writer: DumpMarkers.Writer
    /// SQL statements (COPY statements included).
    public var statements: Int
    /// `COPY … FROM stdin` blocks.
    public var copyBlocks: Int
    /// Script bytes (uncompressed).
    public var bytes: Int64
    /// Where each COPY block's data lies in the uncompressed script, in script order (for `RestoreOptions.jobs`).
    public var copyData: [Range<Int64>] = []
    /// The script without its COPY data (statements, COPY statements, meta-commands), when it was kept: a
    /// `jobs` > 1 restore then runs from it instead of decompressing the script a second time.
    package var items: [ScriptItem]?
}

/// Reads `input` to the end without a server and throws a `PostgresRestoreError` (kind `.truncated`,
/// `.unsupportedMetaCommand`, …) naming the line when it would not restore completely.
///
/// `verify` uses this for the completion marker of vaultops' own dumps; `restore` does the same checks
/// while it runs (before COMMIT), so it does not need this first pass.
/// - Parameters:
///   - keep: keep the script's items (without COPY data) while their text stays under this many bytes.
///   - spool: where to write all COPY data, one block after the other (for `jobs` > 1 restores).
public func checkScript(_ input: ScriptInput, keepingItemsUpTo keep: Int = 0, spool: CopySpool? = nil) throws -> ScriptCheck {
    let reader = ScriptReader(source: try input.open(), name: input.name)
    var check = ScriptCheck(writer: .unknown, statements: 0, copyBlocks: 0, bytes: 0)
    var items: [ScriptItem]? = keep > 0 ? [] : nil
    var kept = 0
    while let item = try reader.next() {
        if items != nil {
            switch item {
            case .statement(let text, _), .copy(let text, _), .metaCommand(let text, _): kept += text.utf8.count
            }
            if kept > keep { items = nil } else { items!.append(item) }
        }
        switch item {
        case .statement:
            check.statements += 1
        case .copy:
            check.statements += 1
            check.copyBlocks += 1
            let length = try reader.readCopyData { bytes in spool?.append(bytes) }
            check.copyData.append(reader.copyDataStart..<(reader.copyDataStart + length))
        case .metaCommand(let text, let line):
            do {
                if case .unsupported(let name) = try MetaCommand.parse(text) {
                    throw PostgresRestoreError(kind: .unsupportedMetaCommand,
                                               message: "unsupported psql meta-command \\\(name); only \\connect, \\restrict and \\unrestrict are understood",
                                               file: input.name, line: line, statement: text)
                }
            } catch let error as MetaCommandError {
                throw PostgresRestoreError(kind: .unsupportedMetaCommand, message: error.message, file: input.name, line: line, statement: text)
            }
        }
    }
    check.items = items
    check.bytes = reader.bytesRead
    check.writer = DumpMarkers.writer(head: reader.head)
    guard DumpMarkers.isComplete(tail: reader.tail, writer: check.writer) else {
        let marker = check.writer == .pgDump ? DumpMarkers.pgDumpComplete : DumpMarkers.vaultopsComplete
        throw PostgresRestoreError(kind: .truncated, message: "the script ends without its completion marker \"\(marker)\" (truncated)",
                                   file: input.name)
    }
    return check
}
