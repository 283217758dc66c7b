-- demo.sql: realistic demo data for a Heroku Connect connection (hcemu.sql must be loaded).
--
--     psql -v ON_ERROR_STOP=1 [-v schema=NAME] [-v quiet=1] -f Tests/Emulation/demo.sql
--
-- Recreates the connection in schema NAME (default salesforce; it is DROPPED first) and
-- plays ten days of history the way it really happens:
--   * a user session (xmlbinary = base64, the default) inserts, updates and deletes rows
--     in account / contact / opportunity / "user", so the loggers write the log rows;
--   * a simulated Connect worker (a session with SET xmlbinary = 'hex', so nothing it does
--     is logged) pulls records from Salesforce, assigns sfids to inserted records
--     (_hc_lastop becomes SYNCED), marks log rows SUCCESS / FAILED / MERGED, puts the
--     error on failed records (_hc_lastop = 'FAILED', _hc_err), sets processed_at /
--     processed_tx, and moves processed rows to _trigger_log_archive (same ids);
--   * an operator ignores one archived failure (IGNORED) and re-queues another (merged
--     writes: copied back as NEW, the archived row becomes REQUEUED).
-- created_at is rewritten afterwards to spread the log over the last ten days (the logger
-- stamps clock_timestamp()). Deterministic: no random(); re-running gives the same ids.
--
-- What it leaves (ids are stable):
--   live log:  SUCCESS, FAILED (7: account/contact/opportunity, INSERT and UPDATE),
--              2 PENDING, 4 NEW, 1 READONLY
--   archive:   SUCCESS, FAILED (6, four older than 7 days, one of them an INSERT whose
--              contact was deleted since, one a DELETE), MERGED, IGNORE, IGNORED,
--              REQUEUED, READONLY
--   account "Globex Corporation": INSERT (SUCCESS) -> UPDATE (FAILED, validation) ->
--              UPDATE (SUCCESS, fixed), spanning archive and live log.
--   day -3, what a retry leaves alone or sends once: a lock error on a field a later
--              change wrote (superseded), three lock errors of one contact (one capture under
--              ordered writes), a failure of "user" (read-only since) and two of
--              el_history__c (a deleted mapping).
-- A summary with the interesting ids is printed at the end (not with -v quiet=1).

\set ON_ERROR_STOP 1
\set QUIET 1
\if :{?schema}
\else
\set schema salesforce
\endif

SET client_min_messages = warning;
RESET xmlbinary;
SELECT hcemu.drop_connection(:'schema') AS _ \gset
SELECT hcemu.create_standard_connection(:'schema') AS _ \gset
SELECT set_config('search_path', format('%I, public', :'schema'), false) AS _ \gset
SELECT set_config('hcemu_demo.schema', :'schema', false) AS _ \gset
-- rows logged from now on get re-stamped into the past by pg_temp.stamp
SELECT set_config('hcemu_demo.started', clock_timestamp()::text, false) AS _ \gset
-- day 0 = today 00:00; phases are placed relative to it
SELECT set_config('hcemu_demo.day0', date_trunc('day', now())::text, false) AS _ \gset

------------------------------------------------------------------------------------------
-- Demo machinery (session-local: pg_temp)
------------------------------------------------------------------------------------------

-- What the worker should do with a log row, keyed by log id; label = a name for the summary.
CREATE TEMP TABLE outcome (
    log_id integer PRIMARY KEY,
    state text NOT NULL,
    msg text,
    label text UNIQUE
);

-- CALL pg_temp.will(state, msg, label): the outcome of the log row the last statement wrote.
CREATE PROCEDURE pg_temp.will(want text, msg text DEFAULT NULL, label text DEFAULT NULL)
    LANGUAGE sql AS $$
    INSERT INTO pg_temp.outcome (log_id, state, msg, label)
    VALUES (currval(pg_get_serial_sequence(format('%I._trigger_log', current_setting('hcemu_demo.schema')), 'id')),
            want, msg, label);
$$;

-- A point in time: day0 + days + hours.
CREATE FUNCTION pg_temp.at(days integer, hours double precision) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
    SELECT current_setting('hcemu_demo.day0')::timestamptz + days * interval '1 day' + hours * interval '1 hour';
