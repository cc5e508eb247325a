#!/usr/bin/env python3
r"""Independent Sigma evaluation of CloudTrail records ("oracle"), built on pySigma.

parapet evaluates SigmaHQ rules itself. This script gives a second opinion that shares no
code with it: the rules are parsed and compiled by pySigma and its SQLite backend
(pysigma-backend-sqlite), and the compiled SQL runs in SQLite (the stdlib sqlite3 module)
over the events. It serves the Rust integration tests (which events does each rule match?)
and the benchmarks (how long does pySigma's backend take on the same events?).

Needs Python >= 3.10 with pySigma and pysigma-backend-sqlite, the versions pinned by
scripts/test-deps (run it; it prints the venv's bin folder whose python to use).

Usage
-----
  sigma_oracle.py match --rules DIR [--rules DIR ...] --events PATH [--events PATH ...]
                        [--placeholder NAME=V1,V2 ...] [--status FILE] [--db FILE]
      stdout: NDJSON, one line per (rule, event) match, sorted by rule_id, event_id (then
              source, index):
              {"rule_id", "title", "event_id", "source", "index"}
              event_id is the record's eventID or, when it has none, "<source>#<index>";
              source is the event file's path; index is the record's 0-based position in
              that file (an extra key: it tells apart records that share an eventID, as
              the Panther test logs do).
      status: one object per rule {"rule_id", "path", "title", "status": "ok"|"unsupported",
              "reason", "queries"}: NDJSON on stderr, or a JSON array in --status FILE
              (use the file to read it by program: RE2 may log its own lines on stderr
              when it rejects a rule's regex).
      --db FILE keeps the flattened SQLite table in FILE, for looking into a difference.

  sigma_oracle.py bench --rules DIR --events PATH --repeat N [--placeholder ...]
      stdout: one JSON object {"events", "rules", "rules_total", "rules_unsupported",
              "matches", "parse_seconds", "convert_seconds", "read_seconds",
              "load_seconds", "query_seconds", "query_seconds_min", "query_seconds_runs",
              "events_per_second"}:
        parse_seconds   Sigma YAML -> pySigma rule objects
        convert_seconds pySigma backend conversion of every rule to SQL
        read_seconds    reading and JSON-decoding the event files
        load_seconds    flattening the records and inserting them into the in-memory table
        query_seconds   median over N repetitions of running every converted rule's SQL over
                        all events (min and every run are reported too)
        events_per_second = events / query_seconds

Rules are every *.yml / *.yaml under each --rules folder (or a single file). Events are
files or folders (recursed; *.json, *.json.gz, *.ndjson, *.jsonl, and those with .gz).
A file may hold {"Records": [...]} (CloudTrail S3 delivery), a bare JSON array of records,
one record, or NDJSON (one of those per line). A wrapper object whose "log" is an object
and which has no "eventName" of its own (the Panther test lines
{"rule_id", "test_name", "expected_match", "log": {...}}) stands for its "log".

How the evaluation works
------------------------
1. Rules. Each YAML file is loaded with pySigma (SigmaCollection.from_yaml) and every rule
   in it is converted by pySigma's SQLite backend ("default" format: SELECT * FROM logs
   WHERE <condition>). A rule whose loading or conversion raises is reported
   "unsupported" with pySigma's error as the reason and evaluated no further. Correlation
   rules are reported unsupported (the oracle evaluates single events only).
   The only backend change is in a subclass, OracleSqliteBackend: numeric comparisons
   (|lt |lte |gt |gte) read the column through a number-parsing function, because the
   columns hold text (below) and SQLite would otherwise compare them as strings.
   Placeholders (|expand, %NAME%): with --placeholder NAME=V1,V2 the rule is converted
   through pySigma's ValueListPlaceholderTransformation, so %NAME% becomes "V1 or V2".
   A placeholder that is not given makes pySigma's conversion fail ("unhandled
   placeholder"), and the rule is reported unsupported with that reason.
2. Fields. The field names a converted rule compares (its parsed condition, including
   |fieldref targets) are collected over all rules; each becomes one column of the table
   `logs`, named exactly like the Sigma field (the backend quotes dotted names with
   backticks). Columns are TEXT COLLATE NOCASE, like Zircolite's tables, which the backend
   is written for. Keyword (fieldless) detections use one more column (FULLTEXT_COLUMN).
3. Flattening. For each record and each column, the dotted field name is resolved as a
   path: at each object level the longest run of name segments that is a key of that
   object is taken (so a key that itself contains a dot still resolves); key names are
   matched case-sensitively. When the path meets an
   array, the rest of the path is resolved in every element, and the values found are
   collected (a path that ends on an array collects its elements the same way, and
   arrays nested in arrays are flattened).
     - nothing found, or JSON null            -> SQL NULL
     - one value                              -> that value's text (below)
     - several values (through/at an array)   -> the JSON text of the list of the values
   The text of a value: a string as it is; true/false as 'true'/'false'; a number as its
   JSON spelling (ints as digits, floats as Python's repr, e.g. '1.5'); an object as
   compact JSON ('{"a":"b","c":1}', no spaces, key order of the record, non-ASCII kept).
   The fulltext column holds every scalar leaf value of the record, as text, joined by
   newlines.
4. Matching. Every converted query runs as SELECT row FROM (<query>); a rule matches the
   rows it returns. SQLite's REGEXP operator is bound to Python's re.search (false on
   NULL).

What this means for Sigma semantics
-----------------------------------
  - Plain strings: '=' under COLLATE NOCASE, or LIKE (which ignores case) when the value
    has wildcards or is a contains/startswith/endswith: case-insensitive, but ASCII only
    (SQLite folds no other letters). |cased uses GLOB (case-sensitive).
  - Wildcards * and ? become LIKE's % and _ (with the backend's escaping of literal % _ \).
    "contains: '*'" compiles to LIKE '%', i.e. "the field is present and not null" (an
    empty string matches).
  - null: `field: null` is `IS NULL`: absent and JSON null are the same thing, as the
    Sigma spec says. An empty string is not null.
  - Booleans and numbers in the event are compared through their text: 'false' matches
    JSON false, '1' matches JSON 1 (but '1' does not match 1.0, whose text is '1.0').
  - NOT over an absent field: the backend wraps every NOT operand in COALESCE(..., 0), so
    "selection and not filter" still matches when the filter's field is absent (Sigma's
    two-valued logic, not SQL's three-valued one).
  - |re: Python's re.search (unanchored), case-sensitive unless the rule sets the i flag;
    pySigma checks the pattern with RE2 when it loads the rule.
  - |fieldref: column = column under NOCASE (case-insensitive equality of the two texts).
  - Whole objects: a rule field naming an object (e.g. `requestParameters|contains`)
    sees its compact JSON text, so contains/wildcards search keys and values alike, and
    strings nested in it are JSON-escaped: a literal '"' inside a nested string (e.g. a
    policyDocument held as a string) appears as \" in that text, so the '"Allow"'
    values of aws_iam_s3browser_templated_s3_bucket_policy_creation cannot match a
    policy that CloudTrail records as a string.
  - Arrays, where the Sigma spec says nothing: a field that resolves to exactly one value
    through an array (e.g. a one-element list) behaves like a plain field; with several
    values the column is their JSON list text, so equality and startswith against one
    element do NOT match (contains and wildcard patterns still see every element's
    text); an empty array is NULL (no element, so `|contains: '*'` does not match it,
    and `field: null` does). Several fields reaching into the same array are resolved
    independently (no "same element" binding).
  - Field names are case-sensitive in the record lookup. SQLite column names are not, so
    two rule fields that differ only in case share one column, filled from the first
    spelling (sorted) that resolves.
  - Numeric comparisons parse the text as a float; a non-number is NULL (no match).
  - SQLite allows at most 2000 columns; more distinct rule fields than that is an error.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sqlite3
import statistics
import sys
import time
from functools import lru_cache

try:
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection
    from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionValueExpression
    from sigma.correlations import SigmaCorrelationRule
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import ValueListPlaceholderTransformation
    from sigma.rule import SigmaRule
    from sigma.types import SigmaFieldReference
except ImportError as exc:  # pragma: no cover - environment problem, not a rule problem
    sys.exit(
        f"sigma_oracle: pySigma is missing ({exc}); run scripts/test-deps and use the "
        "python of the venv it prints"
    )

# The table the backend queries (its default) and our own bookkeeping columns. The names
# are plain identifiers that no CloudTrail field uses.
TABLE = "logs"
ROW_COLUMN = "oracle_row__"
FULLTEXT_COLUMN = "oracle_fulltext__"
# SQLite's default SQLITE_MAX_COLUMN, less the bookkeeping columns.
MAX_FIELDS = 2000 - 2

EVENT_SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
RULE_SUFFIXES = (".yml", ".yaml")


def warn(message: str) -> None:
    print(f"sigma_oracle: {message}", file=sys.stderr)


# --------------------------------------------------------------------------------------
# Backend
# --------------------------------------------------------------------------------------


class OracleSqliteBackend(sqliteBackend):
    """pySigma's SQLite backend, with numeric comparisons made numeric.

    The table's columns hold text (see the module docstring); SQLite compares a TEXT column
    with a number literal as text ('10' < '9'), so |lt/|gt read the column through
    oracle_number(), which returns the float value of numeric text and NULL otherwise.
    Everything else is the backend as published.
    """

    compare_op_expression = "oracle_number({field}) {operator} {value}"


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def sql_regexp(pattern, value):
    """SQLite calls regexp(pattern, value) for `value REGEXP pattern`; false on NULL."""
    if value is None or pattern is None:
        return 0
    return 1 if _compiled(pattern).search(str(value)) else 0


def sql_number(value):
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def open_database(path: str | None) -> sqlite3.Connection:
    if path:
        if os.path.exists(path):
            os.remove(path)
        connection = sqlite3.connect(path)
    else:
        connection = sqlite3.connect(":memory:")
    connection.create_function("regexp", 2, sql_regexp, deterministic=True)
    connection.create_function("oracle_number", 1, sql_number, deterministic=True)
    return connection


def placeholder_pipeline(placeholders: dict[str, list[str]]) -> ProcessingPipeline | None:
    """A pipeline that replaces the given %NAME% placeholders by their value lists."""
    if not placeholders:
        return None
    return ProcessingPipeline(
        name="sigma_oracle placeholders",
        items=[
            ProcessingItem(
                identifier="sigma_oracle_placeholders",
                transformation=ValueListPlaceholderTransformation(include=sorted(placeholders)),
            )
        ],
        vars={name: list(values) for name, values in placeholders.items()},
    )


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


class RuleEntry:
    """One rule of a rule file, with its conversion outcome."""

    def __init__(self, path: str, rule=None, index: int = 0):
        self.path = path
        self.rule = rule
        rule_id = getattr(rule, "id", None) if rule is not None else None
        # A rule without an id (or a file that did not load) is named after its file.
        self.rule_id = str(rule_id) if rule_id else (f"{path}#{index}" if index else path)
        self.title = getattr(rule, "title", None) if rule is not None else None
        self.status = "ok"
        self.reason = None
        self.queries: list[str] = []
        self.fields: set[str] = set()
        self.keywords = False

    def fail(self, reason: str) -> None:
        self.status = "unsupported"
        self.reason = reason
        self.queries = []

    def status_record(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "path": self.path,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "queries": self.queries,
        }


def find_files(roots: list[str], suffixes: tuple[str, ...]) -> list[str]:
    """The files under each root (a file or a folder, recursed) ending in a suffix.

    Order: roots as given, each walked in sorted order; a file met twice is kept once.
    """
    found: list[str] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            found.append(path)

    for root in roots:
        if os.path.isfile(root):
            add(root)
            continue
        if not os.path.isdir(root):
            raise SystemExit(f"sigma_oracle: no such file or folder: {root}")
        for folder, subfolders, files in os.walk(root):
            subfolders.sort()
            for name in sorted(files):
                if name.lower().endswith(suffixes):
                    add(os.path.join(folder, name))
    return found


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def load_rules(rule_roots: list[str]) -> list[RuleEntry]:
    """Parse every rule file with pySigma; a file that does not load is one unsupported entry."""
    entries: list[RuleEntry] = []
    for path in find_files(rule_roots, RULE_SUFFIXES):
        try:
            with open(path, encoding="utf-8") as handle:
                collection = SigmaCollection.from_yaml(handle.read(), collect_errors=True)
        except Exception as exc:  # pySigma raises SigmaError subclasses, YAML its own
            entry = RuleEntry(path)
            entry.fail(f"load: {error_text(exc)}")
            entries.append(entry)
            continue
        if not collection.rules:
            entry = RuleEntry(path)
            entry.fail(
                "load: " + ("; ".join(error_text(e) for e in collection.errors) or "no rule in file")
            )
            entries.append(entry)
            continue
        for index, rule in enumerate(collection.rules):
            entry = RuleEntry(path, rule, index)
            if isinstance(rule, SigmaCorrelationRule):
                entry.fail("correlation rules are not evaluated by the oracle (single events only)")
            elif not isinstance(rule, SigmaRule):
                entry.fail(f"not a detection rule ({type(rule).__name__})")
            elif rule.errors:
                entry.fail("load: " + "; ".join(error_text(e) for e in rule.errors))
            entries.append(entry)
    return entries


def condition_fields(rule: SigmaRule) -> tuple[set[str], bool]:
    """The field names a (converted) rule's condition compares, and whether it has keywords."""
    fields: set[str] = set()
    keywords = False
    stack = [parsed.parsed for parsed in rule.detection.parsed_condition]
    while stack:
        node = stack.pop()
        if isinstance(node, ConditionFieldEqualsValueExpression):
            fields.add(node.field)
            if isinstance(node.value, SigmaFieldReference):
                fields.add(node.value.field)
        elif isinstance(node, ConditionValueExpression):
            keywords = True
        stack.extend(getattr(node, "args", []) or [])
    return fields, keywords


