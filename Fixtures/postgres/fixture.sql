-- Fixture for the PostgresDump round-trip tests: every object kind the dump covers, with awkward
-- names and values. Loaded with psql -X -v ON_ERROR_STOP=1 into a fresh database.

-- Roles are cluster-wide: create them only if missing (tests load this fixture concurrently).
DO $$
BEGIN
  CREATE ROLE vaultops_fixture_reader NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
  CREATE ROLE "Fixture Owner" NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- The PostgreSQL 16 server CI runs (the pgserver wheel) has no contrib extensions: there a domain of the
-- same name stands in for citext, so the rest of the fixture is the same on every version. A source
-- whose dump goes to that server is made the same way (PGOPTIONS='-c vaultops.fixture_contrib=off').
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'citext')
     AND COALESCE(current_setting('vaultops.fixture_contrib', true), '') <> 'off' THEN
    CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
  ELSE
    CREATE DOMAIN public.citext AS text;
  END IF;
END $$;

CREATE SCHEMA app;
CREATE SCHEMA "Mixed Case ""Schema""";
CREATE SCHEMA "select";
COMMENT ON SCHEMA app IS 'application schema; it''s here';

-- Types.
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy', 'it''s complicated');
CREATE TYPE app.address AS (street text, "Zip Code" varchar(10), country char(2));
CREATE DOMAIN app.positive_int AS integer DEFAULT 1 NOT NULL CONSTRAINT positive_int_check CHECK (VALUE > 0);
CREATE DOMAIN app.email AS public.citext CONSTRAINT email_at CHECK (VALUE LIKE '%@%');
COMMENT ON DOMAIN app.email IS 'an e-mail address';
COMMENT ON CONSTRAINT email_at ON DOMAIN app.email IS 'must contain @';
CREATE TYPE app.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
COMMENT ON TYPE app.mood IS 'how it feels';
COMMENT ON COLUMN app.address."Zip Code" IS 'postal code';

-- Functions, procedures and an aggregate.
CREATE FUNCTION app.add_tax(amount numeric, rate numeric DEFAULT 0.2) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT round(amount * (1 + rate), 2) $$;
COMMENT ON FUNCTION app.add_tax(numeric, numeric) IS 'adds tax';

CREATE FUNCTION app.touch_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE FUNCTION app.audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app.audit_log (table_name, op) VALUES (TG_TABLE_NAME, TG_OP);
  RETURN NULL;
END $$;

CREATE PROCEDURE app.reset_counter(IN start_at integer) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM setval('app.counter_seq', start_at);
END $$;