$$;

-- Re-stamps the live rows logged since the script started: phase_at, phase_at + step, ...
CREATE PROCEDURE pg_temp.stamp(phase_at timestamptz, step interval)
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE _trigger_log l
       SET created_at = phase_at + (x.rn - 1) * step
      FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn
              FROM _trigger_log
             WHERE created_at >= current_setting('hcemu_demo.started')::timestamptz) x
     WHERE l.id = x.id;
END;
$$;

-- The Connect worker: processes NEW (and PENDING) live rows in id order, following
-- pg_temp.outcome (default SUCCESS; 'NEW' = not reached yet, 'PENDING' = in flight).
-- IGNORE and READONLY rows are left alone. Must run with xmlbinary = 'hex'.
CREATE PROCEDURE pg_temp.connect_worker(phase_at timestamptz)
    LANGUAGE plpgsql AS $$
DECLARE
    r record;
    want text;
    k integer := 0;
    done_at timestamptz;
    t text;
BEGIN
    IF public.get_xmlbinary() <> 'hex' THEN
        RAISE EXCEPTION 'the worker must run with xmlbinary = hex, not %', public.get_xmlbinary();
    END IF;
    FOR r IN SELECT l.id, l.action, l.table_name, l.record_id, l.created_at, o.state AS want, o.msg
               FROM _trigger_log l LEFT JOIN pg_temp.outcome o ON o.log_id = l.id
              WHERE l.state IN ('NEW', 'PENDING')
              ORDER BY l.id
    LOOP
        want := coalesce(r.want, 'SUCCESS');
        CONTINUE WHEN want = 'NEW';
        IF want = 'PENDING' THEN
            UPDATE _trigger_log SET state = 'PENDING' WHERE id = r.id;
            CONTINUE;
        END IF;
        k := k + 1;
        done_at := greatest(r.created_at, phase_at) + interval '45 seconds' + k * interval '3 seconds';
        t := format('%I', r.table_name);
        IF want = 'SUCCESS' AND r.action = 'INSERT' THEN
            -- Salesforce created the record: it gets its id
            EXECUTE format('UPDATE %s SET sfid = $1, createddate = $2, systemmodstamp = $2, isdeleted = false'
                           ' WHERE id = $3 AND sfid IS NULL', t)
                USING hcemu.sfid(CASE r.table_name WHEN 'account' THEN '001' WHEN 'contact' THEN '003'
                                                   WHEN 'opportunity' THEN '006' ELSE '005' END,
                                 r.record_id),
                      (done_at AT TIME ZONE 'UTC')::timestamp, r.record_id;
            IF r.table_name = 'account' THEN
                UPDATE account SET lastmodifieddate = (done_at AT TIME ZONE 'UTC')::timestamp WHERE id = r.record_id;
            END IF;
        ELSIF want = 'SUCCESS' AND r.action = 'UPDATE' THEN
            EXECUTE format('UPDATE %s SET systemmodstamp = $1 WHERE id = $2', t)
                USING (done_at AT TIME ZONE 'UTC')::timestamp, r.record_id;
        ELSIF want = 'FAILED' THEN
            -- an explicit _hc_lastop change survives the status trigger
            EXECUTE format('UPDATE %s SET _hc_lastop = ''FAILED'', _hc_err = $1 WHERE id = $2', t)
                USING r.msg, r.record_id;
        END IF;
        UPDATE _trigger_log
           SET state = want,
               processed_at = done_at,
               processed_tx = txid_current(),
               updated_at = done_at,
               sf_result = CASE want WHEN 'FAILED' THEN 1 WHEN 'SUCCESS' THEN 0 END,
               sf_message = r.msg
         WHERE id = r.id;
    END LOOP;
END;
$$;

-- The worker's housekeeping: processed rows move to the archive, keeping their ids.
CREATE PROCEDURE pg_temp.connect_archive()
    LANGUAGE plpgsql AS $$
BEGIN
    WITH moved AS (
        DELETE FROM _trigger_log WHERE state NOT IN ('NEW', 'PENDING') RETURNING *
    )
    INSERT INTO _trigger_log_archive SELECT * FROM moved;
END;
$$;