def convert_rules(entries: list[RuleEntry], placeholders: dict[str, list[str]]) -> None:
    """Convert every loadable rule to SQL with the backend; failures become 'unsupported'."""
    backend = OracleSqliteBackend(
        processing_pipeline=placeholder_pipeline(placeholders),
        fulltext_field=FULLTEXT_COLUMN,
    )
    for entry in entries:
        if entry.status != "ok":
            continue
        try:
            queries = backend.convert_rule(entry.rule)
            if not queries or not all(isinstance(q, str) for q in queries):
                raise ValueError(f"backend returned no SQL query ({queries!r})")
            fields, keywords = condition_fields(entry.rule)
        except Exception as exc:
            entry.fail(error_text(exc))
            continue
        entry.queries = list(queries)
        entry.fields = fields
        entry.keywords = keywords


# --------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------


class Event:
    __slots__ = ("event_id", "source", "index", "record")

    def __init__(self, event_id: str, source: str, index: int, record: dict):
        self.event_id = event_id
        self.source = source
        self.index = index
        self.record = record


def records_of(document) -> list:
    """The CloudTrail records one decoded JSON document stands for."""
    if isinstance(document, list):
        out = []
        for item in document:
            out.extend(records_of(item) if isinstance(item, dict) else [item])
        return out
    if isinstance(document, dict):
        records = document.get("Records")
        if isinstance(records, list):
            return records
        log = document.get("log")
        if isinstance(log, dict) and "eventName" not in document:
            return [log]
    return [document]


