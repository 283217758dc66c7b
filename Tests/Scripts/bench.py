#!/usr/bin/env python3
"""bench.py: hcconnect against the same work written as plain SQL and run by psql.

    bench.py HCCONNECT SERVER_URL [--quick] [--archived N] [--live N] [--failed-fraction F]
             [--runs N] [--cases A,B] [--report FILE]
    bench.py HCCONNECT SERVER_URL --scale [--scale-sizes A,B,C] [--live N] [--runs N] ...

HCCONNECT is a release binary, SERVER_URL the URL of a throwaway PostgreSQL server (its
`postgres` database) started with pg_stat_statements preloaded; Tests/Scripts/bench.sh
(`make bench`) provides both. The script builds a template database with the Heroku Connect
emulation and a generated log, then for each case runs hcconnect and psql alternately and
reports medians of wall time and peak memory, the ratio hcconnect/psql against the case's
target, the statements the bulk cases sent, and the plans of the indexed listing.

Read-only cases share one copy of the template (after one discarded warm-up run of each
side, whose output is checked: both sides must list the same rows in the same order);
every run of a write case gets a fresh copy, and the resulting counts per table and state
must be equal on both sides.

--scale measures the read cases on one database whose archive grows in place (0.2M, 2M,
20M entries, hcemu.grow_archive) with the same backlog and FAILED entries, reporting per
size hcconnect's time, the shared buffers its statements touched (pg_stat_statements) and
its memory, and whether each case stays flat; it writes its own section of the report.

Exit status: 0 when every target is met, 1 when one is missed or a case could not be run
or checked, 2 on a usage error. Python 3 standard library only.
"""

import argparse
import csv
import datetime
import fcntl
import json
import math
import os
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMULATION = ROOT / "Tests" / "Emulation" / "hcemu.sql"
DEFAULT_REPORT = ROOT / "docs" / "benchmarks.md"
REPORT_BEGIN = "<!-- bench:begin -->"
REPORT_END = "<!-- bench:end -->"

SCHEMA = "salesforce"
LIVE = f"{SCHEMA}._trigger_log"
ARCHIVE = f"{SCHEMA}._trigger_log_archive"
BATCH_SIZE = 1000  # hcconnect's default --batch-size
CAPTURED_RECORDS = 10_000
MIN_ACCOUNTS = 10_000
SOURCE_DB, READ_DB, EMPTY_DB, WRITE_DB = "hcbench_src", "hcbench_read", "hcbench_empty", "hcbench_write"


def find_psql():
    """The psql binary itself: on Debian, /usr/bin/psql is a Perl wrapper (pg_wrapper) that
    adds its start-up time and memory to every run, so the binary in `pg_config --bindir`
    (else the newest /usr/lib/postgresql/N/bin) is used when there is one."""
    candidates = []
    try:
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        candidates.append(Path(bindir) / "psql")
    except OSError:
        pass
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"),
                      key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else -1, reverse=True)
    for candidate in candidates + versions:
        if candidate.is_file() and os.access(candidate, os.X_OK) and not is_script(candidate):
            return str(candidate)
    return "psql"


def is_script(path):
    with open(path, "rb") as file:
        return file.read(2) == b"#!"


