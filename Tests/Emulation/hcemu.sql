-- hcemu.sql: an emulation of Heroku Connect's database side, for tests and demos.
--
-- Load once per database (loading it again is harmless):
--     psql -v ON_ERROR_STOP=1 -q -f Tests/Emulation/hcemu.sql
--
-- It installs
--   * the hstore extension and public.get_xmlbinary(), exactly as Heroku Connect has them;
--   * schema hcemu with installer functions that build a connection in ANY schema:
--       hcemu.create_connection(schema_name text) RETURNS void
--       hcemu.map_table(schema_name text, table_name text, columns text,
--                       read_only boolean DEFAULT false) RETURNS void
--       hcemu.attach_mapping(schema_name text, table_name text,
--                            read_only boolean DEFAULT false) RETURNS void
--       hcemu.create_standard_connection(schema_name text) RETURNS void
--       hcemu.create_readonly_connection(schema_name text) RETURNS void
--       hcemu.create_legacy_connection(schema_name text) RETURNS void
--       hcemu.create_variant_connection(schema_name text) RETURNS void
--       hcemu.drop_connection(schema_name text) RETURNS void
--       hcemu.generate_log(schema_name text, archived integer, live integer,
--                          failed_fraction double precision DEFAULT 0.1) RETURNS void
--       hcemu.generate_records(schema_name text, table_name text, n integer) RETURNS void
--       hcemu.grow_archive(schema_name text, n integer,
--                          rebuild_indexes boolean DEFAULT false) RETURNS void
--     and helpers hcemu.qi(text), hcemu.sfid(text, bigint), hcemu.sfid18(text),
--     hcemu.u(bigint, integer), and the installers' internal steps
--     hcemu.require_log_tables(text, text), hcemu.add_id_sequence_and_indexes(text, text),
--     hcemu.standard_columns(text), hcemu.map_standard_tables(text, boolean).
--
-- Which connection each installer builds. Real connections (production schema dumps, see
-- "What real connections look like" in the Heroku Connect notes, heroku-connect.md) differ
-- from the tidy standard one, and each variant emulates one of those differences:
--   create_standard_connection  the tidy connection: account, contact, opportunity
--                               read-write (loggers write NEW/IGNORE), "user" read-only.
--   create_readonly_connection  a connection that is read-only as a whole: the same four
--                               tables, every logger writes READONLY.
--   create_legacy_connection    an older connection: _trigger_log_id_seq is a bigint
--                               sequence (maximum 9223372036854775807), id stays integer.
--   create_variant_connection   mapped tables that vary (PRIMARY KEY (id, sfid), sfid NOT
--                               NULL, UNIQUE (sfid, id), a foreign key to account(sfid) ON
--                               DELETE RESTRICT, extra unique external-id indexes, columns
--                               the application added after _hc_err, no isdeleted); a
--                               mapping that lost its log trigger (lead); an application
--                               table that is not a mapping (app_setting). A deleted
--                               mapping whose entries remain is left to the tests, which
--                               write log rows for el_history__c (no such table exists).
--   attach_mapping              makes any table a mapping: a test creates the table with
--                               whatever DDL it needs, then attaches Connect's triggers.
--
-- The tables, sequences, indexes, triggers and trigger functions follow a real connection's
-- schema dump; only the schema name changes. Function bodies are kept verbatim (including
-- their "-- VERSION n --" markers): Heroku Connect writes the schema in them as a
-- double-quoted identifier ("org"."_trigger_log"), and so do we (hcemu.qi).
--
-- Quoting: identifiers go through format('%I') / hcemu.qi, literals through format('%L') /
-- quote_literal, and generated function bodies are passed to CREATE FUNCTION as quoted
-- literals (not dollar-quoted), so a schema name may contain anything, even "$$".
--
-- Limitation shared with the real thing: pg_notify channel names must be shorter than 64
-- bytes, so schema names longer than 48 bytes make every insert into _trigger_log fail.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;   -- no "already exists, skipping" notices on a reload

CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public;

-- Verbatim from Heroku Connect. 'base64' (the default) = a user session; Connect's worker
-- sets xmlbinary to another value ('hex') so that its own writes are not logged.
CREATE OR REPLACE FUNCTION public.get_xmlbinary() RETURNS character varying
    LANGUAGE plpgsql
    AS $$
    DECLARE xmlbin varchar;
    BEGIN
        select into xmlbin setting from pg_settings where name='xmlbinary';
        RETURN xmlbin;
    END;
$$;

CREATE SCHEMA IF NOT EXISTS hcemu;
COMMENT ON SCHEMA hcemu IS 'Heroku Connect emulation installers (Tests/Emulation/hcemu.sql)';

------------------------------------------------------------------------------------------
-- Helpers
------------------------------------------------------------------------------------------

