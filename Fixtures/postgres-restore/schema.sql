-- The fixture schema for restore tests: every construct that makes statement splitting or
-- restoring hard, with data that exercises COPY's escapes.
CREATE SCHEMA app;
CREATE SCHEMA "Mixed Case";
CREATE TYPE app.status AS ENUM ('open', 'closed; done', 'it''s');
CREATE DOMAIN app.positive AS integer CHECK (VALUE > 0);

CREATE TABLE app.customers (
    id serial PRIMARY KEY,
    name text NOT NULL,
    note text DEFAULT 'semi;colon -- not a comment /* nor this */',
    status app.status NOT NULL DEFAULT 'open',
    created timestamptz NOT NULL DEFAULT '2025-01-01 00:00:00+00'
);
CREATE TABLE app.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES app.customers(id),
    quantity app.positive NOT NULL,
    payload jsonb,
    blob bytea,
    CONSTRAINT sane CHECK (quantity < 1000000)
);
CREATE INDEX orders_customer ON app.orders (customer_id);
CREATE TABLE "Mixed Case"."Table; With ""Quotes""" ("Col $$ 1" text, n numeric(10,2));
CREATE TABLE app.events (id integer, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE public.empty_table (a int);

CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    -- a semicolon; and $$ inside a tagged dollar quote
    NEW.note := coalesce(NEW.note, $$default; note$$);
    RETURN NEW;
END;
$body$;
CREATE TRIGGER customers_touch BEFORE INSERT ON app.customers FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE FUNCTION app.order_count(customer integer DEFAULT 1, OUT total bigint) LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT count(*) FROM app.orders WHERE customer_id = customer;
END;
CREATE FUNCTION app.label(v integer) RETURNS text LANGUAGE sql IMMUTABLE
RETURN CASE WHEN v > 1 THEN E'many\\;' ELSE 'one;' END;
CREATE VIEW app.customer_totals AS
    SELECT c.id, c.name, (SELECT total FROM app.order_count(c.id)) AS total FROM app.customers c;
CREATE MATERIALIZED VIEW app.status_counts AS SELECT status, count(*) AS n FROM app.customers GROUP BY status;
COMMENT ON TABLE app.customers IS 'Customers; with a quote '' and a /* comment */';

INSERT INTO app.customers (name, note, status) VALUES
    ('Ada', 'tab	inside', 'open'),
    ('Bob', E'line\nbreak and back\\slash', 'closed; done'),
    ('Çé 日本', NULL, 'it''s'),
    ('\.', E'\\.', 'open');
INSERT INTO app.customers (name, status) SELECT 'bulk ' || g, 'open' FROM generate_series(1, 2000) g;
INSERT INTO app.orders (customer_id, quantity, payload, blob)
    SELECT 1 + (g % 2004), 1 + g % 50, jsonb_build_object('g', g, 'text', 'a;b'), decode(md5(g::text), 'hex')
    FROM generate_series(1, 5000) g;
INSERT INTO "Mixed Case"."Table; With ""Quotes""" VALUES ('x;y', 1.50), (E'\\\\.', NULL);
INSERT INTO app.events SELECT g, date '2025-01-01' + g FROM generate_series(0, 300) g;
REFRESH MATERIALIZED VIEW app.status_counts;