PSQL = [find_psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1"]

COLUMNS = ('id, txid, created_at, updated_at, processed_at, processed_tx, state, action, table_name, '
           'record_id, sfid, old, "values", sf_result, sf_message')
COPIED_COLUMNS = ('txid, created_at, updated_at, processed_at, processed_tx, action, table_name, '
                  'record_id, sfid, old, "values", sf_result, sf_message')


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why."""


# ---------------------------------------------------------------------------------------
# The statements psql runs: the same rows, columns and order as hcconnect's
# (TriggerLogQuery.swift, TriggerLogStatistics.swift, RepairStatements.swift).
# ---------------------------------------------------------------------------------------

def failed_select(table=None, limit=None):
    """The FAILED entries of both log tables, newest first, as `hcconnect failed` lists them.
    With a limit, each branch is ordered and limited too, as hcconnect writes it (so that
    each table's index on created_at serves it); a single outer LIMIT would make the server
    read every FAILED entry of the table first."""
    condition = "state = 'FAILED'" + (f" AND table_name = '{table}'" if table else "")
    order = " ORDER BY created_at DESC, id DESC"
    limited = f"{order} LIMIT {limit}" if limit else ""
    branches = [f"SELECT {COLUMNS}, {archived} AS archived FROM {log} WHERE {condition}"
                for log, archived in ((LIVE, "false"), (ARCHIVE, "true"))]
    if limit:
        branches = [f"({branch}{limited})" for branch in branches]
    return f"SELECT * FROM ({branches[0]} UNION ALL {branches[1]}) AS entries{order}" + (f" LIMIT {limit}" if limit else "")


def statistics_select():
    """The one GROUP BY statement `hcconnect stats` sends (TriggerLogStore.statisticsSQL)."""
    branches = [f"SELECT table_name, state, {archived} AS archived, count(*) AS entries, min(created_at) AS oldest_created,"
                f" max(processed_at) AS newest_processed, min(greatest(created_at, updated_at)) AS oldest_waiting"
                f" FROM {log} GROUP BY table_name, state"
                for log, archived in ((LIVE, "false"), (ARCHIVE, "true"))]

    def age(column):
        return f"CASE WHEN isfinite({column}) THEN greatest(0, extract(epoch FROM clock.now - {column}))::text END"

    return (f"SELECT clock.now, g.table_name, g.state, g.archived, g.entries, g.oldest_created, {age('g.oldest_created')},"
            f" g.newest_processed, {age('g.newest_processed')}, g.oldest_waiting, {age('g.oldest_waiting')}"
            f" FROM (SELECT now() AS now) AS clock"
            f" LEFT JOIN ({' UNION ALL '.join(branches)}) AS g ON true ORDER BY g.table_name, g.archived, g.state")


# The generated log's records are random: most of its failures are of records since
# deleted, changes a later one made obsolete, or DELETEs of records that exist, which a
# retry rightly leaves alone (RepairDecision.swift). The write cases measure retries, so
# every FAILED entry gets a record of its own, as on a connection whose failures are all
# fresh: above the records the other entries name, one per failure (an INSERT's without an
# sfid: not yet in Salesforce); a DELETE's record is gone. A retry then sends every FAILED
# entry, as the psql side does, and both end with the same counts.
RECORD_TABLES = ("account", "contact", "opportunity")


def renumber_failures_sql(table, base):
    """Gives the FAILED entries of `table` records base+1, base+2, ... (DELETEs: far above)."""
    return f"""
WITH f AS (
  SELECT id, false AS archived, action FROM {LIVE} WHERE state = 'FAILED' AND table_name = '{table}'
  UNION ALL SELECT id, true, action FROM {ARCHIVE} WHERE state = 'FAILED' AND table_name = '{table}'
), n AS (
  SELECT id, archived, {base} + row_number() OVER (PARTITION BY action = 'DELETE' ORDER BY id)
                       + CASE WHEN action = 'DELETE' THEN 1000000 ELSE 0 END AS record_id
  FROM f
), live AS (
  UPDATE {LIVE} AS x SET record_id = n.record_id FROM n WHERE NOT n.archived AND x.id = n.id RETURNING 1
)
UPDATE {ARCHIVE} AS x SET record_id = n.record_id FROM n WHERE n.archived AND x.id = n.id"""


def make_failures_retriable(server):
    """See RECORD_TABLES: a record of its own for every FAILED entry of the source database."""
    for table in RECORD_TABLES:
        base = int(server.psql(
            f"SELECT greatest((SELECT coalesce(max(record_id), 0) FROM {LIVE} WHERE table_name = '{table}'),"
            f" (SELECT coalesce(max(record_id), 0) FROM {ARCHIVE} WHERE table_name = '{table}'),"
            f" (SELECT coalesce(max(id), 0) FROM {SCHEMA}.{table}))", SOURCE_DB))
        server.psql(renumber_failures_sql(table, base), SOURCE_DB)
        failures = int(server.psql(
            f"SELECT (SELECT count(*) FROM {LIVE} WHERE state = 'FAILED' AND table_name = '{table}' AND action <> 'DELETE')"
            f" + (SELECT count(*) FROM {ARCHIVE} WHERE state = 'FAILED' AND table_name = '{table}' AND action <> 'DELETE')",
            SOURCE_DB))
        present = int(server.psql(f"SELECT coalesce(max(id), 0) FROM {SCHEMA}.{table}", SOURCE_DB))
        server.psql(f"SELECT hcemu.generate_records('{SCHEMA}', '{table}', {base + failures - present})", SOURCE_DB)
        inserts = (f"SELECT record_id FROM {LIVE} WHERE state = 'FAILED' AND table_name = '{table}' AND action = 'INSERT'"
                   f" UNION ALL SELECT record_id FROM {ARCHIVE} WHERE state = 'FAILED' AND table_name = '{table}'"
                   f" AND action = 'INSERT'")
        # as Connect's worker writes (no log entry)
        server.psql(f"SET xmlbinary = 'hex'; UPDATE {SCHEMA}.{table} SET sfid = NULL WHERE id IN ({inserts})", SOURCE_DB)


def retriable(log, columns="e.id"):
    """The FAILED entries of `log` that a careful retry sends, as plain SQL (one SELECT of
    `columns`, by default the ids): a read-write mapping's table; the record's row there
    for an INSERT (without an sfid: not yet in Salesforce) or an UPDATE, gone for a DELETE;
    and no later SUCCESS entry of the record (RepairDecision.swift; an UPDATE is superseded only when the later ones
    wrote its columns, which in the benchmark's data no later entry does)."""
    joins = " ".join(f"LEFT JOIN {SCHEMA}.{table} AS r_{table} ON e.table_name = '{table}' AND r_{table}.id = e.record_id"
                     for table in RECORD_TABLES)
    row = "coalesce(" + ", ".join(f"r_{table}.id" for table in RECORD_TABLES) + ")"
    sfid = "coalesce(" + ", ".join(f"r_{table}.sfid" for table in RECORD_TABLES) + ")"
    later = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {other} AS s WHERE s.state = 'SUCCESS' AND s.table_name = e.table_name"
        f" AND s.record_id = e.record_id AND s.id > e.id)" for other in (LIVE, ARCHIVE))
    return (f"SELECT {columns} FROM {log} AS e {joins}"
            f" WHERE e.state = 'FAILED' AND e.table_name IN ({', '.join(repr(table) for table in RECORD_TABLES)})"
            f" AND CASE e.action WHEN 'INSERT' THEN {row} IS NOT NULL AND {sfid} IS NULL"
            f" WHEN 'UPDATE' THEN {row} IS NOT NULL WHEN 'DELETE' THEN {row} IS NULL ELSE false END"
            f" AND {later}")


# The psql side of the retry cases does the job hcconnect does: a retry that checks the
# record and the later entries first. (A blind `UPDATE ... SET state = 'NEW'` is not the
# same job since issue 13: docs/benchmarks.md gives what the checks cost against it.)
RETRY_LIVE_SQL = (f"UPDATE {LIVE} AS t SET state = 'NEW', updated_at = now()"
                  f" FROM ({retriable(LIVE)}) AS chosen WHERE t.id = chosen.id;\n")
RETRY_ARCHIVE_SQL = f"""BEGIN;
CREATE TEMP TABLE chosen ON COMMIT DROP AS {retriable(ARCHIVE)};
INSERT INTO {LIVE} (state, updated_at, {COPIED_COLUMNS.replace('updated_at, ', '')})
SELECT 'NEW', now(), {COPIED_COLUMNS.replace('updated_at, ', '')} FROM {ARCHIVE} JOIN chosen USING (id) ORDER BY id;
UPDATE {ARCHIVE} AS a SET state = 'REQUEUED', updated_at = now() FROM chosen WHERE a.id = chosen.id;
COMMIT;
"""

# (updated_at: hcconnect stamps every change, so that the backlog's age counts from it)
IGNORE_SQL = f"""BEGIN;
UPDATE {LIVE} SET state = 'IGNORED', updated_at = now() WHERE state = 'FAILED';
UPDATE {ARCHIVE} SET state = 'IGNORED', updated_at = now() WHERE state = 'FAILED';
COMMIT;
"""


# Ordered writes (RepairDecision.swift, RepairPlan.swift, RepairStatements.swift): the same
# checks choose the entries; an INSERT's record is captured whole with
# hc_capture_insert_from_row, an UPDATE's with hc_capture_update_from_row for the columns
# its `values` wrote, in id order (each failure has a record of its own, so nothing
# coalesces), and the entry set to REQUEUED; a DELETE falls back to the merged procedure
# (live: back to NEW; archived: copied to the live log as NEW and set to REQUEUED).
def capture_sources():
    branches = [f"SELECT c.id, c.archived, c.action, c.table_name, c.\"values\", public.hstore(r.*) AS record"
                f" FROM chosen AS c JOIN {SCHEMA}.{table} AS r ON c.table_name = '{table}' AND r.id = c.record_id"
                f" WHERE c.action <> 'DELETE'" for table in RECORD_TABLES]
    return " UNION ALL ".join(branches)


RETRY_ORDERED_SQL = f"""BEGIN;
CREATE TEMP TABLE chosen ON COMMIT DROP AS
{retriable(LIVE, 'e.id, false AS archived, e.action, e.table_name, e.record_id, e."values"')}
UNION ALL
{retriable(ARCHIVE, 'e.id, true AS archived, e.action, e.table_name, e.record_id, e."values"')};
SELECT count(new_id) FROM (
  SELECT CASE WHEN s.action = 'INSERT' THEN {SCHEMA}.hc_capture_insert_from_row(s.record, s.table_name::varchar)
              ELSE {SCHEMA}.hc_capture_update_from_row(s.record, s.table_name::varchar,
                                                        coalesce(public.akeys(s."values"::public.hstore), '{{}}'))
         END AS new_id
  FROM ({capture_sources()} ORDER BY id, archived) AS s
) AS captured;
UPDATE {LIVE} AS t SET state = 'REQUEUED', updated_at = now() FROM chosen AS c
 WHERE NOT c.archived AND c.action <> 'DELETE' AND t.id = c.id;
UPDATE {ARCHIVE} AS t SET state = 'REQUEUED', updated_at = now() FROM chosen AS c
 WHERE c.archived AND c.action <> 'DELETE' AND t.id = c.id;
UPDATE {LIVE} AS t SET state = 'NEW', updated_at = now() FROM chosen AS c
 WHERE NOT c.archived AND c.action = 'DELETE' AND t.id = c.id;
INSERT INTO {LIVE} (state, updated_at, {COPIED_COLUMNS.replace('updated_at, ', '')})
SELECT 'NEW', now(), {', '.join('a.' + column for column in COPIED_COLUMNS.replace('updated_at, ', '').split(', '))}
  FROM {ARCHIVE} AS a JOIN chosen AS c ON c.id = a.id AND c.archived AND c.action = 'DELETE' ORDER BY a.id;
UPDATE {ARCHIVE} AS t SET state = 'REQUEUED', updated_at = now() FROM chosen AS c
 WHERE c.archived AND c.action = 'DELETE' AND t.id = c.id;
COMMIT;
"""


def new_entries_fingerprint(after_id):
    """The live entries a write case added (ids above the template's highest): how many,
    and an md5 of their contents in an order that does not depend on their ids."""
    return (f"SELECT count(*) || ' ' || coalesce(md5(string_agg(concat_ws('|', action, table_name, record_id, sfid,"
            f" state, \"values\", old), E'\\n' ORDER BY table_name, record_id, action, \"values\", old)), '-')"
            f" FROM {LIVE} WHERE id > {after_id}")


# `hcconnect errors` groups FAILED entries by Salesforce status code and message with the
# record's values masked (SalesforceErrorMessage.swift) as they stream past. The psql side
# runs the GROUP BY of the same rows on the server, masking with regular expressions that
# give the same groups and texts on the generated log's messages (ids: 15 or 18 letters and
# digits with a digit; numbers not after '='; the value of an invalid e-mail address and of
# a too-long field), with each group's count, live and archive counts and first and last
# failure time (processed_at, else created_at), largest group first as hcconnect orders.
ERROR_MASK = r"""regexp_replace(regexp_replace(regexp_replace(regexp_replace(
      substring(sf_message FROM '^[A-Z_]+: (.*)$'),
      '(data value too large: ).*( \(max length=[0-9]+\))$', '\1<value>\2'),
      '(invalid email address: ).*$', '\1<value>'),
      '\m(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{15}([A-Za-z0-9]{3})?\M', '<id>', 'g'),
      '(?<![=A-Za-z0-9])[0-9]+\M', '<n>', 'g')"""


def errors_select():
    branches = [f"SELECT sf_message, coalesce(processed_at, created_at) AS seen, {archived} AS archived"
                f" FROM {log} WHERE state = 'FAILED'" for log, archived in ((LIVE, "false"), (ARCHIVE, "true"))]
    mask = " ".join(line.strip() for line in ERROR_MASK.splitlines())
    return (f"SELECT code, message, count(*) AS entries, count(*) FILTER (WHERE NOT archived),"
            f" count(*) FILTER (WHERE archived), min(seen), max(seen)"
            f" FROM (SELECT substring(sf_message FROM '^([A-Z_]+):') AS code, {mask} AS message, seen, archived"
            f" FROM ({branches[0]} UNION ALL {branches[1]}) AS failed) AS e"
            f" GROUP BY code, message ORDER BY entries DESC, max(seen) DESC, code, message")


def export_select():
    """Every entry of both log tables in id order (the live one first for an id in both),
    every column, as `hcconnect export` writes them."""
    branches = [f"SELECT {COLUMNS}, {archived} AS archived FROM {log}"
                for log, archived in ((LIVE, "false"), (ARCHIVE, "true"))]
    return f"SELECT * FROM ({branches[0]} UNION ALL {branches[1]}) AS entries ORDER BY id, archived"


def capture_update_sql(ids, shown=False):
    """One SELECT calling the capture procedure for every record, in record id order
    (`shown`: with the id list shortened, for the report)."""
    listed = ids if not shown or len(ids) <= 6 else [*ids[:3], "…", *ids[-2:]]
    array = "{" + ",".join(map(str, listed)) + "}"
    return (f"SELECT {SCHEMA}.hc_capture_update_from_row(public.hstore(t.*), 'account') FROM {SCHEMA}.account t"
            f" WHERE t.id = ANY('{array}'::int[]) ORDER BY t.id;\n")


# ---------------------------------------------------------------------------------------
# The console (issue 17): key presses through a pseudo-terminal, and what a refresh reads
# ---------------------------------------------------------------------------------------

CONSOLE_COLUMNS, CONSOLE_ROWS = 80, 24
# A frame is one write(); the pty may hand it over in a few reads microseconds apart. It is
# complete when no byte came for this long (the time reported is that of its last byte).
CONSOLE_QUIET_S = 0.015
# The first frame (connect, inspect, the first refresh): complete after 100 ms of quiet.
CONSOLE_FIRST_QUIET_S = 0.1
CONSOLE_TIMEOUT_S = 10.0
CONSOLE_KEY_TARGET_MS = 50.0
# The key target is the issue's, for a log of 200,000 entries (issue 17): on a larger log the
# key presses are measured and reported, not judged (the default run's log has 1.1M).
CONSOLE_KEY_TARGET_LOG = 250_000
ENTER, ESC, CTRL_R, CTRL_L, PAGE_DOWN = b"\r", b"\x1b", b"\x12", b"\x0c", b"\x1b[6~"
# One pass of the key-press case: (kind, bytes). The kinds are what the report groups by.
CONSOLE_SEQUENCE = [
    ("3 (entries)", b"3"), *[("j (entries)", b"j")] * 20, ("Ctrl-L (full frame)", CTRL_L),
    *[("PgDn", PAGE_DOWN)] * 3, ("G (oldest)", b"G"), ("g (newest)", b"g"),
    ("2 (causes)", b"2"), ("j (causes)", b"j"), ("Enter (a cause's entries)", ENTER),
    ("Enter (an entry)", ENTER), ("Esc (entry → list)", ESC), ("Esc (list → causes)", ESC),
    ("1 (overview)", b"1"), ("Ctrl-R (refresh)", CTRL_R), ("?", b"?"), ("Esc (close help)", ESC),
]
# The views whose refresh (Ctrl-R) is measured: the key that shows each.
CONSOLE_REFRESH_VIEWS = [("overview", b"1"), ("causes", b"2"), ("entries", b"3")]


@dataclass
class KeyPress:
    """One key: what it was, ms from writing it to the first byte and to the frame's last
    byte, and the bytes of that frame."""
    kind: str
    first_ms: float
    frame_ms: float
    size: int


class ConsoleSession:
    """`hcconnect console --read-only` on a pseudo-terminal of 80x24 owned by this script
    (TERM=xterm-256color, colours on), started through the spawner so that its exit status
    and peak memory are its own. `press` writes a key and reads the frame it causes."""

    def __init__(self, hcconnect, url):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", CONSOLE_ROWS, CONSOLE_COLUMNS, 0, 0))
        env = {key: value for key, value in CHILD_ENV.items() if key != "NO_COLOR"}
        env.update(TERM="xterm-256color", LANG="C.UTF-8")
        self.report_read, report_write = os.pipe()
        self.argv = [hcconnect, "console", "--read-only", "--database-url", url]
        try:
            # a session of its own with the pty as controlling terminal, as in a terminal emulator
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", SPAWNER, str(report_write), *self.argv],
                stdin=slave, stdout=slave, stderr=slave, env=env, pass_fds=(report_write,),
                start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        finally:
            os.close(slave)
            os.close(report_write)
        self.output = bytearray()  # everything the console wrote, for error messages
        started = time.perf_counter()
        frame, first, last = self.read_frame(started, CONSOLE_TIMEOUT_S, CONSOLE_FIRST_QUIET_S)
        if first is None:
            self.close()
            raise BenchError(f"the console drew nothing in {CONSOLE_TIMEOUT_S:g} s: {' '.join(self.argv[:3])}")
        self.first_frame_ms = (last - started) * 1000
        self.first_frame_bytes = len(frame)
        self.status = None
        self.rss_kb = 0

    def read_frame(self, since, wait, quiet):
        """Reads until no byte came for `quiet` seconds after the first one (or none in `wait`):
        (bytes, perf_counter of the first byte or None, of the last byte)."""
        data = bytearray()
        first = last = None
        while True:
            now = time.perf_counter()
            timeout = (since + wait - now) if first is None else (last + quiet - now)
            if timeout <= 0:
                break
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the console ended and closed the terminal
                chunk = b""
            if not chunk:
                break
            last = time.perf_counter()
            first = first or last
            data += chunk
        self.output += data
        return data, first, last

    def drain(self):
        """Whatever the console wrote on its own (a periodic refresh) before the next key."""
        self.read_frame(time.perf_counter(), 0.0, CONSOLE_QUIET_S)

    def press(self, kind, key, wait=CONSOLE_TIMEOUT_S):
        """Writes a key and reads the frame it causes; None when nothing changed within `wait`
        seconds (an error unless a shorter wait was given: every measured key changes the
        screen)."""
        if key == CTRL_R:
            # A refresh changes the screen when the header's clock ("live 14:03:21") does:
            # the key goes in a later second than the last refresh (not timed).
            time.sleep(1.02 - time.time() % 1)
        self.drain()
        start = time.perf_counter()
        os.write(self.master, key)
        frame, first, last = self.read_frame(start, wait, CONSOLE_QUIET_S)
        if first is None:
            if wait < CONSOLE_TIMEOUT_S:
                return None
            raise BenchError(f"no frame within {CONSOLE_TIMEOUT_S:g} s after the key {kind!r} ({key!r})")
        return KeyPress(kind, (first - start) * 1000, (last - start) * 1000, len(frame))

    def quit(self):
        """q; the console must exit 0 (the spawner reports its status and peak memory)."""
        os.write(self.master, b"q")
        deadline = time.monotonic() + CONSOLE_TIMEOUT_S
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read_frame(time.perf_counter(), 0.05, 0.0)
        if self.process.poll() is None:
            self.close()
            raise BenchError(f"the console did not exit within {CONSOLE_TIMEOUT_S:g} s of q")
        with os.fdopen(self.report_read, "rb") as report:
            self.report_read = -1
            fields = report.read().split()
        self.close()
        if len(fields) != 3:
            raise BenchError("the spawner reported nothing for the console")
        self.status, _, self.rss_kb = map(int, fields)
        if self.status != 0:
            text = self.output[-2000:].decode("utf-8", "replace")
            raise BenchError(f"the console exited with status {self.status} after q; its last output:\n{text}")

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for fd in (self.master, self.report_read):
            if fd >= 0:
                os.close(fd)
        self.master = self.report_read = -1


def statement_buffers(server, database):
    """The statements run in `database` since the last reset: [(query, calls, shared
    buffers hit + read)], most buffers first."""
    text = server.psql(
        "SELECT coalesce(json_agg(json_build_object('query', query, 'calls', calls, 'buffers', buffers)"
        " ORDER BY buffers DESC, query), '[]') FROM (SELECT s.query, sum(s.calls)::bigint AS calls,"
        " sum(s.shared_blks_hit + s.shared_blks_read)::bigint AS buffers FROM pg_stat_statements s"
        f" JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{database}' GROUP BY s.query) AS q")
    return [(row["query"], row["calls"], row["buffers"]) for row in json.loads(text)]


def console_keys(hcconnect, server, database, passes):
    """The key-press case: `passes` times CONSOLE_SEQUENCE in one console session. Returns
    (the presses, the session: first frame, status, peak memory)."""
    session = ConsoleSession(hcconnect, server.url(database))
    presses = []
    try:
        for _ in range(passes):
            presses += [session.press(kind, key) for kind, key in CONSOLE_SEQUENCE]
    except BaseException:
        session.close()
        raise
    session.quit()
    return presses, session


def console_refresh(hcconnect, server, database, rounds):
    """The refresh case: on each view of CONSOLE_REFRESH_VIEWS, Ctrl-R once (which also puts
    the periodic refresh 15 s away), then pg_stat_statements reset, Ctrl-R again and the
    statements of `database` read. Returns ({view: [(KeyPress, [(query, calls, buffers)])]},
    the session)."""
    session = ConsoleSession(hcconnect, server.url(database))
    refreshes = {view: [] for view, _ in CONSOLE_REFRESH_VIEWS}
    try:
        for _ in range(rounds):
            for view, key in CONSOLE_REFRESH_VIEWS:
                session.press(view, key, wait=1.0)  # nothing changes when the view is on screen
                session.press(view, CTRL_R)
                server.reset_statements()
                press = session.press(f"Ctrl-R ({view})", CTRL_R)
                refreshes[view].append((press, statement_buffers(server, database)))
    except BaseException:
        session.close()
        raise
    session.quit()
    return refreshes, session


def percentile(values, fraction):
    """Nearest-rank percentile (p95: the value 95% of the presses are at or under)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def key_summary(presses):
    """Per key kind, in the sequence's order: [kind, presses, median and max to the first
    byte, median, p95 and max to the frame's end, median bytes]."""
    rows = []
    for kind in dict.fromkeys(kind for kind, _ in CONSOLE_SEQUENCE):
        mine = [press for press in presses if press.kind == kind]
        if not mine:
            continue
        frames = [press.frame_ms for press in mine]
        rows.append([kind, len(mine), milliseconds(statistics.median(press.first_ms for press in mine)),
                     milliseconds(statistics.median(frames)), milliseconds(max(frames)),
                     f"{statistics.median(press.size for press in mine):,.0f}"])
    return rows


KEY_HEADER = ["key", "presses", "first byte (median)", "frame (median)", "frame (max)", "bytes (median)"]


# ---------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------

@dataclass
class Case:
    """One comparison: an hcconnect command, the psql equivalent and the target."""
    name: str
    summary: str
    hc_args: list
    # psql's arguments after the URL (read cases: -c; write cases: -f with `psql_script`)
    psql_args: list = field(default_factory=list)
    psql_script: str = ""
    kind: str = "read"  # read | write | absolute
    database: str = READ_DB
    target: float = 0.0  # ratio, or milliseconds for absolute cases
    hc_stdin: str = ""  # file contents for hcconnect's standard input
    # read cases: how each side's output is reduced to rows (see ROW_READERS)
    hc_rows: str = ""
    psql_rows: str = ""
    # write cases: the rows a run changed, from the counts before and after
    changed: object = None
    # the psql side as the report shows it, when not psql_script or the last psql argument
    psql_shown: str = ""
    # a case of a few milliseconds, where a millisecond of noise moves the ratio by a tenth:
    # it is run as often as help and version, which costs a second
    brief: bool = False
    # write cases: SQL answering one line that must be the same after both sides (the
    # contents of the entries they added)
    fingerprint: str = ""
    # a target on hcconnect's peak memory, in MB (shown as a row of its own)
    memory_mb: float = 0.0
    # --scale: what grows with the log: "all" when the case returns every entry (export)
    returns_all: bool = False
    # --scale: the statements must read the same buffers at every size (within 1.2x)
    flat_required: bool = False
    # kind "console": the target (ms) is on the 95th percentile of every key press

    @property
    def psql_display(self):
        """The psql side as text, for the report."""
        if self.psql_shown or self.psql_script:
            return (self.psql_shown or self.psql_script).strip()
        return self.psql_args[-1] if self.psql_args else ""


def failed_count(counts, locations=("live", "archive")):
    """FAILED entries in the given log tables, from counts keyed (location, table, state)."""
    return sum(n for (location, _, state), n in counts.items() if location in locations and state == "FAILED")


def live_total(counts):
    return sum(n for (location, _, _), n in counts.items() if location == "live")


def make_cases(capture_ids, stats_args=("stats",), live_max=0):
    """Every case, in report order. `stats_args`: `stats --exact` when hcconnect has it (the
    count of everything the GROUP BY makes); `live_max`: the template's highest live id."""
    return [
        Case("failed-json", "every FAILED entry as JSON lines vs COPY of the same rows",
             ["failed", "--format", "json"], ["-c", f"COPY ({failed_select()}) TO STDOUT"],
             target=1.15, hc_rows="json-ids", psql_rows="copy-ids", memory_mb=30),
        Case("failed-csv", "every FAILED entry as CSV vs COPY ... CSV HEADER",
             ["failed", "--format", "csv"], ["-c", f"COPY ({failed_select()}) TO STDOUT WITH (FORMAT csv, HEADER)"],
             target=1.15, hc_rows="csv-ids", psql_rows="csv-ids", memory_mb=30),
        Case("failed-table-limit", "the newest 50 FAILED account entries",
             ["failed", "--table", "account", "--limit", "50", "--format", "json"],
             ["-c", f"COPY ({failed_select(table='account', limit=50)}) TO STDOUT"],
             target=1.25, hc_rows="json-ids", psql_rows="copy-ids", brief=True),
        Case("errors", "FAILED entries grouped by cause vs the GROUP BY of the same rows with the same masking",
             ["errors", "--format", "json"], ["-c", f"COPY ({errors_select()}) TO STDOUT"],
             target=1.5, hc_rows="errors-json", psql_rows="errors-copy", memory_mb=30),
        Case("export-json", "every entry, live and archive, in id order as JSON lines vs COPY of the same rows",
             ["export", "--format", "json"], ["-c", f"COPY ({export_select()}) TO STDOUT"],
             target=1.3, hc_rows="json-keys", psql_rows="copy-keys", memory_mb=30, returns_all=True),
        Case("export-csv", "every entry as CSV vs COPY ... CSV HEADER",
             ["export", "--format", "csv"], ["-c", f"COPY ({export_select()}) TO STDOUT WITH (FORMAT csv, HEADER)"],
             target=1.3, hc_rows="csv-keys", psql_rows="csv-keys", memory_mb=30, returns_all=True),
        Case("stats", "counts per table and state of both log tables vs the GROUP BY statement",
             [*stats_args, "--format", "json"], ["-c", f"COPY ({statistics_select()}) TO STDOUT"],
             target=1.15, hc_rows="stats-json", psql_rows="stats-copy"),
        Case("retry-live", "live FAILED entries back to NEW (merged writes) vs one UPDATE making the same checks",
             ["retry", "--failed", "--in", "live", "--yes"], psql_script=RETRY_LIVE_SQL, kind="write", target=1.25,
             changed=lambda before, after: failed_count(before, ["live"]) - failed_count(after, ["live"])),
        Case("retry-archive", "archived FAILED entries copied to the live log as NEW and set to REQUEUED"
             " vs the same checks, INSERT ... SELECT + UPDATE",
             ["retry", "--failed", "--in", "archive", "--yes"], psql_script=RETRY_ARCHIVE_SQL, kind="write",
             target=1.15, fingerprint=new_entries_fingerprint(live_max),
             changed=lambda before, after: failed_count(before, ["archive"]) - failed_count(after, ["archive"])),
        Case("retry-ordered", "every FAILED entry re-captured from its record (ordered writes; DELETEs re-queued)"
             " vs the same checks and captures in one transaction",
             ["retry", "--failed", "--write-mode", "ordered", "--yes"], psql_script=RETRY_ORDERED_SQL, kind="write",
             target=1.25, fingerprint=new_entries_fingerprint(live_max),
             changed=lambda before, after: failed_count(before) - failed_count(after)),
        Case("ignore", "every FAILED entry set to IGNORED vs one UPDATE per log table",
             ["ignore", "--failed", "--yes"], psql_script=IGNORE_SQL, kind="write", target=1.25,
             changed=lambda before, after: failed_count(before) - failed_count(after)),
        Case("capture-update", f"hc_capture_update_from_row for {len(capture_ids):,} accounts vs one SELECT",
             ["capture-update", "account", "-"], psql_script=capture_update_sql(capture_ids), kind="write",
             target=1.15, hc_stdin="".join(f"{i}\n" for i in capture_ids),
             psql_shown=capture_update_sql(capture_ids, shown=True), fingerprint=new_entries_fingerprint(live_max),
             changed=lambda before, after: live_total(after) - live_total(before)),
        Case("help", "hcconnect --help, the whole process", ["--help"], kind="absolute", target=15.0),
        Case("version", "hcconnect --version, the whole process", ["--version"], kind="absolute", target=15.0),
        Case("failed-empty", "hcconnect failed on an empty log vs psql -c of the same SELECT",
             ["failed"], ["-c", failed_select()], database=EMPTY_DB, target=1.2,
             hc_rows="table-rows", psql_rows="psql-rows", brief=True),
        *console_cases(),
    ]


def console_cases():
    """The console's two cases (issue 17): key presses through a pseudo-terminal, and what a
    refresh (Ctrl-R) reads."""
    return [
        Case("console-keys", "key presses in the console on an 80x24 pseudo-terminal: from writing a key to the end "
             "of the frame it causes", ["console", "--read-only"], kind="console", target=CONSOLE_KEY_TARGET_MS),
        Case("console-refresh", "Ctrl-R on the overview, causes and entries views: the shared buffers its "
             "statements touch", ["console", "--read-only"], kind="console", flat_required=True),
    ]


CASE_NAMES = [case.name for case in make_cases([])]
BRIEF_CASES = [case.name for case in make_cases([]) if case.brief or case.kind == "absolute"]


# ---------------------------------------------------------------------------------------
# Reading each side's output into rows, for the checks
# ---------------------------------------------------------------------------------------

def json_ids(path):
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line)["id"] for line in lines if line.strip()]


