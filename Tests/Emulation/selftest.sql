-- selftest.sql: self test of the Heroku Connect emulation (hcemu.sql must be loaded).
--
--     psql -v ON_ERROR_STOP=1 [-v schema=NAME] -f Tests/Emulation/selftest.sql
--
-- Builds its own connection in schema NAME (default hcemu_selftest), and the read-only,
-- legacy and variant connections in NAME_ro, NAME_legacy and NAME_variant (all four are
-- DROPPED first and at the end, so never point it at schemas you want to keep), asserts
-- with DO blocks that raise on the first failure, and prints "hcemu selftest: OK" when
-- everything passed. Any schema name of up to 40 bytes works (48 with the suffixes: see
-- the pg_notify limit in hcemu.sql), e.g. -v schema='Weird "Schema"'.

\set ON_ERROR_STOP 1
\set QUIET 1
\if :{?schema}
\else
\set schema hcemu_selftest
\endif

SET client_min_messages = warning;
SELECT set_config('hcemu_selftest.schema', :'schema', false) \gset
SELECT hcemu.drop_connection(:'schema') \gset
SELECT hcemu.drop_connection(:'schema' || '_ro') \gset
SELECT hcemu.drop_connection(:'schema' || '_legacy') \gset
SELECT hcemu.drop_connection(:'schema' || '_variant') \gset
SELECT hcemu.create_standard_connection(:'schema') \gset
-- a mapping with a name that needs quoting and no extra columns
SELECT hcemu.map_table(:'schema', 'Order Item', '') \gset
-- unqualified names below resolve in the connection's schema; public holds hstore
SELECT set_config('search_path', format('%I, public', :'schema'), false) \gset

CREATE OR REPLACE FUNCTION pg_temp.check(ok boolean, what text) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'hcemu selftest FAILED (schema %): %',
            current_setting('hcemu_selftest.schema'), what;
    END IF;
END;
$$;

\echo 'hcemu selftest: schema' :"schema"

------------------------------------------------------------------------------------------
\echo '  structure'
------------------------------------------------------------------------------------------
DO $$
DECLARE
    s text := current_setting('hcemu_selftest.schema');
    got text;
    expected_cols constant text :=
        'id integer,txid bigint,created_at timestamp with time zone,updated_at timestamp with time zone,'
        'processed_at timestamp with time zone,processed_tx bigint,state character varying(8),'
        'action character varying(7),table_name character varying(128),record_id integer,'
        'sfid character varying(18),old text,values text,sf_result integer,sf_message text';
    r record;
    ok boolean;
