/// What a one-transaction restore does with a script's own `BEGIN;` … `COMMIT;` pair.
///
/// pg_dump's plain format wraps its large objects in `BEGIN;`/`COMMIT;` (psql would otherwise run each
/// `lo_open`/`lowrite` in its own transaction). Inside the restore's one transaction that pair is flattened:
/// the block still runs all or nothing, as part of the whole. Anything else that controls transactions
/// (`ROLLBACK`, `SAVEPOINT`, a `COMMIT` with no block open, a `BEGIN` with options or inside a block, which
/// would change isolation or durability) still stops the restore.
enum ScriptTransactionBlock: Equatable {
    /// A plain `BEGIN`/`START TRANSACTION`: the block opens; the statement is not sent.
    case open
    /// A plain `COMMIT`/`END` closing the open block: the statement is not sent.
    case close
    /// Not one of the two: the restore refuses it.
    case refuse

    /// The decision for the transaction-control statement `sql`, with `isOpen` saying whether a block is open.
    static func decide(_ sql: String, isOpen: Bool) -> ScriptTransactionBlock {
        let words = sql.split { $0.isWhitespace || $0 == ";" }.map { $0.lowercased() }
        switch words {
        case ["begin"], ["begin", "transaction"], ["begin", "work"], ["start", "transaction"]:
            return isOpen ? .refuse : .open
        case ["commit"], ["commit", "transaction"], ["commit", "work"], ["end"], ["end", "transaction"], ["end", "work"]:
            return isOpen ? .close : .refuse
        default:
            return .refuse
        }
    }
}