def copy_ids(path):
    with open(path, encoding="utf-8") as lines:
        return [int(line.split("\t", 1)[0]) for line in lines if line.strip()]


def csv_ids(path):
    with open(path, encoding="utf-8", newline="") as text:
        rows = list(csv.reader(text))
    if not rows or rows[0][:1] != ["id"]:
        raise BenchError(f"{path}: no CSV header starting with id")
    return [int(row[0]) for row in rows[1:]]


def stats_json(path):
    """(table, location, state, count) of each group in `hcconnect stats --format json`."""
    with open(path, encoding="utf-8") as text:
        document = json.load(text)
    return sorted((table["table"], location, state, count) for table in document["tables"]
                  for location in ("live", "archive") for state, count in table[location].items())


def stats_copy(path):
    """(table, location, state, count) of each row of the statistics statement."""
    groups = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            columns = line.rstrip("\n").split("\t")
            if columns[4] != "\\N":
                table, state = (None if value == "\\N" else value for value in (columns[1], columns[2]))
                groups.append((table, "archive" if columns[3] == "t" else "live", state, int(columns[4])))
    return sorted(groups)


def json_keys(path):
    """(id, archived) of each JSON line: an id can be in both log tables."""
    with open(path, encoding="utf-8") as lines:
        return [(entry["id"], entry["archived"]) for entry in map(json.loads, lines) if entry]


def copy_keys(path):
    """(id, archived) of each COPY row whose last column is `archived`. A value's newline
    is written as \\n by COPY, so every line is one row."""
    with open(path, encoding="utf-8") as lines:
        return [(int(line.split("\t", 1)[0]), line.rstrip("\n").rsplit("\t", 1)[1] == "t") for line in lines if line.strip()]


def csv_keys(path):
    with open(path, encoding="utf-8", newline="") as text:
        rows = csv.reader(text)
        header = next(rows, None)
        if not header or header[0] != "id" or header[-1] != "archived":
            raise BenchError(f"{path}: no CSV header from id to archived")
        return [(int(row[0]), row[-1] in ("t", "true")) for row in rows]


def timestamp(text):
    """A timestamp as JSON (2026-11-05T13:10:21.91235+00:00) or COPY (…13:10:21.91235+00)
    write it."""
    if text in (None, "\\N"):
        return None
    text = text.replace(" ", "T")
    if re.search(r"[+-]\d\d$", text):
        text += ":00"
    return datetime.datetime.fromisoformat(text)


def errors_json(path):
    """(code, masked message, count, live, archive, first seen, last seen) of each group of
    `hcconnect errors --format json`, in its order."""
    with open(path, encoding="utf-8") as lines:
        return [(g["code"], g["message"], g["count"], g["live"], g["archive"], timestamp(g["first_seen"]),
                 timestamp(g["last_seen"])) for g in map(json.loads, lines) if g]


def errors_copy(path):
    with open(path, encoding="utf-8") as lines:
        groups = []
        for line in lines:
            code, message, count, live, archive, first, last = line.rstrip("\n").split("\t")
            groups.append((None if code == "\\N" else code, None if message == "\\N" else message, int(count),
                           int(live), int(archive), timestamp(first), timestamp(last)))
        return groups


def same_csv_text(hc_path, psql_path):
    """Compares every field but the times (formatted differently) of two CSV files with
    the same header, streaming: the quoting of quotes, backslashes, newlines and NULLs.
    Returns the number of records compared; raises on the first difference."""
    with open(hc_path, encoding="utf-8", newline="") as hc_file, open(psql_path, encoding="utf-8", newline="") as psql_file:
        hc_rows, psql_rows = csv.reader(hc_file), csv.reader(psql_file)
        header = next(hc_rows)
        if header != next(psql_rows):
            raise BenchError("the two CSV headers differ")
        compared = [i for i, name in enumerate(header) if not name.endswith("_at") and name != "archived"]
        count = 0
        for hc_row, psql_row in zip(hc_rows, psql_rows, strict=True):
            if [hc_row[i] for i in compared] != [psql_row[i] for i in compared]:
                different = [header[i] for i in compared if hc_row[i] != psql_row[i]]
                raise BenchError(f"CSV record {count + 1} (id {hc_row[0]}) differs in {', '.join(different)}")
            count += 1
        return count


def table_rows(path):
    """Data lines of hcconnect's table format: every line but the header."""
    with open(path, encoding="utf-8") as lines:
        return [line for line in lines][1:]


def psql_rows(path):
    """The rows of psql's aligned output, from its "(N rows)" footer."""
    with open(path, encoding="utf-8") as text:
        found = re.search(r"^\((\d+) rows?\)$", text.read(), re.M)
    if not found:
        raise BenchError(f"{path}: no '(N rows)' footer in psql's output")
    return [None] * int(found.group(1))