-- A log id by label.
CREATE FUNCTION pg_temp.log_id(want_label text) RETURNS integer
    LANGUAGE sql STABLE AS $$
    SELECT log_id FROM pg_temp.outcome WHERE label = want_label;
$$;

------------------------------------------------------------------------------------------
-- Day -10: records pulled from Salesforce (Connect, not logged), then the first user writes
------------------------------------------------------------------------------------------
SET xmlbinary = 'hex';
INSERT INTO "user" (username, email, firstname, lastname, alias, isactive, createddate, systemmodstamp, isdeleted)
VALUES ('admin@acme-demo.example', 'admin@acme-demo.example', 'Ada', 'Admin', 'aadmi', true,
        '2022-03-01 09:00:00', '2024-11-02 08:15:00', false),
       ('integration@acme-demo.example', 'integration@acme-demo.example', 'Heroku', 'Connect', 'hconn', true,
        '2022-03-01 09:05:00', '2024-06-11 12:00:00', false),
       ('sales.rep@acme-demo.example', 'sales.rep@acme-demo.example', 'Sam', 'Seller', 'sseller', true,
        '2023-01-15 10:30:00', '2024-10-01 16:45:00', false),
       ('former@acme-demo.example', 'former@acme-demo.example', 'Fred', 'Former', 'fform', false,
        '2021-07-01 08:00:00', '2023-12-31 17:00:00', false);
UPDATE "user" SET sfid = hcemu.sfid('005', id) WHERE sfid IS NULL;
INSERT INTO account (name, accountnumber, billingcity, billingcountry, phone, industry, numberofemployees,
                     annualrevenue, external_id__c, ownerid, createddate, systemmodstamp, lastmodifieddate, isdeleted)
VALUES ('Salesforce Demo Holdings', 'AC-000900', 'San Francisco', 'United States', '+1 415 555 0100', 'Technology',
        72000, 3.49e10, 'EXT-A-900', hcemu.sfid('005', 1), '2021-05-04 10:00:00', '2024-09-30 11:00:00', '2024-09-30 11:00:00', false),
       ('Hooli', 'AC-000901', 'Palo Alto', 'United States', '+1 650 555 0101', 'Technology',
        9000, 1.2e9, 'EXT-A-901', hcemu.sfid('005', 3), '2022-02-14 09:30:00', '2024-10-12 15:20:00', '2024-10-12 15:20:00', false);
UPDATE account SET sfid = hcemu.sfid('001', id) WHERE sfid IS NULL;
INSERT INTO contact (firstname, lastname, email, phone, title, accountid, mailingcity, external_id__c,
                     createddate, systemmodstamp, isdeleted)
VALUES ('Gavin', 'Belson', 'gavin.belson@hooli.example', '+1 650 555 0102', 'CEO', hcemu.sfid('001', 2), 'Palo Alto',
        'EXT-C-901', '2022-02-14 09:35:00', '2024-10-12 15:21:00', false),
       ('Richard', 'Hendricks', 'richard@piedpiper.example', NULL, 'CTO', hcemu.sfid('001', 2), 'Palo Alto',
        'EXT-C-902', '2022-03-01 11:00:00', '2024-08-08 08:08:00', false),
       ('Marc', 'Benioff', 'marc@salesforce-demo.example', '+1 415 555 0103', 'Chair', hcemu.sfid('001', 1),
        'San Francisco', 'EXT-C-903', '2021-05-04 10:05:00', '2024-09-30 11:05:00', false);
UPDATE contact SET sfid = hcemu.sfid('003', id) WHERE sfid IS NULL;
RESET xmlbinary;

-- user writes
INSERT INTO account (name, accountnumber, billingcity, billingcountry, phone, industry, numberofemployees,
                     annualrevenue, external_id__c, description, ownerid)
VALUES ('Acme Corporation', 'AC-000101', 'Berlin', 'Germany', '+49 30 1234567', 'Manufacturing', 1200, 2.5e8,
        'EXT-A-101', E'Key account, renewal due in Q3 => call "Anna" first', hcemu.sfid('005', 3));
CALL pg_temp.will('SUCCESS', NULL, 'acme_insert');
INSERT INTO account (name, accountnumber, billingcity, billingcountry, phone, industry, numberofemployees,
                     annualrevenue, external_id__c, ownerid)
