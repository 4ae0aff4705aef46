@testable import PostgresRestore
import Testing

@Suite("a script's own BEGIN/COMMIT inside the one restore transaction")
struct ScriptTransactionBlockTests {
    @Test("plain pairs are flattened; everything else is refused", arguments: [
        ("BEGIN;", false, ScriptTransactionBlock.open),
        ("begin transaction;", false, .open),
        ("START TRANSACTION;", false, .open),
        ("BEGIN;", true, .refuse),
        ("COMMIT;", true, .close),
        ("END;", true, .close),
        ("commit work;", true, .close),
        ("COMMIT;", false, .refuse),
        ("ROLLBACK;", true, .refuse),
        ("ROLLBACK;", false, .refuse),
        ("BEGIN ISOLATION LEVEL SERIALIZABLE;", false, .refuse),
        ("START TRANSACTION READ ONLY;", false, .refuse),
        ("COMMIT AND CHAIN;", true, .refuse),
        ("SAVEPOINT a;", true, .refuse),
        ("PREPARE TRANSACTION 'x';", true, .refuse),
    ])
    func decisions(sql: String, isOpen: Bool, expected: ScriptTransactionBlock) {
        #expect(ScriptTransactionBlock.decide(sql, isOpen: isOpen) == expected)
    }
}
