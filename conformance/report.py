"""The conformance report: a matrix of cases x backends, in Markdown and HTML.

Each run with ``--drmaa-report=DIR`` writes ``DIR/results-<backend>.json`` (its own
results, keyed by backend) and then rebuilds ``DIR/conformance.md`` and
``DIR/conformance.html`` from *every* ``results-*.json`` present, so running the suite
once per backend into the same directory merges the runs into one matrix.

Cells are ``pass``, ``fail``, ``error`` (the case could not run, e.g. the backend is
unreachable), ``n/a`` (not applicable: a ``real_jobs`` case on a modelled backend, a
``ge_specific`` case under ``--drmaa-spec-only``), ``skip`` (skipped for another reason)
or empty (the case was not run on that backend).

The module can also be run: ``python -m conformance.report DIR`` rebuilds the matrix.
"""

from __future__ import annotations

import html
import json
import os
import sys
from pathlib import Path
from typing import Any

from conformance.official import FIRST_TABLE, GE_819_EXTRA, UNCOVERED

RESULTS_GLOB = "results-*.json"
OUTCOMES = ("pass", "fail", "error", "n/a", "skip")
_SYMBOL = {"pass": "pass", "fail": "FAIL", "error": "ERROR", "n/a": "n/a", "skip": "skip"}


# ---------------------------------------------------------------------------- metadata
def case_id(nodeid: str) -> str:
    """``conformance/cases/test_wait.py::test_x[p]`` -> ``test_wait.py::test_x[p]``."""
    marker = "cases/"
    return nodeid.split(marker, 1)[1] if marker in nodeid else nodeid


def case_metadata(item: Any) -> dict[str, Any]:
    """What the report says about a case, read from its markers and docstring."""
    mark = item.get_closest_marker("drmaa_case")
    kwargs = dict(mark.kwargs) if mark else {}
    spec = kwargs.get("spec", ())
    spec = [spec] if isinstance(spec, str) else list(spec)
    doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
    ge_mark = item.get_closest_marker("ge_specific")
    rj_mark = item.get_closest_marker("real_jobs")
    return {
        "id": case_id(item.nodeid),
        "title": doc.splitlines()[0] if doc else item.name,
        "spec": spec,
        "official": list(kwargs.get("official", ())),
        "ge_fact": kwargs.get("ge") or "",
        "ge_specific": ge_mark.kwargs.get("reason", "") if ge_mark else None,
        "real_jobs": rj_mark.kwargs.get("reason", "") if rj_mark else None,
    }


# ---------------------------------------------------------------------------- runs
def write_run(out_dir: str | Path, key: str, run: dict[str, Any]) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"results-{key}.json"
    # keyed by case id (not node id) so that runs from another rootdir merge
    cases = {entry["id"]: entry for entry in run["cases"].values()}
    data = dict(run, cases=cases)
    _replace(path, json.dumps(data, indent=1, sort_keys=True))
    return path


def load_runs(out_dir: str | Path) -> dict[str, dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(out_dir).glob(RESULTS_GLOB)):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        key = path.name[len("results-") : -len(".json")]
        runs[key] = data
    return runs


def _backend_order(keys: list[str]) -> list[str]:
    preferred = ["sim", "sim-virtual", "sge"]
    return [k for k in preferred if k in keys] + sorted(k for k in keys if k not in preferred)