VALUES ('Globex Corporation', 'AC-000102', 'Springfield', 'United States', '+1 555 0102', 'Energy', 4300, 9.1e8,
        'EXT-A-102', hcemu.sfid('005', 3));
CALL pg_temp.will('SUCCESS', NULL, 'globex_insert');
INSERT INTO account (name, accountnumber, billingcity, billingcountry, industry, numberofemployees, external_id__c, ownerid)
VALUES ('Initech GmbH', 'AC-000103', 'München', 'Germany', 'Technology', 250, 'EXT-A-103', hcemu.sfid('005', 3));
INSERT INTO account (name, accountnumber, billingcity, billingcountry, industry, external_id__c, ownerid)
VALUES ('Umbrella Corp', 'AC-000104', 'Raccoon City', 'United States', 'Healthcare', 'EXT-A-901', hcemu.sfid('005', 1));
CALL pg_temp.will('FAILED', 'DUPLICATE_VALUE: duplicate value found: External_Id__c duplicates value on record with id: '
                            || hcemu.sfid('001', 2), 'umbrella_insert');
INSERT INTO account (name, accountnumber, billingcity, billingcountry, phone, industry, numberofemployees,
                     annualrevenue, external_id__c, description, ownerid)
VALUES ('Stark Industries', 'AC-000105', 'New York', 'United States', '+1 212 555 0105', 'Manufacturing', 15000, 2.4e10,
        'EXT-A-105', E'Line 1\nLine 2 with a backslash \\ and ünïcödé', hcemu.sfid('005', 1));
INSERT INTO contact (firstname, lastname, email, phone, title, accountid, mailingcity, external_id__c)
VALUES ('Anna', 'Müller', 'anna.mueller@acme.example', '+49 30 1234568', 'Head of Purchasing', NULL, 'Berlin', 'EXT-C-101'),
       ('Ben', 'Smith', 'ben.smith@globex.example', '+1 555 0103', 'Buyer', NULL, 'Springfield', 'EXT-C-102');
INSERT INTO contact (firstname, lastname, email, title, mailingcity, external_id__c)
VALUES ('Carla', NULL, 'carla@initech.example', 'Office Manager', 'München', 'EXT-C-103');
CALL pg_temp.will('FAILED', 'REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]', 'carla_insert');
INSERT INTO contact (firstname, lastname, email, phone, title, mailingcity, external_id__c)
VALUES ('Chloé', 'Dubois', 'chloe.dubois@example.fr', '+33 1 55 55 01 04', 'Directrice', 'Paris', 'EXT-C-104'),
       ('Bob', 'Jones', 'bob.jones@stark.example', '+1 212 555 0106', 'Engineer', 'New York', 'EXT-C-105');
