-- Object kinds the PostgresDump suites cover beyond fixture.sql (loaded after it, into the same database):
-- large objects, collations, text search objects, operators, casts, conversions, foreign data, procedural
-- languages and transforms, typed tables, base and shell types, special aggregates, publications and event triggers. Kept apart from fixture.sql because the restore suites also load that file, restore pg_dump's
-- output of it (which wraps large objects in BEGIN/COMMIT) and restore over it with --clean.

-- Large objects: one with a comment and a grant, an empty one, and one of 640,000 distinct bytes (more than
-- one read and many 16 KiB statements) owned by another role with grants to PUBLIC; a table refers to them.
SELECT lo_from_bytea(910001, convert_to('hello, large object', 'UTF8'));
SELECT lo_from_bytea(910002, ''::bytea);
SELECT lo_from_bytea(910003, (SELECT string_agg(int4send(g), ''::bytea ORDER BY g) FROM generate_series(1, 160000) g));
COMMENT ON LARGE OBJECT 910001 IS 'a greeting; it''s short';
GRANT SELECT ON LARGE OBJECT 910001 TO vaultops_fixture_reader;
ALTER LARGE OBJECT 910003 OWNER TO "Fixture Owner";
GRANT SELECT, UPDATE ON LARGE OBJECT 910003 TO PUBLIC;
CREATE TABLE app.documents (id integer PRIMARY KEY, body oid);
INSERT INTO app.documents VALUES (1, 910001), (2, 910002), (3, 910003);

-- Collations: libc ones by one locale and by two, a copy of "C" with an awkward name, another owner, a
-- comment, and columns, a domain and an index that use them.
CREATE COLLATION app.c_utf8 (provider = libc, locale = 'C.utf8');
CREATE COLLATION app.split_locale (provider = libc, lc_collate = 'C', lc_ctype = 'C.utf8');
CREATE COLLATION "Mixed Case ""Schema"""."Odd ""Coll""" FROM "C";
COMMENT ON COLLATION app.c_utf8 IS 'byte order, UTF-8 classes';
ALTER COLLATION app.split_locale OWNER TO "Fixture Owner";
CREATE DOMAIN app.sorted_text AS text COLLATE app.split_locale;
CREATE TABLE app.labels (id integer PRIMARY KEY, label text COLLATE app.c_utf8, sorted app.sorted_text);
CREATE INDEX labels_by_label ON app.labels (label COLLATE "Mixed Case ""Schema"""."Odd ""Coll""");
INSERT INTO app.labels VALUES (1, 'b', 'B'), (2, 'a', 'Ä');

-- An ICU collation (non-deterministic) where the server has ICU and the fixture is not made alike a
-- server without it (PGOPTIONS='-c vaultops.fixture_icu=off').
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_collation WHERE collprovider = 'i' AND collname LIKE '%-x-icu')
     AND COALESCE(current_setting('vaultops.fixture_icu', true), '') <> 'off' THEN
    CREATE COLLATION app.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    COMMENT ON COLLATION app.ci IS 'case-insensitive';
    CREATE TABLE app.ci_names (name text COLLATE app.ci);
    INSERT INTO app.ci_names VALUES ('Zoë'), ('zoë');
  END IF;
END $$;

