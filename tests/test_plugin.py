"""Self-tests of the conformance plugin, run through ``pytester``: the options, the "never
skip silently" rule, not-applicable outcomes, the merged report, and a broken module failing.

Each inner run collects real cases from ``conformance.cases`` with ``--pyargs`` and a ``-k``
that keeps it short; the plugin itself is loaded through its ``pytest11`` entry point, as in
a user's project.
"""

from __future__ import annotations

import json
import re
import textwrap

import pytest

pytest_plugins = ["pytester"]


def _cases(pytester: pytest.Pytester, *args: str, module: str = "test_control") -> list[str]:
    return ["--pyargs", f"conformance.cases.{module}", "-p", "no:cacheprovider", *args]


def _summary(result: pytest.RunResult) -> dict[str, int]:
    """The counts on the final summary line, ``n/a`` included (``parseoutcomes`` reads ``n``)."""
    line = next(line for line in reversed(result.outlines) if re.search(r" in [\d.]+s", line))
    return {word: int(count) for count, word in re.findall(r"(\d+) ([\w/]+)", line)}


def _make_broken_module(pytester: pytest.Pytester) -> None:
    """``broken_drmaa``: the simulator with a wrong ``JobState.DONE``, importable by name."""
    pytester.makepyfile(
        broken_drmaa=textwrap.dedent(
            """
            from simulator.drmaa import *  # noqa: F403
            from simulator.drmaa import JobState as _JobState


            class JobState(_JobState):
                DONE = "finished"
            """
        )
    )
    pytester.syspathinsert()


def test_sim_virtual_runs_cases_and_reports_the_backend(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        *_cases(pytester, "--drmaa-backend=sim-virtual", "-k", "test_suspend_resume_wait")
    )
    result.stdout.fnmatch_lines(["drmaa-testkit: backend sim-virtual"])
    result.assert_outcomes(passed=1)


