"""The research commands: ``batch``, ``evaluate``, ``compare`` and ``synth``.

Registering them imports nothing heavy; polars (and numpy for ``synth``) load when a command runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import IO, Any

from ..errors import MissingExtraError, TrafficscreenError
from ._io import check_coverage

ResearchExtraMissing = MissingExtraError  # the old name, kept for one release


def _need(module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtraError("research", module, needed_for="this command")


class Progress:
    """A one-line progress bar on standard error, shown only when standard error is a terminal."""

    def __init__(self, total: int, label: str, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = max(total, 1)
        self.label = label
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        width = 30
        frac = min(done / self.total, 1.0)
        bar = "#" * int(width * frac) + "-" * (width - int(width * frac))
        rate = done / max(time.perf_counter() - self.start, 1e-9)
        self.stream.write(f"\r{self.label} [{bar}] {done:,}/{self.total:,} rows ({rate:,.0f}/s)")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _note(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


def _load(ref: str, allow_draft: bool) -> Any:
    from ..content.loader import load_set

    return load_set(ref, allow_draft=allow_draft)


def _mapping(args: argparse.Namespace) -> dict[str, str] | None:
    if not getattr(args, "columns", None):
        return None
    from ..research.frames import read_mapping

    return read_mapping(args.columns)


# --- batch ----------------------------------------------------------------------------------------


def _check_outputs(input_path: str, out_path: Path, rejects_path: Path | None) -> None:
    """Refuse outputs that would overwrite the input or each other, or that go to a missing folder."""
    from ..research.intake import IntakeError, check_output_dir, same_file

    if same_file(input_path, out_path):
        raise TrafficscreenError(f"{out_path}: --out names the input file; write the output to a new file")
    if rejects_path is not None:
        if same_file(rejects_path, out_path):
            raise TrafficscreenError(f"{out_path}: --rejects and --out name the same file; give two files")
        if same_file(rejects_path, input_path):
            raise TrafficscreenError(f"{rejects_path}: --rejects names the input file; give a new file")
    for p in (out_path, rejects_path):
        if p is not None:
            try:
                check_output_dir(p)
            except IntakeError as exc:
                raise TrafficscreenError(f"{p}: {exc}") from None


def _interrupted(out_path: Path | str) -> int:
    print(
        f"trafficscreen: interrupted; {out_path} was not written (an earlier file there is unchanged)", file=sys.stderr
    )
    return 130


def _write_rejects(rejects: Any, rejects_path: Path, explicit: bool) -> None:
    from ..research.frames import write_table

    if rejects.height or explicit:
        # a named report is always rewritten, empty when nothing was rejected: a report from an earlier
        # run must not stay behind looking like this run's
        write_table(rejects, rejects_path)
    elif rejects_path.exists():
        rejects_path.unlink()  # a stale report from an earlier run would mislead


def cmd_batch(args: argparse.Namespace) -> int:
    out_path = Path(args.out)
    rejects_path = Path(args.rejects) if args.rejects else out_path.with_name(out_path.stem + ".rejects.csv")
    try:
        _check_outputs(args.input, out_path, rejects_path)
        if getattr(args, "engine", "columnar") != "columnar":  # SQL engines: trafficscreen.sql
            from .sql import run_batch

            return run_batch(args)
        return _batch_columnar(args, out_path, rejects_path)
    except KeyboardInterrupt:
        return _interrupted(out_path)


def _batch_columnar(args: argparse.Namespace, out_path: Path, rejects_path: Path) -> int:
    _need("polars")
    from ..research.batch import CohortInput, score_in_chunks
    from ..research.frames import file_format, write_table

    file_format(out_path)
    file_format(rejects_path)
    cs = _load(args.set, args.allow_draft)
    mapping = _mapping(args)
    t0 = time.perf_counter()
    cohort = CohortInput(args.input, mapping=mapping)
    check_coverage(args, cohort.columns(), cs.used_fields, f"{cs.ref} reads", args.input, mapping)
    keep = args.keep or ()
    if cohort.packed:
        # checked when it was packed: each pass reads the columns the set needs and scores them
        t_read = 0.0
        progress = Progress(cohort.height, f"scoring with {cs.ref}")
        try:
            result = cohort.score(
                cs,
                id_column=args.id_column,
                keep=keep,
                keep_row=not cohort.has_column(args.id_column),
                statuses=not args.levels_only,
                progress=progress,
            )
        finally:
            progress.close()
    else:
        df = cohort.frame
        t_read = time.perf_counter() - t0
        progress = Progress(df.height, f"scoring with {cs.ref}")
        try:
            result = score_in_chunks(
                df,
                cs,
                id_column=args.id_column,
                keep=keep,
                mapping=mapping,
                progress=progress,
                statuses=not args.levels_only,
            )
        finally:
            progress.close()
    t_score = time.perf_counter() - t0 - t_read
    write_table(result.scored, out_path)
    n_bad = result.rejects.get_column("row").n_unique() if result.rejects.height else 0
    _write_rejects(result.rejects, rejects_path, bool(args.rejects))
    total = time.perf_counter() - t0
    if result.missing_fields:
        _note(
            args,
            f"note: no column for {len(result.missing_fields)} field(s) the set reads "
            f"({', '.join(result.missing_fields[:8])}{', ...' if len(result.missing_fields) > 8 else ''}); "
            "they are unknown in every row",
        )
    if result.ignored_columns:
        _note(
            args,
            f"note: {len(result.ignored_columns)} input column(s) are not fields of "
            f"{cs.dictionary.ref} and were ignored (use --keep to carry one through)",
        )
    rate = result.n_input / (t_read + t_score) if t_read + t_score > 0 else float("inf")
    timing = (
        f"read and scored packed cohort {t_score:.2f} s"
        if cohort.packed
        else f"read {t_read:.2f} s, checked and scored {t_score:.2f} s"
    )
    _note(
        args,
        f"scored {result.scored.height:,} of {result.n_input:,} rows with {cs.ref} -> {out_path} "
        f"({timing}: {rate:,.0f} rows/s; with writing, total {total:.2f} s)",
    )
    if cohort.rows_rejected_when_packed:
        _note(
            args,
            f"note: {cohort.rows_rejected_when_packed:,} row(s) of the source were rejected when it was "
            "packed and are not in this cohort",
        )
    if n_bad:
        _note(args, f"{n_bad:,} row(s) rejected: see {rejects_path} (row number, field and reason)")
        if args.strict:
            return 1
    return 0


# --- evaluate -------------------------------------------------------------------------------------


def _emit(args: argparse.Namespace, payload: dict[str, Any], table: str, rows: list[dict[str, Any]]) -> None:
    if args.format == "json":
        sys.stdout.write(
            json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False, default=_json_default) + "\n"
        )
    elif args.format == "csv":
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    else:
        sys.stdout.write(table)


def _json_default(value: Any) -> Any:  # pragma: no cover - every value is a plain type
    return str(value)


def _clean(payload: Any) -> Any:
    """Infinite or NaN figures as null, so the JSON stays standard."""
    import math

    if isinstance(payload, float) and (math.isinf(payload) or math.isnan(payload)):
        return None
    if isinstance(payload, dict):
        return {k: _clean(v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [_clean(v) for v in payload]
    return payload


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..research.evaluate import SYNTHETIC_WARNING, csv_rows, evaluate_counts, render_table

    if args.counts is not None:
        if args.scored or args.set:
            raise TrafficscreenError("--counts takes no input file and no --set")
        if any(v < 0 for v in args.counts):
            raise TrafficscreenError("--counts TP FN FP TN must not be negative")
        tp, fn, fp, tn = args.counts
        ev = evaluate_counts(tp, fn, fp, tn, args.ci, args.confidence)
    else:
        if not args.scored:
            raise TrafficscreenError("name a scored file (or raw data with --set), or give --counts TP FN FP TN")
        if not args.label:
            raise TrafficscreenError("--label COLUMN is required to evaluate a cohort")
        _need("polars")
        from ..research.batch import CohortInput
        from ..research.cohorts import evaluate_scored, score_for_evaluation

        mapping = _mapping(args) if args.set else None
        cohort = CohortInput(args.scored, mapping=mapping)
        n_rejected = 0
        if args.set:
            cs = _load(args.set, args.allow_draft)
            check_coverage(args, cohort.columns(), cs.used_fields, f"{cs.ref} reads", args.scored, mapping)
            df, n_rejected = score_for_evaluation(cohort, cs, args.label)
        else:
            if cohort.packed:
                raise TrafficscreenError("this is a packed cohort, not scored output; pass --set to score it")
            df = cohort.frame
        ev = evaluate_scored(df, args.label, ci=args.ci, confidence=args.confidence, n_rejected=n_rejected)
        if args.roc:
            from ..research.svg import roc_svg

            Path(args.roc).write_text(
                roc_svg([(ev.set_ref or "set", ev.roc, ev.auc)], synthetic=ev.synthetic), encoding="utf-8"
            )
    if ev.synthetic and args.format != "table":
        print(SYNTHETIC_WARNING, file=sys.stderr)
    _emit(args, _clean(ev.as_dict()), render_table(ev), csv_rows(ev))
    return 0


# --- compare --------------------------------------------------------------------------------------


def cmd_compare(args: argparse.Namespace) -> int:
    _need("polars")
    from ..research.batch import CohortInput
    from ..research.cohorts import compare_frames
    from ..research.compare import csv_rows, render_table
    from ..research.evaluate import SYNTHETIC_WARNING

    sets = [_load(ref, args.allow_draft) for ref in args.set]
    mapping = _mapping(args)
    cohort = CohortInput(args.cohort, mapping=mapping)
    for cs in sets:
        check_coverage(args, cohort.columns(), cs.used_fields, f"{cs.ref} reads", args.cohort, mapping)
    cmp = compare_frames(cohort, sets, args.label, ci=args.ci, confidence=args.confidence)
    if args.roc:
        from ..research.svg import roc_svg

        curves = [(e.set_ref or "?", e.roc, e.auc) for e in cmp.evaluations]
        Path(args.roc).write_text(roc_svg(curves, synthetic=cmp.synthetic), encoding="utf-8")
    if cmp.synthetic and args.format != "table":
        print(SYNTHETIC_WARNING, file=sys.stderr)
    _emit(args, _clean(cmp.as_dict()), render_table(cmp), csv_rows(cmp))
    return 0


# --- pack -----------------------------------------------------------------------------------------


def cmd_pack(args: argparse.Namespace) -> int:
    if getattr(args, "for_engine", "columnar") == "sql":
        from .sql import run_pack_for_sql

        try:
            return run_pack_for_sql(args)
        except KeyboardInterrupt:
            return _interrupted(Path(args.out))
    _need("polars")
    from ..research.frames import file_format, read_table
    from ..research.packed import pack, write_packed

    out_path = Path(args.out)
    if file_format(out_path) != "parquet":
        raise TrafficscreenError(f"{out_path}: a packed cohort is a Parquet file; name it .parquet")
    rejects_path = Path(args.rejects) if args.rejects else out_path.with_name(out_path.stem + ".rejects.csv")
    file_format(rejects_path)
    if Path(args.input).resolve() == out_path.resolve():
        raise TrafficscreenError(f"{out_path}: write the packed cohort to a new file, not over its source")
    _check_outputs(args.input, out_path, rejects_path)
    from ..core.engine import DEFAULT_SET

    cs = _load(args.set or DEFAULT_SET, args.allow_draft)
    t0 = time.perf_counter()
    try:
        df = read_table(args.input)
        mapping = _mapping(args)
        check_coverage(args, df.columns, list(cs.dictionary.by_id), f"of {cs.dictionary.ref}", args.input, mapping)
        checked = pack(df, cs, mapping=mapping, id_column=args.id_column)
        write_packed(checked, out_path)
        _write_rejects(checked.rejects, rejects_path, bool(args.rejects))
    except KeyboardInterrupt:
        return _interrupted(out_path)
    n_fields = sum(1 for f in cs.dictionary.by_id if f in checked.answers().columns)
    _note(
        args,
        f"packed {checked.frame.height:,} of {checked.n_input:,} rows, {n_fields} field(s) of "
        f"{cs.dictionary.ref}, -> {out_path} in {time.perf_counter() - t0:.2f} s; score it with any set "
        f"over {cs.dictionary.ref} (trafficscreen batch / evaluate --set / compare)",
    )
    if checked.rejects.height:
        _note(
            args,
            f"{checked.n_rejected:,} row(s) rejected and left out: see {rejects_path} (row number, field and reason)",
        )
        if args.strict:
            return 1
    return 0


# --- synth ----------------------------------------------------------------------------------------


def cmd_synth(args: argparse.Namespace) -> int:
    _need("polars")
    _need("numpy")
    from ..research.frames import file_format, write_table
    from ..research.synth import synth_cohort

    if args.n < 1:
        raise TrafficscreenError("--n must be at least 1")
    if not 0 <= args.prevalence <= 1:
        raise TrafficscreenError("--prevalence must be between 0 and 1")
    file_format(args.out)
    cs = _load(args.set, args.allow_draft)
    t0 = time.perf_counter()
    df = synth_cohort(cs, args.n, args.prevalence, args.seed)
    write_table(df, args.out)
    _note(
        args,
        f"wrote {df.height:,} SYNTHETIC rows for {cs.dictionary.ref} (set {cs.ref}, seed {args.seed}) "
        f"to {args.out} in {time.perf_counter() - t0:.2f} s; for testing pipelines only, never for "
        "claims about accuracy",
    )
    return 0


# --- registration ---------------------------------------------------------------------------------


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number such as 0.95") from None
    if not 0.5 <= value < 1:
        raise argparse.ArgumentTypeError("must be at least 0.5 and below 1")
    return value


def _stats_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ci",
        choices=["exact", "wilson", "wald"],
        default="exact",
        help="interval for proportions: exact Clopper-Pearson (default), Wilson or Wald",
    )
    p.add_argument("--confidence", type=_confidence, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--roc", metavar="FILE", help="also write the ROC curve as SVG")
    p.add_argument("--columns", metavar="MAP.yaml", help="column mapping (field id: input column)")
    p.add_argument("--allow-draft", action="store_true", help="allow draft sets (research use)")
    _allow_no_fields(p)


def _allow_no_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-no-fields",
        action="store_true",
        help="score even when no input column is a field the set reads (every answer unknown); "
        "without it that is an error",
    )


def register(sub: Any) -> None:
    b = sub.add_parser("batch", help="score a cohort file (Parquet, CSV, JSONL) with the columnar backend")
    b.add_argument("input", help="input file: .parquet (plain or packed), .csv or .jsonl")
    b.add_argument("--set", required=True, help="set id, id@version or path")
    b.add_argument("--out", required=True, help="output file: .parquet, .csv or .jsonl")
    b.add_argument("--columns", metavar="MAP.yaml", help="column mapping (field id: input column)")
    b.add_argument("--id-column", default="id", help="column carried through as the row's id (default: id)")
    b.add_argument("--keep", action="append", metavar="COLUMN", help="carry this input column through (repeatable)")
    b.add_argument("--rejects", metavar="FILE", help="where rejected rows are reported (default: OUT.rejects.csv)")
    b.add_argument("--allow-draft", action="store_true", help="allow a draft set (research use)")
    b.add_argument(
        "--levels-only",
        action="store_true",
        help="leave out the indicator and dimension status columns (faster, smaller output)",
    )
    b.add_argument("--strict", action="store_true", help="exit 1 when any row was rejected")
    b.add_argument("--quiet", action="store_true", help="no summary on standard error")
    _allow_no_fields(b)
    from .sql import add_engine_option

    add_engine_option(b)
    b.set_defaults(func=cmd_batch)

    k = sub.add_parser("pack", help="check a cohort once and write it packed, to score it fast and often")
    k.add_argument("input", help="input file: .parquet, .csv or .jsonl")
    k.add_argument("--out", required=True, help="the packed cohort: a .parquet file")
    k.add_argument("--set", help="a set whose data dictionary the cohort follows (default: the default set)")
    k.add_argument("--columns", metavar="MAP.yaml", help="column mapping (field id: input column)")
    k.add_argument("--id-column", default="id", help="the rows' id column (default: id)")
    k.add_argument("--rejects", metavar="FILE", help="where rejected rows are reported (default: OUT.rejects.csv)")
    k.add_argument("--allow-draft", action="store_true", help="allow a draft set (research use)")
    k.add_argument("--strict", action="store_true", help="exit 1 when any row was rejected")
    k.add_argument("--quiet", action="store_true", help="no summary on standard error")
    k.add_argument(
        "--for",
        dest="for_engine",
        choices=("columnar", "sql"),
        default="columnar",
        help="columnar: for batch/evaluate/compare (default); sql: for DuckDB, Spark and warehouses "
        "(yes/no answers as bits of a few integer columns; a bad value stops the run, no rejects file)",
    )
    _allow_no_fields(k)
    k.set_defaults(func=cmd_pack)

    e = sub.add_parser("evaluate", help="accuracy of a set against labelled encounters, with 95%% intervals")
    e.add_argument("scored", nargs="?", help="scored file (from batch), or raw data with --set")
    e.add_argument("--label", help="column holding the reference label (1/0 or true/false)")
    e.add_argument("--set", help="score raw data with this set first")
    e.add_argument(
        "--counts",
        nargs=4,
        type=int,
        metavar=("TP", "FN", "FP", "TN"),
        help="evaluate a published 2x2 table instead of a file",
    )
    _stats_options(e)
    e.set_defaults(func=cmd_evaluate)

    c = sub.add_parser("compare", help="compare sets side by side on one labelled cohort (McNemar tests)")
    c.add_argument("cohort", help="raw cohort file: .parquet (plain or packed), .csv or .jsonl")
    c.add_argument("--set", action="append", required=True, help="set id[@version] or path; give two or more")
    c.add_argument("--label", required=True, help="column holding the reference label (1/0 or true/false)")
    _stats_options(c)
    c.set_defaults(func=cmd_compare)

    s = sub.add_parser("synth", help="write a SYNTHETIC labelled cohort for testing pipelines (never for claims)")
    s.add_argument("--n", type=int, required=True, help="number of rows")
    s.add_argument("--prevalence", type=float, required=True, help="share of rows with label 1")
    s.add_argument("--seed", type=int, required=True, help="random seed (same seed, same cohort)")
    s.add_argument("--set", required=True, help="set whose dictionary (and conditions) shape the rows")
    s.add_argument("--out", required=True, help="output file: .parquet, .csv or .jsonl")
    s.add_argument("--allow-draft", action="store_true", help="allow a draft set")
    s.add_argument("--quiet", action="store_true", help="no summary on standard error")
    s.set_defaults(func=cmd_synth)
