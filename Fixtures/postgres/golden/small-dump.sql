--
-- PostgreSQL database dump (vaultops)
--


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

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: shop; Type: SCHEMA; Schema: -; Owner: vaultops
--

CREATE SCHEMA shop;

ALTER SCHEMA shop OWNER TO vaultops;

COMMENT ON SCHEMA shop IS 'the shop';

--
-- Name: items_id_seq; Type: SEQUENCE; Schema: shop; Owner: vaultops
--

CREATE SEQUENCE shop.items_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    MINVALUE 1
    MAXVALUE 2147483647
    CACHE 1;

ALTER SEQUENCE shop.items_id_seq OWNER TO vaultops;

--
-- Name: items; Type: TABLE; Schema: shop; Owner: vaultops
--

CREATE TABLE shop.items (
    id integer DEFAULT nextval('shop.items_id_seq'::regclass) NOT NULL,
    name text NOT NULL,
    price numeric(8,2),
    CONSTRAINT items_price_check CHECK ((price >= (0)::numeric))
);

ALTER TABLE shop.items OWNER TO vaultops;

COMMENT ON TABLE shop.items IS 'things we sell';


--
-- Name: sales; Type: TABLE; Schema: shop; Owner: vaultops
--

CREATE TABLE shop.sales (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY (
        SEQUENCE NAME shop.sales_id_seq
        START WITH 1
        INCREMENT BY 1
        MINVALUE 1
        MAXVALUE 9223372036854775807
        CACHE 1
    ),
    item_id integer NOT NULL,
    sold_at timestamp with time zone NOT NULL
);

ALTER TABLE shop.sales OWNER TO vaultops;


--
-- Name: items_id_seq; Type: SEQUENCE OWNED BY; Schema: shop; Owner: vaultops
--

ALTER SEQUENCE shop.items_id_seq OWNED BY shop.items.id;


--
-- Name: item_sales; Type: VIEW; Schema: shop; Owner: vaultops
--

CREATE VIEW shop.item_sales AS
 SELECT i.name,
    count(s.id) AS n
   FROM (shop.items i
     LEFT JOIN shop.sales s ON ((s.item_id = i.id)))
  GROUP BY i.name;

ALTER VIEW shop.item_sales OWNER TO vaultops;


--
-- Name: items; Type: TABLE DATA; Schema: shop; Owner: vaultops
--

COPY shop.items (id, name, price) FROM stdin;
1	tea	3.50
2	tab\tand\nnewline	\N
\.


--
-- Name: sales; Type: TABLE DATA; Schema: shop; Owner: vaultops
--

COPY shop.sales (id, item_id, sold_at) FROM stdin;
1	1	2025-01-02 03:04:05+00
\.


--
-- Name: items_id_seq; Type: SEQUENCE SET; Schema: shop; Owner: vaultops
--

SELECT pg_catalog.setval('shop.items_id_seq', 2, true);


--
-- Name: sales_id_seq; Type: SEQUENCE SET; Schema: shop; Owner: vaultops
--

SELECT pg_catalog.setval('shop.sales_id_seq', 1, true);


--
-- Name: items items_pkey; Type: CONSTRAINT; Schema: shop; Owner: vaultops
--

ALTER TABLE ONLY shop.items
    ADD CONSTRAINT items_pkey PRIMARY KEY (id);


--
-- Name: sales sales_pkey; Type: CONSTRAINT; Schema: shop; Owner: vaultops
--

ALTER TABLE ONLY shop.sales
    ADD CONSTRAINT sales_pkey PRIMARY KEY (id);


--
-- Name: sales_item_idx; Type: INDEX; Schema: shop; Owner: vaultops
--

CREATE INDEX sales_item_idx ON shop.sales USING btree (item_id);


--
-- Name: sales sales_item_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: vaultops
--

ALTER TABLE ONLY shop.sales
    ADD CONSTRAINT sales_item_id_fkey FOREIGN KEY (item_id) REFERENCES shop.items(id);


--
-- PostgreSQL database dump complete (vaultops)
--

-- vaultops dump complete