def test_unimportable_backend_fails_every_case_and_skips_none(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        *_cases(pytester, "--drmaa-backend=no_such_drmaa_module", "-k", "suspend")
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("errors", 0) + outcomes.get("failed", 0) >= 3
    assert "passed" not in outcomes and "skipped" not in outcomes
    result.stdout.fnmatch_lines(["*backend 'no_such_drmaa_module'*ModuleNotFoundError*"])


def test_unreachable_sge_names_what_is_missing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In a subprocess: loading libdrmaa (if it is found at all) must not touch this process.
    monkeypatch.setenv("SGE_ROOT", str(pytester.path / "no-cell"))
    monkeypatch.setenv("DRMAA_LIBRARY_PATH", str(pytester.path / "no-libdrmaa.so"))
    result = pytester.runpytest_subprocess(
        *_cases(pytester, "--drmaa-backend=sge", "-k", "test_suspend_resume_wait")
    )
    assert result.ret != 0
    assert "passed" not in result.parseoutcomes()
    result.stdout.fnmatch_lines(["*backend 'sge'*The sge backend needs*DRMAA_LIBRARY_PATH*"])


def test_a_broken_module_fails_the_cases_that_check_it(pytester: pytest.Pytester) -> None:
    _make_broken_module(pytester)
    result = pytester.runpytest(
        *_cases(pytester, "--drmaa-backend=broken_drmaa", "-k", "test_job_state_names")
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*'finished'*"])


def test_spec_only_makes_grid_engine_choices_not_applicable(
    pytester: pytest.Pytester, tmp_path
) -> None:
    report_dir = tmp_path / "report"
    result = pytester.runpytest(
        *_cases(
            pytester,
            "--drmaa-backend=sim-virtual",
            "--drmaa-spec-only",
            f"--drmaa-report={report_dir}",
            "-k",
            "test_resume_running_job_is_inconsistent or test_suspend_resume_wait",
        )
    )
    result.assert_outcomes(passed=1, skipped=0)
    assert _summary(result)["n/a"] == 1
    cases = json.loads((report_dir / "results-sim-virtual.json").read_text())["cases"]
    outcomes = {case_id.split("::")[1]: c["outcome"] for case_id, c in cases.items()}
    assert outcomes == {
        "test_resume_running_job_is_inconsistent": "n/a",
        "test_suspend_resume_wait": "pass",
    }


def test_real_jobs_cases_are_not_applicable_on_the_virtual_clock(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest(
        *_cases(
            pytester,
            "--drmaa-backend=sim-virtual",
            "-rs",
            "-k",
            "test_environment_reaches_the_job",
            module="test_submit",
        )
    )
    result.assert_outcomes(skipped=0)
    assert _summary(result)["n/a"] == 1
    result.stdout.fnmatch_lines(
        [
            "*= not applicable =*",
            "N/A [[]1[]] not applicable: needs jobs that are real processes*",
        ]
    )


def test_report_merges_runs_on_several_backends(pytester: pytest.Pytester, tmp_path) -> None:
    report_dir = tmp_path / "report"
    common = ["-k", "test_job_state_names or test_suspend_resume_wait"]
    _make_broken_module(pytester)
    for backend in ("sim-virtual", "broken_drmaa"):
        pytester.runpytest(
            *_cases(pytester, f"--drmaa-backend={backend}", f"--drmaa-report={report_dir}", *common)
        )
    assert sorted(p.name for p in report_dir.iterdir()) == [
        "conformance.html",
        "conformance.md",
        "results-broken_drmaa.json",
        "results-sim-virtual.json",
    ]
    markdown = (report_dir / "conformance.md").read_text()
    row = next(line for line in markdown.splitlines() if "test_job_state_names" in line)
    assert "pass" in row and "FAIL" in row
    assert "sim-virtual" in markdown and "broken_drmaa" in markdown
    assert "st_drmaa_job_ps" in markdown  # the official test_drmaa case the row covers
    assert "<table" in (report_dir / "conformance.html").read_text()


def test_catalog_lists_every_collected_case(pytester: pytest.Pytester, tmp_path) -> None:
    catalog = tmp_path / "catalog.md"
    result = pytester.runpytest(
        *_cases(pytester, f"--drmaa-catalog={catalog}", "--collect-only", "-q")
    )
    assert result.ret == 0
    text = catalog.read_text()
    assert "test_suspend_resume_wait" in text and "st_submit_suspend_resume_wait" in text


def test_peer_cannot_be_a_second_simulator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_peer="""
        def test_peer(drmaa_peer_backend):
            pass
        """
    )
    result = pytester.runpytest(
        "--drmaa-backend=sim-virtual", "--drmaa-peer=sim", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*both would drive the one simulated cluster*"])


def test_plugin_leaves_unrelated_tests_alone(pytester: pytest.Pytester, tmp_path) -> None:
    pytester.makepyfile(
        test_plain="""
        def test_plain():
            assert True
        """
    )
    report_dir = tmp_path / "report"
    result = pytester.runpytest(f"--drmaa-report={report_dir}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not report_dir.exists()  # no conformance case ran: no report to write


def test_outage_cases_run_last(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--pyargs", "conformance.cases", "--collect-only", "-q", "-p", "no:cacheprovider"
    )
    ids = [line for line in result.stdout.lines if "::" in line]
    outage = [i for i, line in enumerate(ids) if "test_outage.py" in line]
    assert len(outage) == 2 and outage == [len(ids) - 2, len(ids) - 1]
    assert any("test_wait.py" in line for line in ids[: outage[0]])  # not just alphabetical


def test_outage_cases_are_not_applicable_without_a_qmaster_switch(
    pytester: pytest.Pytester,
) -> None:
    # An import path has no switch (the simulator's only comes with the sim backends).
    result = pytester.runpytest(
        *_cases(pytester, "--drmaa-backend=simulator.drmaa", "-rs", module="test_outage")
    )
    result.assert_outcomes(skipped=0)
    assert _summary(result)["n/a"] == 2
    result.stdout.fnmatch_lines(
        [
            "N/A [[]2[]] not applicable: backend simulator.drmaa has no qmaster switch",
        ]
    )


def test_hypothesis_profiles_load_only_when_asked_and_a_projects_own_wins(
    pytester: pytest.Pytester,
) -> None:
    # In subprocesses: this process has imported the profiles already.
    pytester.makepyfile(
        test_profile="""
        import sys
        from hypothesis import settings

        def test_profile(request):
            asked = request.config.getoption("hypothesis_profile")
            assert ("conformance.fuzz.profiles" in sys.modules) == (asked is not None)
            if asked:
                assert settings.default.max_examples == {"nightly": 5000, "ci": 7}[asked]
        """
    )
    for args in ((), ("--hypothesis-profile=nightly",)):
        run = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
        run.assert_outcomes(passed=1)
    pytester.makeconftest(
        """
        from hypothesis import settings
        settings.register_profile("ci", max_examples=7)
        """
    )
    run = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--hypothesis-profile=ci")
    run.assert_outcomes(passed=1)