def build_matrix(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Merge runs: rows (case metadata) and cells[case][backend] = outcome."""
    backends = _backend_order(list(runs))
    rows: dict[str, dict[str, Any]] = {}
    cells: dict[str, dict[str, dict[str, str]]] = {}
    for key in backends:
        for cid, entry in runs[key].get("cases", {}).items():
            rows.setdefault(cid, entry)
            cells.setdefault(cid, {})[key] = {
                "outcome": entry.get("outcome", ""),
                "message": entry.get("message", ""),
            }
    order = sorted(rows, key=lambda c: (c.split("::")[0], c))
    official_cells = _official_matrix(rows, cells, backends)
    return {
        "backends": backends,
        "rows": [rows[c] for c in order],
        "cells": cells,
        "official": official_cells,
        "runs": runs,
    }


def _official_matrix(rows, cells, backends):
    """Per official test_drmaa case and backend: worst outcome of the cases covering it."""
    rank = {"fail": 0, "error": 1, "pass": 3, "skip": 4, "n/a": 5, "": 6}
    out: dict[str, dict[str, Any]] = {}
    for name in list(FIRST_TABLE) + list(GE_819_EXTRA):
        covering = [cid for cid, row in rows.items() if name in row.get("official", [])]
        per_backend = {}
        for key in backends:
            outcomes = [cells[c].get(key, {}).get("outcome", "") for c in covering]
            outcomes = [o for o in outcomes if o]
            if not outcomes:
                per_backend[key] = ""
            elif any(o in ("fail", "error") for o in outcomes):
                per_backend[key] = min(outcomes, key=lambda o: rank.get(o, 9))
            elif "pass" in outcomes:
                per_backend[key] = "pass"
            else:
                per_backend[key] = min(outcomes, key=lambda o: rank.get(o, 9))
        out[name] = {"cases": covering, "cells": per_backend, "first_table": name in FIRST_TABLE}
    return out


def _counts(matrix, key):
    counts = dict.fromkeys(OUTCOMES, 0)
    for cid_cells in matrix["cells"].values():
        outcome = cid_cells.get(key, {}).get("outcome")
        if outcome in counts:
            counts[outcome] += 1
    return counts


# ---------------------------------------------------------------------------- markdown
def _notes(row: dict) -> str:
    """A case's notes column: Grid Engine's choice, real jobs needed, the GE fact cited."""
    notes = []
    if row.get("ge_specific") is not None:
        notes.append("GE choice: " + row["ge_specific"])
    if row.get("real_jobs") is not None:
        notes.append("real jobs")
    if row.get("ge_fact"):
        notes.append("GE fact: " + row["ge_fact"])
    return "; ".join(notes)


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(matrix: dict[str, Any]) -> str:
    backends = matrix["backends"]
    lines = ["# DRMAA conformance matrix", ""]
    lines.append(
        "Cells: pass, FAIL, ERROR (could not run), n/a (not applicable), skip, "
        "or empty (not run on that backend)."
    )
    lines.append("")
    lines.append("| backend | run | pass | fail | error | n/a | skip | described as |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for key in backends:
        run = matrix["runs"][key]
        c = _counts(matrix, key)
        spec_only = " (spec-only)" if run.get("spec_only") else ""
        lines.append(
            f"| {key}{spec_only} | {run.get('finished', '')} | {c['pass']} | {c['fail']} "
            f"| {c['error']} | {c['n/a']} | {c['skip']} | "
            f"{_md_escape(run.get('description', ''))} |"
        )
    lines.append("")
    lines.append("## Grid Engine's test_drmaa cases")
    lines.append("")
    lines.append("Each official case is as good as the worst of the cases covering it.")
    lines.append("")
    lines.append("| official case | " + " | ".join(backends) + " | covered by |")
    lines.append("| --- | " + " | ".join("---" for _ in backends) + " | --- |")
    for name, info in matrix["official"].items():
        label = name if info["first_table"] else f"{name} (8.1.9 extra)"
        covered = ", ".join(f"`{c}`" for c in info["cases"]) or "**not covered**"
        cells = " | ".join(_SYMBOL.get(info["cells"].get(k, ""), "") for k in backends)
        lines.append(f"| {label} | {cells} | {covered} |")
    lines.append("")
    lines.append("## Cases")
    lines.append("")
    lines.append("| case | " + " | ".join(backends) + " | spec | official | notes |")
    lines.append("| --- | " + " | ".join("---" for _ in backends) + " | --- | --- | --- |")
    for row in matrix["rows"]:
        cid = row["id"]
        cells = " | ".join(
            _SYMBOL.get(matrix["cells"][cid].get(k, {}).get("outcome", ""), "") for k in backends
        )
        notes = _notes(row)
        lines.append(
            f"| `{cid}` {_md_escape(row['title'])} | {cells} | "
            f"{_md_escape('; '.join(row['spec']))} | "
            f"{_md_escape(', '.join(row['official']))} | {_md_escape(notes)} |"
        )
    failures = [
        (row["id"], k, matrix["cells"][row["id"]][k]["message"])
        for row in matrix["rows"]
        for k in backends
        if matrix["cells"][row["id"]].get(k, {}).get("outcome") in ("fail", "error")
    ]
    if failures:
        lines += ["", "## Failures", ""]
        for cid, key, message in failures:
            lines.append(f"- **{key}** `{cid}`: {_md_escape(message)}")
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- html
_CSS = """
body{font-family:sans-serif;font-size:14px;margin:2em}
table{border-collapse:collapse;margin-bottom:2em}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
th{background:#eee;position:sticky;top:0}
td.pass{background:#d9f2d9}td.fail,td.error{background:#f7c6c6;font-weight:bold}
td.na{background:#eee;color:#666}td.skip{background:#fff3cd}
code{font-size:12px}
"""


def _cell_class(outcome: str) -> str:
    return {"n/a": "na"}.get(outcome, outcome)


def render_html(matrix: dict[str, Any]) -> str:
    e = html.escape
    backends = matrix["backends"]
    out = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        "<title>DRMAA conformance matrix</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>DRMAA conformance matrix</h1>",
        "<table><tr><th>backend</th><th>run</th>"
        + "".join(f"<th>{o}</th>" for o in OUTCOMES)
        + "<th>described as</th></tr>",
    ]
    for key in backends:
        run = matrix["runs"][key]
        c = _counts(matrix, key)
        spec_only = " (spec-only)" if run.get("spec_only") else ""
        out.append(
            f"<tr><td>{e(key)}{spec_only}</td><td>{e(run.get('finished', ''))}</td>"
            + "".join(f"<td>{c[o]}</td>" for o in OUTCOMES)
            + f"<td>{e(run.get('description', ''))}</td></tr>"
        )
    out.append(
        "</table><h2>Grid Engine's test_drmaa cases</h2><table><tr><th>official case</th>"
        + "".join(f"<th>{e(k)}</th>" for k in backends)
        + "<th>covered by</th></tr>"
    )
    for name, info in matrix["official"].items():
        label = name if info["first_table"] else f"{name} (8.1.9 extra)"
        cells = "".join(
            f"<td class='{_cell_class(info['cells'].get(k, ''))}'>"
            f"{e(_SYMBOL.get(info['cells'].get(k, ''), ''))}</td>"
            for k in backends
        )
        covered = ", ".join(f"<code>{e(c)}</code>" for c in info["cases"]) or "<b>not covered</b>"
        out.append(f"<tr><td>{e(label)}</td>{cells}<td>{covered}</td></tr>")
    out.append(
        "</table><h2>Cases</h2><table><tr><th>case</th>"
        + "".join(f"<th>{e(k)}</th>" for k in backends)
        + "<th>spec</th><th>official</th><th>notes</th></tr>"
    )
    for row in matrix["rows"]:
        cid = row["id"]
        row_cells = []
        for k in backends:
            cell = matrix["cells"][cid].get(k, {})
            outcome = cell.get("outcome", "")
            title = f" title='{e(cell.get('message', ''))}'" if cell.get("message") else ""
            row_cells.append(
                f"<td class='{_cell_class(outcome)}'{title}>{e(_SYMBOL.get(outcome, ''))}</td>"
            )
        notes = _notes(row)
        out.append(
            f"<tr><td><code>{e(cid)}</code><br>{e(row['title'])}</td>{''.join(row_cells)}"
            f"<td>{e('; '.join(row['spec']))}</td><td>{e(', '.join(row['official']))}</td>"
            f"<td>{e(notes)}</td></tr>"
        )
    out.append("</table></body></html>\n")
    return "\n".join(out)


def rebuild(out_dir: str | Path) -> dict[str, Any]:
    """Rebuild conformance.md and conformance.html from every results-*.json in DIR."""
    matrix = build_matrix(load_runs(out_dir))
    out = Path(out_dir)
    _replace(out / "conformance.md", render_markdown(matrix))
    _replace(out / "conformance.html", render_html(matrix))
    return matrix


def _replace(path: Path, text: str) -> None:
    """Write through a temporary file and rename it over ``path``: readers never see half a
    file, and a run by another user can replace the file when the directory allows it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------------------- catalog
CATALOG_START = "<!-- catalog:start (generated by --drmaa-catalog; do not edit by hand) -->"
CATALOG_END = "<!-- catalog:end -->"


def render_catalog(cases: list[dict[str, Any]]) -> str:
    """The table of cases: what each checks, the spec it cites, the official cases it covers."""
    rows = sorted(cases, key=lambda c: (c["id"].split("::")[0], c["id"]))
    functions = {c["id"].split("[")[0] for c in rows}
    lines = [f"{len(functions)} case functions, {len(rows)} cases with their parameters.", ""]
    lines.append("| case | checks | spec | official test_drmaa | GE choice / fact | needs |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for c in rows:
        ge = []
        if c.get("ge_specific") is not None:
            ge.append("**GE choice**: " + c["ge_specific"])
        if c.get("ge_fact"):
            ge.append("fact: " + c["ge_fact"])
        needs = "real jobs" if c.get("real_jobs") is not None else ""
        lines.append(
            f"| `{c['id']}` | {_md_escape(c['title'])} | {_md_escape('; '.join(c['spec']))} "
            f"| {_md_escape(', '.join(c['official']))} | {_md_escape('; '.join(ge))} "
            f"| {needs} |"
        )
    covered = {name for c in rows for name in c["official"]}
    lines += [
        "",
        "Grid Engine's `test_drmaa` cases and the cases covering them:",
        "",
        "| official case | table | covered by |",
        "| --- | --- | --- |",
    ]
    for name in (*FIRST_TABLE, *GE_819_EXTRA):
        which = "first" if name in FIRST_TABLE else "8.1.9 extra"
        by = sorted({c["id"].split("[")[0] for c in rows if name in c["official"]})
        text = (
            ", ".join(f"`{b}`" for b in by)
            if by
            else ("**not covered**: " + UNCOVERED.get(name, "no case yet"))
        )
        lines.append(f"| {name} | {which} | {text} |")
    missing_first = [n for n in FIRST_TABLE if n not in covered]
    lines += [
        "",
        f"First table: {len(FIRST_TABLE) - len(missing_first)} of {len(FIRST_TABLE)} "
        f"covered{': missing ' + ', '.join(missing_first) if missing_first else ''}.",
    ]
    return "\n".join(lines) + "\n"


def write_catalog(path: str | Path, cases: list[dict[str, Any]]) -> None:
    target = Path(path)
    table = render_catalog(cases)
    if target.exists():
        text = target.read_text(encoding="utf-8")
        if CATALOG_START in text and CATALOG_END in text:
            head, rest = text.split(CATALOG_START, 1)
            _, tail = rest.split(CATALOG_END, 1)
            _replace(target, f"{head}{CATALOG_START}\n{table}{CATALOG_END}{tail}")
            return
    _replace(target, table)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m conformance.report DIR", file=sys.stderr)
        return 2
    matrix = rebuild(args[0])
    print(
        f"rebuilt {args[0]}/conformance.md and conformance.html from "
        f"{len(matrix['backends'])} run(s): {', '.join(matrix['backends']) or 'none'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