def read_event_file(path: str) -> list:
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        text = handle.read()
    try:
        return records_of(json.loads(text))
    except json.JSONDecodeError:
        pass
    # Not one JSON document: NDJSON, one document per non-blank line.
    records: list = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.extend(records_of(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"sigma_oracle: {path}:{number}: not JSON: {exc}") from exc
    return records


def read_events(event_roots: list[str]) -> list[Event]:
    events: list[Event] = []
    for path in find_files(event_roots, EVENT_SUFFIXES):
        skipped = 0
        for index, record in enumerate(read_event_file(path)):
            if not isinstance(record, dict):
                skipped += 1
                continue
            event_id = record.get("eventID")
            if not isinstance(event_id, str) or not event_id:
                event_id = f"{path}#{index}"
            events.append(Event(event_id, path, index, record))
        if skipped:
            warn(f"{path}: skipped {skipped} record(s) that are not JSON objects")
    return events


# --------------------------------------------------------------------------------------
# Flattening and the table
# --------------------------------------------------------------------------------------


def scalar_text(value) -> str:
    """The text a JSON value is compared through (see the module docstring)."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def collect(value, parts: list[str], start: int, out: list) -> None:
    """Append to out every value found at parts[start:] below value (arrays fan out)."""
    if isinstance(value, list):
        for item in value:
            collect(item, parts, start, out)
        return
    if start == len(parts):
        if value is not None:
            out.append(value)
        return
    if not isinstance(value, dict):
        return
    # Longest run of segments that is a key first, so keys containing dots resolve.
    for end in range(len(parts), start, -1):
        key = ".".join(parts[start:end]) if end - start > 1 else parts[start]
        if key in value:
            collect(value[key], parts, end, out)
            return


def column_value(record: dict, parts: list[str]):
    """SQL value of one field of one record: None, or text."""
    found: list = []
    collect(record, parts, 0, found)
    if not found:
        return None
    if len(found) == 1:
        return scalar_text(found[0])
    return json.dumps(found, ensure_ascii=False, separators=(",", ":"))


def leaf_texts(value, out: list) -> None:
    if isinstance(value, dict):
        for item in value.values():
            leaf_texts(item, out)
    elif isinstance(value, list):
        for item in value:
            leaf_texts(item, out)
    elif value is not None:
        out.append(scalar_text(value))


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def build_table(
    connection: sqlite3.Connection, events: list[Event], fields: set[str], fulltext: bool
) -> None:
    """Create `logs` with one TEXT COLLATE NOCASE column per field and insert the events.

    Row number i (ROW_COLUMN) is events[i].
    """
    # SQLite column names ignore case: group spellings that differ only in case.
    columns: dict[str, list[str]] = {}
    for field in sorted(fields):
        columns.setdefault(field.lower(), []).append(field)
    if len(columns) > MAX_FIELDS:
        raise SystemExit(
            f"sigma_oracle: the rules use {len(columns)} distinct fields; SQLite allows {MAX_FIELDS}"
        )
    names = [spellings[0] for spellings in columns.values()]
    paths = [[spelling.split(".") for spelling in spellings] for spellings in columns.values()]
    if fulltext:
        names.append(FULLTEXT_COLUMN)
    definitions = [f"{ROW_COLUMN} INTEGER PRIMARY KEY"] + [
        f"{quote_identifier(name)} TEXT COLLATE NOCASE" for name in names
    ]
    connection.execute(f"CREATE TABLE {TABLE} ({', '.join(definitions)})")

    def rows():
        for number, event in enumerate(events):
            row = [number]
            for spellings in paths:
                value = None
                for parts in spellings:
                    value = column_value(event.record, parts)
                    if value is not None:
                        break
                row.append(value)
            if fulltext:
                texts: list = []
                leaf_texts(event.record, texts)
                row.append("\n".join(texts))
            yield row

    marks = ", ".join("?" * (len(names) + 1))
    connection.executemany(f"INSERT INTO {TABLE} VALUES ({marks})", rows())
    connection.commit()


def prepare(entries: list[RuleEntry], events: list[Event], db_path: str | None):
    """Open the database and load the events with the columns the converted rules need."""
    fields: set[str] = set()
    fulltext = False
    for entry in entries:
        if entry.status == "ok":
            fields |= entry.fields
            fulltext = fulltext or entry.keywords
    connection = open_database(db_path)
    build_table(connection, events, fields, fulltext)
    return connection


def run_rule(connection: sqlite3.Connection, entry: RuleEntry) -> set[int]:
    """Row numbers of the events the rule matches (any of its queries)."""
    rows: set[int] = set()
    for query in entry.queries:
        cursor = connection.execute(f"SELECT {ROW_COLUMN} FROM ({query})")
        rows.update(row[0] for row in cursor)
    return rows


def run_all(connection: sqlite3.Connection, entries: list[RuleEntry]) -> dict[int, set[int]]:
    """Evaluate every ok rule; a query SQLite rejects turns its rule unsupported."""
    results: dict[int, set[int]] = {}
    for number, entry in enumerate(entries):
        if entry.status != "ok":
            continue
        try:
            results[number] = run_rule(connection, entry)
        except sqlite3.Error as exc:
            entry.fail(f"query failed in SQLite: {error_text(exc)}")
    return results


# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------


def parse_placeholders(items: list[str] | None) -> dict[str, list[str]]:
    placeholders: dict[str, list[str]] = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        name = name.strip().strip("%")
        if not sep or not name:
            raise SystemExit(f"sigma_oracle: --placeholder wants NAME=V1,V2, got {item!r}")
        placeholders.setdefault(name, []).extend(v for v in values.split(",") if v != "")
    return placeholders


def write_status(entries: list[RuleEntry], status_path: str | None) -> None:
    records = [entry.status_record() for entry in entries]
    if status_path:
        with open(status_path, "w", encoding="utf-8") as handle:
            json.dump(records, handle, indent=1)
            handle.write("\n")
    else:
        for record in records:
            print(json.dumps(record), file=sys.stderr)


def command_match(args) -> int:
    entries = load_rules(args.rules)
    convert_rules(entries, parse_placeholders(args.placeholder))
    events = read_events(args.events)
    connection = prepare(entries, events, args.db)
    results = run_all(connection, entries)
    connection.close()

    lines = []
    for number, rows in results.items():
        entry = entries[number]
        for row in rows:
            event = events[row]
            lines.append(
                (
                    entry.rule_id,
                    event.event_id,
                    event.source,
                    event.index,
                    {
                        "rule_id": entry.rule_id,
                        "title": entry.title,
                        "event_id": event.event_id,
                        "source": event.source,
                        "index": event.index,
                    },
                )
            )
    lines.sort(key=lambda line: line[:4])
    out = sys.stdout
    last = None
    for line in lines:
        if line[:4] == last:  # the same rule twice in the rule folders
            continue
        last = line[:4]
        out.write(json.dumps(line[4]) + "\n")
    out.flush()
    write_status(entries, args.status)
    return 0


def command_bench(args) -> int:
    if args.repeat < 1:
        raise SystemExit("sigma_oracle: --repeat must be at least 1")
    started = time.perf_counter()
    entries = load_rules(args.rules)
    parsed = time.perf_counter()
    convert_rules(entries, parse_placeholders(args.placeholder))
    converted = time.perf_counter()
    events = read_events(args.events)
    read = time.perf_counter()
    connection = prepare(entries, events, args.db)
    loaded = time.perf_counter()

    runs = []
    matches = 0
    for _ in range(args.repeat):
        begin = time.perf_counter()
        results = run_all(connection, entries)
        runs.append(time.perf_counter() - begin)
        matches = sum(len(rows) for rows in results.values())
    connection.close()

    query_seconds = statistics.median(runs)
    ok = sum(1 for entry in entries if entry.status == "ok")
    report = {
        "events": len(events),
        "rules": ok,
        "rules_total": len(entries),
        "rules_unsupported": len(entries) - ok,
        "matches": matches,
        "parse_seconds": round(parsed - started, 6),
        "convert_seconds": round(converted - parsed, 6),
        "read_seconds": round(read - converted, 6),
        "load_seconds": round(loaded - read, 6),
        "query_seconds": round(query_seconds, 6),
        "query_seconds_min": round(min(runs), 6),
        "query_seconds_runs": [round(run, 6) for run in runs],
        "events_per_second": round(len(events) / query_seconds, 1) if query_seconds > 0 else None,
    }
    print(json.dumps(report))
    if args.status:
        write_status(entries, args.status)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Evaluate Sigma rules over CloudTrail records with pySigma's SQLite backend "
        "(see the module docstring for the exact semantics)."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub):
        sub.add_argument("--rules", action="append", required=True, metavar="DIR",
                         help="folder (recursed) or file of Sigma rules; repeatable")
        sub.add_argument("--events", action="append", required=True, metavar="PATH",
                         help="CloudTrail file or folder (recursed); repeatable")
        sub.add_argument("--placeholder", action="append", metavar="NAME=V1,V2",
                         help="values of a %%NAME%% placeholder (|expand); repeatable")
        sub.add_argument("--status", metavar="FILE",
                         help="write the per-rule status as a JSON array to FILE")
        sub.add_argument("--db", metavar="FILE",
                         help="build the SQLite table in FILE (replaced) instead of in memory")

    match = commands.add_parser("match", help="print one NDJSON line per (rule, event) match")
    common(match)
    match.set_defaults(handler=command_match)

    bench = commands.add_parser("bench", help="time conversion and evaluation, print JSON")
    common(bench)
    bench.add_argument("--repeat", type=int, default=1, metavar="N",
                       help="evaluate all rules over all events N times (median reported)")
    bench.set_defaults(handler=command_bench)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
