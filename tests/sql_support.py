"""Shared helpers for the SQL backend tests: generated cohorts, the single-record path's answers on them,
and a throwaway PostgreSQL cluster.

Cohorts and expected results are cached per process, so the DuckDB, Spark and PostgreSQL tests score
the very same rows and the Python path screens them once.
"""

from __future__ import annotations

import atexit
import csv
import functools
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from conftest import MINI_SET
from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import DEFAULT_SET, Screener

N_ROWS = 10_000
SEED = 7
SET_REFS = (str(MINI_SET), DEFAULT_SET)

Row = tuple[Any, ...]


@functools.cache
def workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="trafficscreen-sql-tests-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.cache
def cohort(ref: str) -> tuple[CompiledSet, Path]:
    """A generated cohort of N_ROWS encounters for the set, as Parquet."""
    from trafficscreen.sql.cohort import synthetic_cohort

    cs = load_set(ref)
    path = workdir() / f"{cs.id}.parquet"
    synthetic_cohort(cs, N_ROWS, path, seed=SEED)
    return cs, path


@functools.cache
def cohort_rows(ref: str) -> tuple[tuple[str, ...], tuple[Row, ...]]:
    """(column names, rows ordered by id) of the cohort, as Python values."""
    import duckdb

    _cs, path = cohort(ref)
    rel = duckdb.connect().read_parquet(str(path))
    return tuple(rel.columns), tuple(rel.order("id").fetchall())


def answers_of(columns: tuple[str, ...], row: Row) -> dict[str, Any]:
    """A cohort row as encounter answers: NULL is left out (unknown), dates as ISO text."""
    out: dict[str, Any] = {}
    for c, v in zip(columns, row, strict=True):
        if c == "id" or v is None:
            continue
        out[c] = v.isoformat() if isinstance(v, date) else v
    return out


@functools.cache
def expected(ref: str) -> tuple[Row, ...]:
    """What ``Screener.screen`` says of every cohort row, shaped like a row of the SQL output."""
    cs, _path = cohort(ref)
    columns, rows = cohort_rows(ref)
    screener = Screener(cs)
    out = []
    for row in rows:
        res = screener.screen({"answers": answers_of(columns, row)})
        out.append(
            (
                row[0],
                *(i.status.value for i in res.indicators),
                *(d.status.value for d in res.dimensions),
                res.level.value,
                res.highest_possible.value,
                res.completeness.answered,
                res.set.id,
                res.set.version,
                res.set.sha256,
            )
        )
    return tuple(out)


def normalise(rows: Any) -> list[Row]:
    """SQL output rows with the id and the answered count as ints, sorted by id."""
    out = []
    for r in rows:
        r = tuple(r)
        n = len(r)
        out.append((int(r[0]), *r[1 : n - 4], int(r[n - 4]), *r[n - 3 :]))
    return sorted(out)


# --- a throwaway PostgreSQL cluster ---------------------------------------------------------------


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Postgres:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only, run by a non-root user
    (the ``postgres`` system user when the tests run as root), removed on :meth:`stop`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="trafficscreen-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import pwd

            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(
            [
                str(bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.root / "log"),
                "-w",
                "-t",
                "120",
                "-o",
                options,
                "start",
            ]
        )

    def _run(self, cmd: list[str]) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True, timeout=300)

    def psql(self, sql: str, stdin: str | None = None) -> str:
        cmd = [
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
        ]
        if stdin is None:
            # the statement goes through standard input: a set's query can exceed the argument-length limit
            done = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=300)
        else:
            done = subprocess.run([*cmd, "-c", sql], input=stdin, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr[-2000:]}")
        return done.stdout

    def stop(self) -> None:
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        finally:
            time.sleep(0.1)
            shutil.rmtree(self.root, ignore_errors=True)


def postgres_csv(columns: tuple[str, ...], rows: tuple[Row, ...]) -> str:
    """Rows as CSV for PostgreSQL's COPY: lists as array literals, NULL as an empty unquoted cell."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        cells: list[Any] = []
        for v in row:
            if v is None:
                cells.append("")
            elif isinstance(v, bool):
                cells.append("true" if v else "false")
            elif isinstance(v, list):
                cells.append("{" + ",".join(v) + "}")
            elif isinstance(v, date):
                cells.append(v.isoformat())
            else:
                cells.append(v)
        w.writerow(cells)
    return buf.getvalue()