CREATE FUNCTION app.concat_sfunc(state text, next text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN state = '' THEN next ELSE state || ',' || next END $$;
CREATE AGGREGATE app.concat_all(text) (SFUNC = app.concat_sfunc, STYPE = text, INITCOND = '');
COMMENT ON AGGREGATE app.concat_all(text) IS 'joins with commas';

-- SQL-standard body: records its dependency on the table, so it must come after it.
CREATE TABLE app.settings (key text PRIMARY KEY, value text);
CREATE FUNCTION app.setting(k text) RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT value FROM app.settings WHERE key = k;
END;

-- Sequences.
CREATE SEQUENCE app.counter_seq AS integer START WITH 100 INCREMENT BY 5 MINVALUE 10 MAXVALUE 1000000 CACHE 1 CYCLE;
COMMENT ON SEQUENCE app.counter_seq IS 'a counter';
SELECT setval('app.counter_seq', 135);
CREATE SEQUENCE app.unused_seq;

-- Tables.
CREATE TABLE app.customers (
    id bigserial PRIMARY KEY,
    email app.email NOT NULL UNIQUE,
    "Full Name" text COLLATE "C" NOT NULL DEFAULT '',
    mood app.mood DEFAULT 'ok',
    home app.address,
    score app.positive_int,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz,
    CONSTRAINT name_not_blank CHECK ("Full Name" <> '' OR email IS NOT NULL)
) WITH (fillfactor = 80);
COMMENT ON TABLE app.customers IS 'people who pay';
COMMENT ON COLUMN app.customers."Full Name" IS 'given and family name';
COMMENT ON CONSTRAINT name_not_blank ON app.customers IS 'some name';

CREATE TABLE app.orders (
    order_id integer GENERATED ALWAYS AS IDENTITY (START WITH 1000 INCREMENT BY 1 CACHE 1) PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES app.customers (id) ON DELETE CASCADE,
    net numeric(12, 2) NOT NULL,
    gross numeric(12, 2) GENERATED ALWAYS AS (app.add_tax(net)) STORED,
    tags text[],
    counter integer DEFAULT nextval('app.counter_seq'),
    placed_on date
);
CREATE INDEX orders_customer_idx ON app.orders (customer_id);
CREATE INDEX orders_tags_gin ON app.orders USING gin (tags);
CREATE UNIQUE INDEX orders_expr_idx ON app.orders (lower(tags[1]), order_id) WHERE net > 0;
COMMENT ON INDEX app.orders_customer_idx IS 'by customer';
ALTER TABLE app.orders CLUSTER ON orders_customer_idx;
ALTER TABLE app.orders REPLICA IDENTITY FULL;

CREATE TABLE app.audit_log (
    id bigint GENERATED BY DEFAULT AS IDENTITY,
    table_name text,
    op text,
    at timestamptz DEFAULT now()
);

CREATE TRIGGER customers_touch BEFORE UPDATE ON app.customers FOR EACH ROW EXECUTE FUNCTION app.touch_updated();
CREATE TRIGGER orders_audit AFTER INSERT OR DELETE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.audit_row();
COMMENT ON TRIGGER orders_audit ON app.orders IS 'audit every order';
ALTER TABLE app.orders DISABLE TRIGGER orders_audit;

-- Awkward identifiers: capitals, spaces, quotes, Unicode, reserved words.
CREATE TABLE "Mixed Case ""Schema"""."Weird Table ""Q""" (
    "ID" integer PRIMARY KEY,
    "select" text,
    "from" integer,
    "naïve café ☕" text,
    "user" boolean DEFAULT false
);
COMMENT ON TABLE "Mixed Case ""Schema"""."Weird Table ""Q""" IS 'name with "quotes"';
CREATE TABLE "select"."table" ("order" integer PRIMARY KEY, "group" text);
ALTER TABLE "select"."table" REPLICA IDENTITY USING INDEX table_pkey;
CREATE TABLE app."line
break" (id integer PRIMARY KEY, "col
name" text);

-- Awkward values.
CREATE TABLE app.values_zoo (
    id integer PRIMARY KEY,
    t text,
    b bytea,
    arr integer[],
    tarr text[],
    j json,
    jb jsonb,
    ts timestamptz,
    d date,
    n numeric,
    f float8,
    big text,
    dropped_later text
);
-- A dropped column must not appear in COPY column lists.
ALTER TABLE app.values_zoo DROP COLUMN dropped_later;

-- Partitioned table with partitions, a partitioned index and a default partition.
CREATE TABLE app.events (
    id bigint NOT NULL,
    happened_on date NOT NULL,
    payload jsonb,
    PRIMARY KEY (id, happened_on)
) PARTITION BY RANGE (happened_on);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.events_other PARTITION OF app.events DEFAULT;
CREATE INDEX events_payload_idx ON app.events USING gin (payload);

-- Sub-partitioning, a partition with its own index, a row trigger cloned to partitions, and a
-- foreign key that references a partitioned table.
CREATE TABLE app.metrics (region text NOT NULL, day date NOT NULL, value numeric, PRIMARY KEY (region, day))
    PARTITION BY LIST (region);
CREATE TABLE app.metrics_eu PARTITION OF app.metrics FOR VALUES IN ('eu') PARTITION BY RANGE (day);
CREATE TABLE app.metrics_eu_2024 PARTITION OF app.metrics_eu FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.metrics_us PARTITION OF app.metrics FOR VALUES IN ('us', 'ca');
CREATE INDEX metrics_us_value ON app.metrics_us (value);
CREATE TABLE app.metric_notes (region text, day date, note text, FOREIGN KEY (region, day) REFERENCES app.metrics);
CREATE TRIGGER metrics_audit AFTER DELETE ON app.metrics FOR EACH ROW EXECUTE FUNCTION app.audit_row();

-- Overloaded function, INSTEAD OF trigger on a view, domain over an array, multirange and composite columns.
CREATE FUNCTION app.add_tax(amount integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT amount';
CREATE FUNCTION app.view_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app.settings VALUES (NEW.key, NEW.value);
  RETURN NEW;
END $$;
CREATE VIEW app.settings_view AS SELECT key, value FROM app.settings;
CREATE TRIGGER settings_view_insert INSTEAD OF INSERT ON app.settings_view FOR EACH ROW EXECUTE FUNCTION app.view_insert();
CREATE DOMAIN app.tag_list AS text[] CHECK (cardinality(VALUE) < 10);
CREATE TABLE app.misc (id integer PRIMARY KEY, tags app.tag_list, moods app.mood[], spans app.floatmultirange, addr app.address);

-- Inheritance.
CREATE TABLE app.vehicles (id integer PRIMARY KEY, wheels integer NOT NULL CHECK (wheels >= 0));
CREATE TABLE app.trucks (payload_tons numeric) INHERITS (app.vehicles);
ALTER TABLE ONLY app.trucks ALTER COLUMN wheels SET DEFAULT 6;

-- Extended statistics.
CREATE STATISTICS app.customers_mood_score (dependencies, ndistinct) ON mood, score FROM app.customers;
COMMENT ON STATISTICS app.customers_mood_score IS 'correlated columns';

-- Unlogged table, exclusion constraint, foreign key to a unique constraint.
CREATE UNLOGGED TABLE app.scratch (id integer, note text);
CREATE TABLE app.bookings (
    id integer PRIMARY KEY,
    room integer NOT NULL,
    during app.floatrange NOT NULL,
    CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&)
);
CREATE TABLE app.booking_notes (
    booking_id integer REFERENCES app.bookings (id) DEFERRABLE INITIALLY DEFERRED,
    customer_email app.email REFERENCES app.customers (email),
    note text
);

-- Views and materialized views.
CREATE VIEW app.customer_totals AS
    SELECT c.id, c.email, sum(o.gross) AS total, app.concat_all(o.tags[1]) AS first_tags
    FROM app.customers c LEFT JOIN app.orders o ON o.customer_id = c.id
    GROUP BY c.id, c.email;
COMMENT ON VIEW app.customer_totals IS 'per-customer totals';
COMMENT ON COLUMN app.customer_totals.total IS 'gross total';
CREATE VIEW app.writable_settings AS SELECT key, value FROM app.settings WITH LOCAL CHECK OPTION;
ALTER VIEW app.writable_settings ALTER COLUMN value SET DEFAULT 'unset';
CREATE VIEW app.big_customers WITH (security_barrier = true) AS
    SELECT * FROM app.customer_totals WHERE total > 100;
CREATE MATERIALIZED VIEW app.order_stats AS
    SELECT customer_id, count(*) AS n FROM app.orders GROUP BY customer_id;
CREATE UNIQUE INDEX order_stats_customer ON app.order_stats (customer_id);
CREATE MATERIALIZED VIEW app.stats_of_stats AS SELECT count(*) AS customers FROM app.order_stats;
CREATE MATERIALIZED VIEW app.never_filled AS SELECT 1 AS one WITH NO DATA;

-- A rule.
CREATE TABLE app.ignored_writes (id integer, v text);
CREATE RULE ignore_deletes AS ON DELETE TO app.ignored_writes DO INSTEAD NOTHING;
COMMENT ON RULE ignore_deletes ON app.ignored_writes IS 'no deletes';

-- Row-level security.
CREATE TABLE app.tenants_data (tenant text NOT NULL, secret text);
ALTER TABLE app.tenants_data ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.tenants_data FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON app.tenants_data FOR SELECT TO vaultops_fixture_reader
    USING (tenant = current_setting('app.tenant', true));
CREATE POLICY tenant_insert ON app.tenants_data AS RESTRICTIVE FOR INSERT
    WITH CHECK (tenant <> '');
COMMENT ON POLICY tenant_isolation ON app.tenants_data IS 'one tenant at a time';

-- Column settings.
ALTER TABLE app.orders ALTER COLUMN tags SET STATISTICS 500;
ALTER TABLE app.orders ALTER COLUMN tags SET STORAGE EXTERNAL;
ALTER TABLE app.orders ALTER COLUMN net SET (n_distinct = -0.5);
ALTER MATERIALIZED VIEW app.order_stats ALTER COLUMN n SET STATISTICS 50;

-- Column options pg_dump writes (n_distinct_inherited); the server's internal ones (Debian's pg_attver) are not.
ALTER TABLE app.vehicles ALTER COLUMN wheels SET (n_distinct_inherited = 3);