-- Text search: a parser and templates (built-in functions), dictionaries with options, configurations
-- copied and built up, mappings changed and dropped, owners, comments, and a column that uses one.
CREATE TEXT SEARCH PARSER app.word_parser (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end,
                                           LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
COMMENT ON TEXT SEARCH PARSER app.word_parser IS 'the default parser again';
CREATE TEXT SEARCH TEMPLATE app.simple_template (INIT = dsimple_init, LEXIZE = dsimple_lexize);
-- Never used by a dictionary: dsimple_lexize without its INIT crashes the server when it lexizes.
CREATE TEXT SEARCH TEMPLATE app.lexize_only (LEXIZE = dsimple_lexize);
COMMENT ON TEXT SEARCH TEMPLATE app.simple_template IS 'simple, again';
CREATE TEXT SEARCH DICTIONARY app.english_stop (TEMPLATE = app.simple_template, STOPWORDS = english, Accept = false);
CREATE TEXT SEARCH DICTIONARY app."Plain Dict" (TEMPLATE = pg_catalog.simple);
COMMENT ON TEXT SEARCH DICTIONARY app.english_stop IS 'drops English stop words';
ALTER TEXT SEARCH DICTIONARY app."Plain Dict" OWNER TO "Fixture Owner";
CREATE TEXT SEARCH CONFIGURATION app.english_custom (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION app.english_custom ALTER MAPPING FOR asciiword WITH app.english_stop, english_stem;
ALTER TEXT SEARCH CONFIGURATION app.english_custom DROP MAPPING FOR email, url;
COMMENT ON TEXT SEARCH CONFIGURATION app.english_custom IS 'English without e-mail and URL tokens';
CREATE TEXT SEARCH CONFIGURATION app.words (PARSER = app.word_parser);
ALTER TEXT SEARCH CONFIGURATION app.words ADD MAPPING FOR word, asciiword WITH app."Plain Dict";
ALTER TEXT SEARCH CONFIGURATION app.words OWNER TO "Fixture Owner";
CREATE TABLE app.articles (id integer PRIMARY KEY, body text,
                           words tsvector GENERATED ALWAYS AS (to_tsvector('app.english_custom', body)) STORED);
CREATE INDEX articles_words ON app.articles USING gin (to_tsvector('app.words'::regconfig, body));
INSERT INTO app.articles (id, body) VALUES (1, 'The quick brown foxes jumped'), (2, 'mail me at a@example.com');

-- Operators (binary with a commutator and negator left as shells, prefix, merge/hash with estimators), an
-- operator family with a loose cross-type member, btree and hash operator classes, casts by function and
-- by I/O, and conversions; owners and comments; a table and indexes using them.
CREATE TYPE app.version AS (major integer, minor integer);
CREATE FUNCTION app.version_eq(app.version, app.version) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS 'SELECT $1.major = $2.major AND $1.minor = $2.minor';
CREATE FUNCTION app.version_lt(app.version, app.version) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS 'SELECT ($1.major, $1.minor) < ($2.major, $2.minor)';
CREATE FUNCTION app.version_cmp(app.version, app.version) RETURNS integer LANGUAGE sql IMMUTABLE
    AS 'SELECT CASE WHEN ($1.major, $1.minor) < ($2.major, $2.minor) THEN -1 WHEN ($1.major, $1.minor) > ($2.major, $2.minor) THEN 1 ELSE 0 END';
CREATE FUNCTION app.version_hash(app.version) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT hashint4($1.major * 1000 + $1.minor)';
CREATE FUNCTION app.version_major_lt(app.version, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1.major < $2';
CREATE FUNCTION app.version_major(app.version) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1.major';
CREATE OPERATOR app.=== (LEFTARG = app.version, RIGHTARG = app.version, FUNCTION = app.version_eq,
                         COMMUTATOR = OPERATOR(app.===), NEGATOR = OPERATOR(app.!==), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR app.<<< (LEFTARG = app.version, RIGHTARG = app.version, FUNCTION = app.version_lt, COMMUTATOR = >>>);
CREATE OPERATOR app.<<< (LEFTARG = app.version, RIGHTARG = integer, FUNCTION = app.version_major_lt);
CREATE OPERATOR app.## (RIGHTARG = app.version, FUNCTION = app.version_major);
COMMENT ON OPERATOR app.=== (app.version, app.version) IS 'same version';
ALTER OPERATOR app.## (NONE, app.version) OWNER TO "Fixture Owner";
CREATE OPERATOR FAMILY app.version_family USING btree;
CREATE OPERATOR CLASS app.version_ops DEFAULT FOR TYPE app.version USING btree FAMILY app.version_family AS
    OPERATOR 1 app.<<<, OPERATOR 3 app.===, FUNCTION 1 app.version_cmp(app.version, app.version);
ALTER OPERATOR FAMILY app.version_family USING btree ADD OPERATOR 1 app.<<< (app.version, integer);
CREATE OPERATOR CLASS app.version_hash_ops FOR TYPE app.version USING hash AS
    OPERATOR 1 app.===, FUNCTION 1 app.version_hash(app.version);
COMMENT ON OPERATOR FAMILY app.version_family USING btree IS 'versions in order';
COMMENT ON OPERATOR CLASS app.version_hash_ops USING hash IS 'versions hashed';
ALTER OPERATOR CLASS app.version_hash_ops USING hash OWNER TO "Fixture Owner";
CREATE CAST (app.version AS integer) WITH FUNCTION app.version_major(app.version) AS ASSIGNMENT;
CREATE CAST (app.version AS text) WITH INOUT AS IMPLICIT;
CREATE CAST (app.mood AS app.version) WITH INOUT;
COMMENT ON CAST (app.version AS integer) IS 'the major version';
CREATE CONVERSION app.latin1_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
CREATE DEFAULT CONVERSION app."Default Latin1" FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
COMMENT ON CONVERSION app.latin1_utf8 IS 'Latin-1 in';
ALTER CONVERSION app.latin1_utf8 OWNER TO "Fixture Owner";
CREATE TABLE app.releases (id integer PRIMARY KEY, v app.version);
CREATE INDEX releases_v ON app.releases (v);
CREATE INDEX releases_v_hash ON app.releases USING hash (v app.version_hash_ops);
INSERT INTO app.releases VALUES (1, ROW(1, 2)), (2, ROW(2, 0));

-- Foreign data: wrappers with options, a validator, a grant and a comment; servers with type, version,
-- options, another owner and grants; user mappings for PUBLIC and for roles, one with a password (pg_dump
-- writes it too); foreign tables with column options, a default, NOT NULL and CHECK, as a partition and as an
-- inheritance child, with a trigger, comments and grants. postgres_fdw's own wrapper where there is contrib.
CREATE FOREIGN DATA WRAPPER app_fdw OPTIONS (debug 'true', "Odd Key" 'it''s');
CREATE FOREIGN DATA WRAPPER "Checked FDW" VALIDATOR postgresql_fdw_validator;
COMMENT ON FOREIGN DATA WRAPPER app_fdw IS 'no handler';
GRANT USAGE ON FOREIGN DATA WRAPPER app_fdw TO "Fixture Owner" WITH GRANT OPTION;
CREATE SERVER app_files FOREIGN DATA WRAPPER app_fdw OPTIONS (root '/srv/files');
CREATE SERVER "Checked ""Srv""" TYPE 'pg' VERSION '15' FOREIGN DATA WRAPPER "Checked FDW" OPTIONS (host 'db.example', dbname 'x');
ALTER SERVER app_files OWNER TO "Fixture Owner";
COMMENT ON SERVER app_files IS 'files on the file server';
GRANT USAGE ON FOREIGN SERVER "Checked ""Srv""" TO vaultops_fixture_reader;
CREATE USER MAPPING FOR PUBLIC SERVER app_files;
CREATE USER MAPPING FOR vaultops_fixture_reader SERVER "Checked ""Srv""" OPTIONS (user 'reader', password 'se''cret');
CREATE USER MAPPING FOR "Fixture Owner" SERVER app_files OPTIONS (note 'owner');
CREATE TABLE app.readings (id integer NOT NULL, site text, v numeric) PARTITION BY LIST (site);
CREATE TABLE app.readings_here PARTITION OF app.readings FOR VALUES IN ('here');
CREATE FOREIGN TABLE app.readings_there PARTITION OF app.readings FOR VALUES IN ('there') SERVER app_files OPTIONS (file 'r.csv');
CREATE FOREIGN TABLE app."Remote ""Files""" (
    id integer OPTIONS (column_name 'ID', "odd key" 'x') NOT NULL,
    name text COLLATE "C" DEFAULT 'unnamed',
    CONSTRAINT positive_id CHECK (id > 0)
) SERVER app_files OPTIONS (file 'files.csv');
ALTER FOREIGN TABLE app."Remote ""Files""" ALTER COLUMN name SET STATISTICS 50;
ALTER FOREIGN TABLE app."Remote ""Files""" OWNER TO "Fixture Owner";
COMMENT ON FOREIGN TABLE app."Remote ""Files""" IS 'far away';
COMMENT ON COLUMN app."Remote ""Files""".id IS 'the key';
GRANT SELECT ON app."Remote ""Files""" TO PUBLIC;
GRANT SELECT (name) ON app."Remote ""Files""" TO vaultops_fixture_reader;
CREATE FUNCTION app.remote_touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER remote_touch BEFORE INSERT ON app."Remote ""Files""" FOR EACH ROW EXECUTE FUNCTION app.remote_touch();
CREATE TABLE app.file_base (a integer);
CREATE FOREIGN TABLE app.file_child (b text) INHERITS (app.file_base) SERVER app_files;
INSERT INTO app.readings_here VALUES (1, 'here', 2.5);
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'postgres_fdw')
     AND COALESCE(current_setting('vaultops.fixture_contrib', true), '') <> 'off' THEN
    CREATE EXTENSION postgres_fdw;
    CREATE SERVER remote_pg FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.example', dbname 'app', port '5433');
    CREATE USER MAPPING FOR vaultops_fixture_reader SERVER remote_pg OPTIONS (user 'app', password 'pa''ss');
    CREATE FOREIGN TABLE app.remote_items (id integer OPTIONS (column_name 'item_id'), label text)
        SERVER remote_pg OPTIONS (schema_name 'public', table_name 'items');
  END IF;
END $$;

-- Procedural languages on plpgsql's C handlers (trusted with inline handler and validator, and plain) with an
-- owner, a comment and grants, a function in one, and transforms (both directions, and FROM SQL alone).
CREATE FUNCTION app.pl_handler() RETURNS language_handler AS 'plpgsql', 'plpgsql_call_handler' LANGUAGE c;
CREATE FUNCTION app.pl_inline(internal) RETURNS void AS 'plpgsql', 'plpgsql_inline_handler' LANGUAGE c;
CREATE FUNCTION app.pl_validator(oid) RETURNS void AS 'plpgsql', 'plpgsql_validator' LANGUAGE c;
CREATE TRUSTED LANGUAGE "Fixture PL" HANDLER app.pl_handler INLINE app.pl_inline VALIDATOR app.pl_validator;
CREATE LANGUAGE fixture_untrusted HANDLER app.pl_handler;
COMMENT ON LANGUAGE "Fixture PL" IS 'plpgsql again';
ALTER LANGUAGE "Fixture PL" OWNER TO "Fixture Owner";
REVOKE USAGE ON LANGUAGE "Fixture PL" FROM PUBLIC;
GRANT USAGE ON LANGUAGE "Fixture PL" TO vaultops_fixture_reader;
CREATE FUNCTION app.in_fixture_pl() RETURNS integer LANGUAGE "Fixture PL" AS 'BEGIN RETURN 1; END';
CREATE FUNCTION app.trf_from_sql(internal) RETURNS internal LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE FUNCTION app.trf_to_sql(internal) RETURNS int4 LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE TRANSFORM FOR int4 LANGUAGE fixture_untrusted (FROM SQL WITH FUNCTION app.trf_from_sql(internal),
                                                      TO SQL WITH FUNCTION app.trf_to_sql(internal));
CREATE TRANSFORM FOR app.version LANGUAGE "Fixture PL" (FROM SQL WITH FUNCTION app.trf_from_sql(internal));
COMMENT ON TRANSFORM FOR int4 LANGUAGE fixture_untrusted IS 'ints';

-- Typed tables: one with nothing of its own, one with a default, NOT NULL, a CHECK, a primary key and rows.
CREATE TYPE app.person AS (id integer, name text, born date);
CREATE TABLE app.plain_people OF app.person;
CREATE TABLE app."Odd People" OF app.person (id WITH OPTIONS PRIMARY KEY, name WITH OPTIONS NOT NULL DEFAULT 'nobody',
                                             CONSTRAINT born_late CHECK (born > '1900-01-01'));
COMMENT ON TABLE app."Odd People" IS 'typed';
INSERT INTO app."Odd People" (id, born) VALUES (1, '1990-05-01');

-- Base types without C code (I/O functions LANGUAGE internal on built-in ones), each made from its shell as pg_dump
-- writes it: fixed-length by value with a default and a delimiter, another owner, a comment and grants; variable-length,
-- collatable, with typmod functions and a category; fixed-length with an element and a subscript handler. A shell
-- type alone with a comment, and a table with columns of each (and of an array of one) holding rows.
CREATE TYPE app.tag;
CREATE FUNCTION app.tag_in(cstring) RETURNS app.tag LANGUAGE internal IMMUTABLE STRICT AS 'int4in';
CREATE FUNCTION app.tag_out(app.tag) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'int4out';
CREATE FUNCTION app.tag_recv(internal) RETURNS app.tag LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE FUNCTION app.tag_send(app.tag) RETURNS bytea LANGUAGE internal IMMUTABLE STRICT AS 'int4send';
CREATE TYPE app.tag (INPUT = app.tag_in, OUTPUT = app.tag_out, RECEIVE = app.tag_recv, SEND = app.tag_send,
                     INTERNALLENGTH = 4, PASSEDBYVALUE, ALIGNMENT = int4, STORAGE = plain, CATEGORY = 'N',
                     DEFAULT = '7', DELIMITER = ';');
COMMENT ON TYPE app.tag IS 'an int4 under another name';
ALTER TYPE app.tag OWNER TO "Fixture Owner";
REVOKE USAGE ON TYPE app.tag FROM PUBLIC;
GRANT USAGE ON TYPE app.tag TO vaultops_fixture_reader;
CREATE TYPE app."Label Text";
CREATE FUNCTION app.label_text_in(cstring) RETURNS app."Label Text" LANGUAGE internal IMMUTABLE STRICT AS 'textin';
CREATE FUNCTION app.label_text_out(app."Label Text") RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'textout';
CREATE TYPE app."Label Text" (INPUT = app.label_text_in, OUTPUT = app.label_text_out, INTERNALLENGTH = variable,
                              STORAGE = extended, COLLATABLE = true, TYPMOD_IN = varchartypmodin, TYPMOD_OUT = varchartypmodout,
                              CATEGORY = 'S', PREFERRED = true);
CREATE TYPE app.pair;
CREATE FUNCTION app.pair_in(cstring) RETURNS app.pair LANGUAGE internal IMMUTABLE STRICT AS 'point_in';
CREATE FUNCTION app.pair_out(app.pair) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'point_out';
CREATE TYPE app.pair (INPUT = app.pair_in, OUTPUT = app.pair_out, INTERNALLENGTH = 16, ALIGNMENT = double,
                      ELEMENT = float8, SUBSCRIPT = raw_array_subscript_handler);
CREATE TYPE app.placeholder;
COMMENT ON TYPE app.placeholder IS 'a shell, never filled in';
CREATE TABLE app.tagged (id integer PRIMARY KEY, tag app.tag, tags app.tag[], label app."Label Text"(20) COLLATE "C", p app.pair);
INSERT INTO app.tagged VALUES (1, '42', '{1;2}', 'x', '(1.5,2)'), (2, '-5', NULL, NULL, NULL), (3, DEFAULT, '{}', '', '(0,-0.25)');

-- Aggregates of the kinds once refused: ordered-set, hypothetical-set, and moving with serial functions and an
-- initial value holding ", ".
CREATE AGGREGATE app.median_of(float8 ORDER BY anyelement) (SFUNC = ordered_set_transition, STYPE = internal,
    FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = SHAREABLE);
CREATE AGGREGATE app.rank_of(VARIADIC "any" ORDER BY VARIADIC "any") (SFUNC = ordered_set_transition_multi, STYPE = internal,
    FINALFUNC = rank_final, FINALFUNC_EXTRA, HYPOTHETICAL);
CREATE AGGREGATE app.moving_avg(int8) (SFUNC = int8_avg_accum, STYPE = internal, SSPACE = 48, FINALFUNC = numeric_poly_avg,
    COMBINEFUNC = int8_avg_combine, SERIALFUNC = int8_avg_serialize, DESERIALFUNC = int8_avg_deserialize,
    MSFUNC = int8_avg_accum, MINVFUNC = int8_avg_accum_inv, MSTYPE = internal, MSSPACE = 48, MFINALFUNC = numeric_poly_avg,
    PARALLEL = SAFE);
CREATE AGGREGATE app.joined(text) (SFUNC = textcat, STYPE = text, INITCOND = 'a, b');

-- Publications (inserts only: publishing updates or deletes would make later UPDATEs of tables without a
-- replica identity fail): all tables, tables with a column list and a row filter, a partitioned table
-- through its root, a schema, and a comment.
CREATE PUBLICATION vaultops_fixture_all FOR ALL TABLES WITH (publish = 'insert, truncate');
CREATE PUBLICATION "Fixture ""Pub""" FOR TABLE app.customers (id, email) WHERE (id > 0), TABLE app.events
    WITH (publish = 'insert', publish_via_partition_root = true);
CREATE PUBLICATION vaultops_fixture_schema FOR TABLES IN SCHEMA "select", TABLE app.settings WITH (publish = 'insert');
COMMENT ON PUBLICATION "Fixture ""Pub""" IS 'customers and events';

-- Privileges changed on what initdb makes, which a dump writes relative to pg_init_privs: a built-in language and
-- pg_catalog functions (granted, and revoked from PUBLIC).
GRANT USAGE ON LANGUAGE plpgsql TO vaultops_fixture_reader;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text) TO vaultops_fixture_reader;
REVOKE EXECUTE ON FUNCTION pg_catalog.md5(text) FROM PUBLIC;

-- A partitioned partition with its own index and key names, and a leaf's renamed index: each is made alone, then
-- attached to its parent's (the parent's made ON ONLY), so none is renamed by the server; a foreign key needs them all.
CREATE TABLE app.samples (site text NOT NULL, day integer NOT NULL, v integer) PARTITION BY LIST (site);
CREATE TABLE app.samples_here PARTITION OF app.samples FOR VALUES IN ('here') PARTITION BY RANGE (day);
CREATE TABLE app.samples_here_1 PARTITION OF app.samples_here FOR VALUES FROM (0) TO (100);
ALTER TABLE app.samples ADD PRIMARY KEY (site, day);
CREATE INDEX samples_v ON app.samples (v);
-- Renamed rather than made before ATTACH, so that PostgreSQL 18 names the NOT NULL constraints as a restore does.
ALTER INDEX app.samples_here_pkey RENAME TO samples_here_own_key;
ALTER INDEX app.samples_here_v_idx RENAME TO samples_here_own_v;
ALTER INDEX app.samples_here_1_v_idx RENAME TO samples_here_1_own_v;
CREATE TABLE app.sample_notes (site text, day integer, FOREIGN KEY (site, day) REFERENCES app.samples);
INSERT INTO app.samples VALUES ('here', 1, 1);
INSERT INTO app.sample_notes VALUES ('here', 1);

-- Event triggers (last: after the privileges in a dump), none of which fires on the fixture's or a restore's DDL:
-- one for a tag nothing creates, a disabled one and a replica-only one.
CREATE FUNCTION app.note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
CREATE EVENT TRIGGER vaultops_fixture_fdw ON ddl_command_start WHEN TAG IN ('IMPORT FOREIGN SCHEMA')
    EXECUTE FUNCTION app.note_ddl();
CREATE EVENT TRIGGER "Fixture ""Off""" ON ddl_command_end EXECUTE FUNCTION app.note_ddl();
ALTER EVENT TRIGGER "Fixture ""Off""" DISABLE;
CREATE EVENT TRIGGER vaultops_fixture_replica ON sql_drop EXECUTE FUNCTION app.note_ddl();
ALTER EVENT TRIGGER vaultops_fixture_replica ENABLE REPLICA;
COMMENT ON EVENT TRIGGER vaultops_fixture_fdw IS 'foreign schema imports only';
