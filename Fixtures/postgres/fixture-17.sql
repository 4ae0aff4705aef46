-- Fixture objects for PostgreSQL 17 and newer, loaded after fixture.sql (Tests/PostgresDumpTests'
-- VersionedDump). From 17 a domain's NOT NULL is a named constraint that can carry a comment.
CREATE DOMAIN app.flag AS boolean NOT NULL DEFAULT false;
CREATE DOMAIN app.quantity AS integer CONSTRAINT quantity_required NOT NULL CONSTRAINT quantity_positive CHECK (VALUE > 0);
COMMENT ON CONSTRAINT quantity_required ON DOMAIN app.quantity IS 'a quantity is never unknown';
CREATE TABLE app.stock (item text PRIMARY KEY, on_hand app.quantity, discontinued app.flag);
INSERT INTO app.stock VALUES ('tea', 3, DEFAULT), ('cups', 12, true);

-- A collation of the builtin provider (new in 17), used by a column.
CREATE COLLATION app.builtin_utf8 (provider = builtin, locale = 'C.UTF-8');
COMMENT ON COLLATION app.builtin_utf8 IS 'code point order';
CREATE TABLE app.builtin_sorted (name text COLLATE app.builtin_utf8);
INSERT INTO app.builtin_sorted VALUES ('b'), ('a');