-- A table without columns (its rows are empty lines in COPY).
CREATE TABLE app.no_columns ();

-- Objects that need a primary key (a functional dependency on it): created after the key.
CREATE TABLE app.products (id integer PRIMARY KEY, name text, price numeric);
CREATE VIEW app.product_names AS SELECT id, name FROM app.products GROUP BY id;
CREATE VIEW app.product_names_upper AS SELECT id, upper(name) AS name FROM app.product_names;
CREATE MATERIALIZED VIEW app.product_prices AS SELECT id, name, price FROM app.products GROUP BY id;
CREATE UNIQUE INDEX product_prices_id ON app.product_prices (id);
CREATE FUNCTION app.product_name(k integer) RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT name FROM app.products WHERE id = k GROUP BY id;
END;

-- The public schema: a new owner, a comment and grants (pg_dump writes them relative to its default).
ALTER SCHEMA public OWNER TO "Fixture Owner";
COMMENT ON SCHEMA public IS 'shared objects';
GRANT CREATE ON SCHEMA public TO PUBLIC;
GRANT USAGE ON SCHEMA public TO vaultops_fixture_reader WITH GRANT OPTION;

-- Settings pg_dump keeps: CLUSTER ON a key, compression, statistics targets of an index column and
-- of extended statistics, grants on an identity sequence, trigger states on partitions.
ALTER TABLE app.settings CLUSTER ON settings_pkey;
ALTER TABLE app.values_zoo ALTER COLUMN big SET COMPRESSION pglz;
CREATE INDEX customers_lower_name ON app.customers (lower("Full Name"), id);
ALTER INDEX app.customers_lower_name ALTER COLUMN 1 SET STATISTICS 300;
ALTER STATISTICS app.customers_mood_score SET STATISTICS 250;
GRANT SELECT, USAGE ON SEQUENCE app.orders_order_id_seq TO vaultops_fixture_reader;
ALTER TABLE app.metrics_us DISABLE TRIGGER metrics_audit;
ALTER TABLE app.metrics_eu ENABLE REPLICA TRIGGER metrics_audit;
ALTER TABLE app.metrics_eu_2024 ENABLE ALWAYS TRIGGER metrics_audit;