-- Always double-quoted identifier, the way Heroku Connect writes the schema in its
-- function bodies ("org"."_trigger_log"); equals quote_ident() output for names that need
-- quoting.
CREATE OR REPLACE FUNCTION hcemu.qi(name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $fn$ SELECT '"' || replace(name, '"', '""') || '"' $fn$;

-- The 18-character case-safe form of a 15-character Salesforce id: appends the 3-character
-- checksum (one character per 5-character chunk, bit i set when character i is A-Z).
CREATE OR REPLACE FUNCTION hcemu.sfid18(id15 text) RETURNS character varying
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $fn$
DECLARE
    suffix text := '';
    bits integer;
    c integer;
BEGIN
    IF length(id15) <> 15 THEN
        RAISE EXCEPTION 'hcemu.sfid18: expected 15 characters, got %', quote_literal(id15);
    END IF;
    FOR chunk IN 0..2 LOOP
        bits := 0;
        FOR i IN 0..4 LOOP
            c := ascii(substr(id15, chunk * 5 + i + 1, 1));
            IF c BETWEEN 65 AND 90 THEN
                bits := bits | (1 << i);
            END IF;
        END LOOP;
        suffix := suffix || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', bits + 1, 1);
    END LOOP;
    RETURN id15 || suffix;
END;
$fn$;

-- A deterministic, well-formed 18-character Salesforce id: 3-character key prefix
-- ('001' account, '003' contact, '006' opportunity, '005' user, '00D' org), pod '5e',
-- '0000', six base-62 characters derived from n (a bijection for 0 <= n < 62^6), and the
-- real checksum suffix, e.g. hcemu.sfid('001', 1) = '0015e00000042stAAA'.
CREATE OR REPLACE FUNCTION hcemu.sfid(prefix text, n bigint) RETURNS character varying
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $fn$
DECLARE
    alphabet constant text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    -- 62^6 = 56800235584; the multiplier 48271 is coprime to 62
    m bigint := ((abs(n) % 56800235584) * 48271 + 916132) % 56800235584;
    body text := '';
BEGIN
    IF length(prefix) <> 3 THEN
        RAISE EXCEPTION 'hcemu.sfid: key prefix must have 3 characters, got %', quote_literal(prefix);
    END IF;
    FOR i IN 1..6 LOOP
        body := substr(alphabet, (m % 62)::integer + 1, 1) || body;
        m := m / 62;
    END LOOP;
    RETURN hcemu.sfid18(prefix || '5e0000' || body);
END;
$fn$;

-- Deterministic pseudo-random number in [0, 1) for (n, k); inlinable, used by generate_log.
CREATE OR REPLACE FUNCTION hcemu.u(n bigint, k integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $fn$ SELECT (hashint8(n * 64 + k)::bigint & 2147483647)::double precision / 2147483648.0 $fn$;

------------------------------------------------------------------------------------------
-- hcemu.create_connection(schema_name): the connection-wide objects.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.create_connection(schema_name text) RETURNS void
    LANGUAGE plpgsql
    SET client_min_messages = warning
    AS $fn$
DECLARE
    s  text;   -- schema as identifier for DDL, format('%I')
    qs text;   -- schema always double-quoted, for function bodies (as Connect writes it)
    body text;
BEGIN
    IF schema_name IS NULL OR schema_name = '' THEN
        RAISE EXCEPTION 'hcemu.create_connection: schema name must not be empty';
    END IF;
    s := format('%I', schema_name);
    qs := hcemu.qi(schema_name);

    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %s', s);

    -- _trigger_log ------------------------------------------------------------------
    EXECUTE format($ddl$
        CREATE TABLE IF NOT EXISTS %1$s._trigger_log (
            id integer NOT NULL,
            txid bigint,
            created_at timestamp with time zone DEFAULT now(),
            updated_at timestamp with time zone DEFAULT now(),
            processed_at timestamp with time zone,
            processed_tx bigint,
            state character varying(8),
            action character varying(7),
            table_name character varying(128),
            record_id integer,
            sfid character varying(18),
            old text,
            "values" text,
            sf_result integer,
            sf_message text,
            CONSTRAINT _trigger_log_pkey PRIMARY KEY (id)
        )$ddl$, s);
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %1$s._trigger_log_id_seq AS integer'
                   ' START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1', s);
    EXECUTE format('ALTER SEQUENCE %1$s._trigger_log_id_seq OWNED BY %1$s._trigger_log.id', s);
    EXECUTE format('ALTER TABLE ONLY %1$s._trigger_log ALTER COLUMN id SET DEFAULT nextval(%2$L::regclass)',
                   s, s || '._trigger_log_id_seq');
    EXECUTE format('CREATE INDEX IF NOT EXISTS _trigger_log_idx_created_at ON %1$s._trigger_log USING btree (created_at)', s);
    EXECUTE format('CREATE INDEX IF NOT EXISTS _trigger_log_idx_state_id ON %1$s._trigger_log USING btree (state, id)', s);
    EXECUTE format('CREATE INDEX IF NOT EXISTS _trigger_log_idx_state_table_name ON %1$s._trigger_log USING btree (state, table_name)'
                   ' WHERE (((state)::text = ''NEW''::text) OR ((state)::text = ''PENDING''::text))', s);

    -- _trigger_log_archive: same columns, no defaults, no sequence --------------------
    EXECUTE format($ddl$
        CREATE TABLE IF NOT EXISTS %1$s._trigger_log_archive (
            id integer NOT NULL,
            txid bigint,
            created_at timestamp with time zone,
            updated_at timestamp with time zone,
            processed_at timestamp with time zone,
            processed_tx bigint,
            state character varying(8),
            action character varying(7),
            table_name character varying(128),
            record_id integer,
            sfid character varying(18),
            old text,
            "values" text,
            sf_result integer,
            sf_message text,
            CONSTRAINT _trigger_log_archive_pkey PRIMARY KEY (id)
        )$ddl$, s);
    EXECUTE format('CREATE INDEX IF NOT EXISTS _trigger_log_archive_idx_created_at ON %1$s._trigger_log_archive USING btree (created_at)', s);
    EXECUTE format('CREATE INDEX IF NOT EXISTS _trigger_log_archive_idx_record_id ON %1$s._trigger_log_archive USING btree (record_id)', s);
    EXECUTE format('CREATE INDEX IF NOT EXISTS _trigger_log_archive_idx_state_table_name ON %1$s._trigger_log_archive USING btree (state, table_name)'
                   ' WHERE ((state)::text = ''FAILED''::text)', s);

    -- _hcmeta -------------------------------------------------------------------------
    EXECUTE format($ddl$
        CREATE TABLE IF NOT EXISTS %1$s._hcmeta (
            id integer NOT NULL,
            hcver integer,
            org_id character varying(50),
            details text,
            CONSTRAINT _hcmeta_pkey PRIMARY KEY (id)
        )$ddl$, s);
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %1$s._hcmeta_id_seq AS integer'
                   ' START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1', s);
    EXECUTE format('ALTER SEQUENCE %1$s._hcmeta_id_seq OWNED BY %1$s._hcmeta.id', s);
    EXECUTE format('ALTER TABLE ONLY %1$s._hcmeta ALTER COLUMN id SET DEFAULT nextval(%2$L::regclass)',
                   s, s || '._hcmeta_id_seq');
    EXECUTE format('INSERT INTO %1$s._hcmeta (hcver, org_id) SELECT 11, %2$L'
                   ' WHERE NOT EXISTS (SELECT 1 FROM %1$s._hcmeta)', s, hcemu.sfid('00D', 4711));

    -- _sf_event_log -------------------------------------------------------------------
    EXECUTE format($ddl$
        CREATE TABLE IF NOT EXISTS %1$s._sf_event_log (
            id integer NOT NULL,
            table_name character varying(128),
            action character varying(7),
            synced_at timestamp with time zone DEFAULT now(),
            sf_timestamp timestamp with time zone,
            sfid character varying(20),
            record text,
            processed boolean,
            CONSTRAINT _sf_event_log_pkey PRIMARY KEY (id)
        )$ddl$, s);
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %1$s._sf_event_log_id_seq AS integer'
                   ' START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1', s);
    EXECUTE format('ALTER SEQUENCE %1$s._sf_event_log_id_seq OWNED BY %1$s._sf_event_log.id', s);
    EXECUTE format('ALTER TABLE ONLY %1$s._sf_event_log ALTER COLUMN id SET DEFAULT nextval(%2$L::regclass)',
                   s, s || '._sf_event_log_id_seq');
    EXECUTE format('CREATE INDEX IF NOT EXISTS idx__sf_event_log_comp_key ON %1$s._sf_event_log USING btree (table_name, synced_at)', s);
    EXECUTE format('CREATE INDEX IF NOT EXISTS idx__sf_event_log_sfid ON %1$s._sf_event_log USING btree (sfid)', s);

    -- tlog_notify_trigger: wakes Connect (and any LISTENer) on every new live row -------
    body := format($body$
            DECLARE
             BEGIN
               -- VERSION 1 --
               PERFORM pg_notify(%1$s, 'ping');
               RETURN new;
             END;
            $body$, quote_literal(schema_name || '.hc_trigger_log'));
    EXECUTE format('CREATE OR REPLACE FUNCTION %1$s.tlog_notify_trigger() RETURNS trigger LANGUAGE plpgsql AS %2$L', s, body);
    EXECUTE format('CREATE OR REPLACE TRIGGER tlog_insert_trigger AFTER INSERT ON %1$s._trigger_log'
                   ' FOR EACH ROW EXECUTE FUNCTION %1$s.tlog_notify_trigger()', s);

    -- hc_capture_insert_from_row (VERSION 1) ------------------------------------------
    body := format($body$
        DECLARE
            excluded_cols_standard text[] = ARRAY['_hc_lastop', '_hc_err']::text[];
            retval int;
        BEGIN
            -- VERSION 1 --
            IF (source_row -> 'id') IS NULL THEN
                -- source_row is required to have an int id value
                RETURN NULL;
            END IF;
            excluded_cols_standard := array_remove(
                array_remove(excluded_cols, 'id'), 'sfid') || excluded_cols_standard;
            INSERT INTO %1$s."_trigger_log" (
                action, table_name, txid, created_at, state, record_id, values)
            VALUES (
                'INSERT', table_name, txid_current(), clock_timestamp(), 'NEW',
                (source_row -> 'id')::int,
                source_row - excluded_cols_standard
            ) RETURNING id INTO retval;
            RETURN retval;
        END;
        $body$, qs);
    EXECUTE format('CREATE OR REPLACE FUNCTION %1$s.hc_capture_insert_from_row('
                   'source_row public.hstore, table_name character varying, excluded_cols text[] DEFAULT ARRAY[]::text[])'
                   ' RETURNS integer LANGUAGE plpgsql AS %2$L', s, body);

    -- hc_capture_update_from_row (VERSION 1) ------------------------------------------
    body := format($body$
        DECLARE
            excluded_cols_standard text[] = ARRAY['_hc_lastop', '_hc_err']::text[];
            excluded_cols text[];
            retval int;
        BEGIN
            -- VERSION 1 --
            IF (source_row -> 'id') IS NULL THEN
                -- source_row is required to have an int id value
                RETURN NULL;
            END IF;
            IF array_length(columns_to_include, 1) <> 0 THEN
                excluded_cols := array(
                    select skeys(source_row)
                    except
                    select unnest(columns_to_include)
                );
            END IF;
            excluded_cols_standard := excluded_cols || excluded_cols_standard;
            INSERT INTO %1$s."_trigger_log" (
                action, table_name, txid, created_at, state, record_id, sfid, values, old)
            VALUES (
                'UPDATE', table_name, txid_current(), clock_timestamp(), 'NEW',
                (source_row -> 'id')::int, source_row -> 'sfid',
                source_row - excluded_cols_standard, NULL
            ) RETURNING id INTO retval;
            RETURN retval;
        END;
        $body$, qs);
    EXECUTE format('CREATE OR REPLACE FUNCTION %1$s.hc_capture_update_from_row('
                   'source_row public.hstore, table_name character varying, columns_to_include text[] DEFAULT ARRAY[]::text[])'
                   ' RETURNS integer LANGUAGE plpgsql AS %2$L', s, body);
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.map_table(schema_name, table_name, columns, read_only): one mapped object.
-- `columns` is a raw SQL fragment of column definitions (trusted input), e.g.
-- 'name varchar(255), billingcity varchar(40)'; it may be '' or NULL.
-- Three steps: the table (the caller's columns, then Connect's own), its id sequence and
-- indexes (hcemu.add_id_sequence_and_indexes), and Connect's triggers (hcemu.attach_mapping).
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.map_table(schema_name text, table_name text, columns text,
                                           read_only boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql
    SET client_min_messages = warning
    AS $fn$
DECLARE
    t  text;
    cols text := coalesce(nullif(btrim(columns), ''), '');
BEGIN
    IF table_name IS NULL OR table_name = '' THEN
        RAISE EXCEPTION 'hcemu.map_table: table name must not be empty';
    END IF;
    IF to_regclass(format('%I._trigger_log', schema_name)) IS NULL THEN
        RAISE EXCEPTION 'hcemu.map_table: schema % holds no connection; call hcemu.create_connection first',
            quote_ident(schema_name);
    END IF;
    t  := format('%I.%I', schema_name, table_name);
    IF cols <> '' THEN
        cols := cols || ',';
    END IF;

    EXECUTE format($ddl$
        CREATE TABLE IF NOT EXISTS %1$s (
            %2$s
            createddate timestamp without time zone,
            systemmodstamp timestamp without time zone,
            isdeleted boolean,
            sfid character varying(18),
            id integer NOT NULL,
            _hc_lastop character varying(32),
            _hc_err text,
            CONSTRAINT %3$I PRIMARY KEY (id)
        )$ddl$, t, cols, table_name || '_pkey');
    PERFORM hcemu.add_id_sequence_and_indexes(schema_name, table_name);
    PERFORM hcemu.attach_mapping(schema_name, table_name, read_only);
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.add_id_sequence_and_indexes(schema_name, table_name): what every mapped table has
-- besides its columns: the sequence <table>_id_seq (AS integer, owned by id and its
-- default) and the indexes hcu_idx_<table>_sfid (unique, on sfid) and
-- hc_idx_<table>_systemmodstamp. The table needs id, sfid and systemmodstamp columns.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.add_id_sequence_and_indexes(schema_name text, table_name text) RETURNS void
    LANGUAGE plpgsql
    SET client_min_messages = warning
    AS $fn$
DECLARE
    t   text := format('%I.%I', schema_name, table_name);
    seq text := format('%I.%I', schema_name, table_name || '_id_seq');
BEGIN
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %1$s AS integer'
                   ' START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1', seq);
    EXECUTE format('ALTER SEQUENCE %1$s OWNED BY %2$s.id', seq, t);
    EXECUTE format('ALTER TABLE ONLY %1$s ALTER COLUMN id SET DEFAULT nextval(%2$L::regclass)', t, seq);
    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %1$I ON %2$s USING btree (sfid)',
                   'hcu_idx_' || table_name || '_sfid', t);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %1$I ON %2$s USING btree (systemmodstamp)',
                   'hc_idx_' || table_name || '_systemmodstamp', t);
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.attach_mapping(schema_name, table_name, read_only): makes an EXISTING table of a
-- connection's schema a mapping, as Connect does: the functions hc_<table>_status and
-- hc_<table>_logger and their triggers hc_<table>_status_trigger (BEFORE INSERT OR
-- UPDATE) and hc_<table>_logtrigger (AFTER INSERT OR DELETE OR UPDATE, only in a user
-- session: WHEN get_xmlbinary() = 'base64'). A read-write mapping's logger writes NEW
-- (IGNORE for an UPDATE that changed nothing and a DELETE of a row without sfid), a
-- read-only mapping's writes READONLY. The table's DDL is the caller's (a test creates
-- any shape, then attaches); the triggers need its id, sfid, _hc_lastop and _hc_err
-- columns. Calling it again replaces functions and triggers (and so can switch a mapping
-- between read-write and read-only). Raises on a schema without a connection, a missing
-- table and a missing column.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.attach_mapping(schema_name text, table_name text,
                                                read_only boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql
    SET client_min_messages = warning
    AS $fn$
DECLARE
    s  text;
    qs text;
    t  text;
    missing text;
    logger text;
    status text;
BEGIN
    IF to_regclass(format('%I._trigger_log', schema_name)) IS NULL THEN
        RAISE EXCEPTION 'hcemu.attach_mapping: schema % holds no connection; call hcemu.create_connection first',
            quote_ident(schema_name);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = schema_name AND c.relname = table_name AND c.relkind IN ('r', 'p')) THEN
        RAISE EXCEPTION 'hcemu.attach_mapping: schema % has no table %',
            quote_ident(schema_name), quote_ident(coalesce(table_name, 'NULL'));
    END IF;
    s  := format('%I', schema_name);
    qs := hcemu.qi(schema_name);
    t  := format('%I.%I', schema_name, table_name);
    SELECT string_agg(r.col, ', ' ORDER BY r.ord) INTO missing
      FROM unnest(ARRAY['id', 'sfid', '_hc_lastop', '_hc_err']) WITH ORDINALITY AS r(col, ord)
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = t::regclass AND a.attname = r.col AND a.attnum > 0 AND NOT a.attisdropped);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'hcemu.attach_mapping: table % lacks the column(s) Connect needs: %', t, missing;
    END IF;

    -- hc_<table>_status (verbatim) ------------------------------------------------------
    status := $body$
                    BEGIN
                      IF (get_xmlbinary() = 'base64') THEN  -- user op
                        NEW._hc_lastop = 'PENDING';
                        NEW._hc_err = NULL;
                        RETURN NEW;
                      ELSE  -- connect op
                        IF (TG_OP = 'UPDATE' AND NEW._hc_lastop IS NOT NULL AND NEW._hc_lastop != OLD._hc_lastop) THEN
                            RETURN NEW;
                        END IF;
                        NEW._hc_lastop = 'SYNCED';
                        NEW._hc_err = NULL;
                        RETURN NEW;
                      END IF;
                    END;
                 $body$;

    -- hc_<table>_logger (VERSION 4) --------------------------------------------------------
    IF read_only THEN
        logger := format($body$
        DECLARE
            trigger_row %1$s."_trigger_log";
            excluded_cols text[] = ARRAY['_hc_lastop', '_hc_err']::text[];
        BEGIN
            -- VERSION 4 --
            trigger_row = ROW();
            trigger_row.id = nextval(%2$s);
            trigger_row.action = TG_OP::text;
            trigger_row.table_name = TG_TABLE_NAME::text;
            trigger_row.txid = txid_current();
            trigger_row.created_at = clock_timestamp();
            trigger_row.state = 'READONLY';
            IF (TG_OP = 'DELETE') THEN
                trigger_row.record_id = OLD.id;
                trigger_row.old = hstore(OLD.*) - excluded_cols;
                IF (OLD.sfid IS NOT NULL) THEN
                    trigger_row.sfid = OLD.sfid;
                END IF;
            ELSEIF (TG_OP = 'INSERT') THEN
                trigger_row.record_id = NEW.id;
                trigger_row.values = hstore(NEW.*) - excluded_cols;
            ELSEIF (TG_OP = 'UPDATE') THEN
                trigger_row.record_id = NEW.id;
                trigger_row.old = hstore(OLD.*) - excluded_cols;
                trigger_row.values = (hstore(NEW.*) - hstore(trigger_row.old)) - excluded_cols;
                IF (OLD.sfid IS NOT NULL) THEN
                    trigger_row.sfid = OLD.sfid;
                END IF;
            END IF;
            INSERT INTO %1$s."_trigger_log" VALUES (trigger_row.*);
            RETURN NULL;
        END;
        $body$, qs, quote_literal(qs || '."_trigger_log_id_seq"'));
    ELSE
        logger := format($body$
        DECLARE
            trigger_row %1$s."_trigger_log";
            excluded_cols text[] = ARRAY['_hc_lastop', '_hc_err']::text[];
        BEGIN
            -- VERSION 4 --
            trigger_row = ROW();
            trigger_row.id = nextval(%2$s);
            trigger_row.action = TG_OP::text;
            trigger_row.table_name = TG_TABLE_NAME::text;
            trigger_row.txid = txid_current();
            trigger_row.created_at = clock_timestamp();
            trigger_row.state = 'NEW';
            IF (TG_OP = 'DELETE') THEN
                trigger_row.record_id = OLD.id;
                trigger_row.old = hstore(OLD.*) - excluded_cols;
                IF (OLD.sfid IS NOT NULL) THEN
                    trigger_row.sfid = OLD.sfid;
                ELSE
                    trigger_row.state = 'IGNORE';
                END IF;
            ELSEIF (TG_OP = 'INSERT') THEN
                trigger_row.record_id = NEW.id;
                trigger_row.values = hstore(NEW.*) - excluded_cols;
            ELSEIF (TG_OP = 'UPDATE') THEN
                trigger_row.record_id = NEW.id;
                trigger_row.old = hstore(OLD.*) - excluded_cols;
                trigger_row.values = (hstore(NEW.*) - hstore(trigger_row.old)) - excluded_cols;
                IF (trigger_row.values = '') THEN
                    -- nothing changed, ignore
                    trigger_row.state = 'IGNORE';
                END IF;
                IF (OLD.sfid IS NOT NULL) THEN
                    trigger_row.sfid = OLD.sfid;
                END IF;
            END IF;
            INSERT INTO %1$s."_trigger_log" VALUES (trigger_row.*);
            RETURN NULL;
        END;
        $body$, qs, quote_literal(qs || '."_trigger_log_id_seq"'));
    END IF;

    EXECUTE format('CREATE OR REPLACE FUNCTION %1$s.%2$I() RETURNS trigger LANGUAGE plpgsql AS %3$L',
                   s, 'hc_' || table_name || '_status', status);
    EXECUTE format('CREATE OR REPLACE FUNCTION %1$s.%2$I() RETURNS trigger LANGUAGE plpgsql AS %3$L',
                   s, 'hc_' || table_name || '_logger', logger);
    EXECUTE format('CREATE OR REPLACE TRIGGER %1$I BEFORE INSERT OR UPDATE ON %2$s'
                   ' FOR EACH ROW EXECUTE FUNCTION %3$s.%4$I()',
                   'hc_' || table_name || '_status_trigger', t, s, 'hc_' || table_name || '_status');
    EXECUTE format('CREATE OR REPLACE TRIGGER %1$I AFTER INSERT OR DELETE OR UPDATE ON %2$s'
                   ' FOR EACH ROW WHEN ((public.get_xmlbinary())::text = ''base64''::text)'
                   ' EXECUTE FUNCTION %3$s.%4$I()',
                   'hc_' || table_name || '_logtrigger', t, s, 'hc_' || table_name || '_logger');
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.standard_columns(table_name): the columns (a fragment for hcemu.map_table) of the
-- standard connection's mappings account, contact, opportunity and "user", shared by the
-- installers that build them. Raises on any other name.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.standard_columns(table_name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    AS $fn$
BEGIN
    CASE table_name
    WHEN 'account' THEN
        RETURN 'name character varying(255), accountnumber character varying(40),'
               ' billingcity character varying(40), billingcountry character varying(80),'
               ' phone character varying(40), industry character varying(40),'
               ' numberofemployees integer, annualrevenue double precision,'
               ' external_id__c character varying(255), description text,'
               ' ownerid character varying(18), lastmodifieddate timestamp without time zone';
    WHEN 'contact' THEN
        RETURN 'firstname character varying(40), lastname character varying(80),'
               ' email character varying(80), phone character varying(40),'
               ' title character varying(128), accountid character varying(18),'
               ' mailingcity character varying(40), external_id__c character varying(255)';
    WHEN 'opportunity' THEN
        RETURN 'name character varying(120), stagename character varying(255),'
               ' amount double precision, closedate date, probability double precision,'
               ' accountid character varying(18)';
    WHEN 'user' THEN
        RETURN 'username character varying(80), email character varying(128),'
               ' firstname character varying(40), lastname character varying(80),'
               ' alias character varying(8), isactive boolean';
    ELSE
        RAISE EXCEPTION 'hcemu.standard_columns: table % is not one of the standard mappings (account, contact, opportunity, user)',
            quote_literal(coalesce(table_name, 'NULL'));
    END CASE;
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.map_standard_tables(schema_name, read_only): the standard connection's four
-- mappings in a connection's schema. account, contact and opportunity are read-only when
-- read_only is true, read-write otherwise; "user" is read-only either way.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.map_standard_tables(schema_name text, read_only boolean) RETURNS void
    LANGUAGE plpgsql
    AS $fn$
BEGIN
    PERFORM hcemu.map_table(schema_name, 'account', hcemu.standard_columns('account'), read_only);
    PERFORM hcemu.map_table(schema_name, 'contact', hcemu.standard_columns('contact'), read_only);
    PERFORM hcemu.map_table(schema_name, 'opportunity', hcemu.standard_columns('opportunity'), read_only);
    -- a reserved word on purpose, and a read-only mapping
    PERFORM hcemu.map_table(schema_name, 'user', hcemu.standard_columns('user'), true);
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.create_standard_connection(schema_name): a connection with four mappings,
-- account, contact and opportunity read-write, "user" read-only.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.create_standard_connection(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $fn$
BEGIN
    PERFORM hcemu.create_connection(schema_name);
    PERFORM hcemu.map_standard_tables(schema_name, false);
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.create_readonly_connection(schema_name): a connection that is read-only as a
-- whole: the standard connection's four tables and columns, every mapping read-only, so
-- every logger writes READONLY (Connect takes no action on those rows).
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.create_readonly_connection(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $fn$
BEGIN
    PERFORM hcemu.create_connection(schema_name);
    PERFORM hcemu.map_standard_tables(schema_name, true);
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.create_legacy_connection(schema_name): the standard connection as an older
-- connection has it: _trigger_log_id_seq is a bigint sequence (created without AS integer,
-- so its maximum is 9223372036854775807), still owned by _trigger_log.id and still its
-- default; the id column stays integer, and everything else is the standard connection.
-- ALTER SEQUENCE ... AS bigint NO MAXVALUE leaves the catalog as CREATE SEQUENCE without AS
-- does (type bigint, bigint's maximum); NO MAXVALUE says so rather than relying on
-- PostgreSQL raising a maximum that was integer's.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.create_legacy_connection(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $fn$
BEGIN
    PERFORM hcemu.create_standard_connection(schema_name);
    EXECUTE format('ALTER SEQUENCE %I._trigger_log_id_seq AS bigint NO MAXVALUE', schema_name);
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.create_variant_connection(schema_name): a connection with the shapes of real
-- dumps, all in one schema; the connection-wide objects are hcemu.create_connection's.
--   account      the standard read-write mapping, plus the unique external-id index
--                hcu_idx_account_external_id__c on external_id__c.
--   contact      a read-write mapping with the application's own DDL: columns firstname,
--                lastname, email, accountid, extra_life_id__c, createddate, systemmodstamp,
--                sfid (NOT NULL), id, _hc_lastop, _hc_err, then app_notes text and
--                app_score integer (added by the application after _hc_err); no isdeleted.
--                Constraints contact_pkey PRIMARY KEY (id, sfid), contact_sfid_id_key
--                UNIQUE (sfid, id), contact_accountid_fkey FOREIGN KEY (accountid)
--                REFERENCES account (sfid) ON DELETE RESTRICT; indexes hcu_idx_contact_sfid
--                and hc_idx_contact_systemmodstamp as on every mapping, and the unique
--                external-id index hcu_idx_contact_extra_life_id__c on extra_life_id__c;
--                id defaults to its own contact_id_seq.
--   lead         a read-write mapping that lost its log trigger (a dropped or paused
--                mapping, as dumps show it): hc_lead_status_trigger and the function
--                hc_lead_logger() remain, hc_lead_logtrigger does not, so user writes are
--                not logged.
--   app_setting  an application table that is not a mapping: id (serial, app_setting_pkey),
--                name, value and sfid, but no _hc_lastop/_hc_err and no triggers.
-- A mapping deleted while its entries remain in both logs is not built here: the tests
-- write those log rows themselves, with table_name 'el_history__c' (a table that does not
-- exist). hcemu.generate_records works on account only (contact's columns differ).
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.create_variant_connection(schema_name text) RETURNS void
    LANGUAGE plpgsql
    SET client_min_messages = warning
    AS $fn$
DECLARE
    s text;
BEGIN
    PERFORM hcemu.create_connection(schema_name);
    s := format('%I', schema_name);

    PERFORM hcemu.map_table(schema_name, 'account', hcemu.standard_columns('account'), false);
    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS hcu_idx_account_external_id__c ON %1$s.account'
                   ' USING btree (external_id__c)', s);

    EXECUTE format($ddl$
        CREATE TABLE IF NOT EXISTS %1$s.contact (
            firstname character varying(40),
            lastname character varying(80),
            email character varying(80),
            accountid character varying(18),
            extra_life_id__c character varying(255),
            createddate timestamp without time zone,
            systemmodstamp timestamp without time zone,
            sfid character varying(18) NOT NULL,
            id integer NOT NULL,
            _hc_lastop character varying(32),
            _hc_err text,
            app_notes text,
            app_score integer,
            CONSTRAINT contact_pkey PRIMARY KEY (id, sfid),
            CONSTRAINT contact_sfid_id_key UNIQUE (sfid, id),
            CONSTRAINT contact_accountid_fkey FOREIGN KEY (accountid)
                REFERENCES %1$s.account (sfid) ON DELETE RESTRICT
        )$ddl$, s);
    PERFORM hcemu.add_id_sequence_and_indexes(schema_name, 'contact');
    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS hcu_idx_contact_extra_life_id__c ON %1$s.contact'
                   ' USING btree (extra_life_id__c)', s);
    PERFORM hcemu.attach_mapping(schema_name, 'contact', false);

    PERFORM hcemu.map_table(schema_name, 'lead',
        'firstname character varying(40), lastname character varying(80),'
        ' company character varying(255), email character varying(80)');
    EXECUTE format('DROP TRIGGER IF EXISTS hc_lead_logtrigger ON %1$s.lead', s);

    EXECUTE format($ddl$
        CREATE TABLE IF NOT EXISTS %1$s.app_setting (
            id serial,
            name character varying(80) NOT NULL,
            value text,
            sfid character varying(18),
            CONSTRAINT app_setting_pkey PRIMARY KEY (id)
        )$ddl$, s);
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.drop_connection(schema_name)
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.drop_connection(schema_name text) RETURNS void
    LANGUAGE plpgsql
    SET client_min_messages = warning
    AS $fn$
BEGIN
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', schema_name);
END;
$fn$;

-- Raises `<caller>: schema <name> holds no connection` unless the schema has both log
-- tables: the generators' common check of their schema argument.
CREATE OR REPLACE FUNCTION hcemu.require_log_tables(schema_name text, caller text) RETURNS void
    LANGUAGE plpgsql STABLE
    AS $fn$
BEGIN
    IF to_regclass(format('%I._trigger_log', schema_name)) IS NULL
       OR to_regclass(format('%I._trigger_log_archive', schema_name)) IS NULL THEN
        RAISE EXCEPTION '%: schema % holds no connection', caller, quote_ident(schema_name);
    END IF;
END
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.generate_log(schema_name, archived, live, failed_fraction): a large, realistic,
-- deterministic log for plan checks and benchmarks, set-based.
--
-- * `archived` rows go to _trigger_log_archive with ids base+1 .. base+archived, created
--   30..2 days ago: SUCCESS, FAILED (failed_fraction), and ~1% IGNORED, ~2% MERGED,
--   ~0.5% REQUEUED.
-- * `live` rows go to _trigger_log with the following ids, created in the last 2 days:
--   FAILED (failed_fraction), and of the rest ~35% NEW, ~10% PENDING, ~55% SUCCESS.
--   The id sequence is set past them.
-- base is the highest id already present in either table (0 on a fresh connection).
-- Tables account (45%), contact (40%), opportunity (15%); actions INSERT 25%, UPDATE 65%,
-- DELETE 10%. `values`/`old` are hstore text shaped like the loggers' output (INSERT: all
-- columns, sfid NULL; UPDATE: 1-2 changed columns + the full old row; DELETE: old only),
-- with some NULLs, commas, quotes, "=>", a backslash, newlines and non-ASCII text.
-- record_id ranges over a per-table record space (about total/50 accounts, total/20
-- contacts, total/100 opportunities) so that records have histories; sfid is the record's
-- hcemu.sfid() on UPDATE/DELETE rows. created_at grows with id. Processed rows (not NEW or
-- PENDING) have processed_at = updated_at = created_at + 20 s..10 min and a processed_tx;
-- sf_result is 1 on FAILED and 0 on SUCCESS rows; FAILED and IGNORED rows carry a
-- Salesforce error in sf_message. The rows are a pure function of (ids, arguments), apart
-- from timestamps relative to now(). The mapped tables themselves are not touched.
-- Both tables are ANALYZEd at the end.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.generate_log(schema_name text, archived integer, live integer,
                                              failed_fraction double precision DEFAULT 0.1) RETURNS void
    LANGUAGE plpgsql
    -- hash joins keep the generated (id) order, so no sort is needed and the tables come out
    -- physically ordered by id and created_at, like a real log
    SET enable_mergejoin = off
    SET work_mem = '64MB'
    AS $fn$
DECLARE
    s text;
    base bigint;
    total bigint;
    n_account integer;
    n_contact integer;
    n_opportunity integer;
    seq text;
    gen text;
BEGIN
    IF archived IS NULL OR live IS NULL OR archived < 0 OR live < 0 THEN
        RAISE EXCEPTION 'hcemu.generate_log: archived and live must be >= 0';
    END IF;
    IF failed_fraction IS NULL OR failed_fraction < 0 OR failed_fraction > 1 THEN
        RAISE EXCEPTION 'hcemu.generate_log: failed_fraction must be between 0 and 1';
    END IF;
    PERFORM hcemu.require_log_tables(schema_name, 'hcemu.generate_log');
    s := format('%I', schema_name);
    EXECUTE format('SELECT greatest((SELECT coalesce(max(id), 0) FROM %1$s._trigger_log),'
                   ' (SELECT coalesce(max(id), 0) FROM %1$s._trigger_log_archive))', s)
        INTO base;
    total := archived::bigint + live;
    IF base + total > 2147483647 THEN
        RAISE EXCEPTION 'hcemu.generate_log: ids would overflow integer';
    END IF;
    -- record-id space per table, shared by archive and live rows so histories overlap
    n_account     := greatest(50,  total / 50)::integer;
    n_contact     := greatest(100, total / 20)::integer;
    n_opportunity := greatest(30,  total / 100)::integer;

    -- $1 first id, $2 row count, $3 is archive, $4 failed fraction, $5 from, $6 to,
    -- $7/$8/$9 records per table (account/contact/opportunity)
    gen := $gen$
WITH sf AS MATERIALIZED (
    -- the Salesforce ids of the records the generated rows refer to
    SELECT x.tbl AS k_tbl, x.rec AS k_rec, hcemu.sfid(x.prefix, x.rec) AS k_sfid
    FROM (
        SELECT DISTINCT p.tbl, p.prefix, p.rec
        FROM (
            SELECT CASE WHEN hcemu.u($1 + i, 1) < 0.45 THEN 'account'
                        WHEN hcemu.u($1 + i, 1) < 0.85 THEN 'contact'
                        ELSE 'opportunity' END AS tbl,
                   CASE WHEN hcemu.u($1 + i, 1) < 0.45 THEN '001'
                        WHEN hcemu.u($1 + i, 1) < 0.85 THEN '003'
                        ELSE '006' END AS prefix,
                   1 + floor(hcemu.u($1 + i, 4) * CASE WHEN hcemu.u($1 + i, 1) < 0.45 THEN $7
                                                       WHEN hcemu.u($1 + i, 1) < 0.85 THEN $8
                                                       ELSE $9 END)::integer AS rec
            FROM generate_series(0::bigint, $2::bigint - 1) AS g(i)
            UNION ALL   -- accounts referenced by contacts and opportunities
            SELECT 'account', '001', a.rec FROM generate_series(1, least($7, greatest($2, 1))) AS a(rec)
        ) p
    ) x
),
r1 AS (
    SELECT ($1 + i)::integer AS id, i,
           hcemu.u($1 + i, 1) AS u_tbl,  hcemu.u($1 + i, 2) AS u_act,
           hcemu.u($1 + i, 3) AS u_st,   hcemu.u($1 + i, 4) AS u_rec,
           hcemu.u($1 + i, 5) AS u_var,  hcemu.u($1 + i, 6) AS u_msg,
           hcemu.u($1 + i, 7) AS u_time, hcemu.u($1 + i, 8) AS u_proc
    FROM generate_series(0::bigint, $2::bigint - 1) AS g(i)
    OFFSET 0
),
r2 AS (
    SELECT r1.*,
           CASE WHEN u_tbl < 0.45 THEN 'account' WHEN u_tbl < 0.85 THEN 'contact'
                ELSE 'opportunity' END AS tbl,
           CASE WHEN u_act < 0.25 THEN 'INSERT' WHEN u_act < 0.90 THEN 'UPDATE'
                ELSE 'DELETE' END AS act,
           CASE WHEN $3 THEN
                    CASE WHEN u_st < $4 THEN 'FAILED'
                         WHEN u_st < $4 + (1 - $4) * 0.010 THEN 'IGNORED'
                         WHEN u_st < $4 + (1 - $4) * 0.030 THEN 'MERGED'
                         WHEN u_st < $4 + (1 - $4) * 0.035 THEN 'REQUEUED'
                         ELSE 'SUCCESS' END
                ELSE
                    CASE WHEN u_st < $4 THEN 'FAILED'
                         WHEN u_st < $4 + (1 - $4) * 0.35 THEN 'NEW'
                         WHEN u_st < $4 + (1 - $4) * 0.45 THEN 'PENDING'
                         ELSE 'SUCCESS' END
           END AS st,
           1 + floor(u_rec * CASE WHEN u_tbl < 0.45 THEN $7 WHEN u_tbl < 0.85 THEN $8
                                  ELSE $9 END)::integer AS rec,
           floor(u_var * 4)::integer AS variant,
           $5::timestamptz + ($6::timestamptz - $5::timestamptz) * ((i + u_time) / greatest($2, 1)) AS ts,
           (1000000 + ($1 + i) / 3)::bigint AS tx
    FROM r1
    OFFSET 0
),
r3 AS (
    SELECT r2.*,
           CASE WHEN act <> 'INSERT' THEN s.k_sfid END AS rec_sfid,
           acc.k_sfid AS acc_sfid,
           -- stable per-record attributes
           (ARRAY['Acme','Globex','Initech','Umbrella','Stark Industries','Wayne Enterprises',
                  'Hooli','Vandelay Industries','Soylent','Tyrell'])[1 + rec % 10] || ' ' || rec AS acc_name,
           (ARRAY['Berlin','Munich','Paris','London','New York','San Francisco','Tokyo',
                  'São Paulo','Zürich','Toronto'])[1 + rec % 10] AS city,
           (ARRAY['Germany','Germany','France','United Kingdom','United States','United States',
                  'Japan','Brazil','Switzerland','Canada'])[1 + rec % 10] AS country,
           (ARRAY['Berlin','Munich','Paris','London','New York','San Francisco','Tokyo',
                  'São Paulo','Zürich','Toronto'])[1 + (rec + 1 + variant) % 10] AS city2,
           (ARRAY['Germany','Germany','France','United Kingdom','United States','United States',
                  'Japan','Brazil','Switzerland','Canada'])[1 + (rec + 1 + variant) % 10] AS country2,
           (ARRAY['Anna','Ben','Chloé','David','Emma','Felix','Grace','Hiro','Ines','Jamal'])[1 + rec % 10] AS fname,
           (ARRAY['Müller','Smith','O''Brien','Tanaka','García','Schmidt','Rossi','Dubois','Kowalski','Nguyen'])[1 + (rec / 10) % 10] AS lname,
           (timestamp '2023-01-02 08:00:00' + rec * interval '7 minutes 13 seconds') AS rec_created
    FROM r2
    LEFT JOIN sf s ON s.k_tbl = r2.tbl AND s.k_rec = r2.rec
    LEFT JOIN sf acc ON acc.k_tbl = 'account' AND acc.k_rec = 1 + r2.rec % least($7, greatest($2, 1))
    OFFSET 0
),
r4 AS (
    SELECT r3.*,
        CASE tbl
        WHEN 'account' THEN public.hstore(
            ARRAY['id','sfid','name','accountnumber','billingcity','billingcountry','phone','industry',
                  'numberofemployees','annualrevenue','external_id__c','description','ownerid',
                  'lastmodifieddate','createddate','systemmodstamp','isdeleted'],
            ARRAY[rec::text, rec_sfid, acc_name, 'AC-' || lpad(rec::text, 6, '0'), city, country,
                  CASE WHEN rec % 7 = 0 THEN NULL ELSE '+49 30 ' || lpad((rec * 7919 % 10000000)::text, 7, '0') END,
                  CASE WHEN rec % 5 = 0 THEN NULL
                       ELSE (ARRAY['Technology','Manufacturing','Retail','Banking','Healthcare',
                                   'Energy','Media','Education'])[1 + rec % 8] END,
                  (1 + rec * 37 % 5000)::text,
                  ((rec * 7919 % 100000) * 1000)::double precision::text,
                  'EXT-A-' || rec,
                  CASE WHEN rec % 11 = 0 THEN 'Key account, renewal due in Q3 => call "Anna" first'
                       WHEN rec % 13 = 0 THEN E'Line 1\nLine 2 with a backslash \\ and ünïcödé'
                       ELSE NULL END,
                  (ARRAY[hcemu.sfid('005', 1), hcemu.sfid('005', 2), hcemu.sfid('005', 3)])[1 + rec % 3],
                  CASE WHEN act = 'INSERT' THEN NULL ELSE (rec_created + interval '3 days')::text END,
                  CASE WHEN act = 'INSERT' THEN NULL ELSE rec_created::text END,
                  CASE WHEN act = 'INSERT' THEN NULL ELSE (rec_created + interval '3 days')::text END,
                  CASE WHEN act = 'INSERT' THEN NULL ELSE 'f' END])
        WHEN 'contact' THEN public.hstore(
            ARRAY['id','sfid','firstname','lastname','email','phone','title','accountid',
                  'mailingcity','external_id__c','createddate','systemmodstamp','isdeleted'],
            ARRAY[rec::text, rec_sfid, fname, lname,
                  lower(translate(fname || '.' || replace(lname, '''', ''), 'éüíáó', 'euiao')) || rec || '@example.com',
                  CASE WHEN rec % 4 = 0 THEN NULL ELSE '+1 415 555 ' || lpad((rec % 10000)::text, 4, '0') END,
                  (ARRAY['CEO','CTO','VP Sales','Buyer','Engineer',NULL,'Office Manager',NULL])[1 + rec % 8],
                  acc_sfid, city, 'EXT-C-' || rec,
                  CASE WHEN act = 'INSERT' THEN NULL ELSE rec_created::text END,
                  CASE WHEN act = 'INSERT' THEN NULL ELSE (rec_created + interval '1 day')::text END,
                  CASE WHEN act = 'INSERT' THEN NULL ELSE 'f' END])
        ELSE public.hstore(
            ARRAY['id','sfid','name','stagename','amount','closedate','probability','accountid',
                  'createddate','systemmodstamp','isdeleted'],
            ARRAY[rec::text, rec_sfid, acc_name || ' - ' || (ARRAY['Renewal','Upsell','New Business'])[1 + rec % 3],
                  (ARRAY['Prospecting','Qualification','Needs Analysis','Proposal/Price Quote',
                         'Negotiation/Review','Closed Won','Closed Lost'])[1 + rec % 7],
                  ((rec * 104729 % 500) * 100 + 5000)::double precision::text,
                  (date '2024-01-01' + (rec % 700))::text,
                  (ARRAY[10,20,25,75,90,100,0])[1 + rec % 7]::double precision::text,
                  acc_sfid,
                  CASE WHEN act = 'INSERT' THEN NULL ELSE rec_created::text END,
                  CASE WHEN act = 'INSERT' THEN NULL ELSE (rec_created + interval '2 days')::text END,
                  CASE WHEN act = 'INSERT' THEN NULL ELSE 'f' END])
        END AS fullrow
    FROM r3
    OFFSET 0
)
SELECT
    id,
    tx AS txid,
    ts AS created_at,
    CASE WHEN st IN ('NEW', 'PENDING') THEN NULL ELSE ts + (20 + u_proc * 600) * interval '1 second' END AS updated_at,
    CASE WHEN st IN ('NEW', 'PENDING') THEN NULL ELSE ts + (20 + u_proc * 600) * interval '1 second' END AS processed_at,
    CASE WHEN st IN ('NEW', 'PENDING') THEN NULL ELSE tx + 40000 + (u_proc * 1000)::bigint END AS processed_tx,
    st::character varying(8) AS state,
    act::character varying(7) AS action,
    tbl::character varying(128) AS table_name,
    rec AS record_id,
    rec_sfid::character varying(18) AS sfid,
    CASE WHEN act = 'INSERT' THEN NULL ELSE fullrow::text END AS old,
    CASE act
    WHEN 'INSERT' THEN fullrow::text
    WHEN 'DELETE' THEN NULL
    ELSE (CASE tbl
          WHEN 'account' THEN
              CASE variant
              WHEN 0 THEN public.hstore('phone', CASE WHEN id % 9 = 0 THEN NULL
                                                      ELSE '+49 89 ' || lpad((id % 10000000)::text, 7, '0') END)
              WHEN 1 THEN public.hstore(ARRAY['billingcity','billingcountry'], ARRAY[city2, country2])
              WHEN 2 THEN public.hstore('name', acc_name || ' GmbH')
              ELSE public.hstore(ARRAY['industry','numberofemployees'],
                                 ARRAY['Consulting', (2 + rec * 37 % 5000 + id % 50)::text])
              END
          WHEN 'contact' THEN
              CASE variant
              WHEN 0 THEN public.hstore('email', lower(left(fname, 1)) || rec || '.' || id || '@example.org')
              WHEN 1 THEN public.hstore('phone', CASE WHEN id % 9 = 0 THEN NULL
                                                      ELSE '+1 212 555 ' || lpad((id % 10000)::text, 4, '0') END)
              WHEN 2 THEN public.hstore('title', (ARRAY['Head of IT','CFO','Account Manager'])[1 + id % 3])
              ELSE public.hstore(ARRAY['mailingcity','phone'], ARRAY[city2, NULL])
              END
          ELSE
              CASE variant
              WHEN 0 THEN public.hstore(ARRAY['stagename','probability'], ARRAY['Closed Won', '100'])
              WHEN 1 THEN public.hstore('amount', ((id % 900) * 100 + 1000)::double precision::text)
              WHEN 2 THEN public.hstore('closedate', (date '2025-01-01' + (id % 365))::text)
              ELSE public.hstore('name', acc_name || ' - Expansion ' || (id % 100))
              END
          END)::text
    END AS "values",
    CASE st WHEN 'FAILED' THEN 1 WHEN 'SUCCESS' THEN 0 END AS sf_result,
    CASE WHEN st IN ('FAILED', 'IGNORED') THEN
        (ARRAY[
            'REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]',
            'DUPLICATE_VALUE: duplicate value found: External_Id__c duplicates value on record with id: 0015e00000AbCdEAAV',
            'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000XyZaBAAV',
            'FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required for customers in Germany',
            'INVALID_EMAIL_ADDRESS: Email: invalid email address: bob@@example.com',
            'STRING_TOO_LONG: Name: data value too large: ' || acc_name || ' International Holdings Worldwide Subsidiary Group of Companies (max length=80)',
            'ENTITY_IS_DELETED: entity is deleted',
            'INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id'
        ])[1 + floor(u_msg * 8)::integer]
    END AS sf_message
FROM r4
$gen$;

    IF archived > 0 THEN
        EXECUTE format('INSERT INTO %1$s._trigger_log_archive (id, txid, created_at, updated_at, processed_at,'
                       ' processed_tx, state, action, table_name, record_id, sfid, old, "values", sf_result, sf_message) %2$s',
                       s, gen)
            USING base + 1, archived, true, failed_fraction,
                  now() - interval '30 days', now() - interval '2 days',
                  n_account, n_contact, n_opportunity;
    END IF;
    IF live > 0 THEN
        EXECUTE format('INSERT INTO %1$s._trigger_log (id, txid, created_at, updated_at, processed_at,'
                       ' processed_tx, state, action, table_name, record_id, sfid, old, "values", sf_result, sf_message) %2$s',
                       s, gen)
            USING base + archived + 1, live, false, failed_fraction,
                  now() - interval '2 days', now() - interval '1 minute',
                  n_account, n_contact, n_opportunity;
    END IF;

    -- later inserts (loggers, capture procedures) continue after the generated ids
    seq := pg_get_serial_sequence(format('%s._trigger_log', s), 'id');
    IF seq IS NOT NULL AND base + total > 0 THEN
        PERFORM setval(seq, greatest(base + total, (SELECT last_value FROM pg_sequences
                                                   WHERE format('%I.%I', schemaname, sequencename) = seq)));
    END IF;

    EXECUTE format('ANALYZE %1$s._trigger_log_archive', s);
    EXECUTE format('ANALYZE %1$s._trigger_log', s);
END;
$fn$;

------------------------------------------------------------------------------------------
-- hcemu.generate_records(schema_name, table_name, n): n synced records in a mapped table
-- of the standard connection (account, contact, opportunity or "user"), for benchmarks and
-- capture tests, set-based and deterministic.
--
-- * The records get the ids after the table's highest id (1..n in an empty table), and the
--   table's id sequence is set past them, so later user inserts continue after them.
-- * They are written the way Heroku Connect's worker writes rows that come from
--   Salesforce: with xmlbinary set to 'hex' for the duration of the call, so the loggers
--   do not fire (no trigger log rows) and the status trigger marks them SYNCED.
-- * Every record has an sfid, hcemu.sfid(key prefix, id), and realistic values that are a
--   pure function of its id (names, cities, countries, phones, e-mails, amounts, dates;
--   some NULLs, quotes, commas, "=>", a backslash, newlines and non-ASCII text). They are
--   the values generate_log uses for the same record id: an account's row equals the
--   `old` of generate_log's UPDATE and DELETE entries for it (minus _hc_lastop/_hc_err).
-- * Contacts and opportunities point (accountid) at the sfid of an account id
--   1 + id % (highest account id), or NULL when the account table is empty.
-- n = 0 writes nothing. Raises on a NULL or negative n, a schema without a connection, a
-- table the schema does not have, a table other than the four standard ones, and ids
-- that would overflow integer. The table is ANALYZEd at the end.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.generate_records(schema_name text, table_name text, n integer) RETURNS void
    LANGUAGE plpgsql
    -- Heroku Connect's own writes: the loggers skip them (see public.get_xmlbinary)
    SET xmlbinary = 'hex'
    AS $fn$
DECLARE
    s text;
    t text;
    base bigint;
    accounts bigint := 0;
    seq text;
    gen text;
BEGIN
    IF n IS NULL OR n < 0 THEN
        RAISE EXCEPTION 'hcemu.generate_records: n must be >= 0';
    END IF;
    PERFORM hcemu.require_log_tables(schema_name, 'hcemu.generate_records');
    IF table_name IS NULL OR table_name NOT IN ('account', 'contact', 'opportunity', 'user') THEN
        RAISE EXCEPTION 'hcemu.generate_records: table % is not one of the standard mappings (account, contact, opportunity, user)',
            quote_literal(coalesce(table_name, 'NULL'));
    END IF;
    IF to_regclass(format('%I.%I', schema_name, table_name)) IS NULL THEN
        RAISE EXCEPTION 'hcemu.generate_records: schema % has no table %', quote_ident(schema_name), quote_ident(table_name);
    END IF;
    s := format('%I', schema_name);
    t := format('%I.%I', schema_name, table_name);
    EXECUTE format('SELECT coalesce(max(id), 0) FROM %s', t) INTO base;
    IF base + n > 2147483647 THEN
        RAISE EXCEPTION 'hcemu.generate_records: ids would overflow integer';
    END IF;
    IF n = 0 THEN
        RETURN;
    END IF;
    IF to_regclass(format('%s.account', s)) IS NOT NULL THEN
        EXECUTE format('SELECT coalesce(max(id), 0) FROM %s.account', s) INTO accounts;
    END IF;

    -- $1 first id, $2 count, $3 highest account id (0: none); rec is the bigint record id,
    -- the attributes follow generate_log's (acc_name, city, country, fname, lname, rec_created)
    gen := $gen$
        SELECT rec,
               (ARRAY['Acme','Globex','Initech','Umbrella','Stark Industries','Wayne Enterprises',
                      'Hooli','Vandelay Industries','Soylent','Tyrell'])[1 + rec % 10] || ' ' || rec AS acc_name,
               (ARRAY['Berlin','Munich','Paris','London','New York','San Francisco','Tokyo',
                      'São Paulo','Zürich','Toronto'])[1 + rec % 10] AS city,
               (ARRAY['Germany','Germany','France','United Kingdom','United States','United States',
                      'Japan','Brazil','Switzerland','Canada'])[1 + rec % 10] AS country,
               (ARRAY['Anna','Ben','Chloé','David','Emma','Felix','Grace','Hiro','Ines','Jamal'])[1 + rec % 10] AS fname,
               (ARRAY['Müller','Smith','O''Brien','Tanaka','García','Schmidt','Rossi','Dubois','Kowalski','Nguyen'])[1 + (rec / 10) % 10] AS lname,
               (timestamp '2023-01-02 08:00:00' + rec * interval '7 minutes 13 seconds') AS rec_created,
               CASE WHEN $3 > 0 THEN hcemu.sfid('001', 1 + rec % $3) END AS acc_sfid
        FROM generate_series($1::bigint, $1::bigint + $2 - 1) AS g(rec)
    $gen$;

    CASE table_name
    WHEN 'account' THEN
        EXECUTE 'INSERT INTO ' || t || $ins$ (id, sfid, name, accountnumber, billingcity, billingcountry, phone, industry,
                              numberofemployees, annualrevenue, external_id__c, description, ownerid,
                              lastmodifieddate, createddate, systemmodstamp, isdeleted)
            SELECT rec, hcemu.sfid('001', rec), acc_name, 'AC-' || lpad(rec::text, 6, '0'), city, country,
                   CASE WHEN rec % 7 = 0 THEN NULL ELSE '+49 30 ' || lpad((rec * 7919 % 10000000)::text, 7, '0') END,
                   CASE WHEN rec % 5 = 0 THEN NULL
                        ELSE (ARRAY['Technology','Manufacturing','Retail','Banking','Healthcare',
                                    'Energy','Media','Education'])[1 + rec % 8] END,
                   1 + rec * 37 % 5000,
                   ((rec * 7919 % 100000) * 1000)::double precision,
                   'EXT-A-' || rec,
                   CASE WHEN rec % 11 = 0 THEN 'Key account, renewal due in Q3 => call "Anna" first'
                        WHEN rec % 13 = 0 THEN E'Line 1\nLine 2 with a backslash \\ and ünïcödé'
                        ELSE NULL END,
                   (ARRAY[hcemu.sfid('005', 1), hcemu.sfid('005', 2), hcemu.sfid('005', 3)])[1 + rec % 3],
                   rec_created + interval '3 days', rec_created, rec_created + interval '3 days', false
            FROM ($ins$ || gen || ') AS r ORDER BY rec'
            USING base + 1, n, accounts;
    WHEN 'contact' THEN
        EXECUTE 'INSERT INTO ' || t || $ins$ (id, sfid, firstname, lastname, email, phone, title, accountid, mailingcity,
                              external_id__c, createddate, systemmodstamp, isdeleted)
            SELECT rec, hcemu.sfid('003', rec), fname, lname,
                   lower(translate(fname || '.' || replace(lname, '''', ''), 'éüíáó', 'euiao')) || rec || '@example.com',
                   CASE WHEN rec % 4 = 0 THEN NULL ELSE '+1 415 555 ' || lpad((rec % 10000)::text, 4, '0') END,
                   (ARRAY['CEO','CTO','VP Sales','Buyer','Engineer',NULL,'Office Manager',NULL])[1 + rec % 8],
                   acc_sfid, city, 'EXT-C-' || rec,
                   rec_created, rec_created + interval '1 day', false
            FROM ($ins$ || gen || ') AS r ORDER BY rec'
            USING base + 1, n, accounts;
    WHEN 'opportunity' THEN
        EXECUTE 'INSERT INTO ' || t || $ins$ (id, sfid, name, stagename, amount, closedate, probability, accountid,
                              createddate, systemmodstamp, isdeleted)
            SELECT rec, hcemu.sfid('006', rec),
                   acc_name || ' - ' || (ARRAY['Renewal','Upsell','New Business'])[1 + rec % 3],
                   (ARRAY['Prospecting','Qualification','Needs Analysis','Proposal/Price Quote',
                          'Negotiation/Review','Closed Won','Closed Lost'])[1 + rec % 7],
                   ((rec * 104729 % 500) * 100 + 5000)::double precision,
                   date '2024-01-01' + (rec % 700)::integer,
                   (ARRAY[10,20,25,75,90,100,0])[1 + rec % 7]::double precision,
                   acc_sfid,
                   rec_created, rec_created + interval '2 days', false
            FROM ($ins$ || gen || ') AS r ORDER BY rec'
            USING base + 1, n, accounts;
    ELSE  -- "user", the read-only mapping
        EXECUTE 'INSERT INTO ' || t || $ins$ (id, sfid, username, email, firstname, lastname, alias, isactive,
                              createddate, systemmodstamp, isdeleted)
            SELECT rec, hcemu.sfid('005', rec),
                   lower(translate(fname || '.' || replace(lname, '''', ''), 'éüíáó', 'euiao')) || rec || '@example.com',
                   lower(translate(fname || '.' || replace(lname, '''', ''), 'éüíáó', 'euiao')) || rec || '@example.com',
                   fname, lname, left(lower(left(fname, 1) || translate(replace(lname, '''', ''), 'éüíáó', 'euiao')), 5) || rec % 100,
                   rec % 9 <> 0,
                   rec_created, rec_created + interval '5 days', false
            FROM ($ins$ || gen || ') AS r ORDER BY rec'
            USING base + 1, n, accounts;
    END CASE;

    seq := pg_get_serial_sequence(t, 'id');
    IF seq IS NOT NULL THEN
        PERFORM setval(seq, greatest(base + n, (SELECT last_value FROM pg_sequences
                                               WHERE format('%I.%I', schemaname, sequencename) = seq)));
    END IF;
    EXECUTE format('ANALYZE %s', t);
END;
$fn$;

RESET client_min_messages;

------------------------------------------------------------------------------------------
-- hcemu.grow_archive(schema_name, n, rebuild_indexes): n more finished entries in
-- _trigger_log_archive, fast enough for tens of millions (bench.py --scale grows a log of
-- 200,000 archived entries to 2M and 20M; hcemu.generate_log computes every row and takes
-- about 2.5 minutes per million). Set-based: one INSERT ... SELECT of copies.
--
-- * Rows: copies, repeated in turn, of the archive's newest 10,000 finished entries
--   (SUCCESS, MERGED, IGNORED: generate_log's proportions, about 97%, 2% and 1%), so the
--   table, action, sfid, `values`, `old`, sf_result and sf_message (quotes, backslashes,
--   newlines and all) and the row sizes are generated ones. No FAILED, REQUEUED, NEW or
--   PENDING entry is added: the backlog and the failures stay as they are.
-- * Ids: the n ids just below the lowest id of either log table; raises when they would go
--   below 1, so leave room below the log when generating it (bench.py inserts a
--   placeholder row with a high id first). created_at goes back 1 second per entry from
--   the oldest created_at of either table (older entries have lower ids, as in a real
--   log); updated_at = processed_at = created_at + the copied entry's delay; txid and
--   processed_tx follow the id.
-- * record_id: the copied entry's, moved above every record id the log names, into a
--   range of its own for each round of copies, so the records the log already names keep
--   their histories (related and history of them return the same entries at any size).
-- * rebuild_indexes: drop the archive's indexes and its primary key and unique
--   constraints before the load and recreate them afterwards with the same names and
--   definitions (pg_get_indexdef, pg_get_constraintdef): several times faster for large n.
--
-- Runs in the caller's transaction; VACUUM ANALYZE the archive afterwards (a function
-- cannot). n = 0 writes nothing. Raises on a NULL or negative n, a schema without a
-- connection and an archive without finished entries to copy.
------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION hcemu.grow_archive(schema_name text, n integer, rebuild_indexes boolean DEFAULT false)
    RETURNS void
    LANGUAGE plpgsql
    SET client_min_messages = warning
    SET work_mem = '64MB'
    SET maintenance_work_mem = '1GB'
    -- the generated (id) order is kept by the hash join: the heap comes out in id order
    SET enable_mergejoin = off
    AS $fn$
DECLARE
    s text;
    archive regclass;
    lowest bigint;
    oldest timestamptz;
    record_base bigint;
    shapes integer;
    span bigint;
    index_definitions text[];
    constraint_names text[];
    constraint_definitions text[];
    i integer;
BEGIN
    IF n IS NULL OR n < 0 THEN
        RAISE EXCEPTION 'hcemu.grow_archive: n must be >= 0';
    END IF;
    PERFORM hcemu.require_log_tables(schema_name, 'hcemu.grow_archive');
    IF n = 0 THEN
        RETURN;
    END IF;
    s := format('%I', schema_name);
    archive := format('%s._trigger_log_archive', s)::regclass;
    EXECUTE format('SELECT least((SELECT min(id) FROM %1$s._trigger_log), (SELECT min(id) FROM %1$s._trigger_log_archive)),'
                   ' least((SELECT min(created_at) FROM %1$s._trigger_log), (SELECT min(created_at) FROM %1$s._trigger_log_archive)),'
                   ' greatest((SELECT max(record_id) FROM %1$s._trigger_log), (SELECT max(record_id) FROM %1$s._trigger_log_archive))', s)
        INTO lowest, oldest, record_base;
    IF lowest IS NULL OR lowest - n < 1 THEN
        RAISE EXCEPTION 'hcemu.grow_archive: no room for % ids below id % (generate the log above a placeholder id)',
            n, coalesce(lowest, 0);
    END IF;
    EXECUTE format('SELECT count(*), coalesce(max(record_id), 0) + 1 FROM (SELECT record_id FROM %1$s._trigger_log_archive'
                   ' WHERE state IN (''SUCCESS'', ''MERGED'', ''IGNORED'') ORDER BY id DESC LIMIT 10000) AS t', s)
        INTO shapes, span;
    IF shapes = 0 THEN
        RAISE EXCEPTION 'hcemu.grow_archive: the archive of schema % has no finished entries to copy', quote_ident(schema_name);
    END IF;
    IF coalesce(record_base, 0) + span * (n / shapes + 1) > 2147483647 THEN
        RAISE EXCEPTION 'hcemu.grow_archive: record ids would overflow integer';
    END IF;

    IF rebuild_indexes THEN
        SELECT array_agg(pg_get_indexdef(x.indexrelid) ORDER BY x.indexrelid),
               array_agg(format('DROP INDEX %s', x.indexrelid::regclass) ORDER BY x.indexrelid)
            INTO index_definitions, constraint_names
            FROM pg_index x
            WHERE x.indrelid = archive
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = archive);
        FOR i IN 1 .. coalesce(array_length(constraint_names, 1), 0) LOOP
            EXECUTE constraint_names[i];
        END LOOP;
        SELECT array_agg(c.conname::text ORDER BY c.oid), array_agg(pg_get_constraintdef(c.oid) ORDER BY c.oid)
            INTO constraint_names, constraint_definitions
            FROM pg_constraint c WHERE c.conrelid = archive AND c.contype IN ('p', 'u');
        FOR i IN 1 .. coalesce(array_length(constraint_names, 1), 0) LOOP
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', archive, constraint_names[i]);
        END LOOP;
    END IF;

    -- $1 first id, $2 n, $3 shapes, $4 oldest created_at, $5 first record id, $6 span
    EXECUTE format($ins$
        INSERT INTO %1$s._trigger_log_archive (id, txid, created_at, updated_at, processed_at, processed_tx,
                                               state, action, table_name, record_id, sfid, old, "values",
                                               sf_result, sf_message)
        WITH shape AS MATERIALIZED (
            SELECT (row_number() OVER (ORDER BY id) - 1)::integer AS k,
                   coalesce(processed_at - created_at, interval '1 minute') AS delay,
                   state, action, table_name, record_id, sfid, old, "values", sf_result, sf_message
            FROM (SELECT * FROM %1$s._trigger_log_archive
                  WHERE state IN ('SUCCESS', 'MERGED', 'IGNORED') ORDER BY id DESC LIMIT 10000) AS t
        )
        SELECT ($1 + g.i)::integer, ($1 + g.i) / 3 + 1,
               $4 - ($2 - g.i) * interval '1 second',
               $4 - ($2 - g.i) * interval '1 second' + s.delay,
               $4 - ($2 - g.i) * interval '1 second' + s.delay,
               ($1 + g.i) / 3 + 40001,
               s.state, s.action, s.table_name, ($5 + (g.i / $3) * $6 + s.record_id)::integer, s.sfid, s.old, s."values",
               s.sf_result, s.sf_message
        FROM generate_series(0::bigint, $2::bigint - 1) AS g(i)
        JOIN shape AS s ON s.k = (g.i %% $3)::integer
        $ins$, s)
        USING lowest - n, n, shapes, oldest, coalesce(record_base, 0) + 1, span;

    IF rebuild_indexes THEN
        FOR i IN 1 .. coalesce(array_length(constraint_names, 1), 0) LOOP
            EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', archive, constraint_names[i], constraint_definitions[i]);
        END LOOP;
        FOR i IN 1 .. coalesce(array_length(index_definitions, 1), 0) LOOP
            EXECUTE index_definitions[i];
        END LOOP;
    END IF;
END;
$fn$;
