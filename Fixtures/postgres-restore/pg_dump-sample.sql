--
-- PostgreSQL database dump
--

\restrict partialsamplekey

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: Mixed Case; Type: SCHEMA; Schema: -; Owner: vaultops
--

CREATE SCHEMA "Mixed Case";


ALTER SCHEMA "Mixed Case" OWNER TO vaultops;

--
-- Name: app; Type: SCHEMA; Schema: -; Owner: vaultops
--

CREATE SCHEMA app;


ALTER SCHEMA app OWNER TO vaultops;

--
-- Name: positive; Type: DOMAIN; Schema: app; Owner: vaultops
--

CREATE DOMAIN app.positive AS integer
	CONSTRAINT positive_check CHECK ((VALUE > 0));


ALTER DOMAIN app.positive OWNER TO vaultops;

--
-- Name: status; Type: TYPE; Schema: app; Owner: vaultops
--

CREATE TYPE app.status AS ENUM (
    'open',
    'closed; done',
    'it''s'
);


ALTER TYPE app.status OWNER TO vaultops;

--
-- Name: label(integer); Type: FUNCTION; Schema: app; Owner: vaultops
--

CREATE FUNCTION app.label(v integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN CASE WHEN (v > 1) THEN 'many\;'::text ELSE 'one;'::text END;


ALTER FUNCTION app.label(v integer) OWNER TO vaultops;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: orders; Type: TABLE; Schema: app; Owner: vaultops
--

CREATE TABLE app.orders (
    id bigint NOT NULL,
    customer_id integer NOT NULL,
    quantity app.positive NOT NULL,
    payload jsonb,
    blob bytea,
    CONSTRAINT sane CHECK (((quantity)::integer < 1000000))
);


ALTER TABLE app.orders OWNER TO vaultops;

--
-- Name: order_count(integer); Type: FUNCTION; Schema: app; Owner: vaultops
--

CREATE FUNCTION app.order_count(customer integer DEFAULT 1, OUT total bigint) RETURNS bigint
    LANGUAGE sql STABLE
    BEGIN ATOMIC
 SELECT count(*) AS count
    FROM app.orders
   WHERE (orders.customer_id = order_count.customer);
END;


ALTER FUNCTION app.order_count(customer integer, OUT total bigint) OWNER TO vaultops;

--
-- Name: touch(); Type: FUNCTION; Schema: app; Owner: vaultops
--

CREATE FUNCTION app.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
BEGIN
    -- a semicolon; and $$ inside a tagged dollar quote
    NEW.note := coalesce(NEW.note, $$default; note$$);
    RETURN NEW;
END;
$_$;


ALTER FUNCTION app.touch() OWNER TO vaultops;

--
-- Name: Table; With "Quotes"; Type: TABLE; Schema: Mixed Case; Owner: vaultops
--

CREATE TABLE "Mixed Case"."Table; With ""Quotes""" (
    "Col $$ 1" text,
    n numeric(10,2)
);


ALTER TABLE "Mixed Case"."Table; With ""Quotes""" OWNER TO vaultops;

--
-- Name: customers; Type: TABLE; Schema: app; Owner: vaultops
--

CREATE TABLE app.customers (
    id integer NOT NULL,
    name text NOT NULL,
    note text DEFAULT 'semi;colon -- not a comment /* nor this */'::text,
    status app.status DEFAULT 'open'::app.status NOT NULL,
    created timestamp with time zone DEFAULT '2025-01-01 00:00:00+00'::timestamp with time zone NOT NULL
);


ALTER TABLE app.customers OWNER TO vaultops;

--
-- Name: TABLE customers; Type: COMMENT; Schema: app; Owner: vaultops
--

COMMENT ON TABLE app.customers IS 'Customers; with a quote '' and a /* comment */';


--
-- Name: customer_totals; Type: VIEW; Schema: app; Owner: vaultops
--

CREATE VIEW app.customer_totals AS
 SELECT c.id,
    c.name,
    ( SELECT order_count.total
           FROM app.order_count(c.id) order_count(total)) AS total
   FROM app.customers c;


ALTER TABLE app.customer_totals OWNER TO vaultops;

--
-- Name: customers_id_seq; Type: SEQUENCE; Schema: app; Owner: vaultops
--

CREATE SEQUENCE app.customers_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE app.customers_id_seq OWNER TO vaultops;

--
-- Name: customers_id_seq; Type: SEQUENCE OWNED BY; Schema: app; Owner: vaultops
--

ALTER SEQUENCE app.customers_id_seq OWNED BY app.customers.id;


--
-- Name: events; Type: TABLE; Schema: app; Owner: vaultops
--

CREATE TABLE app.events (
    id integer,
    at date NOT NULL
)
PARTITION BY RANGE (at);


ALTER TABLE app.events OWNER TO vaultops;

--
-- Name: events_2025; Type: TABLE; Schema: app; Owner: vaultops
--

CREATE TABLE app.events_2025 (
    id integer,
    at date NOT NULL
);


ALTER TABLE app.events_2025 OWNER TO vaultops;

--
-- Name: orders_id_seq; Type: SEQUENCE; Schema: app; Owner: vaultops
--

ALTER TABLE app.orders ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.orders_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: status_counts; Type: MATERIALIZED VIEW; Schema: app; Owner: vaultops
--

CREATE MATERIALIZED VIEW app.status_counts AS
 SELECT customers.status,
    count(*) AS n
   FROM app.customers
  GROUP BY customers.status
  WITH NO DATA;


ALTER TABLE app.status_counts OWNER TO vaultops;

--
-- Name: empty_table; Type: TABLE; Schema: public; Owner: vaultops
--

CREATE TABLE public.empty_table (
    a integer
);


ALTER TABLE public.empty_table OWNER TO vaultops;

--
-- Name: events_2025; Type: TABLE ATTACH; Schema: app; Owner: vaultops
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');


--
-- Name: customers id; Type: DEFAULT; Schema: app; Owner: vaultops
--

ALTER TABLE ONLY app.customers ALTER COLUMN id SET DEFAULT nextval('app.customers_id_seq'::regclass);


--
-- Data for Name: Table; With "Quotes"; Type: TABLE DATA; Schema: Mixed Case; Owner: vaultops
--

COPY "Mixed Case"."Table; With ""Quotes""" ("Col $$ 1", n) FROM stdin;
x;y	1.50
\\\\.	\N
\.


--
-- Data for Name: customers; Type: TABLE DATA; Schema: app; Owner: vaultops
--

COPY app.customers (id, name, note, status, created) FROM stdin;
1	Ada	tab\tinside	open	2025-01-01 00:00:00+00
2	Bob	line\nbreak and back\\slash	closed; done	2025-01-01 00:00:00+00
3	Çé 日本	default; note	it's	2025-01-01 00:00:00+00
\.


--
-- Data for Name: events_2025; Type: TABLE DATA; Schema: app; Owner: vaultops
--

COPY app.events_2025 (id, at) FROM stdin;
0	2025-01-01
1	2025-01-02
2	2025-01-03
\.


--
-- Data for Name: orders; Type: TABLE DATA; Schema: app; Owner: vaultops
--

COPY app.orders (id, customer_id, quantity, payload, blob) FROM stdin;
1	2	2	{"g": 1, "text": "a;b"}	\\xc4ca4238a0b923820dcc509a6f75849b
2	3	3	{"g": 2, "text": "a;b"}	\\xc81e728d9d4c2f636f067f89cc14862c
3	4	4	{"g": 3, "text": "a;b"}	\\xeccbc87e4b5ce2fe28308fd9f2a7baf3
\.


--
-- Data for Name: empty_table; Type: TABLE DATA; Schema: public; Owner: vaultops
--

COPY public.empty_table (a) FROM stdin;
\.


--
-- Name: customers_id_seq; Type: SEQUENCE SET; Schema: app; Owner: vaultops
--

SELECT pg_catalog.setval('app.customers_id_seq', 2004, true);


--
-- Name: orders_id_seq; Type: SEQUENCE SET; Schema: app; Owner: vaultops
--

SELECT pg_catalog.setval('app.orders_id_seq', 5000, true);


--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: app; Owner: vaultops
--

ALTER TABLE ONLY app.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: app; Owner: vaultops
--

ALTER TABLE ONLY app.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);


--
-- Name: orders_customer; Type: INDEX; Schema: app; Owner: vaultops
--

CREATE INDEX orders_customer ON app.orders USING btree (customer_id);


--
-- Name: customers customers_touch; Type: TRIGGER; Schema: app; Owner: vaultops
--

CREATE TRIGGER customers_touch BEFORE INSERT ON app.customers FOR EACH ROW EXECUTE FUNCTION app.touch();


--
-- Name: orders orders_customer_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: vaultops
--

ALTER TABLE ONLY app.orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES app.customers(id);


--
-- Name: status_counts; Type: MATERIALIZED VIEW DATA; Schema: app; Owner: vaultops
--

REFRESH MATERIALIZED VIEW app.status_counts;


--
-- PostgreSQL database dump complete
--

\unrestrict partialsamplekey

