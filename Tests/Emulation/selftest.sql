-- selftest.sql: self test of the Heroku Connect emulation (hcemu.sql must be loaded).
--
--     psql -v ON_ERROR_STOP=1 [-v schema=NAME] -f Tests/Emulation/selftest.sql
--
-- Builds its own connection in schema NAME (default hcemu_selftest; it is DROPPED first and
-- at the end, so never point it at a schema you want to keep), asserts with DO blocks that
-- raise on the first failure, and prints "hcemu selftest: OK" when everything passed.
-- Any schema name works, e.g. -v schema='Weird "Schema"'.

\set ON_ERROR_STOP 1
\set QUIET 1
\if :{?schema}
\else
\set schema hcemu_selftest
\endif

SET client_min_messages = warning;
SELECT set_config('hcemu_selftest.schema', :'schema', false) \gset
SELECT hcemu.drop_connection(:'schema') \gset
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
-- clean up
------------------------------------------------------------------------------------------
RESET search_path;
SELECT hcemu.drop_connection(:'schema') \gset
\echo 'hcemu selftest: OK'
