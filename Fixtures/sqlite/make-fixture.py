#!/usr/bin/env python3
"""Builds mms.db, the small materials-management fixture database that vaultops' demos and tests back up.

Usage: python3 Fixtures/sqlite/make-fixture.py [OUTPUT]   (default: mms.db beside this script)

The content is deterministic (fixed seed, fixed timestamps): suppliers, materials with Unicode names,
prices (REAL) and photos (BLOBs with NUL bytes), stock movements, and work orders. The invariant
`materials.stock == sum(movements.qty)` per material holds, so a copy can be checked for consistency.
"""
import os
import random
import sqlite3
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "mms.db")

SCHEMA = """
CREATE TABLE suppliers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL DEFAULT 'CN',
    contact_email TEXT
);
CREATE TABLE materials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT 'pcs',
    unit_price REAL NOT NULL CHECK (unit_price >= 0),
    stock INTEGER NOT NULL DEFAULT 0,
    supplier_id INTEGER REFERENCES suppliers(id),
    photo BLOB,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE movements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    material_id INTEGER NOT NULL REFERENCES materials(id),
    qty INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('in', 'out', 'adjust')),
    note TEXT,
    moved_at TEXT NOT NULL
);
CREATE INDEX movements_material ON movements(material_id);
CREATE TABLE work_orders (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 3,
    estimated_cost REAL,
    attachment BLOB,
    opened_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE VIEW stock_check AS
    SELECT m.id, m.code, m.stock, coalesce(sum(v.qty), 0) AS moved
    FROM materials m LEFT JOIN movements v ON v.material_id = m.id GROUP BY m.id;
"""

SUPPLIERS = [
    ("杭州轴承有限公司", "CN", "sales@hz-bearing.example"),
    ("Müller & Söhne GmbH", "DE", "info@mueller-soehne.example"),
    ("Hydraulique O'Neil", "FR", None),
    ("Tokyo Seal 株式会社", "JP", "order@tokyoseal.example"),
    ("Acme \"Industrial\" Supply", "US", "acme@example.com"),
]

ITEMS = [
    ("轴承 6205-2RS", "pcs"), ("Überwurfmutter M12", "pcs"), ("Joint torique Ø20", "pcs"),
    ("🔧 Wrench set", "set"), ("Hydraulic oil 'ISO VG 46'", "L"), ("V-belt A-42", "pcs"),
    ("Grease NLGI 2", "kg"), ("Filter cartridge\tF-10", "pcs"), ("Кабель ВВГ 3×2.5", "m"),
    ("Sensor \"PT100\"", "pcs"), ("Relay 24 V DC", "pcs"), ("Motor 1.5 kW", "pcs"),
]


def main() -> None:
    rng = random.Random(20250101)
    tmp = OUT + ".tmp"
    for path in (tmp, tmp + "-journal"):
        if os.path.exists(path):
            os.remove(path)
    db = sqlite3.connect(tmp)
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO suppliers (id, name, country, contact_email) VALUES (?, ?, ?, ?)",
                   [(i + 1, *s) for i, s in enumerate(SUPPLIERS)])
    materials = []
    for i in range(240):
        name, unit = ITEMS[i % len(ITEMS)]
        # Small "photos": binary with NUL bytes and every byte value somewhere in the table.
        photo = None if i % 7 == 0 else bytes([0, i % 256, 255, 0]) + bytes(rng.randrange(256) for _ in range(16 + i % 40))
        materials.append((f"MAT-{i + 1:05d}", f"{name} #{i + 1}", unit, round(rng.uniform(0.05, 2500), 2),
                          1 + i % len(SUPPLIERS), photo, f"2024-0{1 + i % 9}-{1 + i % 28:02d} 08:{i % 60:02d}:00"))
    db.executemany("INSERT INTO materials (code, name, unit, unit_price, supplier_id, photo, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", materials)
    movements = []
    stock = [0] * (len(materials) + 1)
    for n in range(1500):
        material = rng.randrange(1, len(materials) + 1)
        kind = rng.choice(["in", "in", "out", "adjust"])
        qty = rng.randrange(1, 50)
        if kind == "out" or (kind == "adjust" and rng.random() < 0.5):
            qty = -min(qty, stock[material])
        stock[material] += qty
        note = rng.choice([None, "", "盘点调整", "Lieferung KW 12", "emergency repair — pump #3", "O'Brien\nline 2"])
        movements.append((material, qty, kind, note, f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"))
    db.executemany("INSERT INTO movements (material_id, qty, kind, note, moved_at) VALUES (?, ?, ?, ?, ?)", movements)
    db.executemany("UPDATE materials SET stock = ? WHERE id = ?", [(stock[m], m) for m in range(1, len(materials) + 1)])
    orders = []
    for i in range(120):
        closed = None if i % 4 == 0 else f"2024-{1 + i % 12:02d}-{1 + (i + 3) % 28:02d} 17:00:00"
        attachment = None if i % 3 else b"%PDF-1.4\x00\x01" + bytes(rng.randrange(256) for _ in range(64))
        orders.append((i + 1, rng.choice(["Replace bearing 轴承", "Öl wechseln", "Fix leak \"line B\"", "Calibrate sensor"]),
                       1 + i % 5, None if i % 10 == 0 else round(rng.uniform(10, 9999), 3), attachment,
                       f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 09:00:00", closed))
    db.executemany("INSERT INTO work_orders VALUES (?, ?, ?, ?, ?, ?, ?)", orders)
    db.commit()
    bad = db.execute("SELECT count(*) FROM stock_check WHERE stock != moved").fetchone()[0]
    assert bad == 0, f"{bad} materials break the stock invariant"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.execute("VACUUM")
    db.close()
    os.replace(tmp, OUT)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