ROW_READERS = {"json-ids": json_ids, "copy-ids": copy_ids, "csv-ids": csv_ids, "stats-json": stats_json,
               "stats-copy": stats_copy, "table-rows": table_rows, "psql-rows": psql_rows, "json-keys": json_keys,
               "copy-keys": copy_keys, "csv-keys": csv_keys, "errors-json": errors_json, "errors-copy": errors_copy}


# ---------------------------------------------------------------------------------------
# Processes and the server
# ---------------------------------------------------------------------------------------

@dataclass
class Run:
    """One timed process: exit status, wall time, peak resident memory, standard error."""
    status: int
    wall_ms: float
    rss_kb: int
    stderr: str


# The process that starts each measured program. Linux carries a process's peak memory
# (ru_maxrss) across exec, and a child forked (or vforked) from this script starts with this
# script's memory as its peak, so a program started from here directly would report at least
# this script's size. It is started from this small helper instead (a Python without site
# packages, a few MB), which forks, execs the program, waits for it with wait4 and reports
# exit status, wall time (perf_counter_ns around fork and wait4) and ru_maxrss on the fd
# named by its first argument. Its own size is the floor of what can be measured: see
# measure_floor().
SPAWNER = r"""
import os, sys, time
report = int(sys.argv[1])
start = time.perf_counter_ns()
pid = os.fork()
if pid == 0:
    os.close(report)
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as error:
        os.write(2, ("cannot run %s: %s\n" % (sys.argv[2], error)).encode())
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
end = time.perf_counter_ns()
os.write(report, ("%d %d %d" % (os.waitstatus_to_exitcode(status), end - start, usage.ru_maxrss)).encode())
"""


def run_timed(argv, stdin_path=None, stdout_path=None):
    """Runs argv through the spawner: exit status, wall time of the whole process, and its
    peak memory from wait4's rusage (ru_maxrss, KB on Linux)."""
    read_end, write_end = os.pipe()
    try:
        with open(stdin_path or os.devnull, "rb") as stdin, open(stdout_path or os.devnull, "wb") as stdout, \
                tempfile.TemporaryFile() as stderr:
            spawner = subprocess.Popen([sys.executable, "-I", "-S", "-c", SPAWNER, str(write_end), *map(str, argv)],
                                       stdin=stdin, stdout=stdout, stderr=stderr, env=CHILD_ENV,
                                       pass_fds=(write_end,))
            os.close(write_end)
            write_end = -1
            with os.fdopen(read_end, "rb") as report:
                read_end = -1
                fields = report.read().split()
            spawner.wait()
            stderr.seek(0)
            text = stderr.read().decode("utf-8", "replace")
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
    if len(fields) != 3:
        raise BenchError(f"the spawner reported nothing for {' '.join(map(str, argv))}\n{text.strip()}")
    status, wall_ns, rss_kb = map(int, fields)
    return Run(status, wall_ns / 1e6, rss_kb, text)


def measure_floor():
    """The peak memory a program that allocates nothing is reported with (/bin/true):
    figures at this level are the spawner's size, not the program's."""
    return statistics.median(run_timed(["true"]).rss_kb for _ in range(3))


# hcconnect and psql get the URL as an argument, never from the environment.
CHILD_ENV = {key: value for key, value in os.environ.items()
             if not key.startswith("PG") and key not in ("DATABASE_URL", "HEROKU_CONNECT_SCHEMA",
                                                         "HEROKU_CONNECT_WRITE_MODE")}
CHILD_ENV["NO_COLOR"] = "1"


class Server:
    """The benchmark's PostgreSQL server, driven through psql."""

    def __init__(self, url):
        self.admin_url = url

    def url(self, database):
        """The server URL with another database."""
        parts = urllib.parse.urlsplit(self.admin_url)
        return urllib.parse.urlunsplit(parts._replace(path="/" + database))

    def psql(self, sql, database="postgres"):
        """Runs SQL (one -c) and returns psql's unaligned, tuples-only output."""
        argv = PSQL + ["-At", self.url(database), "-c", sql]
        result = subprocess.run(argv, capture_output=True, text=True, env=CHILD_ENV)
        if result.returncode != 0:
            raise BenchError(f"psql failed ({result.returncode}) on {database}: {sql[:200]}\n{result.stderr.strip()}")
        return result.stdout

    def psql_file(self, path, database):
        """Runs a SQL file (the emulation)."""
        result = subprocess.run(PSQL + [self.url(database), "-f", str(path)], capture_output=True, text=True,
                                env=CHILD_ENV)
        if result.returncode != 0:
            raise BenchError(f"psql -f {path} failed on {database}:\n{result.stderr.strip()}")

    def copy(self, name, template=SOURCE_DB):
        """A fresh copy of the template (FILE_COPY: a file-level copy, not WAL-logged)."""
        self.drop(name)
        self.psql(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")

    def drop(self, name):
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def counts(self, database):
        """Entries per (location, table, state) in both log tables."""
        output = self.psql(f"SELECT 'live', table_name, state, count(*) FROM {LIVE} GROUP BY 2, 3"
                           f" UNION ALL SELECT 'archive', table_name, state, count(*) FROM {ARCHIVE} GROUP BY 2, 3",
                           database)
        counts = {}
        for line in output.splitlines():
            location, table, state, count = line.split("|")
            counts[(location, table or None, state or None)] = int(count)
        return counts

    def reset_statements(self):
        self.psql("SELECT pg_stat_statements_reset()")

    def statements(self, database):
        """Statements sent to a database since the last reset (sum of pg_stat_statements.calls)."""
        return int(self.psql("SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s"
                             f" JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{database}'"))


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------

@dataclass
class Data:
    """What the template holds."""
    archived: int
    live: int
    failed_fraction: float
    failed_live: int = 0
    failed_archived: int = 0
    accounts: int = 0
    size: str = ""
    seconds: float = 0.0
    # --scale: the log is generated above this id, leaving room for hcemu.grow_archive below
    reserve: int = 0


def build_databases(server, data, say):
    """The template (emulation, generated log, accounts, pg_stat_statements, VACUUM ANALYZE),
    its empty twin, and the read-only copy."""
    start = time.monotonic()
    server.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    for name in (READ_DB, WRITE_DB, SOURCE_DB, EMPTY_DB):
        server.drop(name)
    for name in (SOURCE_DB, EMPTY_DB):
        server.psql(f"CREATE DATABASE {name}")
        server.psql_file(EMULATION, name)
        server.psql(f"SELECT hcemu.create_standard_connection('{SCHEMA}')", name)
        server.psql("CREATE EXTENSION pg_stat_statements", name)
    say(f"generating the log: {data.archived:,} archived and {data.live:,} live entries, "
        f"{data.failed_fraction:.0%} FAILED")
    if data.reserve:
        # a placeholder: generate_log numbers its entries after the highest id present
        server.psql(f"INSERT INTO {ARCHIVE} (id) VALUES ({data.reserve})", SOURCE_DB)
    server.psql(f"SELECT hcemu.generate_log('{SCHEMA}', {data.archived}, {data.live}, {data.failed_fraction})",
                SOURCE_DB)
    if data.reserve:
        server.psql(f"DELETE FROM {ARCHIVE} WHERE id = {data.reserve}", SOURCE_DB)
    referenced = int(server.psql(
        f"SELECT coalesce(max(record_id), 0) FROM (SELECT record_id FROM {LIVE} WHERE table_name = 'account'"
        f" UNION ALL SELECT record_id FROM {ARCHIVE} WHERE table_name = 'account') AS r", SOURCE_DB))
    data.accounts = max(MIN_ACCOUNTS, referenced)
    say(f"generating {data.accounts:,} account records")
    server.psql(f"SELECT hcemu.generate_records('{SCHEMA}', 'account', {data.accounts})", SOURCE_DB)
    say("giving every FAILED entry a record of its own, which a retry sends it for")
    make_failures_retriable(server)
    for name in (SOURCE_DB, EMPTY_DB):
        server.psql("VACUUM ANALYZE", name)
    counts = server.counts(SOURCE_DB)
    data.failed_live = failed_count(counts, ["live"])
    data.failed_archived = failed_count(counts, ["archive"])
    data.size = server.psql(f"SELECT pg_size_pretty(pg_database_size('{SOURCE_DB}'))").strip()
    server.copy(READ_DB)
    data.seconds = time.monotonic() - start
    return counts


# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------

@dataclass
class Result:
    """A case's measurements and verdict."""
    case: Case
    hc: list = field(default_factory=list)  # [Run]
    psql: list = field(default_factory=list)  # [Run]
    checks: list = field(default_factory=list)  # one sentence per check that passed
    error: str = ""
    # write cases: per run, (changed rows, hcconnect statements, psql statements)
    bulk: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self):
        if not self.hc or not self.psql:
            return None
        return median_wall(self.hc) / median_wall(self.psql)

    @property
    def met(self):
        if self.error:
            return False
        if self.case.kind == "absolute":
            return median_wall(self.hc) <= self.case.target
        if self.case.kind == "console":
            return not self.case.target or percentile([run.wall_ms for run in self.hc], 0.95) <= self.case.target
        return self.ratio is not None and self.ratio <= self.case.target


def median_wall(runs):
    return statistics.median(run.wall_ms for run in runs)


def median_rss(runs):
    return statistics.median(run.rss_kb for run in runs)


