-- Fixture objects for PostgreSQL 18 and newer, loaded after fixture.sql and fixture-17.sql: table NOT NULL
-- constraints as 18 catalogs them (named, NO INHERIT, NOT VALID over existing NULLs, commented, named
-- differently in partitions and inheritance children than in the parent) and virtual generated columns.
CREATE TABLE app.nn_plain (
    a integer CONSTRAINT nn_plain_a_required NOT NULL,
    b integer NOT NULL,
    c integer,
    d integer NOT NULL NO INHERIT,
    e text CONSTRAINT e_present NOT NULL NO INHERIT
);
COMMENT ON CONSTRAINT nn_plain_a_required ON app.nn_plain IS 'a is required';
COMMENT ON CONSTRAINT nn_plain_b_not_null ON app.nn_plain IS 'default name, commented';
INSERT INTO app.nn_plain VALUES (1, 2, NULL, 4, 'five'), (6, 7, 8, 9, 'ten');
-- The NULL in c stays: the restore must add this after the data and leave it NOT VALID.
ALTER TABLE app.nn_plain ADD CONSTRAINT c_checked_later NOT NULL c NOT VALID;
COMMENT ON CONSTRAINT c_checked_later ON app.nn_plain IS 'not valid yet';

CREATE TABLE app.nn_parent (id integer CONSTRAINT nn_parent_id_required NOT NULL, x integer, y integer NOT NULL);
CREATE TABLE app.nn_child (z integer CONSTRAINT nn_child_z_required NOT NULL,
                           CONSTRAINT nn_child_x_own NOT NULL x, CONSTRAINT nn_child_y_own NOT NULL y) INHERITS (app.nn_parent);
CREATE TABLE app.nn_child2 (id integer NOT NULL) INHERITS (app.nn_parent);
COMMENT ON CONSTRAINT nn_parent_id_required ON app.nn_child IS 'inherited, commented in the child';
INSERT INTO app.nn_child VALUES (1, 2, 3, 4);

CREATE TABLE app.nn_parted (k integer CONSTRAINT nn_parted_k_required NOT NULL, v integer, w integer) PARTITION BY RANGE (k);
CREATE TABLE app.nn_part1 PARTITION OF app.nn_parted (CONSTRAINT nn_part1_v_required NOT NULL v) FOR VALUES FROM (0) TO (10);
CREATE TABLE app.nn_part2 (k integer CONSTRAINT nn_part2_k_own NOT NULL, v integer, w integer NOT NULL);
ALTER TABLE app.nn_parted ATTACH PARTITION app.nn_part2 FOR VALUES FROM (10) TO (20);
INSERT INTO app.nn_parted VALUES (1, 1, NULL), (11, NULL, 3);

CREATE TABLE app.virtual_columns (
    a integer,
    doubled integer GENERATED ALWAYS AS (a * 2) VIRTUAL,
    label text GENERATED ALWAYS AS ('#' || a::text),
    stored integer GENERATED ALWAYS AS (a * 3) STORED
);
INSERT INTO app.virtual_columns (a) VALUES (1), (NULL);