BEGIN
    -- catalog functions print names unqualified when visible; make nothing visible
    PERFORM set_config('search_path', 'pg_catalog', true);
    FOR r IN SELECT unnest(ARRAY['_trigger_log', '_trigger_log_archive']) AS t LOOP
        SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
          INTO got
          FROM pg_attribute a
         WHERE a.attrelid = format('%I.%I', s, r.t)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
        PERFORM pg_temp.check(got = expected_cols, r.t || ' columns: ' || got);
    END LOOP;

    SELECT string_agg(a.attname || '=' || pg_get_expr(d.adbin, d.adrelid), ',' ORDER BY a.attnum) INTO got
      FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
     WHERE d.adrelid = format('%I._trigger_log', s)::regclass;
    -- (pg_get_expr quotes literals without E'' escaping: standard_conforming_strings)
    PERFORM pg_temp.check(got = format('id=nextval(''%s''::regclass),created_at=now(),updated_at=now()',
                                       replace(format('%I._trigger_log_id_seq', s), '''', '''''')),
                          '_trigger_log defaults: ' || got);
    PERFORM pg_temp.check(NOT EXISTS (SELECT 1 FROM pg_attrdef WHERE adrelid = format('%I._trigger_log_archive', s)::regclass),
                          '_trigger_log_archive has no defaults');
    PERFORM pg_temp.check(pg_get_serial_sequence(format('%I._trigger_log_archive', s), 'id') IS NULL,
                          '_trigger_log_archive has no sequence');
    PERFORM pg_temp.check(NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = format('%I._trigger_log_archive', s)::regclass),
                          '_trigger_log_archive has no trigger');

    -- sequences: AS integer, owned by the id column
    FOR r IN SELECT unnest(ARRAY['_trigger_log', '_hcmeta', '_sf_event_log', 'account', 'contact',
                                 'opportunity', 'user', 'Order Item']) AS t LOOP
        got := pg_get_serial_sequence(format('%I.%I', s, r.t), 'id');
        PERFORM pg_temp.check(got IS NOT NULL, r.t || '.id owns a sequence');
        PERFORM pg_temp.check(got::regclass = format('%I.%I', s, r.t || '_id_seq')::regclass,
                              r.t || ' sequence name: ' || got);
        PERFORM pg_temp.check((SELECT seqtypid = 'integer'::regtype FROM pg_sequence WHERE seqrelid = got::regclass),
                              r.t || ' sequence is AS integer');
    END LOOP;

    -- indexes with their real names and definitions
    FOR r IN SELECT * FROM (VALUES
        ('_trigger_log_pkey',          'CREATE UNIQUE INDEX _trigger_log_pkey ON %s._trigger_log USING btree (id)'),
        ('_trigger_log_idx_created_at', 'CREATE INDEX _trigger_log_idx_created_at ON %s._trigger_log USING btree (created_at)'),
        ('_trigger_log_idx_state_id',  'CREATE INDEX _trigger_log_idx_state_id ON %s._trigger_log USING btree (state, id)'),
        ('_trigger_log_idx_state_table_name',
         'CREATE INDEX _trigger_log_idx_state_table_name ON %s._trigger_log USING btree (state, table_name) WHERE (((state)::text = ''NEW''::text) OR ((state)::text = ''PENDING''::text))'),
        ('_trigger_log_archive_pkey',  'CREATE UNIQUE INDEX _trigger_log_archive_pkey ON %s._trigger_log_archive USING btree (id)'),
        ('_trigger_log_archive_idx_created_at', 'CREATE INDEX _trigger_log_archive_idx_created_at ON %s._trigger_log_archive USING btree (created_at)'),
        ('_trigger_log_archive_idx_record_id',  'CREATE INDEX _trigger_log_archive_idx_record_id ON %s._trigger_log_archive USING btree (record_id)'),
        ('_trigger_log_archive_idx_state_table_name',
         'CREATE INDEX _trigger_log_archive_idx_state_table_name ON %s._trigger_log_archive USING btree (state, table_name) WHERE ((state)::text = ''FAILED''::text)'),
        ('_hcmeta_pkey',               'CREATE UNIQUE INDEX _hcmeta_pkey ON %s._hcmeta USING btree (id)'),
        ('_sf_event_log_pkey',         'CREATE UNIQUE INDEX _sf_event_log_pkey ON %s._sf_event_log USING btree (id)'),
        ('idx__sf_event_log_comp_key', 'CREATE INDEX idx__sf_event_log_comp_key ON %s._sf_event_log USING btree (table_name, synced_at)'),
        ('idx__sf_event_log_sfid',     'CREATE INDEX idx__sf_event_log_sfid ON %s._sf_event_log USING btree (sfid)'),
        ('account_pkey',               'CREATE UNIQUE INDEX account_pkey ON %s.account USING btree (id)'),
        ('hcu_idx_account_sfid',       'CREATE UNIQUE INDEX hcu_idx_account_sfid ON %s.account USING btree (sfid)'),
        ('hc_idx_account_systemmodstamp', 'CREATE INDEX hc_idx_account_systemmodstamp ON %s.account USING btree (systemmodstamp)'),
        ('user_pkey',                  'CREATE UNIQUE INDEX user_pkey ON %s."user" USING btree (id)'),
        ('hcu_idx_user_sfid',          'CREATE UNIQUE INDEX hcu_idx_user_sfid ON %s."user" USING btree (sfid)'),
        ('hcu_idx_Order Item_sfid',    'CREATE UNIQUE INDEX "hcu_idx_Order Item_sfid" ON %s."Order Item" USING btree (sfid)')
    ) v(name, def) LOOP
        SELECT pg_get_indexdef(c.oid) INTO got
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = s AND c.relname = r.name AND c.relkind = 'i';
        PERFORM pg_temp.check(got = format(r.def, quote_ident(s)),
                              'index ' || r.name || ': ' || coalesce(got, 'missing'));
    END LOOP;

    -- mapped table columns: caller's, then the standard ones
    SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) INTO got
      FROM pg_attribute a WHERE a.attrelid = format('%I.%I', s, 'user')::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    PERFORM pg_temp.check(got =
        'username character varying(80),email character varying(128),firstname character varying(40),'
        'lastname character varying(80),alias character varying(8),isactive boolean,'
        'createddate timestamp without time zone,systemmodstamp timestamp without time zone,'
        'isdeleted boolean,sfid character varying(18),id integer,_hc_lastop character varying(32),_hc_err text',
        'user columns: ' || got);
    SELECT string_agg(a.attname, ',' ORDER BY a.attnum) INTO got
      FROM pg_attribute a WHERE a.attrelid = format('%I.%I', s, 'Order Item')::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    PERFORM pg_temp.check(got = 'createddate,systemmodstamp,isdeleted,sfid,id,_hc_lastop,_hc_err',
                          'Order Item columns: ' || got);

    -- triggers
    FOR r IN SELECT unnest(ARRAY['account', 'contact', 'opportunity', 'user', 'Order Item']) AS t LOOP
        SELECT pg_get_triggerdef(tg.oid) INTO got FROM pg_trigger tg
         WHERE tg.tgrelid = format('%I.%I', s, r.t)::regclass AND tg.tgname = 'hc_' || r.t || '_logtrigger';
        PERFORM pg_temp.check(got = format('CREATE TRIGGER %I AFTER INSERT OR DELETE OR UPDATE ON %I.%I FOR EACH ROW'
                                           ' WHEN (((public.get_xmlbinary())::text = ''base64''::text))'
                                           ' EXECUTE FUNCTION %I.%I()',
                                           'hc_' || r.t || '_logtrigger', s, r.t, s, 'hc_' || r.t || '_logger'),
                              r.t || ' logtrigger: ' || coalesce(got, 'missing'));
        SELECT pg_get_triggerdef(tg.oid) INTO got FROM pg_trigger tg
         WHERE tg.tgrelid = format('%I.%I', s, r.t)::regclass AND tg.tgname = 'hc_' || r.t || '_status_trigger';
        PERFORM pg_temp.check(got = format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I.%I FOR EACH ROW'
                                           ' EXECUTE FUNCTION %I.%I()',
                                           'hc_' || r.t || '_status_trigger', s, r.t, s, 'hc_' || r.t || '_status'),
                              r.t || ' status trigger: ' || coalesce(got, 'missing'));
    END LOOP;

    -- function bodies keep Connect's version markers and the quoted schema
    PERFORM pg_temp.check(strpos(pg_get_functiondef(format('%I.hc_account_logger', s)::regproc),
                                 'trigger_row ' || hcemu.qi(s) || '."_trigger_log";') > 0
                          AND strpos(pg_get_functiondef(format('%I.hc_account_logger', s)::regproc), '-- VERSION 4 --') > 0,
                          'account logger body');
    PERFORM pg_temp.check(strpos(pg_get_functiondef(format('%I.hc_capture_update_from_row', s)::regproc), '-- VERSION 1 --') > 0,
                          'capture update body');

    -- _hcmeta
    EXECUTE format('SELECT count(*) = 1 AND bool_and(hcver = 11 AND org_id LIKE ''00D%%'' AND length(org_id) = 18)'
                   ' FROM %I._hcmeta', s) INTO ok;
    PERFORM pg_temp.check(ok, '_hcmeta has one row, hcver 11, an 18-char org id');

    -- sfid helpers
    PERFORM pg_temp.check(hcemu.sfid18('001A0000006Vm9r') = '001A0000006Vm9rIAC', 'sfid18 checksum');
    PERFORM pg_temp.check(hcemu.sfid('001', 1) = hcemu.sfid18(left(hcemu.sfid('001', 1), 15))
                          AND length(hcemu.sfid('001', 1)) = 18 AND hcemu.sfid('001', 1) <> hcemu.sfid('001', 2),
                          'sfid is well-formed and distinct');
END;
$$;

------------------------------------------------------------------------------------------
\echo '  notify trigger'
------------------------------------------------------------------------------------------
DO $$
DECLARE
    s text := current_setting('hcemu_selftest.schema');
    def text;
BEGIN
    PERFORM set_config('search_path', 'pg_catalog', true);
    PERFORM pg_temp.check(EXISTS (
        SELECT 1 FROM pg_trigger tg
         WHERE tg.tgrelid = format('%I._trigger_log', s)::regclass AND tg.tgname = 'tlog_insert_trigger'
           AND tg.tgfoid = format('%I.tlog_notify_trigger', s)::regproc AND NOT tg.tgisinternal
           AND pg_get_triggerdef(tg.oid) = format('CREATE TRIGGER tlog_insert_trigger AFTER INSERT ON %I._trigger_log'
                                                  ' FOR EACH ROW EXECUTE FUNCTION %I.tlog_notify_trigger()', s, s)),
        'tlog_insert_trigger: AFTER INSERT FOR EACH ROW -> tlog_notify_trigger()');
    def := pg_get_functiondef(format('%I.tlog_notify_trigger', s)::regproc);
    PERFORM pg_temp.check(strpos(def, format('PERFORM pg_notify(%L, ''ping'');', s || '.hc_trigger_log')) > 0,
                          'tlog_notify_trigger notifies ' || quote_literal(s || '.hc_trigger_log') || ': ' || def);
END;
$$;

------------------------------------------------------------------------------------------
\echo '  logger: INSERT / UPDATE / DELETE, status trigger, Connect writes'
------------------------------------------------------------------------------------------
DO $$
DECLARE
    excl constant text[] := ARRAY['_hc_lastop', '_hc_err'];
    acc account;
    before_row public.hstore;
    l _trigger_log;
    n bigint;
    rid integer;
    synced_sfid constant text := hcemu.sfid('001', 424242);
BEGIN
    -- user INSERT
    INSERT INTO account (name, billingcity, description, numberofemployees, annualrevenue, lastmodifieddate)
    VALUES (E'Acme, "Quotes" => and \\ backslash', 'Zürich', E'two\nlines', 42, 1.5e6, '2024-05-01 10:00:00')
    RETURNING * INTO acc;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'INSERT' AND l.state = 'NEW' AND l.table_name = 'account', 'insert: action/state/table');
    PERFORM pg_temp.check(l.record_id = acc.id AND l.sfid IS NULL, 'insert: record_id, sfid NULL');
    PERFORM pg_temp.check(public.hstore(l."values") = public.hstore(acc) - excl, 'insert: values = row minus _hc_*');
    PERFORM pg_temp.check(NOT (public.hstore(l."values") ?| excl), 'insert: no _hc_lastop/_hc_err in values');
    PERFORM pg_temp.check(public.hstore(l."values") ? 'sfid' AND public.hstore(l."values") ? 'id', 'insert: id and sfid keys');
    PERFORM pg_temp.check(l.old IS NULL AND l.updated_at IS NULL AND l.processed_at IS NULL
                          AND l.created_at IS NOT NULL AND l.txid = txid_current(), 'insert: old/updated_at NULL, txid');
    PERFORM pg_temp.check(acc._hc_lastop = 'PENDING' AND acc._hc_err IS NULL, 'insert: _hc_lastop PENDING');

    -- Connect's worker: assigns the sfid (xmlbinary = hex) -> no log row, SYNCED
    SELECT count(*) INTO n FROM _trigger_log;
    PERFORM set_config('xmlbinary', 'hex', true);
    PERFORM pg_temp.check(public.get_xmlbinary() = 'hex', 'get_xmlbinary() follows xmlbinary');
    UPDATE account SET sfid = synced_sfid, systemmodstamp = '2024-05-01 10:01:00' WHERE id = acc.id RETURNING * INTO acc;
    PERFORM pg_temp.check(acc._hc_lastop = 'SYNCED' AND acc._hc_err IS NULL, 'connect write: SYNCED');
    -- Connect reports a failure on the record: an explicit _hc_lastop change is kept
    UPDATE account SET _hc_lastop = 'FAILED', _hc_err = 'FIELD_CUSTOM_VALIDATION_EXCEPTION: nope' WHERE id = acc.id
    RETURNING * INTO acc;
    PERFORM pg_temp.check(acc._hc_lastop = 'FAILED' AND acc._hc_err IS NOT NULL, 'connect write: explicit FAILED kept');
    INSERT INTO contact (lastname, sfid) VALUES ('From Salesforce', hcemu.sfid('003', 1)) RETURNING id INTO rid;
    PERFORM pg_temp.check((SELECT _hc_lastop FROM contact WHERE id = rid) = 'SYNCED', 'connect insert: SYNCED');
    PERFORM pg_temp.check((SELECT count(*) FROM _trigger_log) = n, 'connect writes are not logged');
    PERFORM set_config('xmlbinary', 'base64', true);
    PERFORM pg_temp.check(public.get_xmlbinary() = 'base64', 'get_xmlbinary() back to base64');

    -- user UPDATE: only changed columns, old = full row, sfid from the row, _hc_err cleared
    before_row := public.hstore(acc) - excl;
    UPDATE account SET phone = '+41 44 000 00 00', billingcity = NULL WHERE id = acc.id RETURNING * INTO acc;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'UPDATE' AND l.state = 'NEW' AND l.record_id = acc.id AND l.sfid = synced_sfid,
                          'update: action/state/record_id/sfid');
    PERFORM pg_temp.check(public.hstore(l."values") = public.hstore(ARRAY['phone', 'billingcity'], ARRAY['+41 44 000 00 00', NULL]),
                          'update: values = changed columns only: ' || l."values");
    PERFORM pg_temp.check(public.hstore(l.old) = before_row, 'update: old = full row before');
    PERFORM pg_temp.check(l.updated_at IS NULL, 'update: updated_at NULL');
    PERFORM pg_temp.check(acc._hc_lastop = 'PENDING' AND acc._hc_err IS NULL, 'update: PENDING, _hc_err cleared');

    -- no-op UPDATE -> IGNORE
    UPDATE account SET phone = phone WHERE id = acc.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'UPDATE' AND l.state = 'IGNORE' AND l."values" = '' AND l.sfid = synced_sfid,
                          'no-op update: IGNORE with empty values');

    -- DELETE of a synced row
    before_row := public.hstore(acc) - excl;
    DELETE FROM account WHERE id = acc.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'DELETE' AND l.state = 'NEW' AND l.record_id = acc.id AND l.sfid = synced_sfid,
                          'delete: action/state/record_id/sfid');
    PERFORM pg_temp.check(public.hstore(l.old) = before_row AND l."values" IS NULL AND l.updated_at IS NULL,
                          'delete: old = full row, values NULL');

    -- DELETE of a row that never got an sfid -> IGNORE
    INSERT INTO account (name) VALUES ('never synced') RETURNING * INTO acc;
    DELETE FROM account WHERE id = acc.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'DELETE' AND l.state = 'IGNORE' AND l.sfid IS NULL AND l.record_id = acc.id,
                          'delete without sfid: IGNORE');
END;
$$;

------------------------------------------------------------------------------------------
\echo '  read-only mapping'
------------------------------------------------------------------------------------------
DO $$
DECLARE
    u "user";
    l _trigger_log;
BEGIN
    INSERT INTO "user" (username, email, alias, isactive) VALUES ('ro@example.com', 'ro@example.com', 'ro', true)
    RETURNING * INTO u;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'INSERT' AND l.state = 'READONLY' AND l.table_name = 'user'
                          AND l.record_id = u.id AND l.sfid IS NULL
                          AND public.hstore(l."values") = public.hstore(u) - ARRAY['_hc_lastop', '_hc_err'],
                          'read-only insert: READONLY');
    UPDATE "user" SET alias = alias WHERE id = u.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'UPDATE' AND l.state = 'READONLY' AND l."values" = '',
                          'read-only no-op update: READONLY, not IGNORE');
    PERFORM set_config('xmlbinary', 'hex', true);
    UPDATE "user" SET sfid = hcemu.sfid('005', 99) WHERE id = u.id;
    PERFORM set_config('xmlbinary', 'base64', true);
    UPDATE "user" SET alias = 'ro2' WHERE id = u.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'UPDATE' AND l.state = 'READONLY' AND l."values" = '"alias"=>"ro2"'
                          AND l.sfid = hcemu.sfid('005', 99), 'read-only update: READONLY with sfid');
    INSERT INTO "user" (username) VALUES ('gone') RETURNING * INTO u;
    DELETE FROM "user" WHERE id = u.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'DELETE' AND l.state = 'READONLY' AND l.sfid IS NULL,
                          'read-only delete without sfid: READONLY, not IGNORE');
END;
$$;

------------------------------------------------------------------------------------------
\echo '  capture procedures'
------------------------------------------------------------------------------------------
DO $$
DECLARE
    excl constant text[] := ARRAY['_hc_lastop', '_hc_err'];
    c contact;
    l _trigger_log;
    newid integer;
    n bigint;
BEGIN
    INSERT INTO contact (firstname, lastname, email, phone) VALUES ('Ada', 'Lovelace', 'ada@example.com', '+44 20 1')
    RETURNING * INTO c;
    PERFORM set_config('xmlbinary', 'hex', true);
    UPDATE contact SET sfid = hcemu.sfid('003', 77) WHERE id = c.id RETURNING * INTO c;
    PERFORM set_config('xmlbinary', 'base64', true);

    -- capture insert: everything but the exclusions; id and sfid cannot be excluded
    SELECT hc_capture_insert_from_row(public.hstore(t.*), 'contact', ARRAY['phone', 'id', 'sfid', 'email'])
      INTO newid FROM contact t WHERE t.id = c.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(newid = l.id AND newid = currval(pg_get_serial_sequence('_trigger_log', 'id')),
                          'capture insert returns the new id');
    PERFORM pg_temp.check(l.action = 'INSERT' AND l.state = 'NEW' AND l.table_name = 'contact' AND l.record_id = c.id
                          AND l.sfid IS NULL AND l.old IS NULL, 'capture insert: row');
    PERFORM pg_temp.check(public.hstore(l."values") = public.hstore(c) - excl - ARRAY['phone', 'email'],
                          'capture insert: values minus exclusions: ' || l."values");
    PERFORM pg_temp.check(l.updated_at IS NOT NULL, 'capture insert: updated_at takes its default now()');

    -- capture insert with no exclusions
    SELECT hc_capture_insert_from_row(public.hstore(t.*), 'contact') INTO newid FROM contact t WHERE t.id = c.id;
    SELECT * INTO l FROM _trigger_log WHERE id = newid;
    PERFORM pg_temp.check(public.hstore(l."values") = public.hstore(c) - excl, 'capture insert: default exclusions');

    -- capture update with a column subset: only those columns (not even id/sfid), sfid column from the row
    SELECT hc_capture_update_from_row(public.hstore(t.*), 'contact', ARRAY['email', 'phone']::text[])
      INTO newid FROM contact t WHERE t.id = c.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(newid = l.id, 'capture update returns the new id');
    PERFORM pg_temp.check(l.action = 'UPDATE' AND l.state = 'NEW' AND l.record_id = c.id AND l.sfid = c.sfid
                          AND l.old IS NULL, 'capture update: row');
    PERFORM pg_temp.check(public.hstore(l."values") = public.hstore(ARRAY['email', 'phone'], ARRAY[c.email, c.phone]),
                          'capture update subset: ' || l."values");

    -- '{}' (and the default) means all columns
    SELECT hc_capture_update_from_row(public.hstore(t.*), 'contact', '{}') INTO newid FROM contact t WHERE t.id = c.id;
    SELECT * INTO l FROM _trigger_log WHERE id = newid;
    PERFORM pg_temp.check(public.hstore(l."values") = public.hstore(c) - excl, 'capture update {}: all columns');
    SELECT hc_capture_update_from_row(public.hstore(t.*), 'contact') INTO newid FROM contact t WHERE t.id = c.id;
    SELECT * INTO l FROM _trigger_log WHERE id = newid;
    PERFORM pg_temp.check(public.hstore(l."values") = public.hstore(c) - excl, 'capture update default: all columns');

    -- no id -> NULL, nothing written
    SELECT count(*) INTO n FROM _trigger_log;
    PERFORM pg_temp.check(hc_capture_insert_from_row(public.hstore('name', 'x'), 'contact') IS NULL,
                          'capture insert without id: NULL');
    PERFORM pg_temp.check(hc_capture_update_from_row(public.hstore('name', 'x'), 'contact', ARRAY['name']) IS NULL,
                          'capture update without id: NULL');
    PERFORM pg_temp.check((SELECT count(*) FROM _trigger_log) = n, 'nothing captured without id');
END;
$$;

------------------------------------------------------------------------------------------
\echo '  generate_log'
------------------------------------------------------------------------------------------
DO $$
DECLARE
    s text := current_setting('hcemu_selftest.schema');
    base integer;
    n_live bigint;
    n_arch bigint;
    l _trigger_log;
    r record;
BEGIN
    SELECT greatest(coalesce((SELECT max(id) FROM _trigger_log), 0),
                    coalesce((SELECT max(id) FROM _trigger_log_archive), 0)) INTO base;
    SELECT count(*) INTO n_live FROM _trigger_log;
    SELECT count(*) INTO n_arch FROM _trigger_log_archive;
    PERFORM hcemu.generate_log(s, 2000, 500, 0.2);
    PERFORM pg_temp.check((SELECT count(*) FROM _trigger_log_archive) = n_arch + 2000, 'generate_log: archived count');
    PERFORM pg_temp.check((SELECT count(*) FROM _trigger_log) = n_live + 500, 'generate_log: live count');
    PERFORM pg_temp.check((SELECT min(id) = base + 1 AND max(id) = base + 2000 FROM _trigger_log_archive WHERE id > base),
                          'generate_log: archive ids follow the existing ones');
    PERFORM pg_temp.check((SELECT min(id) = base + 2001 AND max(id) = base + 2500 FROM _trigger_log WHERE id > base),
                          'generate_log: live ids follow the archived ones');
    PERFORM pg_temp.check((SELECT max(created_at) FROM _trigger_log_archive) < (SELECT min(created_at) FROM _trigger_log WHERE id > base)
                          AND (SELECT min(created_at) FROM _trigger_log_archive WHERE id > base) > now() - interval '31 days',
                          'generate_log: archive older than live, within 30 days');
    PERFORM pg_temp.check((SELECT bool_and(state IN ('SUCCESS', 'FAILED', 'IGNORED', 'MERGED', 'REQUEUED'))
                             FROM _trigger_log_archive WHERE id > base), 'generate_log: archive states');
    PERFORM pg_temp.check((SELECT bool_and(state IN ('NEW', 'PENDING', 'FAILED', 'SUCCESS'))
                             AND count(DISTINCT state) = 4 FROM _trigger_log WHERE id > base), 'generate_log: live states');
    PERFORM pg_temp.check((SELECT count(*) FILTER (WHERE state = 'FAILED')::float8 / count(*) BETWEEN 0.15 AND 0.25
                             FROM _trigger_log_archive WHERE id > base), 'generate_log: failed fraction');
    PERFORM pg_temp.check((SELECT bool_and(sf_message LIKE '%: %') FROM _trigger_log_archive WHERE id > base AND state = 'FAILED'),
                          'generate_log: FAILED rows carry a message');
    FOR r IN SELECT * FROM _trigger_log_archive WHERE id > base
             UNION ALL SELECT * FROM _trigger_log WHERE id > base LOOP
        PERFORM pg_temp.check(r.table_name IN ('account', 'contact', 'opportunity')
                              AND r.action IN ('INSERT', 'UPDATE', 'DELETE'), 'generate_log: table/action ' || r.id);
        IF r.action = 'INSERT' THEN
            PERFORM pg_temp.check(r.sfid IS NULL AND r.old IS NULL AND (public.hstore(r."values") -> 'id')::int = r.record_id,
                                  'generate_log: INSERT shape ' || r.id);
        ELSIF r.action = 'UPDATE' THEN
            PERFORM pg_temp.check(length(r.sfid) = 18 AND public.hstore(r.old) -> 'sfid' = r.sfid
                                  AND public.hstore(r."values") <> '' AND NOT (public.hstore(r."values") ? 'id'),
                                  'generate_log: UPDATE shape ' || r.id);
        ELSE
            PERFORM pg_temp.check(length(r.sfid) = 18 AND r."values" IS NULL AND public.hstore(r.old) ? 'id',
                                  'generate_log: DELETE shape ' || r.id);
        END IF;
    END LOOP;
    -- the sequence continues after the generated ids
    INSERT INTO opportunity (name) VALUES ('after generate_log');
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.id = base + 2501, 'generate_log: sequence continues at ' || (base + 2501) || ', got ' || l.id);
    PERFORM pg_temp.check((SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL
                             FROM pg_stat_user_tables WHERE relid = '_trigger_log_archive'::regclass)
                          OR (SELECT reltuples > 0 FROM pg_class WHERE oid = '_trigger_log_archive'::regclass),
                          'generate_log: archive analyzed');
END;
$$;

------------------------------------------------------------------------------------------
\echo '  attach_mapping on tables of any shape'
------------------------------------------------------------------------------------------
DO $$
DECLARE
    s text := current_setting('hcemu_selftest.schema');
    excl constant text[] := ARRAY['_hc_lastop', '_hc_err'];
    r record;
    l _trigger_log;
    n integer;
    rid integer;
    got text;
BEGIN
    -- the caller's own DDL: a composite key, no isdeleted, a column after _hc_err
    CREATE TABLE "Custom Obj" (name text, sfid character varying(18) NOT NULL, id serial,
                               _hc_lastop character varying(32), _hc_err text, extra integer,
                               PRIMARY KEY (id, sfid));
    CREATE TABLE custom_ro (id serial PRIMARY KEY, sfid character varying(18),
                            _hc_lastop character varying(32), _hc_err text, label text);
    PERFORM hcemu.attach_mapping(s, 'Custom Obj');
    PERFORM hcemu.attach_mapping(s, 'Custom Obj');   -- again: harmless
    PERFORM hcemu.attach_mapping(s, 'custom_ro', true);

    -- user writes are logged as on a map_table mapping
    SELECT coalesce(max(id), 0) INTO n FROM _trigger_log;
    INSERT INTO "Custom Obj" (name, sfid, extra) VALUES ('x, "y" => z', hcemu.sfid('a0X', 1), 5) RETURNING id INTO rid;
    SELECT * INTO l FROM _trigger_log WHERE id > n ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'INSERT' AND l.state = 'NEW' AND l.table_name = 'Custom Obj' AND l.record_id = rid
                          AND public.hstore(l."values") = (SELECT public.hstore(c) - excl FROM "Custom Obj" c WHERE c.id = rid)
                          AND public.hstore(l."values") ? 'extra',
                          'attach_mapping: insert logged as NEW: ' || coalesce(l."values", 'no log row'));
    PERFORM pg_temp.check((SELECT _hc_lastop = 'PENDING' FROM "Custom Obj" WHERE id = rid), 'attach_mapping: status trigger');
    UPDATE "Custom Obj" SET extra = extra WHERE id = rid;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'UPDATE' AND l.state = 'IGNORE' AND l.sfid = hcemu.sfid('a0X', 1),
                          'attach_mapping: no-op update IGNORE');
    INSERT INTO custom_ro (label) VALUES ('ro') RETURNING id INTO rid;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'INSERT' AND l.state = 'READONLY' AND l.table_name = 'custom_ro' AND l.record_id = rid,
                          'attach_mapping read-only: READONLY');
    -- Connect's writes are not logged
    PERFORM set_config('xmlbinary', 'hex', true);
    SELECT count(*) INTO n FROM _trigger_log;
    UPDATE "Custom Obj" SET extra = 6;
    PERFORM pg_temp.check((SELECT count(*) FROM _trigger_log) = n AND (SELECT bool_and(_hc_lastop = 'SYNCED') FROM "Custom Obj"),
                          'attach_mapping: Connect writes not logged, SYNCED');
    PERFORM set_config('xmlbinary', 'base64', true);

    -- refusals
    FOR r IN SELECT * FROM (VALUES
        (s, 'no such table', format('hcemu.attach_mapping: schema %s has no table "no such table"', quote_ident(s))),
        (s, '_trigger_log_id_seq', format('hcemu.attach_mapping: schema %s has no table _trigger_log_id_seq', quote_ident(s))),
        (s, '_hcmeta', format('hcemu.attach_mapping: table %I._hcmeta lacks the column(s) Connect needs: sfid, _hc_lastop, _hc_err', s)),
        ('pg_catalog', 'pg_class', 'hcemu.attach_mapping: schema pg_catalog holds no connection; call hcemu.create_connection first')
    ) v(sch, tbl, msg) LOOP
        got := NULL;
        BEGIN
            PERFORM hcemu.attach_mapping(r.sch, r.tbl);
        EXCEPTION WHEN raise_exception THEN
            got := SQLERRM;
        END;
        PERFORM pg_temp.check(got = r.msg, 'attach_mapping refuses ' || r.tbl || ': ' || coalesce(got, 'no error'));
    END LOOP;

    -- the same functions and triggers as map_table's (bodies do not name the table)
    PERFORM set_config('search_path', 'pg_catalog', true);
    FOR r IN SELECT * FROM (VALUES ('Custom Obj', 'account'), ('custom_ro', 'user')) v(t, like_t) LOOP
        PERFORM pg_temp.check((SELECT prosrc FROM pg_proc WHERE oid = format('%I.%I', s, 'hc_' || r.t || '_logger')::regproc)
                              = (SELECT prosrc FROM pg_proc WHERE oid = format('%I.%I', s, 'hc_' || r.like_t || '_logger')::regproc),
                              r.t || ' logger = ' || r.like_t || '''s');
        PERFORM pg_temp.check((SELECT prosrc FROM pg_proc WHERE oid = format('%I.%I', s, 'hc_' || r.t || '_status')::regproc)
                              = (SELECT prosrc FROM pg_proc WHERE oid = format('%I.%I', s, 'hc_' || r.like_t || '_status')::regproc),
                              r.t || ' status = ' || r.like_t || '''s');
        SELECT string_agg(pg_get_triggerdef(tg.oid), '; ' ORDER BY tg.tgname) INTO got
          FROM pg_trigger tg WHERE tg.tgrelid = format('%I.%I', s, r.t)::regclass AND NOT tg.tgisinternal;
        PERFORM pg_temp.check(got = format('CREATE TRIGGER %I AFTER INSERT OR DELETE OR UPDATE ON %I.%I FOR EACH ROW'
                                           ' WHEN (((public.get_xmlbinary())::text = ''base64''::text))'
                                           ' EXECUTE FUNCTION %I.%I(); '
                                           'CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I.%I FOR EACH ROW'
                                           ' EXECUTE FUNCTION %I.%I()',
                                           'hc_' || r.t || '_logtrigger', s, r.t, s, 'hc_' || r.t || '_logger',
                                           'hc_' || r.t || '_status_trigger', s, r.t, s, 'hc_' || r.t || '_status'),
                              r.t || ' triggers: ' || coalesce(got, 'none'));
    END LOOP;
    -- attaching again switches a mapping between read-write and read-only
    PERFORM hcemu.attach_mapping(s, 'custom_ro', false);
    PERFORM pg_temp.check((SELECT prosrc FROM pg_proc WHERE oid = format('%I.hc_custom_ro_logger', s)::regproc)
                          = (SELECT prosrc FROM pg_proc WHERE oid = format('%I.hc_account_logger', s)::regproc),
                          'attach_mapping(read_only => false) makes custom_ro read-write');
END;
$$;

------------------------------------------------------------------------------------------
\echo '  read-only connection (and the standard one''s read-write loggers)'
------------------------------------------------------------------------------------------
SELECT hcemu.create_readonly_connection(:'schema' || '_ro') \gset
DO $$
DECLARE
    std text := current_setting('hcemu_selftest.schema');
    ro text := std || '_ro';
    sch text;
    t text;
    cols text;
    body text;
    n integer;
    rid integer;
    got text;
    want text;
BEGIN
    FOREACH t IN ARRAY ARRAY['account', 'contact', 'opportunity', 'user'] LOOP
        -- the standard connection's columns
        SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) INTO cols
          FROM pg_attribute a WHERE a.attrelid = format('%I.%I', std, t)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
        SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) INTO got
          FROM pg_attribute a WHERE a.attrelid = format('%I.%I', ro, t)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
        PERFORM pg_temp.check(got = cols, 'read-only connection: ' || t || ' columns: ' || coalesce(got, 'no table'));

        FOREACH sch IN ARRAY ARRAY[ro, std] LOOP
            body := (SELECT prosrc FROM pg_proc WHERE oid = format('%I.%I', sch, 'hc_' || t || '_logger')::regproc);
            IF sch = ro OR t = 'user' THEN
                PERFORM pg_temp.check(strpos(body, 'trigger_row.state = ''READONLY'';') > 0 AND strpos(body, '''NEW''') = 0
                                      AND strpos(body, '''IGNORE''') = 0, sch || '.' || t || ' logger writes READONLY only');
                want := 'INSERT/READONLY,UPDATE/READONLY,UPDATE/READONLY,DELETE/READONLY';
            ELSE
                PERFORM pg_temp.check(strpos(body, 'trigger_row.state = ''NEW'';') > 0 AND strpos(body, '''IGNORE''') > 0
                                      AND strpos(body, '''READONLY''') = 0, sch || '.' || t || ' logger writes NEW/IGNORE');
                want := 'INSERT/NEW,UPDATE/IGNORE,UPDATE/NEW,DELETE/IGNORE';
            END IF;
            -- a user session: insert, no-op update, update, delete of a row without sfid
            EXECUTE format('SELECT coalesce(max(id), 0) FROM %I._trigger_log', sch) INTO n;
            EXECUTE format('INSERT INTO %I.%I (createddate) VALUES (''2024-01-01'') RETURNING id', sch, t) INTO rid;
            EXECUTE format('UPDATE %I.%I SET createddate = createddate WHERE id = $1', sch, t) USING rid;
            EXECUTE format('UPDATE %I.%I SET systemmodstamp = ''2024-01-02'' WHERE id = $1', sch, t) USING rid;
            EXECUTE format('DELETE FROM %I.%I WHERE id = $1', sch, t) USING rid;
            EXECUTE format('SELECT string_agg(action || ''/'' || state, '','' ORDER BY id) FROM %I._trigger_log'
                           ' WHERE id > $1 AND table_name = $2 AND record_id = $3', sch) INTO got USING n, t, rid;
            PERFORM pg_temp.check(got = want, sch || '.' || t || ' log states: ' || coalesce(got, 'no log rows'));
        END LOOP;
    END LOOP;
END;
$$;

------------------------------------------------------------------------------------------
\echo '  legacy connection (bigint log sequence)'
------------------------------------------------------------------------------------------
SELECT hcemu.create_legacy_connection(:'schema' || '_legacy') \gset
DO $$
DECLARE
    std text := current_setting('hcemu_selftest.schema');
    s text := std || '_legacy';
    seq text := format('%I._trigger_log_id_seq', s);
    r record;
    got text;
    want text;
    rid integer;
    lid integer;
BEGIN
    SELECT * INTO r FROM pg_sequences WHERE schemaname = s AND sequencename = '_trigger_log_id_seq';
    PERFORM pg_temp.check(r.data_type = 'bigint'::regtype AND r.max_value = 9223372036854775807 AND r.min_value = 1
                          AND r.start_value = 1 AND r.increment_by = 1 AND r.cache_size = 1 AND NOT r.cycle,
                          'legacy: _trigger_log_id_seq is bigint up to 9223372036854775807: ' || coalesce(r::text, 'missing'));
    PERFORM pg_temp.check(pg_get_serial_sequence(format('%I._trigger_log', s), 'id')::regclass = seq::regclass,
                          'legacy: the sequence is owned by _trigger_log.id');
    PERFORM pg_temp.check((SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a
                             ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                            WHERE d.adrelid = format('%I._trigger_log', s)::regclass AND a.attname = 'id')
                          = format('nextval(''%s''::regclass)', replace(seq, '''', '''''')),
                          'legacy: the sequence is the id default');
    PERFORM pg_temp.check((SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                            WHERE attrelid = format('%I._trigger_log', s)::regclass AND attname = 'id') = 'integer',
                          'legacy: _trigger_log.id stays integer');
    PERFORM pg_temp.check((SELECT bool_and(data_type = 'integer'::regtype) AND count(*) = 6 FROM pg_sequences
                            WHERE schemaname = s AND sequencename <> '_trigger_log_id_seq'),
                          'legacy: every other sequence is AS integer');

    -- everything else is the standard connection: the same tables and columns, and the same
    -- functions up to the schema name (the standard schema also holds this test's extra tables)
    FOR r IN SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = quote_ident(s)::regnamespace LOOP
        SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) INTO got
          FROM pg_attribute a WHERE a.attrelid = format('%I.%I', s, r.relname)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
        SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) INTO want
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = quote_ident(std)::regnamespace AND c.relname = r.relname AND c.relkind = r.relkind
           AND a.attnum > 0 AND NOT a.attisdropped;
        PERFORM pg_temp.check(got IS NOT DISTINCT FROM want AND (r.relkind = 'S' OR want IS NOT NULL),
                              'legacy: ' || r.relname || ' as in the standard connection: ' || coalesce(got, ''));
    END LOOP;
    FOR r IN SELECT p.proname, p.prosrc FROM pg_proc p WHERE p.pronamespace = quote_ident(s)::regnamespace LOOP
        -- the schema appears as a literal (the notify channel, the loggers' sequence; E'' when it
        -- holds a backslash) and as a double-quoted identifier
        PERFORM pg_temp.check(
            replace(replace(replace(r.prosrc,
                                    quote_literal(s || '.hc_trigger_log'), quote_literal(std || '.hc_trigger_log')),
                            quote_literal(hcemu.qi(s) || '."_trigger_log_id_seq"'),
                            quote_literal(hcemu.qi(std) || '."_trigger_log_id_seq"')),
                    hcemu.qi(s), hcemu.qi(std))
            = (SELECT p.prosrc FROM pg_proc p WHERE p.pronamespace = quote_ident(std)::regnamespace AND p.proname = r.proname),
            'legacy: function ' || r.proname || ' as in the standard connection');
    END LOOP;
    PERFORM pg_temp.check((SELECT count(*) FROM pg_proc WHERE pronamespace = quote_ident(s)::regnamespace) = 11,
                          'legacy: 11 functions');

    -- it still feeds the live log: logger and capture procedures
    EXECUTE format('INSERT INTO %I.account (name) VALUES (''legacy'') RETURNING id', s) INTO rid;
    EXECUTE format('SELECT id FROM %I._trigger_log WHERE action = ''INSERT'' AND table_name = ''account'' AND record_id = $1', s)
        INTO lid USING rid;
    PERFORM pg_temp.check(lid IS NOT NULL AND lid = currval(seq), 'legacy: a logged insert gets the sequence''s id');
    EXECUTE format('SELECT %1$I.hc_capture_update_from_row(public.hstore(t.*), ''account'', ARRAY[''name'']) FROM %1$I.account t'
                   ' WHERE t.id = $1', s) INTO lid USING rid;
    PERFORM pg_temp.check(lid = currval(seq), 'legacy: capture update gets the sequence''s id');
END;
$$;

------------------------------------------------------------------------------------------
\echo '  variant connection: structure'
------------------------------------------------------------------------------------------
SELECT hcemu.create_variant_connection(:'schema' || '_variant') \gset
-- twice: the installer is idempotent (IF NOT EXISTS throughout)
SELECT hcemu.create_variant_connection(:'schema' || '_variant') \gset
DO $$
DECLARE
    std text := current_setting('hcemu_selftest.schema');
    s text := std || '_variant';
    r record;
    got text;
BEGIN
    PERFORM set_config('search_path', 'pg_catalog', true);
    -- the connection-wide objects
    PERFORM pg_temp.check(to_regclass(format('%I._trigger_log', s)) IS NOT NULL
                          AND to_regclass(format('%I._trigger_log_archive', s)) IS NOT NULL
                          AND to_regclass(format('%I._hcmeta', s)) IS NOT NULL
                          AND to_regclass(format('%I._sf_event_log', s)) IS NOT NULL
                          AND to_regproc(format('%I.hc_capture_insert_from_row', s)) IS NOT NULL
                          AND to_regproc(format('%I.hc_capture_update_from_row', s)) IS NOT NULL
                          AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = format('%I._trigger_log', s)::regclass
                                                                 AND tgname = 'tlog_insert_trigger'),
                          'variant: connection-wide objects');

    -- account: the standard columns, plus an external-id index
    SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum) INTO got
      FROM pg_attribute a WHERE a.attrelid = format('%I.account', s)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    PERFORM pg_temp.check(got = (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
                                   FROM pg_attribute a WHERE a.attrelid = format('%I.account', std)::regclass
                                    AND a.attnum > 0 AND NOT a.attisdropped),
                          'variant account columns: ' || got);

    -- contact: the application's DDL
    SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                      ',' ORDER BY a.attnum) INTO got
      FROM pg_attribute a WHERE a.attrelid = format('%I.contact', s)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    PERFORM pg_temp.check(got =
        'firstname character varying(40),lastname character varying(80),email character varying(80),'
        'accountid character varying(18),extra_life_id__c character varying(255),'
        'createddate timestamp without time zone,systemmodstamp timestamp without time zone,'
        'sfid character varying(18) NOT NULL,id integer NOT NULL,_hc_lastop character varying(32),_hc_err text,'
        'app_notes text,app_score integer',
        'variant contact columns: ' || got);
    PERFORM pg_temp.check(NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = format('%I.contact', s)::regclass
                                                                   AND attname = 'isdeleted'),
                          'variant contact: no isdeleted');
    PERFORM pg_temp.check((SELECT min(attnum) FROM pg_attribute WHERE attrelid = format('%I.contact', s)::regclass
                                                                  AND attname IN ('app_notes', 'app_score'))
                          > (SELECT attnum FROM pg_attribute WHERE attrelid = format('%I.contact', s)::regclass
                                                               AND attname = '_hc_err'),
                          'variant contact: application columns after _hc_err');
    SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname) INTO got
      FROM pg_constraint WHERE conrelid = format('%I.contact', s)::regclass AND contype IN ('p', 'u', 'f', 'c', 'x');
    PERFORM pg_temp.check(got = format('contact_accountid_fkey FOREIGN KEY (accountid) REFERENCES %I.account(sfid) ON DELETE RESTRICT; '
                                       'contact_pkey PRIMARY KEY (id, sfid); '
                                       'contact_sfid_id_key UNIQUE (sfid, id)', s),
                          'variant contact constraints: ' || coalesce(got, 'none'));
    PERFORM pg_temp.check(pg_get_serial_sequence(format('%I.contact', s), 'id')::regclass = format('%I.contact_id_seq', s)::regclass
                          AND (SELECT seqtypid = 'integer'::regtype FROM pg_sequence
                                WHERE seqrelid = format('%I.contact_id_seq', s)::regclass),
                          'variant contact: id owns contact_id_seq AS integer');

    -- indexes
    FOR r IN SELECT * FROM (VALUES
        ('hcu_idx_account_sfid', 'CREATE UNIQUE INDEX hcu_idx_account_sfid ON %s.account USING btree (sfid)'),
        ('hcu_idx_account_external_id__c', 'CREATE UNIQUE INDEX hcu_idx_account_external_id__c ON %s.account USING btree (external_id__c)'),
        ('contact_pkey', 'CREATE UNIQUE INDEX contact_pkey ON %s.contact USING btree (id, sfid)'),
        ('contact_sfid_id_key', 'CREATE UNIQUE INDEX contact_sfid_id_key ON %s.contact USING btree (sfid, id)'),
        ('hcu_idx_contact_sfid', 'CREATE UNIQUE INDEX hcu_idx_contact_sfid ON %s.contact USING btree (sfid)'),
        ('hc_idx_contact_systemmodstamp', 'CREATE INDEX hc_idx_contact_systemmodstamp ON %s.contact USING btree (systemmodstamp)'),
        ('hcu_idx_contact_extra_life_id__c', 'CREATE UNIQUE INDEX hcu_idx_contact_extra_life_id__c ON %s.contact USING btree (extra_life_id__c)'),
        ('hcu_idx_lead_sfid', 'CREATE UNIQUE INDEX hcu_idx_lead_sfid ON %s.lead USING btree (sfid)'),
        ('app_setting_pkey', 'CREATE UNIQUE INDEX app_setting_pkey ON %s.app_setting USING btree (id)')
    ) v(name, def) LOOP
        SELECT pg_get_indexdef(c.oid) INTO got FROM pg_class c
         WHERE c.relnamespace = quote_ident(s)::regnamespace AND c.relname = r.name AND c.relkind = 'i';
        PERFORM pg_temp.check(got = format(r.def, quote_ident(s)), 'variant index ' || r.name || ': ' || coalesce(got, 'missing'));
    END LOOP;
    PERFORM pg_temp.check((SELECT count(*) FROM pg_index WHERE indrelid = format('%I.contact', s)::regclass) = 5
                          AND (SELECT count(*) FROM pg_index WHERE indrelid = format('%I.account', s)::regclass) = 4,
                          'variant: no other indexes on contact and account');

    -- triggers: account and contact have both, lead only its status trigger, app_setting none
    FOR r IN SELECT * FROM (VALUES ('account', true), ('contact', true), ('lead', false)) v(t, logged) LOOP
        SELECT string_agg(pg_get_triggerdef(tg.oid), '; ' ORDER BY tg.tgname) INTO got
          FROM pg_trigger tg WHERE tg.tgrelid = format('%I.%I', s, r.t)::regclass AND NOT tg.tgisinternal;
        PERFORM pg_temp.check(got = CASE WHEN r.logged THEN
                                  format('CREATE TRIGGER %I AFTER INSERT OR DELETE OR UPDATE ON %I.%I FOR EACH ROW'
                                         ' WHEN (((public.get_xmlbinary())::text = ''base64''::text))'
                                         ' EXECUTE FUNCTION %I.%I(); ',
                                         'hc_' || r.t || '_logtrigger', s, r.t, s, 'hc_' || r.t || '_logger') ELSE '' END
                                  || format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I.%I FOR EACH ROW'
                                            ' EXECUTE FUNCTION %I.%I()',
                                            'hc_' || r.t || '_status_trigger', s, r.t, s, 'hc_' || r.t || '_status'),
                              'variant ' || r.t || ' triggers: ' || coalesce(got, 'none'));
    END LOOP;
    PERFORM pg_temp.check(to_regproc(format('%I.hc_lead_logger', s)) IS NOT NULL,
                          'variant lead: the logger function remains without its trigger');
    PERFORM pg_temp.check(NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = format('%I.app_setting', s)::regclass),
                          'variant app_setting: no triggers');
    SELECT string_agg(attname, ',' ORDER BY attnum) INTO got FROM pg_attribute
     WHERE attrelid = format('%I.app_setting', s)::regclass AND attnum > 0 AND NOT attisdropped;
    PERFORM pg_temp.check(got = 'id,name,value,sfid', 'variant app_setting columns (id and sfid, no _hc_*): ' || got);
    PERFORM pg_temp.check(to_regproc(format('%I.hc_app_setting_logger', s)) IS NULL
                          AND to_regproc(format('%I.hc_app_setting_status', s)) IS NULL,
                          'variant app_setting: no Connect functions');
    PERFORM pg_temp.check((SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c
                            WHERE c.relnamespace = quote_ident(s)::regnamespace AND c.relkind = 'r')
                          = '_hcmeta,_sf_event_log,_trigger_log,_trigger_log_archive,account,app_setting,contact,lead',
                          'variant: tables');
END;
$$;

------------------------------------------------------------------------------------------
\echo '  variant connection: logging and capture'
------------------------------------------------------------------------------------------
SELECT set_config('search_path', format('%I, public', :'schema' || '_variant'), false) \gset
DO $$
DECLARE
    excl constant text[] := ARRAY['_hc_lastop', '_hc_err'];
    acc_sfid constant text := hcemu.sfid('001', 1);
    c contact;
    l _trigger_log;
    n integer;
    newid integer;
    rid integer;
    err text;
BEGIN
    -- Connect syncs an account down (not logged), a user adds a contact to it
    PERFORM set_config('xmlbinary', 'hex', true);
    INSERT INTO account (name, sfid, external_id__c) VALUES ('Variant GmbH', acc_sfid, 'EXT-V-1');
    PERFORM set_config('xmlbinary', 'base64', true);
    PERFORM pg_temp.check((SELECT count(*) FROM _trigger_log) = 0, 'variant: Connect writes not logged');
    INSERT INTO contact (firstname, lastname, email, accountid, extra_life_id__c, sfid, app_notes, app_score)
    VALUES ('Ada', 'Lovelace', 'ada@example.com', acc_sfid, 'XL-1', hcemu.sfid('003', 1), E'note, "quoted" => \\ here', 7)
    RETURNING * INTO c;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'INSERT' AND l.state = 'NEW' AND l.table_name = 'contact' AND l.record_id = c.id
                          AND l.sfid IS NULL AND l.old IS NULL, 'variant contact insert: INSERT/NEW');
    PERFORM pg_temp.check(public.hstore(l."values") = public.hstore(c) - excl
                          AND public.hstore(l."values") ?& ARRAY['app_notes', 'app_score', 'id', 'sfid']
                          AND NOT (public.hstore(l."values") ?| excl)
                          AND public.hstore(l."values") -> 'app_score' = '7',
                          'variant contact insert: values with app_notes/app_score, without _hc_*: ' || l."values");
    PERFORM pg_temp.check(c._hc_lastop = 'PENDING', 'variant contact insert: PENDING');

    -- a user update: changed columns, sfid from the row
    UPDATE contact SET app_score = 8 WHERE id = c.id RETURNING * INTO c;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(l.action = 'UPDATE' AND l.state = 'NEW' AND l.sfid = c.sfid AND l."values" = '"app_score"=>"8"',
                          'variant contact update: ' || l."values");

    -- capture procedures work on it
    SELECT hc_capture_update_from_row(public.hstore(t.*), 'contact', ARRAY['app_score']) INTO newid
      FROM contact t WHERE t.id = c.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(newid IS NOT NULL AND newid = l.id AND l.action = 'UPDATE' AND l.state = 'NEW'
                          AND l.table_name = 'contact' AND l.record_id = c.id AND l.sfid = c.sfid
                          AND l."values" = '"app_score"=>"8"', 'variant capture update: ' || coalesce(l."values", 'NULL'));
    SELECT hc_capture_insert_from_row(public.hstore(t.*), 'contact') INTO newid FROM contact t WHERE t.id = c.id;
    SELECT * INTO l FROM _trigger_log ORDER BY id DESC LIMIT 1;
    PERFORM pg_temp.check(newid = l.id AND l.action = 'INSERT' AND l.state = 'NEW'
                          AND public.hstore(l."values") = public.hstore(c) - excl, 'variant capture insert');

    -- the constraints hold
    err := NULL;
    BEGIN
        DELETE FROM account WHERE sfid = acc_sfid;
    EXCEPTION WHEN foreign_key_violation THEN
        err := SQLERRM;
    END;
    PERFORM pg_temp.check(err LIKE '%contact_accountid_fkey%', 'variant: ON DELETE RESTRICT keeps the account');
    err := NULL;
    BEGIN
        INSERT INTO contact (lastname, sfid, accountid) VALUES ('x', hcemu.sfid('003', 2), hcemu.sfid('001', 999));
    EXCEPTION WHEN foreign_key_violation THEN
        err := SQLERRM;
    END;
    PERFORM pg_temp.check(err IS NOT NULL, 'variant: accountid must exist in account.sfid');
    err := NULL;
    BEGIN
        INSERT INTO contact (lastname) VALUES ('no sfid');
    EXCEPTION WHEN not_null_violation THEN
        err := SQLERRM;
    END;
    PERFORM pg_temp.check(err IS NOT NULL, 'variant: contact.sfid NOT NULL');
    err := NULL;
    BEGIN
        INSERT INTO contact (lastname, sfid, extra_life_id__c) VALUES ('dup', hcemu.sfid('003', 3), 'XL-1');
    EXCEPTION WHEN unique_violation THEN
        err := SQLERRM;
    END;
    PERFORM pg_temp.check(err LIKE '%hcu_idx_contact_extra_life_id__c%', 'variant: extra_life_id__c unique');

    -- lead: the status trigger fires, nothing is logged
    SELECT count(*) INTO n FROM _trigger_log;
    INSERT INTO lead (lastname, company) VALUES ('Unlogged', 'Paused Inc') RETURNING id INTO rid;
    UPDATE lead SET company = 'Paused AG' WHERE id = rid;
    DELETE FROM lead WHERE id = rid;
    INSERT INTO lead (lastname) VALUES ('Kept') RETURNING id INTO rid;
    PERFORM pg_temp.check((SELECT count(*) FROM _trigger_log) = n, 'variant lead: user writes are not logged');
    PERFORM pg_temp.check((SELECT _hc_lastop FROM lead WHERE id = rid) = 'PENDING', 'variant lead: status trigger');

    -- app_setting: not a mapping
    INSERT INTO app_setting (name, value, sfid) VALUES ('theme', 'dark', hcemu.sfid('001', 1));
    UPDATE app_setting SET value = 'light';
    PERFORM pg_temp.check((SELECT count(*) FROM _trigger_log) = n, 'variant app_setting: not logged');
END;
$$;

------------------------------------------------------------------------------------------
-- clean up
------------------------------------------------------------------------------------------
RESET search_path;
SELECT hcemu.drop_connection(:'schema') \gset
SELECT hcemu.drop_connection(:'schema' || '_ro') \gset
SELECT hcemu.drop_connection(:'schema' || '_legacy') \gset
SELECT hcemu.drop_connection(:'schema' || '_variant') \gset
\echo 'hcemu selftest: OK'