-- An access method of the database's own, used by a table and a materialized view.
CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler;
COMMENT ON ACCESS METHOD heap_copy IS 'heap under another name';
CREATE TABLE app.other_am (id integer, note text) USING heap_copy;
CREATE MATERIALIZED VIEW app.other_am_view USING heap_copy AS SELECT id FROM app.other_am;

-- Default privileges, global and per schema.
ALTER DEFAULT PRIVILEGES FOR ROLE "Fixture Owner" GRANT SELECT ON TABLES TO vaultops_fixture_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE "Fixture Owner" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE "Fixture Owner" IN SCHEMA app GRANT USAGE, SELECT ON SEQUENCES TO vaultops_fixture_reader WITH GRANT OPTION;

-- Privileges.
GRANT USAGE ON SCHEMA app TO vaultops_fixture_reader;
GRANT SELECT ON app.customers, app.customer_totals TO vaultops_fixture_reader;
GRANT SELECT, INSERT, UPDATE (value) ON app.settings TO vaultops_fixture_reader;
GRANT USAGE ON SEQUENCE app.counter_seq TO vaultops_fixture_reader;
REVOKE EXECUTE ON FUNCTION app.add_tax(numeric, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.add_tax(numeric, numeric) TO vaultops_fixture_reader WITH GRANT OPTION;
GRANT USAGE ON TYPE app.mood TO vaultops_fixture_reader;

-- Data.
INSERT INTO app.settings VALUES ('currency', 'EUR'), ('tab	key', E'multi\nline');
INSERT INTO app.customers (email, "Full Name", mood, home, score, created_at) VALUES
    ('alice@example.com', 'Alice O''Brien', 'happy', ROW('1 Main St', '12345', 'IE'), 5, '2024-03-01 10:00:00+00'),
    ('bob@example.com', 'Bob "The Builder"', 'it''s complicated', NULL, 1, '2024-03-02 11:30:00+05:30'),
    ('zoë@example.com', 'Zoë 日本語', NULL, ROW(NULL, '', NULL), 42, 'infinity');
UPDATE app.customers SET "Full Name" = 'Alice O''Brien-Smith' WHERE email = 'alice@example.com';
INSERT INTO app.orders (customer_id, net, tags, placed_on) VALUES
    (1, 10.00, ARRAY['new', 'rush'], '2024-03-01'),
    (1, 250.50, ARRAY['vip', NULL, 'with,comma', 'with "quote"'], '-infinity'),
    (2, 0.01, '{}', 'infinity'),
    (3, 99.99, NULL, NULL);
DELETE FROM app.orders WHERE net = 0.01;
INSERT INTO app.orders (customer_id, net, tags) VALUES (2, 5, ARRAY['again']);
INSERT INTO "Mixed Case ""Schema"""."Weird Table ""Q""" VALUES (1, 'sel', 2, 'café', true), (2, NULL, NULL, '', NULL);
INSERT INTO "select"."table" VALUES (1, 'g');
INSERT INTO app."line
break" VALUES (1, E'x\ny');
INSERT INTO app.values_zoo VALUES
    (1, E'tab\there\nnewline\r\nbackslash \\ end', '\x00ff10', '{1,2,3}', '{"a b","c\"d",NULL}', '{"k": [1, 2, {"x": null}]}', '{"b": 1, "a": "ü"}',
     '2024-02-29 23:59:59.123456+00', '2024-02-29', 'NaN', 'NaN', NULL),
    (2, E'\\.', '', '{}', '{}', '[]', '{}', 'infinity', 'infinity', '-1.5e-20', '-Infinity', ''),
    (3, E'line one\n\\.\nline three', NULL, NULL, NULL, 'null', 'null', '-infinity', '-infinity', '123456789012345678901234567890.123456789', 1e308, NULL),
    (4, '', '\x', ARRAY[NULL]::integer[], ARRAY['']::text[], '"str"', '"str"', '1999-12-31 23:00:00-08', '0001-01-01 BC', '0', 0.1, repeat('x', 2000000)),
    (5, NULL, decode(repeat('00ff', 100000), 'hex'), NULL, NULL, NULL, NULL, NULL, NULL, 'Infinity', 'Infinity', repeat(E'\\\t\n', 1000));
INSERT INTO app.events VALUES (1, '2024-05-01', '{"a": 1}'), (2, '2025-05-01', '{"b": 2}'), (3, '2030-01-01', NULL);
INSERT INTO app.metrics VALUES ('eu', '2024-06-01', 1.5), ('us', '2024-06-01', NULL), ('ca', '2025-01-01', 3);
INSERT INTO app.metric_notes VALUES ('eu', '2024-06-01', 'first'), (NULL, NULL, 'none');
INSERT INTO app.settings_view VALUES ('via view', 'yes');
INSERT INTO app.misc VALUES (1, '{a,b}', '{happy,sad}', '{[1,2), [3,4)}', ROW('x', 'y', 'zz')), (2, NULL, '{}', '{}', NULL);
INSERT INTO app.vehicles VALUES (1, 4);
INSERT INTO app.trucks VALUES (2, 18, 40.5);
INSERT INTO app.scratch VALUES (1, 'temp');
-- Objects owned by another role (with a quoted name), and a grant made by that owner.
ALTER TABLE app.scratch OWNER TO "Fixture Owner";
ALTER FUNCTION app.concat_sfunc(text, text) OWNER TO "Fixture Owner";
ALTER SCHEMA "select" OWNER TO "Fixture Owner";
GRANT SELECT ON app.scratch TO vaultops_fixture_reader;
INSERT INTO app.bookings VALUES (1, 101, '[1.5,2.5)'), (2, 101, '[3,4]');
INSERT INTO app.booking_notes VALUES (1, 'alice@example.com', 'window seat'), (NULL, NULL, NULL);
INSERT INTO app.ignored_writes VALUES (1, 'kept');
INSERT INTO app.tenants_data VALUES ('t1', 's1'), ('t2', 's2');
INSERT INTO app.no_columns DEFAULT VALUES;
INSERT INTO app.no_columns DEFAULT VALUES;
INSERT INTO app.products VALUES (1, 'tea', 3.50), (2, 'cake', 4);
REFRESH MATERIALIZED VIEW app.product_prices;
INSERT INTO app.other_am VALUES (1, 'x'), (2, NULL);
REFRESH MATERIALIZED VIEW app.other_am_view;
REFRESH MATERIALIZED VIEW app.order_stats;
REFRESH MATERIALIZED VIEW app.stats_of_stats;
SELECT nextval('app.unused_seq');