class Bench:
    """Runs the cases against one server."""

    def __init__(self, options, server, before):
        self.options = options
        self.server = server
        self.before = before  # counts of the template
        self.scratch = Path(tempfile.mkdtemp(prefix="hcbench."))

    def hc_argv(self, case, database, extra=()):
        argv = [self.options.hcconnect, *case.hc_args, *extra]
        if case.kind not in ("absolute", "console"):
            argv += ["--database-url", self.server.url(database)]
        return argv

    def psql_argv(self, case, database):
        if case.psql_script:
            script = self.scratch / f"{case.name}.sql"
            script.write_text(case.psql_script, encoding="utf-8")
            return PSQL + ["-At", self.server.url(database), "-f", str(script)]
        return PSQL + [self.server.url(database), *case.psql_args]

    def stdin_for(self, case):
        if not case.hc_stdin:
            return None
        path = self.scratch / f"{case.name}.stdin"
        path.write_text(case.hc_stdin, encoding="utf-8")
        return path

    @staticmethod
    def require_success(side, run, argv):
        if run.status != 0:
            raise BenchError(f"{side} exited with status {run.status}: {' '.join(map(str, argv))}\n"
                             f"{run.stderr.strip()}")

    def timed(self, side, argv, stdin=None, stdout=None):
        run = run_timed(argv, stdin, stdout)
        self.require_success(side, run, argv)
        return run

    def run(self, case):
        result = Result(case)
        try:
            {"read": self.run_read, "write": self.run_write, "absolute": self.run_absolute,
             "console": self.run_console}[case.kind](result)
        except BenchError as error:
            result.error = str(error)
        return result

    def run_absolute(self, result):
        argv = self.hc_argv(result.case, None)
        self.timed("hcconnect", argv)  # warm-up, discarded
        for _ in range(self.options.help_runs):
            result.hc.append(self.timed("hcconnect", argv))
        result.checks.append(f"{len(result.hc)} runs, each exit 0")

    def run_console(self, result):
        """console-keys: --runs passes of CONSOLE_SEQUENCE; console-refresh: --runs rounds of
        Ctrl-R on each view. Every key press is a Run (its frame time); both end with q and
        exit 0."""
        case = result.case
        if case.name == "console-keys":
            presses, session = console_keys(self.options.hcconnect, self.server, case.database, self.options.runs)
            result.hc = [Run(0, press.frame_ms, session.rss_kb, "") for press in presses]
            entries = self.options.archived + self.options.live
            if entries > CONSOLE_KEY_TARGET_LOG:
                result.case = replace(case, target=0.0)
                result.checks.append(f"the target (p95 ≤ {CONSOLE_KEY_TARGET_MS:g} ms) is for a log of 200,000 entries; "
                                     f"this one has {entries:,}: reported (--archived 200000 --live 20000 judges it)")
            result.extra["presses"] = presses
            result.checks.append(f"{len(presses):,} key presses ({self.options.runs} passes of {len(CONSOLE_SEQUENCE)} "
                                 "keys), each answered by a frame; q, exit 0")
        else:
            refreshes, session = console_refresh(self.options.hcconnect, self.server, case.database, self.options.runs)
            result.hc = [Run(0, press.frame_ms, session.rss_kb, "") for view in refreshes for press, _ in refreshes[view]]
            result.extra["refreshes"] = refreshes
            result.checks.append(f"{len(result.hc)} refreshes (Ctrl-R, {self.options.runs} on each of "
                                 f"{', '.join(refreshes)}), each answered by a frame; q, exit 0")
        result.extra["first_frame"] = (session.first_frame_ms, session.first_frame_bytes)

    def run_read(self, result):
        case = result.case
        hc_argv, psql_argv = self.hc_argv(case, case.database), self.psql_argv(case, case.database)
        # The warm-up runs write their output to files; both sides must have the same rows.
        hc_out, psql_out = self.scratch / f"{case.name}.hc.out", self.scratch / f"{case.name}.psql.out"
        warm = self.timed("hcconnect", hc_argv + ["--verbose"], stdout=hc_out)
        self.timed("psql", psql_argv, stdout=psql_out)
        hc_rows, psql_rows = ROW_READERS[case.hc_rows](hc_out), ROW_READERS[case.psql_rows](psql_out)
        if hc_rows != psql_rows:
            raise BenchError(f"the two sides differ: hcconnect wrote {len(hc_rows)} rows, psql {len(psql_rows)}"
                             + (" (same count, different rows or order)" if len(hc_rows) == len(psql_rows) else ""))
        what = "groups" if case.hc_rows.startswith(("stats", "errors")) else "rows"
        order = " in the same order" if case.hc_rows.endswith(("ids", "keys")) or case.hc_rows.startswith("errors") else ""
        detail = (" (code, masked message, count, live and archive counts, first and last failure)"
                  if case.hc_rows.startswith("errors") else "")
        result.checks.append(f"both sides return the same {len(hc_rows):,} {what}{detail}{order}")
        if case.name == "export-csv":
            compared = same_csv_text(hc_out, psql_out)
            result.checks.append(f"every field but the times of all {compared:,} CSV records is the same on both sides")
        if case.returns_all:
            result.checks.append(self.awkward_values())
        result.extra["statements"] = statements_from_verbose(warm.stderr)
        for _ in range(self.options.help_runs if case.brief else self.options.runs):
            result.hc.append(self.timed("hcconnect", hc_argv))
            result.psql.append(self.timed("psql", psql_argv))
        if case.name == "failed-json":
            limited = self.hc_argv(case, case.database, ["--limit", "1000"])
            result.extra["limit_1000"] = [self.timed("hcconnect", limited) for _ in range(self.options.runs)]
        if case.name == "failed-table-limit":
            result.extra["plans"] = self.plans(result.extra["statements"])

    def awkward_values(self):
        """A sentence on the entries whose `values` or `old` hold a quote, a backslash or a
        newline, which an export must escape; raises when there are none."""
        counts = self.server.psql(
            "SELECT " + ", ".join(f"count(*) FILTER (WHERE \"values\" LIKE {pattern} OR old LIKE {pattern})"
                                  for pattern in ("'%\"%'", "'%\\\\%'", "E'%\\n%'"))
            + f" FROM (SELECT \"values\", old FROM {LIVE} UNION ALL SELECT \"values\", old FROM {ARCHIVE}) AS e",
            READ_DB).strip().split("|")
        quotes, backslashes, newlines = map(int, counts)
        if not (quotes and backslashes and newlines):
            raise BenchError(f"the log lacks awkward values: {quotes} with quotes, {backslashes} with backslashes, "
                             f"{newlines} with newlines")
        return (f"the entries exported hold {quotes:,} values with quotes, {backslashes:,} with backslashes and "
                f"{newlines:,} with newlines")

    def run_write(self, result):
        case = result.case
        stdin = self.stdin_for(case)
        for index in range(self.options.runs):
            hc_counts, hc_changed, hc_statements, hc_print, run = self.write_run(
                "hcconnect", self.hc_argv(case, WRITE_DB), stdin, case)
            result.hc.append(run)
            psql_counts, psql_changed, psql_statements, psql_print, run = self.write_run(
                "psql", self.psql_argv(case, WRITE_DB), None, case)
            result.psql.append(run)
            if hc_counts != psql_counts:
                differences = sorted(key for key in set(hc_counts) | set(psql_counts)
                                     if hc_counts.get(key) != psql_counts.get(key))
                raise BenchError(f"run {index + 1}: the counts per (log table, table, state) differ: " + "; ".join(
                    f"{key}: hcconnect {hc_counts.get(key, 0)}, psql {psql_counts.get(key, 0)}"
                    for key in differences))
            if hc_changed <= 0:
                raise BenchError(f"run {index + 1}: no rows changed")
            if hc_print != psql_print:
                raise BenchError(f"run {index + 1}: the live entries added differ (count and md5 of their contents): "
                                 f"hcconnect {hc_print}, psql {psql_print}")
            result.bulk.append((hc_changed, hc_statements, psql_statements))
        result.checks.append(f"every run changed {result.bulk[0][0]:,} rows; the counts per log table, table and "
                             "state after hcconnect and after psql are equal")
        if case.fingerprint:
            added = hc_print.split()[0]
            result.checks.append(f"so are the {int(added):,} live entries each side added (every column but id, txid and "
                                 "times, compared by md5)")
        if case.name == "retry-live":
            _, changed, statements, _, _ = self.write_run(
                "hcconnect", self.hc_argv(case, WRITE_DB, ["--batch-size", str(BATCH_SIZE // 2)]), stdin, case)
            result.extra["half_batches"] = (changed, statements)

    def write_run(self, side, argv, stdin, case):
        """One run on a fresh copy: (counts after, rows changed, statements sent, the
        fingerprint of what it added, Run)."""
        self.server.copy(WRITE_DB)
        self.server.reset_statements()
        try:
            run = self.timed(side, argv, stdin)
            statements = self.server.statements(WRITE_DB)
            counts = self.server.counts(WRITE_DB)
            fingerprint = self.server.psql(case.fingerprint, WRITE_DB).strip() if case.fingerprint else ""
        finally:
            self.server.drop(WRITE_DB)
        return counts, case.changed(self.before, counts), statements, fingerprint, run

    def plans(self, statements):
        """EXPLAIN ANALYZE of the listing statement hcconnect sent and of psql's."""
        listing = [sql for sql in statements if "_trigger_log" in sql and "LIMIT" in sql]
        plans = {"hc_sql": listing[-1] if listing else "", "psql_sql": failed_select(table="account", limit=50)}
        if not listing:
            plans["hc_plan"] = "(hcconnect's --verbose output names no listing statement with LIMIT)"
        else:
            values = parameter_values(listing[-1], {"state": "'FAILED'", "table_name": "'account'"}, "50")
            if values is None:
                plans["hc_plan"] = "(cannot tell the values of the statement's parameters from its text)"
            else:
                plans["hc_plan"] = self.server.psql(
                    f"PREPARE hc AS {listing[-1]};\n"
                    f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE hc({', '.join(values)})", READ_DB).rstrip()
        plans["psql_plan"] = self.server.psql(
            f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {plans['psql_sql']}", READ_DB).rstrip()
        return plans


def statements_from_verbose(log):
    """The statements of hcconnect's --verbose event log, in order."""
    return [match.group(1) for match in re.finditer(r"^hcconnect: sql: (.*?) -- \d+ row\(s\) in .*$", log, re.M)]


def parameter_values(sql, by_column, limit):
    """The value of each $n of the statement, from what it is compared with (`column = $n`,
    `LIMIT $n`), in parameter order; None when one cannot be told."""
    numbers = sorted({int(n) for n in re.findall(r"\$(\d+)", sql)})
    values = []
    for number in numbers:
        uses = {match.group(1) for match in re.finditer(rf"(\w+) = \${number}\b", sql)}
        if re.search(rf"LIMIT \${number}\b", sql):
            uses.add("LIMIT")
        found = {limit if use == "LIMIT" else by_column.get(use) for use in uses}
        if len(found) != 1 or None in found:
            return None
        values.append(found.pop())
    return values if numbers == list(range(1, len(numbers) + 1)) else None


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------

def milliseconds(value):
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def wall_cell(runs):
    if not runs:
        return "—"
    walls = [run.wall_ms for run in runs]
    return f"{milliseconds(statistics.median(walls))} ({milliseconds(min(walls))}–{milliseconds(max(walls))})"


def megabytes(kb):
    return f"{kb / 1024:.1f} MB"


def rss_cell(runs, floor):
    """The median peak memory; marked when it is at the measuring floor (not the program's own)."""
    if not runs:
        return "—"
    peak = median_rss(runs)
    return megabytes(peak) + (" (at the floor)" if peak <= floor * 1.05 else "")


def verdict(met):
    return "met" if met else "MISSED"


def target_cell(case):
    if case.kind == "console":
        if case.name == "console-keys" and not case.target:
            return f"p95 ≤ {CONSOLE_KEY_TARGET_MS:g} ms on a 200k log"
        return f"p95 ≤ {case.target:g} ms" if case.target else "— (flat: --scale)"
    return f"≤ {case.target:g} ms" if case.kind == "absolute" else f"≤ {case.target:g}×"


def console_cell(runs):
    """A console case's time: p95, median and max over every key press."""
    walls = [run.wall_ms for run in runs]
    return (f"p95 {milliseconds(percentile(walls, 0.95))} (median {milliseconds(statistics.median(walls))}, "
            f"max {milliseconds(max(walls))}; {len(walls):,} presses)")


def timing_rows(results, floor):
    """Rows of the main table: case, hcconnect, psql, ratio, target, result, memory."""
    rows = []
    for result in results:
        case = result.case
        if result.error:
            rows.append([case.name, "—", "—", "—", target_cell(case), "ERROR", "—", "—"])
            continue
        ratio = f"{result.ratio:.2f}×" if result.ratio is not None else "—"
        if case.kind == "console":
            keys = case.name == "console-keys"
            rows.append([case.name, console_cell(result.hc) if keys else wall_cell(result.hc) + " per refresh",
                         "—", "—", target_cell(case),
                         verdict(result.met) if case.target else "reported", rss_cell(result.hc, floor), "—"])
            continue
        rows.append([case.name, wall_cell(result.hc), wall_cell(result.psql), ratio, target_cell(case),
                     verdict(result.met), rss_cell(result.hc, floor), rss_cell(result.psql, floor)])
        memory = memory_verdict(result)
        if memory:
            full, limited, ratio, met = memory
            if limited is None:
                rows.append([f"{case.name} memory", f"{megabytes(full)} (all rows)", "—", "—",
                             f"≤ {case.memory_mb:g} MB", verdict(met), "", ""])
            else:
                rows.append([f"{case.name} memory", f"{megabytes(full)} (all rows)",
                             f"{megabytes(limited)} (--limit 1000)", f"{ratio:.2f}×",
                             f"≤ {case.memory_mb:g} MB, ≤ 1.5×", verdict(met), "", ""])
    return rows


def memory_verdict(result):
    """The memory target of a case that has one: hcconnect's median peak ≤ memory_mb, and
    for failed-json also ≤ 1.5× its peak with --limit 1000 (streaming keeps them close).
    (peak, peak with --limit 1000 or None, their ratio or None, met)."""
    if not result.case.memory_mb or not result.hc or result.error:
        return None
    full = median_rss(result.hc)
    met = full <= result.case.memory_mb * 1024
    limited = result.extra.get("limit_1000")
    if not limited:
        return full, None, None, met
    small = median_rss(limited)
    ratio = full / small
    return full, small, ratio, met and ratio <= 1.5


def statement_rows(results):
    """Rows of the statements table: case, rows changed, batches, statements of each side."""
    rows = []
    for result in results:
        if result.case.kind != "write" or result.error or not result.bulk:
            continue
        changed = {run[0] for run in result.bulk}
        hc = sorted({run[1] for run in result.bulk})
        psql = sorted({run[2] for run in result.bulk})
        rows.append([result.case.name, spread(changed), spread({math.ceil(n / BATCH_SIZE) for n in changed}),
                     spread(hc), spread(psql)])
        if "half_batches" in result.extra:
            n, statements = result.extra["half_batches"]
            rows.append([f"{result.case.name} --batch-size {BATCH_SIZE // 2}", f"{n:,}",
                         f"{math.ceil(n / (BATCH_SIZE // 2)):,}", f"{statements:,}", "—"])
    return rows


def spread(values):
    values = sorted(values)
    return f"{values[0]:,}" if len(values) == 1 else f"{values[0]:,}–{values[-1]:,}"


def text_table(header, rows):
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(header, rows):
    def line(cells):
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header)] + [line(row) for row in rows])


TIMING_HEADER = ["case", "hcconnect median (min–max)", "psql median (min–max)", "ratio", "target", "result",
                 "hcconnect peak", "psql peak"]
STATEMENT_HEADER = ["case", "rows changed", f"batches of {BATCH_SIZE}", "hcconnect statements", "psql statements"]


def command_output(argv):
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else "unknown"


def machine(server, options):
    """The machine and software the figures come from."""
    cpu, cores, memory, system = "unknown", 0, "unknown", "unknown"
    try:
        info = Path("/proc/cpuinfo").read_text()
        models = re.findall(r"^model name\s*:\s*(.+)$", info, re.M)
        cpu, cores = (models[0] if models else "unknown"), len(re.findall(r"^processor\s*:", info, re.M))
        total = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        memory = f"{int(total.group(1)) / 1024 / 1024:.1f} GiB" if total else "unknown"
        release = re.search(r'^PRETTY_NAME="?(.*?)"?$', Path("/etc/os-release").read_text(), re.M)
        system = f"{release.group(1) if release else 'Linux'}, kernel {os.uname().release}"
    except OSError:
        pass
    return [
        ("CPU", f"{cpu}, {cores} logical cores"),
        ("RAM", memory),
        ("OS", system),
        ("PostgreSQL", server.psql("SHOW server_version").strip()),
        ("psql", f"{PSQL[0]} ({command_output([PSQL[0], '--version'])})"),
        ("Swift", command_output([os.environ.get("SWIFT", "swift"), "--version"])),
        ("hcconnect", f"{command_output([options.hcconnect, '--version'])}, commit {source_revision()}"),
    ]


def source_revision():
    """The commit measured, with "+ changes" when files other than the report differ
    from it (the report itself is rewritten by every run)."""
    commit = command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    try:
        changed = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", ".",
             ":(exclude)docs/benchmarks.md"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        changed = ""
    return commit + (" + uncommitted changes" if changed else "")


def reproduce_command(argv):
    """The make command line that repeats this run."""
    if not argv:
        return "make bench"
    return "make bench BENCH_ARGS='" + " ".join(argv) + "'"


def outcome(results):
    """(cases that could not be measured or checked, targets missed)."""
    errors = [r.case.name for r in results if r.error]
    missed = [r.case.name for r in results if not r.error and not r.met] + [
        f"{r.case.name} memory" for r in results if memory_verdict(r) and not memory_verdict(r)[3]]
    return errors, missed


def batch_growth(results):
    """A sentence on how retry-live's statements grew when its batches were halved."""
    result = next((r for r in results if "half_batches" in r.extra and r.bulk), None)
    if not result:
        return ""
    rows, statements = result.extra["half_batches"]
    batches, half_batches = math.ceil(rows / BATCH_SIZE), math.ceil(rows / (BATCH_SIZE // 2))
    if half_batches == batches:
        return ""
    extra = statements - result.bulk[0][1]
    return (f"With batches of {BATCH_SIZE // 2}, retry-live sent {extra:,} more statements for "
            f"{half_batches - batches:,} more batch{'es' if half_batches - batches != 1 else ''} of the same {rows:,} rows: "
            f"{extra / (half_batches - batches):g} per batch.")


def markdown_report(results, options, data, facts, started, floor):
    errors, missed = outcome(results)
    summary = ("Every target met." if not errors and not missed else
               " ".join(part for part in (f"Missed: {', '.join(missed)}." if missed else "",
                                          f"Could not be measured or checked: {', '.join(errors)}." if errors else "")
                        if part))
    out = [REPORT_BEGIN, "",
           f"Measured {started:%Y-%m-%d %H:%M} UTC with `{reproduce_command(options.bench_arguments)}`: "
           f"{options.runs} runs per side ({options.help_runs} for the cases of a few milliseconds: "
           f"{', '.join(BRIEF_CASES)}). **{summary}**", ""]
    out += ["### Wall time and peak memory", "", markdown_table(TIMING_HEADER, timing_rows(results, floor)), "",
            f"Peak memory is the process's ru_maxrss; the helper that starts each process is {megabytes(floor)}, "
            "so smaller figures cannot be seen (they would be marked \"at the floor\").", ""]
    out += console_report(results)
    errors = [result for result in results if result.error]
    for result in errors:
        out += [f"**{result.case.name} could not be measured:**", "", "```", result.error, "```", ""]
    out += ["### Statements sent by the bulk cases", "",
            "Counted by pg_stat_statements (`calls` in the copy's database, every statement of the process: "
            "connection set-up, schema discovery, selection, and per batch BEGIN, the change, COMMIT).", "",
            markdown_table(STATEMENT_HEADER, statement_rows(results)), "", batch_growth(results), ""]
    plans = next((r.extra["plans"] for r in results if "plans" in r.extra), None)
    if plans:
        out += ["### Plans of failed-table-limit", "", "hcconnect's statement (from `--verbose`):", "",
                "```sql", plans["hc_sql"], "```", "", "```", plans["hc_plan"], "```", "",
                "psql's statement:", "", "```sql", plans["psql_sql"], "```", "", "```", plans["psql_plan"], "```", ""]
    out += ["### Checks", ""]
    out += [f"- {result.case.name}: " + ("; ".join(result.checks) + "." if not result.error else "ERROR (above).")
            for result in results]
    out += ["", "### Data", "",
            markdown_table(["data", ""], [
                ["log", f"{data.archived:,} archived, {data.live:,} live entries, {data.failed_fraction:.0%} FAILED "
                        f"(hcemu.generate_log)"],
                ["FAILED entries", f"{data.failed_archived:,} archived, {data.failed_live:,} live"],
                ["records", f"{data.accounts:,} accounts (hcemu.generate_records)"],
                ["database", f"{data.size}, built in {data.seconds:.0f} s"],
            ]), "",
            "### Machine", "", markdown_table(["machine", ""], [list(fact) for fact in facts]), "",
            "### Commands compared", ""]
    for result in results:
        case = result.case
        out.append(f"- **{case.name}** ({case.summary}): `hcconnect {' '.join(case.hc_args)}`"
                   + (f" vs psql: `{case.psql_display}`" if case.psql_display and "\n" not in case.psql_display
                      else ""))
        if "\n" in case.psql_display:
            out += ["", "  ```sql", *("  " + line for line in case.psql_display.splitlines()), "  ```"]
    out += ["", REPORT_END]
    return "\n".join(out)


def shorten(sql, width=240):
    """A statement on one line, cut to `width` characters."""
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[:width - 1] + "…"


def console_keys_lines(presses, first_frame):
    """The key-press case in the report: the overall figures, per key, bytes per frame."""
    walls = [press.frame_ms for press in presses]
    slowest = max(presses, key=lambda press: press.frame_ms)
    lines = [f"**console-keys**: {len(presses):,} key presses, measured from writing the key's bytes to the pty to "
             f"the last byte of the frame it causes (the frame is complete when no byte came for "
             f"{CONSOLE_QUIET_S * 1000:g} ms), and to its first byte. All presses: p95 {milliseconds(percentile(walls, 0.95))}"
             f" (the target, ≤ {CONSOLE_KEY_TARGET_MS:g} ms, judged on a log of 200,000 entries), median {milliseconds(statistics.median(walls))}, max "
             f"{milliseconds(max(walls))}; the slowest key: {slowest.kind}, {milliseconds(slowest.frame_ms)}. The first "
             f"frame (connect, inspect, first refresh): {milliseconds(first_frame[0])}, {first_frame[1]:,} bytes.", "",
             markdown_table(KEY_HEADER, key_summary(presses)), ""]
    moves = [press.size for press in presses if press.kind == "j (entries)"]
    full = [press.size for press in presses if press.kind == "Ctrl-L (full frame)"]
    if moves and full:
        lines += [f"Redraws only what changed: a cursor move on the entries list (j) wrote "
                  f"{statistics.median(moves):,.0f} bytes (median), a full frame of the same view (Ctrl-L, which "
                  f"forgets the last frame) {statistics.median(full):,.0f} bytes: "
                  f"{statistics.median(moves) / statistics.median(full):.0%} of it.", ""]
    return lines


def refresh_statements(items):
    """{query: (median calls, median buffers)} over the refreshes of one view (0 when a
    refresh did not run the statement)."""
    queries = dict.fromkeys(query for _, statements in items for query, _, _ in statements)
    figures = {}
    for query in queries:
        calls = [sum(c for q, c, _ in statements if q == query) for _, statements in items]
        buffers = [sum(b for q, _, b in statements if q == query) for _, statements in items]
        figures[query] = (statistics.median(calls), statistics.median(buffers))
    return figures


REFRESH_HEADER = ["view", "refreshes", "frame (median)", "statements", "buffers (median)", "buffers (min–max)"]


def refresh_rows(refreshes):
    rows = []
    for view, items in refreshes.items():
        totals = [sum(b for _, _, b in statements) for _, statements in items]
        calls = [sum(c for _, c, _ in statements) for _, statements in items]
        rows.append([view, len(items), milliseconds(statistics.median(press.frame_ms for press, _ in items)),
                     f"{statistics.median(calls):g}", f"{statistics.median(totals):,.0f}",
                     f"{min(totals):,}–{max(totals):,}"])
    return rows


def console_refresh_lines(refreshes):
    """The refresh case in the report: buffers per view, then per statement."""
    lines = ["**console-refresh**: on each view, Ctrl-R once (which also puts the periodic refresh 15 s away), "
             "then `pg_stat_statements_reset()`, Ctrl-R, the frame, and the statements of the database summed: "
             "shared buffers hit + read.", "", markdown_table(REFRESH_HEADER, refresh_rows(refreshes)), "",
             "Per statement (median per refresh):", ""]
    rows = [[view, f"`{shorten(query)}`", f"{calls:g}", f"{buffers:,.0f}"]
            for view, items in refreshes.items() for query, (calls, buffers) in refresh_statements(items).items()]
    lines += [markdown_table(["view", "statement", "calls", "buffers"], rows), ""]
    return lines


def console_report(results):
    """Markdown lines of the console section of the default report (none when no console case ran)."""
    keys = next((r for r in results if "presses" in r.extra and not r.error), None)
    refresh = next((r for r in results if "refreshes" in r.extra and not r.error), None)
    if not keys and not refresh:
        return []
    out = ["### The console", ""]
    if keys:
        out += console_keys_lines(keys.extra["presses"], keys.extra["first_frame"])
    if refresh:
        out += console_refresh_lines(refresh.extra["refreshes"])
    return out


def console_scale_lines(cases, sizes, measured):
    """The console at each size of --scale: key presses, and a refresh's buffers per view and
    per statement, with what grows from the second-largest to the largest size."""
    names = [case.name for case in cases]
    labels = [size_label(size) for size in sizes]
    out = []
    if "console-keys" in names:
        rows = []
        for size in sizes:
            runs = measured["console-keys"][size]
            presses = runs.details.get("presses")
            if runs.error or not presses:
                rows.append([size_label(size), "ERROR", "", "", "", "", ""])
                continue
            walls = [press.frame_ms for press in presses]
            slowest = max(presses, key=lambda press: press.frame_ms)
            rows.append([size_label(size), f"{len(presses):,}", milliseconds(percentile(walls, 0.95)),
                         milliseconds(statistics.median(walls)), milliseconds(max(walls)),
                         f"{slowest.kind} ({milliseconds(slowest.frame_ms)})",
                         f"{statistics.median(runs.hc_buffers):,.0f}" if runs.hc_buffers else "—"])
        out += [f"**console-keys** at each size (the target, p95 ≤ {CONSOLE_KEY_TARGET_MS:g} ms, is on the smallest; "
                "buffers: every statement of the session, connecting included):", "",
                markdown_table(["size", "presses", "p95", "median", "max", "slowest key", "buffers"], rows), ""]
        for size in sizes:
            presses = measured["console-keys"][size].details.get("presses")
            if presses:
                out += [f"Per key at {size_label(size)}:", "", markdown_table(KEY_HEADER, key_summary(presses)), ""]
    if "console-refresh" in names:
        per_size = {size: measured["console-refresh"][size].details.get("refreshes") for size in sizes}
        if all(per_size.values()):
            views = list(per_size[sizes[0]])
            rows = []
            for view in views:
                totals = [statistics.median(sum(b for _, _, b in statements) for _, statements in per_size[size][view])
                          for size in sizes]
                ratio = totals[-1] / max(1, totals[-2]) if len(sizes) > 1 else 1.0
                rows.append([view, *(f"{total:,.0f}" for total in totals), f"{ratio:.2f}×",
                             "flat" if ratio <= 1.2 else "GROWS"])
            out += ["**console-refresh**: shared buffers of one refresh (Ctrl-R) per view (median):", "",
                    markdown_table(["view", *labels, "growth", ""], rows), ""]
            rows, growing = [], []
            for view in views:
                figures = {size: refresh_statements(per_size[size][view]) for size in sizes}
                for query in dict.fromkeys(q for size in sizes for q in figures[size]):
                    buffers = [figures[size].get(query, (0, 0))[1] for size in sizes]
                    ratio = buffers[-1] / max(1, buffers[-2]) if len(sizes) > 1 else 1.0
                    grows = ratio > 1.2 and buffers[-1] - buffers[-2] >= 20
                    rows.append([view, f"`{shorten(query, 160)}`", *(f"{b:,.0f}" for b in buffers), f"{ratio:.2f}×",
                                 "GROWS" if grows else ""])
                    if grows:
                        growing.append((view, query, buffers))
            out += ["Per statement (median buffers per refresh):", "",
                    markdown_table(["view", "statement", *labels, "growth", ""], rows), ""]
            for view, query, buffers in growing:
                out += [f"Grows ({view}: {', '.join(f'{label} {b:,.0f}' for label, b in zip(labels, buffers))} buffers):",
                        "", "```sql", query, "```", ""]
    return out


def conclusion(errors, missed, success):
    """Prints what could not be measured and which targets were missed, or `success`;
    returns the exit status (1 when anything went wrong, 0 otherwise)."""
    if errors:
        print(f"ERROR (could not be measured or checked): {', '.join(errors)}")
    if missed:
        print(f"MISSED: {', '.join(missed)}")
    if errors or missed:
        return 1
    print(success)
    return 0


def write_report(path, section, markers=(REPORT_BEGIN, REPORT_END)):
    """Replaces the generated section of the report (between the markers, each a line of
    its own: prose may quote them), keeping the text around it; a file without the markers
    gets the section at its end."""
    path = Path(path)
    begin, end = markers
    text = path.read_text(encoding="utf-8") if path.exists() else "# hcconnect benchmark\n"
    found = re.search(rf"^{re.escape(begin)}$.*?^{re.escape(end)}$", text, re.M | re.S)
    if found:
        text = text[:found.start()] + section + text[found.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------
# --scale: the read cases on a log whose archive grows from 0.2M to 2M and 20M entries
# ---------------------------------------------------------------------------------------

SCALE_SIZES = (200_000, 2_000_000, 20_000_000)
SCALE_LIVE = 20_000
SCALE_BEGIN = "<!-- bench-scale:begin -->"
SCALE_END = "<!-- bench-scale:end -->"
# A bulk load this large is faster with the archive's indexes dropped and built again.
REBUILD_INDEXES_ABOVE = 500_000
# Above this size a case that returns every entry runs once per side, with no warm-up
# (and no check: the output would be gigabytes); its output is checked at the smaller sizes.
SINGLE_RUN_ABOVE = 2_000_000
CHECK_LIMITS = ["--max-failed", "10000000", "--max-failed-age", "1000d", "--max-backlog", "10000000",
                "--max-backlog-age", "1000d"]


def make_scale_cases(flags, record):
    """The read cases of --scale. `flags`: the stats options hcconnect has (--exact,
    --brief); `record`: (table, record id, entry id) of a record with a long history."""
    table, record_id, entry_id = record
    main = {case.name: case for case in make_cases([], ("stats", "--exact") if "--exact" in flags else ("stats",))}
    exact = main["stats"]
    exact.name = "stats-exact"
    if "--exact" not in flags:
        exact.summary = "plain stats: this hcconnect has no --exact"
    cases = [main["failed-json"], main["failed-csv"], main["failed-table-limit"], main["errors"], main["export-json"],
             main["export-csv"], exact]
    cases.append(Case("stats", "stats as it runs by default (estimates on a large log)", ["stats", "--format", "json"]))
    if "--brief" in flags:
        cases.append(Case("stats-brief", "backlog, FAILED and last-processed figures only",
                          ["stats", "--brief", "--format", "json"], flat_required=True))
    for format_name in ("json", "prometheus"):
        cases.append(Case(f"check-{format_name}", "four thresholds, none crossed",
                          ["check", *CHECK_LIMITS, "--format", format_name], flat_required=True))
    cases += [
        Case("list-50", "the newest 50 entries in any state", ["list", "--limit", "50", "--format", "json"]),
        Case("related", f"the history of entry {entry_id}'s record", ["related", str(entry_id), "--format", "json"]),
        Case("history", f"the history of {table} {record_id}", ["history", table, str(record_id), "--format", "json"]),
        *console_cases(),
    ]
    return cases


SCALE_CASE_NAMES = ["failed-json", "failed-csv", "failed-table-limit", "errors", "export-json", "export-csv",
                    "stats-exact", "stats", "stats-brief", "check-json", "check-prometheus", "list-50", "related",
                    "history", "console-keys", "console-refresh"]


@dataclass
class ScaleSize:
    """What the database held when a size was measured."""
    archived: int
    live: int
    failed: int
    backlog: int
    size: str
    seconds: float  # to grow to this size, VACUUM ANALYZE included


@dataclass
class ScaleRuns:
    """One case at one size."""
    hc: list = field(default_factory=list)  # [Run]
    psql: list = field(default_factory=list)  # [Run]
    hc_buffers: list = field(default_factory=list)  # shared_blks_hit + shared_blks_read per run
    psql_buffers: list = field(default_factory=list)
    lines: int = 0  # lines hcconnect wrote (the warm-up run's), 0 when not counted
    checks: list = field(default_factory=list)
    error: str = ""
    details: dict = field(default_factory=dict)  # the console cases: presses, refreshes
    plan: str = ""  # failed-table-limit: EXPLAIN (ANALYZE, BUFFERS) of its statement


class ScaleBench(Bench):
    """Runs the read cases at each size of the grown log (READ_DB, grown in place)."""

    def buffers(self):
        """Shared buffers the statements of READ_DB touched since the last reset (hit + read)."""
        return int(self.server.psql(
            "SELECT coalesce(sum(s.shared_blks_hit + s.shared_blks_read), 0) FROM pg_stat_statements s"
            f" JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{READ_DB}'"))

    def grow(self, archived, say):
        """Grows READ_DB's archive to `archived` entries (hcemu.grow_archive), then VACUUM
        ANALYZE; what it holds then."""
        start = time.monotonic()
        present = int(self.server.psql(f"SELECT count(*) FROM {ARCHIVE}", READ_DB))
        if archived > present:
            say(f"growing the archive from {present:,} to {archived:,} entries")
            self.server.psql(f"SELECT hcemu.grow_archive('{SCHEMA}', {archived - present},"
                             f" {'true' if archived - present > REBUILD_INDEXES_ABOVE else 'false'})", READ_DB)
            self.server.psql(f"VACUUM ANALYZE {ARCHIVE}", READ_DB)
        seconds = time.monotonic() - start
        figures = self.server.psql(
            f"SELECT (SELECT count(*) FROM {ARCHIVE}), (SELECT count(*) FROM {LIVE}),"
            f" (SELECT count(*) FROM {LIVE} WHERE state = 'FAILED') + (SELECT count(*) FROM {ARCHIVE} WHERE state = 'FAILED'),"
            f" (SELECT count(*) FROM {LIVE} WHERE state IN ('NEW', 'PENDING', 'REQUEUE'))"
            f" + (SELECT count(*) FROM {ARCHIVE} WHERE state = 'REQUEUE'),"
            f" pg_size_pretty(pg_database_size('{READ_DB}'))", READ_DB).strip().split("|")
        return ScaleSize(int(figures[0]), int(figures[1]), int(figures[2]), int(figures[3]), figures[4], seconds)

    def measure(self, case, size):
        """A case at the current size: a checked warm-up run of each side (except for the
        cases returning every entry above SINGLE_RUN_ABOVE), then runs alternated, with the
        buffers each run's statements touched."""
        runs = ScaleRuns()
        try:
            self.measure_runs(case, size, runs)
        except BenchError as error:
            runs.error = str(error)
        return runs

    def measure_runs(self, case, size, runs):
        if case.kind == "console":
            self.measure_console(case, runs)
            return
        hc_argv = self.hc_argv(case, READ_DB)
        psql_argv = self.psql_argv(case, READ_DB) if case.psql_args else None
        single = case.returns_all and size > SINGLE_RUN_ABOVE
        if not single:
            hc_out, psql_out = self.scratch / "scale.hc.out", self.scratch / "scale.psql.out"
            self.timed("hcconnect", hc_argv, stdout=hc_out)
            with open(hc_out, "rb") as output:
                runs.lines = sum(chunk.count(b"\n") for chunk in iter(lambda: output.read(1 << 20), b""))
            if psql_argv:
                self.timed("psql", psql_argv, stdout=psql_out)
                hc_rows, psql_rows = ROW_READERS[case.hc_rows](hc_out), ROW_READERS[case.psql_rows](psql_out)
                if hc_rows != psql_rows:
                    raise BenchError(f"the two sides differ: hcconnect wrote {len(hc_rows)} rows, psql {len(psql_rows)}")
                what = "groups" if case.hc_rows.startswith(("stats", "errors")) else "rows"
                runs.checks.append(f"{len(hc_rows):,} {what}")
                if case.name == "export-csv":
                    same_csv_text(hc_out, psql_out)
                    runs.checks.append("every field but the times")
            for path in (hc_out, psql_out):
                path.unlink(missing_ok=True)
        if case.name == "failed-table-limit":
            # the statement hcconnect sends, with its values (the default run's plans show both)
            runs.plan = self.server.psql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {failed_select(table='account', limit=50)}",
                                         READ_DB).rstrip()
        for _ in range(1 if single else self.options.runs):
            self.server.reset_statements()
            runs.hc.append(self.timed("hcconnect", hc_argv))
            runs.hc_buffers.append(self.buffers())
            if psql_argv:
                self.server.reset_statements()
                runs.psql.append(self.timed("psql", psql_argv))
                runs.psql_buffers.append(self.buffers())


    def measure_console(self, case, runs):
        """console-keys: --runs passes of the key sequence in one session (the buffers: the
        whole session's statements); console-refresh: --runs rounds of Ctrl-R on each view
        (the buffers of a round: its three refreshes)."""
        if case.name == "console-keys":
            self.server.reset_statements()
            presses, session = console_keys(self.options.hcconnect, self.server, READ_DB, self.options.runs)
            runs.hc_buffers.append(self.buffers())
            runs.hc = [Run(0, press.frame_ms, session.rss_kb, "") for press in presses]
            runs.details["presses"] = presses
            runs.checks.append(f"{len(presses):,} key presses, each answered by a frame")
        else:
            refreshes, session = console_refresh(self.options.hcconnect, self.server, READ_DB, self.options.runs)
            runs.hc = [Run(0, press.frame_ms, session.rss_kb, "") for items in refreshes.values() for press, _ in items]
            runs.hc_buffers = [sum(b for items in refreshes.values() for _, _, b in items[index][1])
                               for index in range(self.options.runs)]
            runs.details["refreshes"] = refreshes
            runs.checks.append(f"{len(runs.hc)} refreshes, each answered by a frame")


def scale_record(server):
    """The account record with the most entries, and its newest entry: for related and history."""
    row = server.psql(
        f"SELECT table_name, record_id, max(id) FROM (SELECT table_name, record_id, id FROM {LIVE}"
        f" UNION ALL SELECT table_name, record_id, id FROM {ARCHIVE}) AS e WHERE table_name = 'account'"
        " GROUP BY 1, 2 ORDER BY count(*) DESC, 2 LIMIT 1", READ_DB).strip().split("|")
    return row[0], int(row[1]), int(row[2])


def growth(case, sizes, measured):
    """(buffer ratio from the second-largest to the largest size, verdict, met)."""
    if len(sizes) < 2:
        return None, "one size only", True
    before, after = (measured[size] for size in sizes[-2:])
    if before.error or after.error or not before.hc_buffers or not after.hc_buffers:
        return None, "not measured", False
    ratio = statistics.median(after.hc_buffers) / max(1, statistics.median(before.hc_buffers))
    if ratio <= 1.2:
        return ratio, "flat", True
    entries = sizes[-1] / sizes[-2]
    returned = entries if case.returns_all else (after.lines / before.lines if before.lines and after.lines else 1)
    if returned > 1.2 and ratio <= 1.2 * returned:
        verdict_text = "linear in what it returns"
    else:
        verdict_text = f"GROWS with the log ({ratio:.1f}× buffers for {entries:g}× entries)"
    return ratio, verdict_text + (" — must be flat: MISSED" if case.flat_required else ""), not case.flat_required


def scale_memory(case, sizes, measured):
    """(largest median peak over the sizes, met): ≤ memory_mb at every size."""
    peaks = [median_rss(measured[size].hc) for size in sizes if measured[size].hc]
    if not peaks:
        return None, False
    return max(peaks), max(peaks) <= case.memory_mb * 1024


def size_label(n):
    return f"{n / 1_000_000:g}M" if n >= 1_000_000 else f"{n / 1000:g}k"


def scale_tables(cases, sizes, measured, facts_by_size, floor):
    """The report's tables: (title, header, rows) each."""
    labels = [size_label(size) for size in sizes]
    time_rows, buffer_rows, memory_rows = [], [], []
    for case in cases:
        cells, buffer_cells, memory_cells = [case.name], [case.name], [case.name]
        for size in sizes:
            runs = measured[case.name][size]
            if runs.error:
                cells.append("ERROR")
                buffer_cells.append("ERROR")
                memory_cells.append("ERROR")
                continue
            hc = milliseconds(median_wall(runs.hc)) if runs.hc else "—"
            psql = milliseconds(median_wall(runs.psql)) if runs.psql else ""
            ratio = f", {median_wall(runs.hc) / median_wall(runs.psql):.2f}×" if runs.hc and runs.psql else ""
            cells.append(hc + (f" (psql {psql}{ratio})" if psql else ""))
            buffer_cells.append(f"{statistics.median(runs.hc_buffers):,.0f}" if runs.hc_buffers else "—")
            memory_cells.append(rss_cell(runs.hc, floor))
        ratio, text, _ = growth(case, sizes, measured[case.name])
        buffer_cells += [f"{ratio:.2f}×" if ratio is not None else "—", text]
        if case.memory_mb:
            peak, met = scale_memory(case, sizes, measured[case.name])
            memory_cells += [f"≤ {case.memory_mb:g} MB", verdict(met) if peak is not None else "—"]
        else:
            memory_cells += ["—", ""]
        time_rows.append(cells)
        buffer_rows.append(buffer_cells)
        memory_rows.append(memory_cells)
    growth_label = f"{labels[-2]} → {labels[-1]}" if len(labels) > 1 else "growth"
    data_rows = [[size_label(size), f"{facts.archived:,}", f"{facts.live:,}", f"{facts.failed:,}", f"{facts.backlog:,}",
                  facts.size, f"{facts.seconds:.0f} s"] for size, facts in zip(sizes, facts_by_size)]
    return [
        ("Data at each size", ["size", "archived", "live", "FAILED", "backlog", "database", "grown in"], data_rows),
        ("Median wall time (hcconnect, and psql where the case has a psql side)", ["case", *labels], time_rows),
        ("Shared buffers touched by hcconnect's statements (median per run)",
         ["case", *labels, f"buffers {growth_label}", "growth"], buffer_rows),
        ("hcconnect's peak memory (median)", ["case", *labels, "target", "result"], memory_rows),
    ]


def scale_outcome(cases, sizes, measured):
    """(cases with an error, targets missed)."""
    errors = [case.name for case in cases if any(measured[case.name][size].error for size in sizes)]
    missed = [case.name for case in cases if case.name not in errors and not growth(case, sizes, measured[case.name])[2]]
    # console-keys: the target (p95 of the key presses) is on the smallest size, the issue's
    # 200k-entry log; the larger sizes are reported
    missed += [f"{case.name} (p95 at {size_label(sizes[0])})" for case in cases
               if case.kind == "console" and case.target and case.name not in errors and measured[case.name][sizes[0]].hc
               and percentile([run.wall_ms for run in measured[case.name][sizes[0]].hc], 0.95) > case.target]
    missed += [f"{case.name} memory" for case in cases
               if case.memory_mb and case.name not in errors and not scale_memory(case, sizes, measured[case.name])[1]]
    return errors, missed


def scale_markdown(cases, sizes, measured, facts_by_size, options, facts, started, floor, flags):
    errors, missed = scale_outcome(cases, sizes, measured)
    summary = ("Every case ran and was checked; the cases that must be flat are, and memory stayed within its target."
               if not errors and not missed else
               " ".join(part for part in (f"Missed: {', '.join(missed)}." if missed else "",
                                          f"Could not be measured or checked: {', '.join(errors)}." if errors else "")
                        if part))
    out = [SCALE_BEGIN, "",
           f"Measured {started:%Y-%m-%d %H:%M} UTC with `{reproduce_command(options.bench_arguments)}`: "
           f"{options.runs} run{'s' if options.runs != 1 else ''} per side and size after a checked warm-up run (the export cases above "
           f"{size_label(SINGLE_RUN_ABOVE)}: one run, no warm-up). hcconnect "
           f"{'has' if flags else 'has neither'} {' and '.join(sorted(flags)) if flags else '--exact nor --brief'} "
           f"for stats. **{summary}**", ""]
    for title, header, rows in scale_tables(cases, sizes, measured, facts_by_size, floor):
        out += [f"### {title}", "", markdown_table(header, rows), ""]
    failures = [(case.name, size, measured[case.name][size].error) for case in cases for size in sizes
                if measured[case.name][size].error]
    for name, size, error in failures:
        out += [f"**{name} at {size_label(size)} could not be measured:**", "", "```", error, "```", ""]
    console = console_scale_lines(cases, sizes, measured)
    if console:
        out += ["### The console", ""] + console
    plans = [(size, measured[case.name][size].plan) for case in cases for size in sizes if measured[case.name][size].plan]
    if plans:
        out += ["### Plans of failed-table-limit", "",
                "`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)` of its statement (the same as hcconnect's, with the values) "
                "at each size:", ""]
        for size, plan in plans:
            out += [f"{size_label(size)}:", "", "```", plan, "```", ""]
    out += ["### Checks", ""]
    for case in cases:
        checked = [f"{size_label(size)}: {', '.join(measured[case.name][size].checks)}" for size in sizes
                   if measured[case.name][size].checks]
        written = [f"{size_label(size)}: {measured[case.name][size].lines:,}" for size in sizes
                   if measured[case.name][size].lines]
        out.append(f"- {case.name}: every run exited 0"
                   + (f"; both sides returned the same (in the same order) — {'; '.join(checked)}" if checked else "")
                   + (f"; lines hcconnect wrote — {'; '.join(written)}" if written else "") + ".")
    out += ["", "### Commands", ""]
    for case in cases:
        out.append(f"- **{case.name}** ({case.summary}): `hcconnect {' '.join(case.hc_args)}`"
                   + (" vs psql: the statement of the same case above" if case.psql_args else ""))
    out += ["", "### Machine", "", markdown_table(["machine", ""], [list(fact) for fact in facts]), "", SCALE_END]
    return "\n".join(out)


def run_scale(options, server, say):
    """--scale: builds the base log, then per size grows it, measures every case, reports."""
    started = datetime.datetime.now(datetime.timezone.utc)
    sizes = options.scale_sizes
    data = Data(sizes[0], options.live, options.failed_fraction, reserve=sizes[-1] + 1)
    try:
        before = build_databases(server, data, say)
        server.drop(SOURCE_DB)  # READ_DB is grown in place; the template is not needed
        server.drop(EMPTY_DB)
        facts = machine(server, options)
        floor = measure_floor()
        record = scale_record(server)
    except BenchError as error:
        print(f"bench.py: could not prepare the databases: {error}", file=sys.stderr)
        return 1
    flags = stats_flags(options.hcconnect)
    if "--brief" not in flags:
        say("this hcconnect has no stats --brief: that case is left out")
    cases = [case for case in make_scale_cases(flags, record)
             if options.cases is None or case.name in options.selected]
    bench = ScaleBench(options, server, before)
    measured = {case.name: {} for case in cases}
    facts_by_size = []
    for size in sizes:
        try:
            facts_by_size.append(bench.grow(size, say))
        except BenchError as error:
            print(f"bench.py: could not grow the archive to {size:,}: {error}", file=sys.stderr)
            return 1
        grown = facts_by_size[-1]
        if (grown.failed, grown.backlog) != (facts_by_size[0].failed, facts_by_size[0].backlog):
            print(f"bench.py: the FAILED and backlog counts changed with the size: {facts_by_size}", file=sys.stderr)
            return 1
        say(f"{size_label(size)}: {grown.archived:,} archived entries, database {grown.size}, grown in {grown.seconds:.0f} s")
        for case in cases:
            say(f"{size_label(size)}: {case.name}")
            measured[case.name][size] = bench.measure(case, size)
            if measured[case.name][size].error:
                print(f"bench.py: {case.name} at {size_label(size)} FAILED:\n{measured[case.name][size].error}",
                      file=sys.stderr)
    print()
    for title, header, rows in scale_tables(cases, sizes, measured, facts_by_size, floor):
        print(title)
        print(text_table(header, rows))
        print()
    console = console_scale_lines(cases, sizes, measured)
    if console:
        print("\n".join(console))
    errors, missed = scale_outcome(cases, sizes, measured)
    if options.report:
        write_report(options.report,
                     scale_markdown(cases, sizes, measured, facts_by_size, options, facts, started, floor, flags),
                     (SCALE_BEGIN, SCALE_END))
        print(f"report written to {options.report}")
    return conclusion(errors, missed, "every case measured and checked; every target met")


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------

def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="bench.py", description="Benchmark hcconnect against the same work done by psql (make bench).",
        epilog="Exit status: 0 every target met, 1 a target missed or a case failed, 2 usage error.")
    parser.add_argument("hcconnect", nargs="?", metavar="HCCONNECT", help="the hcconnect release binary")
    parser.add_argument("server_url", nargs="?", metavar="SERVER_URL", help="URL of the throwaway server's postgres database")
    parser.add_argument("--quick", action="store_true",
                        help="100,000 archived and 10,000 live entries, 3 runs; no report unless --report")
    parser.add_argument("--archived", type=int, metavar="N", help="archived log entries (default 1,000,000; quick 100,000)")
    parser.add_argument("--live", type=int, metavar="N", help="live log entries (default 100,000; quick 10,000)")
    parser.add_argument("--failed-fraction", type=float, default=0.1, metavar="F", help="fraction of FAILED entries (default 0.1)")
    parser.add_argument("--runs", type=int, metavar="N", help="runs per side and case (default 5; quick 3)")
    parser.add_argument("--cases", metavar="A,B", help="comma-separated cases to run (default all): " + ", ".join(CASE_NAMES))
    parser.add_argument("--report", metavar="FILE", help="write the markdown report to FILE (default docs/benchmarks.md, "
                                         "except with --quick or --cases)")
    parser.add_argument("--scale", action="store_true",
                        help="measure the read cases at 0.2M, 2M and 20M archived entries (same backlog and FAILED "
                             "entries; 20,000 live), with the shared buffers their statements touch; writes its own "
                             "section of docs/benchmarks.md; takes about 20 minutes and 20 GB of disk")
    parser.add_argument("--scale-sizes", metavar="A,B,C",
                        help="with --scale: archived entries at each size, increasing (default 200000,2000000,20000000; "
                             "no report unless --report)")
    parser.add_argument("--check-arguments", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.scale:
        return scale_arguments(parser, options, argv)
    if options.scale_sizes:
        parser.error("--scale-sizes needs --scale")

    options.archived = options.archived if options.archived is not None else (100_000 if options.quick else 1_000_000)
    options.live = options.live if options.live is not None else (10_000 if options.quick else 100_000)
    options.runs = options.runs if options.runs is not None else (3 if options.quick else 5)
    if options.archived < 0 or options.live < 0:
        parser.error("--archived and --live must be >= 0")
    if options.archived + options.live > 2_000_000_000:
        parser.error("--archived plus --live must stay below 2,000,000,000 (integer ids)")
    if not 0 < options.failed_fraction <= 1:
        parser.error("--failed-fraction must be greater than 0 and at most 1")
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    options.help_runs = max(20, 6 * options.runs)
    if options.cases is None:
        options.selected = list(CASE_NAMES)
    else:
        options.selected = [name.strip() for name in options.cases.split(",") if name.strip()]
        unknown = [name for name in options.selected if name not in CASE_NAMES]
        if unknown or not options.selected:
            parser.error(f"unknown case {', '.join(unknown) or '(none given)'}; cases: {', '.join(CASE_NAMES)}")
    if options.report is None and not options.quick and options.cases is None:
        options.report = str(DEFAULT_REPORT)
    if not options.check_arguments and (not options.hcconnect or not options.server_url):
        parser.error("HCCONNECT and SERVER_URL are required (make bench passes them)")
    options.bench_arguments = [arg for arg in argv if arg not in (options.hcconnect, options.server_url)]
    return options


def stats_flags(hcconnect):
    """The options `hcconnect help stats` mentions among --exact and --brief (added in
    issue 15: stats estimates the counts of finished states on a large log unless --exact)."""
    try:
        text = subprocess.run([hcconnect, "help", "stats"], capture_output=True, text=True, timeout=60, env=CHILD_ENV).stdout
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {flag for flag in ("--exact", "--brief") if flag in text}


def exact_stats_arguments(hcconnect):
    """`stats --exact` when hcconnect has it (every count exact, as the GROUP BY), else `stats`."""
    return ("stats", "--exact") if "--exact" in stats_flags(hcconnect) else ("stats",)


def scale_arguments(parser, options, argv):
    """The options of --scale: sizes, live entries, runs, cases, report."""
    if options.quick or options.archived is not None:
        parser.error("--scale sets its own sizes: use --scale-sizes instead of --quick or --archived")
    try:
        options.scale_sizes = ([int(size.replace("_", "")) for size in options.scale_sizes.split(",")]
                               if options.scale_sizes else list(SCALE_SIZES))
    except ValueError:
        parser.error("--scale-sizes takes whole numbers separated by commas")
    if not options.scale_sizes or options.scale_sizes != sorted(set(options.scale_sizes)) or options.scale_sizes[0] < 1000:
        parser.error("--scale-sizes must be increasing, each at least 1000")
    if options.scale_sizes[-1] * 2 + SCALE_LIVE > 2_000_000_000:
        parser.error("--scale-sizes: the largest must stay below 1,000,000,000 (integer ids)")
    options.live = options.live if options.live is not None else SCALE_LIVE
    options.runs = options.runs if options.runs is not None else 3
    if options.live < 0 or options.runs < 1 or not 0 < options.failed_fraction <= 1:
        parser.error("--live must be >= 0, --runs at least 1, --failed-fraction in (0, 1]")
    options.help_runs = options.runs
    if options.cases is not None:
        options.selected = [name.strip() for name in options.cases.split(",") if name.strip()]
        unknown = [name for name in options.selected if name not in SCALE_CASE_NAMES]
        if unknown or not options.selected:
            parser.error(f"unknown case {', '.join(unknown) or '(none given)'} for --scale; cases: "
                         + ", ".join(SCALE_CASE_NAMES))
    if options.report is None and options.cases is None and options.scale_sizes == list(SCALE_SIZES):
        options.report = str(DEFAULT_REPORT)
    if not options.check_arguments and (not options.hcconnect or not options.server_url):
        parser.error("HCCONNECT and SERVER_URL are required (make bench passes them)")
    options.bench_arguments = [arg for arg in argv if arg not in (options.hcconnect, options.server_url)]
    return options


def main(argv):
    options = parse_arguments(argv)
    if options.check_arguments:
        return 0

    def say(message):
        print(f"==> {message}", file=sys.stderr, flush=True)

    if options.scale:
        return run_scale(options, Server(options.server_url), say)

    started = datetime.datetime.now(datetime.timezone.utc)
    server = Server(options.server_url)
    data = Data(options.archived, options.live, options.failed_fraction)
    try:
        before = build_databases(server, data, say)
        say(f"template ready in {data.seconds:.0f} s ({data.size}); "
            f"{data.failed_archived + data.failed_live:,} FAILED entries")
        facts = machine(server, options)
        floor = measure_floor()
    except BenchError as error:
        print(f"bench.py: could not prepare the databases: {error}", file=sys.stderr)
        return 1
    capture_ids = list(range(1, min(CAPTURED_RECORDS, data.accounts) + 1))
    bench = Bench(options, server, before)
    results = []
    stats_args = exact_stats_arguments(options.hcconnect)
    if "--exact" not in stats_args:
        say("this hcconnect has no stats --exact: the stats case measures plain stats")
    live_max = int(server.psql(f"SELECT coalesce(max(id), 0) FROM {LIVE}", SOURCE_DB))
    for case in make_cases(capture_ids, stats_args, live_max):
        if case.name not in options.selected:
            continue
        say(f"{case.name}: {case.summary}")
        result = bench.run(case)
        if result.error:
            print(f"bench.py: {case.name} FAILED:\n{result.error}", file=sys.stderr)
        results.append(result)

    print()
    print(text_table(TIMING_HEADER, timing_rows(results, floor)))
    rows = statement_rows(results)
    if rows:
        print()
        print(text_table(STATEMENT_HEADER, rows))
    growth = batch_growth(results)
    if growth:
        print(growth)
    console = console_report(results)
    if console:
        print()
        print("\n".join(console))
    errors, missed = outcome(results)
    print()
    if options.report:
        write_report(options.report, markdown_report(results, options, data, facts, started, floor))
        print(f"report written to {options.report}")
    return conclusion(errors, missed, "every target met")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("bench.py: interrupted", file=sys.stderr)
        sys.exit(130)