-- routine traffic: a batch of contacts
INSERT INTO contact (firstname, lastname, email, phone, title, mailingcity, external_id__c)
SELECT f, l, lower(translate(f, 'éí', 'ei')) || '.' || lower(replace(translate(l, 'üáí', 'uai'), '''', '')) || '@example.com',
       CASE WHEN g % 3 = 0 THEN NULL ELSE '+1 415 555 ' || lpad((1000 + g)::text, 4, '0') END,
       (ARRAY['Engineer', 'Buyer', 'CFO', NULL])[1 + g % 4],
       (ARRAY['Toronto', 'Tokyo', 'São Paulo', 'Zürich', 'London', 'Madrid'])[1 + g % 6],
       'EXT-C-2' || lpad(g::text, 2, '0')
  FROM generate_series(1, 12) AS g,
       LATERAL (SELECT (ARRAY['Emma', 'Felix', 'Grace', 'Hiro', 'Inés', 'Jamal'])[1 + g % 6] AS f,
                       (ARRAY['Tanaka', 'García', 'O''Brien', 'Kowalski', 'Nguyen', 'Rossi', 'Schmidt'])[1 + g % 7] AS l) n
 ORDER BY g;
CALL pg_temp.stamp(pg_temp.at(-10, 9), interval '6 minutes 10 seconds');
SET xmlbinary = 'hex';
CALL pg_temp.connect_worker(pg_temp.at(-10, 9));
CALL pg_temp.connect_archive();
RESET xmlbinary;

------------------------------------------------------------------------------------------
-- Day -8: opportunities, updates, a failed validation, a merge, no-op and unsynced delete
------------------------------------------------------------------------------------------
UPDATE contact SET accountid = (SELECT sfid FROM account WHERE external_id__c = 'EXT-A-101') WHERE external_id__c = 'EXT-C-101';
UPDATE contact SET accountid = (SELECT sfid FROM account WHERE external_id__c = 'EXT-A-102') WHERE external_id__c = 'EXT-C-102';
INSERT INTO opportunity (name, stagename, amount, closedate, probability, accountid)
SELECT a.name || ' - ' || o.suffix, o.stage, o.amount, DATE '2025-03-31' + o.days, o.prob, a.sfid
  FROM (VALUES (1, 'EXT-A-101', 'Renewal 2025', 'Prospecting', 50000::float8, 0, 10::float8),
               (2, 'EXT-A-102', 'Pipeline Expansion', 'Qualification', 120000, 30, 20),
               (3, 'EXT-A-105', 'Arc Reactor Parts', 'Needs Analysis', 2750000, 60, 25),
               (4, 'EXT-A-103', 'TPS Report Licences', 'Closed Won', 8400, -20, 100))
       AS o(n, ext, suffix, stage, amount, days, prob)
  JOIN account a ON a.external_id__c = o.ext AND a.sfid IS NOT NULL
 ORDER BY o.n;
UPDATE account SET billingcountry = 'Germany', billingcity = NULL WHERE external_id__c = 'EXT-A-102';
CALL pg_temp.will('FAILED', 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required for customers in Germany',
                    'globex_failed_update');
UPDATE contact SET email = 'chloe.dubois@example' WHERE external_id__c = 'EXT-C-104';
CALL pg_temp.will('FAILED', 'INVALID_EMAIL_ADDRESS: Email: invalid email address: chloe.dubois@example', 'chloe_email');
UPDATE contact SET title = 'Senior Buyer' WHERE external_id__c = 'EXT-C-102';
CALL pg_temp.will('MERGED', NULL, 'ben_merged');
UPDATE contact SET phone = '+1 555 0199' WHERE external_id__c = 'EXT-C-102';
UPDATE account SET phone = phone WHERE external_id__c = 'EXT-A-101';       -- no-op: IGNORE
DELETE FROM contact WHERE external_id__c = 'EXT-C-103';                     -- never synced: IGNORE
CALL pg_temp.will('IGNORE', NULL, 'carla_delete');
UPDATE contact SET phone = '+1 415 555 2000' WHERE external_id__c = 'EXT-C-201';
UPDATE contact SET title = 'VP Engineering' WHERE external_id__c = 'EXT-C-202';
-- somebody writes to a read-only mapping: logged as READONLY, Connect ignores it
UPDATE "user" SET alias = 'sam' WHERE username = 'sales.rep@acme-demo.example';
INSERT INTO "user" (username, email, firstname, lastname, alias, isactive)
VALUES ('local.only@acme-demo.example', 'local.only@acme-demo.example', 'Lola', 'Local', 'lola', true);
CALL pg_temp.stamp(pg_temp.at(-8, 10), interval '9 minutes 20 seconds');
SET xmlbinary = 'hex';
CALL pg_temp.connect_worker(pg_temp.at(-8, 10));
CALL pg_temp.connect_archive();
RESET xmlbinary;

------------------------------------------------------------------------------------------
-- Day -6: a lock error, access error, a record deleted in Salesforce
------------------------------------------------------------------------------------------
UPDATE opportunity SET stagename = 'Negotiation/Review', probability = 90 WHERE name = 'Acme Corporation - Renewal 2025';
SELECT sfid AS acme_opp_sfid FROM opportunity WHERE name = 'Acme Corporation - Renewal 2025' \gset
CALL pg_temp.will('FAILED', 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: '
                            || :'acme_opp_sfid', 'acme_opp_lock');
UPDATE account SET description = 'Initech: TPS reports, please use the new cover sheet.' WHERE external_id__c = 'EXT-A-103';
DELETE FROM opportunity WHERE name = 'Initech GmbH - TPS Report Licences';
UPDATE opportunity SET amount = 3100000 WHERE name = 'Stark Industries - Arc Reactor Parts';
CALL pg_temp.will('FAILED', 'INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id', 'stark_opp_access');
UPDATE contact SET phone = '+1 212 555 0107' WHERE external_id__c = 'EXT-C-105';
UPDATE contact SET title = 'CTO & Co-Founder' WHERE external_id__c = 'EXT-C-902';
CALL pg_temp.will('FAILED', 'ENTITY_IS_DELETED: entity is deleted', 'richard_deleted');
UPDATE contact SET mailingcity = 'Kyoto' WHERE external_id__c = 'EXT-C-203';
UPDATE account SET numberofemployees = 260 WHERE external_id__c = 'EXT-A-103';
CALL pg_temp.stamp(pg_temp.at(-6, 14), interval '11 minutes');
SET xmlbinary = 'hex';
CALL pg_temp.connect_worker(pg_temp.at(-6, 14));
CALL pg_temp.connect_archive();
RESET xmlbinary;

-- Day -5, an operator: silences one failure, re-queues another (merged writes: the archived
-- row is copied back into the live log as NEW, the archived row becomes REQUEUED).
UPDATE _trigger_log_archive SET state = 'IGNORED', updated_at = pg_temp.at(-5, 9.5)
 WHERE id = pg_temp.log_id('richard_deleted') AND state = 'FAILED';
BEGIN;
INSERT INTO _trigger_log (txid, created_at, updated_at, processed_at, processed_tx, state, action, table_name,
                          record_id, sfid, old, "values", sf_result, sf_message)
SELECT txid, created_at, updated_at, processed_at, processed_tx, 'NEW', action, table_name,
       record_id, sfid, old, "values", sf_result, sf_message
  FROM _trigger_log_archive
 WHERE id = pg_temp.log_id('acme_opp_lock') AND state = 'FAILED'
   FOR UPDATE;
CALL pg_temp.will('SUCCESS', NULL, 'acme_opp_lock_requeued');
UPDATE _trigger_log_archive SET state = 'REQUEUED', updated_at = pg_temp.at(-5, 9.6)
 WHERE id = pg_temp.log_id('acme_opp_lock') AND state = 'FAILED';
COMMIT;

------------------------------------------------------------------------------------------
-- Day -4: the re-queued change goes through; routine traffic; a failed delete
------------------------------------------------------------------------------------------
UPDATE contact SET mailingcity = mailingcity || ' (HQ)' WHERE external_id__c BETWEEN 'EXT-C-204' AND 'EXT-C-209';
INSERT INTO opportunity (name, stagename, amount, closedate, probability, accountid)
SELECT a.name || ' - Service Contract', 'Proposal/Price Quote', 18000 + 1000 * a.id, DATE '2025-06-30', 75, a.sfid
  FROM account a WHERE a.sfid IS NOT NULL AND a.external_id__c IN ('EXT-A-101', 'EXT-A-105', 'EXT-A-900')
 ORDER BY a.id;
DELETE FROM contact WHERE external_id__c = 'EXT-C-210';
CALL pg_temp.will('FAILED', 'ENTITY_IS_DELETED: entity is deleted', 'contact_delete_failed');
UPDATE account SET industry = 'Consulting' WHERE external_id__c = 'EXT-A-103';
CALL pg_temp.stamp(pg_temp.at(-4, 9.5), interval '5 minutes');
SET xmlbinary = 'hex';
CALL pg_temp.connect_worker(pg_temp.at(-4, 9.5));
CALL pg_temp.connect_archive();
RESET xmlbinary;

------------------------------------------------------------------------------------------
-- Day -3: failures a retry should leave alone, or send once
------------------------------------------------------------------------------------------
-- a lock error on Initech's phone, then the same field written again, successfully: the
-- failure is superseded
UPDATE account SET phone = '+49 89 1000001' WHERE external_id__c = 'EXT-A-103';
CALL pg_temp.will('FAILED', 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records', 'initech_phone_lock');
UPDATE account SET phone = '+49 89 1000002' WHERE external_id__c = 'EXT-A-103';
CALL pg_temp.will('SUCCESS', NULL, 'initech_phone_fixed');
-- three lock errors in a row on one contact: under ordered writes, one capture carries them
UPDATE contact SET title = 'Director of Sales' WHERE external_id__c = 'EXT-C-204';
CALL pg_temp.will('FAILED', 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records', 'lock_storm_1');
UPDATE contact SET phone = '+1 312 555 0204' WHERE external_id__c = 'EXT-C-204';
CALL pg_temp.will('FAILED', 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records', 'lock_storm_2');
UPDATE contact SET mailingcity = 'Chicago' WHERE external_id__c = 'EXT-C-204';
CALL pg_temp.will('FAILED', 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records', 'lock_storm_3');
CALL pg_temp.stamp(pg_temp.at(-3, 10), interval '7 minutes');
SET xmlbinary = 'hex';
CALL pg_temp.connect_worker(pg_temp.at(-3, 10));
CALL pg_temp.connect_archive();
RESET xmlbinary;
-- Failures left by mappings that changed since: "user" was read-write when this failed and
-- is read-only now; el_history__c's mapping was deleted, its entries remain.
INSERT INTO _trigger_log_archive (id, txid, created_at, updated_at, processed_at, processed_tx, state, action,
                                  table_name, record_id, sfid, old, "values", sf_result, sf_message)
SELECT nextval('_trigger_log_id_seq'), txid_current(), pg_temp.at(-3, 11 + n), pg_temp.at(-3, 11.1 + n),
       pg_temp.at(-3, 11.1 + n), txid_current(), 'FAILED', 'UPDATE', t, r, NULL, NULL, v, 1, m
  FROM (VALUES (0, 'user', 1, '"title"=>"Admin"', 'INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id'),
               (1, 'el_history__c', 7, '"status__c"=>"Done"', 'INVALID_TYPE: sObject type ''EL_History__c'' is not supported'),
               (2, 'el_history__c', 8, '"status__c"=>"Open"', 'INVALID_TYPE: sObject type ''EL_History__c'' is not supported'))
       AS f(n, t, r, v, m)
 ORDER BY n;

------------------------------------------------------------------------------------------
-- Yesterday and today: stays in the live log
------------------------------------------------------------------------------------------
UPDATE account SET billingcity = 'Berlin' WHERE external_id__c = 'EXT-A-102';
CALL pg_temp.will('SUCCESS', NULL, 'globex_fixed_update');
INSERT INTO account (name, accountnumber, billingcity, billingcountry, industry, external_id__c, ownerid)
VALUES ('Vandelay Industries International Import Export Holdings Worldwide Subsidiary Group of Companies, Ltd.',
        'AC-000106', 'New York', 'United States', 'Retail', 'EXT-A-106', hcemu.sfid('005', 3));
CALL pg_temp.will('FAILED', 'STRING_TOO_LONG: Name: data value too large: Vandelay Industries International Import '
                              'Export Holdings Worldwide Subsidiary Group of Companies, Ltd. (max length=80)', 'vandelay_insert');
INSERT INTO contact (firstname, lastname, email, mailingcity, external_id__c)
VALUES ('Dave', NULL, 'dave@stark.example', 'New York', 'EXT-C-106');
CALL pg_temp.will('FAILED', 'REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]', 'dave_insert');
UPDATE contact SET email = 'bob@@example.com' WHERE external_id__c = 'EXT-C-105';
CALL pg_temp.will('FAILED', 'INVALID_EMAIL_ADDRESS: Email: invalid email address: bob@@example.com', 'bob_email');
UPDATE account SET billingcountry = 'Germany', billingcity = NULL WHERE external_id__c = 'EXT-A-105';
CALL pg_temp.will('FAILED', 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required for customers in Germany',
                    'stark_failed_update');
UPDATE opportunity SET amount = 135000 WHERE name = 'Globex Corporation - Pipeline Expansion';
CALL pg_temp.will('FAILED', 'INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id', 'globex_opp_access');
UPDATE account SET numberofemployees = 1250 WHERE external_id__c = 'EXT-A-101';
SELECT sfid AS acme_sfid FROM account WHERE external_id__c = 'EXT-A-101' \gset
CALL pg_temp.will('FAILED', 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: '
                            || :'acme_sfid', 'acme_lock');
INSERT INTO account (name, accountnumber, billingcity, billingcountry, industry, external_id__c, ownerid)
VALUES ('Soylent Foods', 'AC-000107', 'Toronto', 'Canada', 'Retail', 'EXT-A-105', hcemu.sfid('005', 1));
SELECT sfid AS stark_sfid FROM account WHERE external_id__c = 'EXT-A-105' AND sfid IS NOT NULL \gset
CALL pg_temp.will('FAILED', 'DUPLICATE_VALUE: duplicate value found: External_Id__c duplicates value on record with id: '
                            || :'stark_sfid', 'soylent_insert');
UPDATE contact SET title = 'Chief Engineer' WHERE external_id__c = 'EXT-C-211';
UPDATE opportunity SET stagename = 'Closed Won', probability = 100 WHERE name = 'Stark Industries - Service Contract';
UPDATE account SET phone = '+1 212 555 0199' WHERE external_id__c = 'EXT-A-900';
INSERT INTO contact (firstname, lastname, email, title, accountid, mailingcity, external_id__c)
SELECT 'Pepper', 'Potts', 'pepper.potts@stark.example', 'CEO', sfid, 'New York', 'EXT-C-107'
  FROM account WHERE external_id__c = 'EXT-A-105' AND sfid IS NOT NULL;
UPDATE "user" SET isactive = false WHERE username = 'local.only@acme-demo.example';
CALL pg_temp.stamp(pg_temp.at(-1, 8), interval '29 minutes');
SET xmlbinary = 'hex';
CALL pg_temp.connect_worker(pg_temp.at(-1, 8));
RESET xmlbinary;

-- the last minutes: two changes in flight, four not picked up yet
UPDATE contact SET mailingcity = 'Shelbyville' WHERE external_id__c = 'EXT-C-102';
CALL pg_temp.will('PENDING');
UPDATE opportunity SET amount = 2900000 WHERE name = 'Stark Industries - Arc Reactor Parts';
CALL pg_temp.will('PENDING');
INSERT INTO account (name, accountnumber, billingcity, billingcountry, industry, external_id__c, ownerid)
VALUES ('Tyrell Corporation', 'AC-000108', 'Los Angeles', 'United States', 'Technology', 'EXT-A-108', hcemu.sfid('005', 3));
CALL pg_temp.will('NEW', NULL, 'tyrell_insert');
UPDATE contact SET phone = '+33 1 55 55 01 05' WHERE external_id__c = 'EXT-C-104';
CALL pg_temp.will('NEW');
UPDATE opportunity SET closedate = DATE '2025-09-30' WHERE name = 'Acme Corporation - Service Contract';
CALL pg_temp.will('NEW');
DELETE FROM contact WHERE external_id__c = 'EXT-C-212';
CALL pg_temp.will('NEW');
CALL pg_temp.stamp(date_trunc('second', now()) - interval '25 minutes', interval '3 minutes 30 seconds');
SET xmlbinary = 'hex';
CALL pg_temp.connect_worker(now() - interval '20 minutes');
RESET xmlbinary;

------------------------------------------------------------------------------------------
-- Summary (skipped with -v quiet=1)
------------------------------------------------------------------------------------------
\if :{?quiet}
\else
\pset footer off
\set QUIET 0
\echo
\echo 'hcemu demo: connection' :"schema"
SELECT 'live' AS log, state, table_name, action, count(*) AS n
  FROM _trigger_log GROUP BY state, table_name, action
UNION ALL
SELECT 'archive', state, table_name, action, count(*)
  FROM _trigger_log_archive GROUP BY state, table_name, action
ORDER BY 1 DESC, 2, 3, 4;
SELECT label, log_id, coalesce(l.state, a.state) AS state, coalesce(l.table_name, a.table_name) AS table_name,
       coalesce(l.action, a.action) AS action, coalesce(l.record_id, a.record_id) AS record_id,
       CASE WHEN l.id IS NOT NULL THEN 'live' ELSE 'archive' END AS log
  FROM pg_temp.outcome o
  LEFT JOIN _trigger_log l ON l.id = o.log_id
  LEFT JOIN _trigger_log_archive a ON a.id = o.log_id
 WHERE label IS NOT NULL
 ORDER BY log_id;
\set QUIET 1
\endif
RESET search_path;
