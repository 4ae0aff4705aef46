-- A materials-management database as an application left it: AUTOINCREMENT, composite keys, foreign keys,
-- every affinity, dates as text and as unix integers, booleans as 0/1, blobs, Unicode, awkward text,
-- empty strings and NULLs, the int64 extremes. Built with the sqlite3 CLI by MigrationTests.
PRAGMA foreign_keys = ON;

CREATE TABLE suppliers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    contact_email VARCHAR(120),
    rating REAL,
    active BOOLEAN NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    notes TEXT DEFAULT ''
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username VARCHAR(40) NOT NULL UNIQUE,
    display_name TEXT,
    is_admin BOOLEAN DEFAULT 0,
    last_login_unix INTEGER,
    avatar BLOB,
    balance NUMERIC(12, 2) DEFAULT 0,
    joined DATE,
    misc
);

CREATE TABLE materials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code VARCHAR(20) NOT NULL,
    name TEXT NOT NULL,
    supplier_id INTEGER REFERENCES suppliers(id) ON DELETE SET NULL,
    unit_price DECIMAL(10, 2) CHECK (unit_price >= 0),
    weight_kg REAL,
    qty_on_hand INTEGER NOT NULL DEFAULT 0,
    big_counter INTEGER,
    description TEXT,
    updated_at TIMESTAMP DEFAULT (datetime('now')),
    "Odd ""Name"", with comma" TEXT,
    total_weight REAL GENERATED ALWAYS AS (qty_on_hand * weight_kg) VIRTUAL
);
CREATE UNIQUE INDEX materials_code ON materials (code);
CREATE INDEX materials_supplier ON materials (supplier_id) WHERE supplier_id IS NOT NULL;
CREATE INDEX materials_name_nocase ON materials (name COLLATE NOCASE, code DESC);

CREATE TABLE stock_movements (
    material_id INTEGER NOT NULL REFERENCES materials (id),
    seq INTEGER NOT NULL,
    moved_at TEXT NOT NULL,
    qty INTEGER NOT NULL CHECK (qty <> 0),
    user_id INTEGER REFERENCES users (id),
    reason TEXT,
    PRIMARY KEY (material_id, seq)
) WITHOUT ROWID;

CREATE VIEW low_stock AS SELECT id, code, qty_on_hand FROM materials WHERE qty_on_hand < 10;

INSERT INTO suppliers (name, contact_email, rating, active, created_at, notes) VALUES
    ('Acme Industrial', 'sales@acme.example', 4.5, 1, '2023-01-15 08:30:00', 'Main supplier, "preferred"'),
    ('Zhōngguó Gāngtiě 中国钢铁', NULL, 0.1, 1, '2023-02-01T09:00:00', ''),
    ('Old Parts Ltd', 'old@parts.example', 1.7976931348623157e308, 0, '2022-12-31 23:59:59.125', NULL),
    ('Deleted Later', NULL, NULL, 1, '2024-01-01 00:00:00', NULL);
DELETE FROM suppliers WHERE name = 'Deleted Later';

INSERT INTO users (id, username, display_name, is_admin, last_login_unix, avatar, balance, joined, misc) VALUES
    (1, 'alice', 'Alice O''Brien', 1, 1700000000, X'89504E470D0A1A0A00FF', 1234.56, '2021-03-04', 42),
    (2, 'bob', 'Bob, "the builder"', 0, NULL, X'', 0, '2020-02-29', 'text'),
    (3, 'carol', 'Line one
line two	tabbed \ backslash', 0, -1, NULL, -0.5, NULL, 3.25),
    (4, 'dmitri', 'Дмитрий 🚀', NULL, 9223372036854775807, X'00', NULL, '1999-12-31', NULL),
    (10, 'eve', '', 0, -9223372036854775808, NULL, 99999999.99, '2024-06-30', X'414243');

INSERT INTO materials (code, name, supplier_id, unit_price, weight_kg, qty_on_hand, big_counter, description, updated_at, "Odd ""Name"", with comma") VALUES
    ('M-001', 'Steel bolt M8', 1, 0.25, 0.012, 1500, 9223372036854775807, 'Zinc plated, 8mm', '2024-03-01 10:00:00', 'a,b'),
    ('M-002', 'Copper wire 2.5mm²', 2, 12.99, 2.5, 3, -9223372036854775808, 'Roll of 100 m
"high grade"', 1709287200, NULL),
    ('M-003', 'Gasket', NULL, NULL, 1e-300, 0, 0, '', NULL, ''),
    ('M-004', 'Valve ½"', 3, 1000.5, -0.0, 7, NULL, NULL, '2024-02-29T12:30', 'x'),
    ('M-005', 'Sensor', 1, 5, 3.141592653589793, 12, 1, 'Infinity test', '2024-01-01 00:00:00.5', NULL);
UPDATE materials SET weight_kg = 9e999 WHERE code = 'M-005';
INSERT INTO materials (code, name, qty_on_hand) VALUES ('TMP', 'temporary', 1);
DELETE FROM materials WHERE code = 'TMP';

INSERT INTO stock_movements (material_id, seq, moved_at, qty, user_id, reason) VALUES
    (1, 1, '2024-03-01 10:00:00', 1500, 1, 'initial stock'),
    (1, 2, '2024-03-02 11:15:00', -20, 2, 'issued to work order #17'),
    (2, 1, '2024-03-01 10:05:00', 3, NULL, NULL),
    (4, 1, '2024-03-03 09:00:00', 7, 10, ''),
    (5, 1, '2024-03-04 08:00:00', 12, 4, 'from "Acme", checked');
