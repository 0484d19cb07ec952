"""Paths and placeholders as libdrmaa hands them on and Grid Engine's execd expands them;
empty paths; arguments cut at a newline.

Measured: docs/measurements/sge_placeholders_probe.out, sge_input_path_probe.out.
"""

from __future__ import annotations

import os

import pytest

from simulator.library.submission import qmaster_path
from tests.conftest import template

HOST = os.uname().nodename.split(".")[0]


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("/d/$drmaa_incr_ph$-$drmaa_incr_ph$.out", "/d/$TASK_ID-$drmaa_incr_ph$.out"),
        ("/d/x$drmaa_hd_ph$/y$drmaa_hd_ph$.out", "/d/x$drmaa_hd_ph$/y$drmaa_hd_ph$.out"),
        ("$drmaa_hd_ph$/../../d/z$drmaa_hd_ph$.out", "$HOME//../../d/z$drmaa_hd_ph$.out"),
        ("$drmaa_wd_ph$/w$drmaa_wd_ph$.out", ".//w$drmaa_wd_ph$.out"),
        ("$drmaa_hd_ph$ph-hd.out", "$HOME/ph-hd.out"),
        ("$drmaa_wd_ph$/a.$drmaa_incr_ph$.out", ".//a.$TASK_ID.out"),
    ],
)
def test_what_libdrmaa_sends(given, sent):
    assert qmaster_path(given) == sent


def _job(rsession, rdrmaa, job_dir, bulk=False, **attrs):
    jt = template(rdrmaa, "/bin/sh", "-c", "echo out; echo err >&2", joinFiles=True, **attrs)
    jt.workingDirectory = str(job_dir)
    if bulk:
        ids = rsession.runBulkJobs(jt, 1, 2, 1)
        rsession.synchronize(ids, 30, True)
        return ids[0].split(".")[0]
    job = rsession.runJob(jt)
    rsession.wait(job, 30)
    return job


def _user_and_home():
    from simulator import control

    launcher = control.cluster().executor._launch
    return launcher.user, launcher.home


@pytest.mark.parametrize(
    ("path", "bulk", "files"),
    [
        ("o.$JOB_ID.out", False, ["o.{id}.out"]),
        ("o.$JOB_ID.out", True, ["o.{id}.out"]),
        ("o.$TASK_ID.out", False, ["o.0.out"]),
        ("o.$TASK_ID.out", True, ["o.1.out", "o.2.out"]),
        ("o.$JOB_NAME.out", False, ["o.phjob.out"]),
        ("o.$USER.out", False, ["o.{user}.out"]),
        ("o.$HOSTNAME.out", False, [f"o.{HOST}.out"]),
        ("o.${JOB_ID}.out", False, ["o.${{JOB_ID}}.out"]),
        ("o.$FOO.out", False, ["o.$FOO.out"]),
        ("o.$SGE_TASK_ID.out", False, ["o.$SGE_TASK_ID.out"]),
        ("o.$JOB_ID$TASK_ID.out", True, ["o.{id}1.out", "o.{id}2.out"]),
        ("o.$$.out", False, ["o.$.out"]),
        ("o.$.out", False, ["o.$.out"]),
        (
            "$drmaa_incr_ph$-$drmaa_incr_ph$.out",
            True,
            ["1-$drmaa_incr_ph$.out", "2-$drmaa_incr_ph$.out"],
        ),
        ("m$drmaa_wd_ph$.out", False, ["m$drmaa_wd_ph$.out"]),
        ("$drmaa_wd_ph$/w$drmaa_wd_ph$.out", False, ["w$drmaa_wd_ph$.out"]),
        (
            "$JOB_NAME.$JOB_ID.$TASK_ID.$USER.$HOSTNAME.out",
            False,
            ["phjob.{id}.0.{user}." + HOST + ".out"],
        ),
    ],
)
def test_grid_engine_path_variables(rsession, rdrmaa, job_dir, path, bulk, files):
    job = _job(rsession, rdrmaa, job_dir, bulk, outputPath=f":{path}", jobName="phjob")
    user, _ = _user_and_home()
    expected = sorted(name.format(id=job, user=user) for name in files)
    assert sorted(p.name for p in job_dir.iterdir()) == expected
    content = "out\nerr\n" * (2 if bulk and len(files) == 1 else 1)
    assert all((job_dir / name).read_text() == content for name in expected)


def test_home_variable_anywhere_and_placeholder_only_at_the_start(rsession, rdrmaa, job_dir):
    _, home = _user_and_home()
    parent = job_dir / f"h{os.path.dirname(home)}"
    parent.mkdir(parents=True)
    os.chown(parent, *_owner(job_dir))
    job = _job(rsession, rdrmaa, job_dir, outputPath=f":{job_dir}/h$HOME.out")
    assert (job_dir / f"h{home}.out").read_text() == "out\nerr\n"
    (job_dir / "x" / "$drmaa_hd_ph$").mkdir(parents=True)
    os.chown(job_dir / "x" / "$drmaa_hd_ph$", *_owner(job_dir))
    job = _job(rsession, rdrmaa, job_dir, outputPath=f":{job_dir}/x/$drmaa_hd_ph$/out")
    assert (job_dir / "x" / "$drmaa_hd_ph$" / "out").read_text() == "out\nerr\n"
    assert job


def _owner(path):
    st = path.stat()
    return st.st_uid, st.st_gid


@pytest.mark.parametrize(
    ("workdir", "expected"),
    [("{d}/wd.$USER", "{d}/wd.{user}"), ("$HOME", "{home}"), ("$drmaa_hd_ph$/..", "{parent}")],
)
def test_working_directory_variables(rsession, rdrmaa, job_dir, workdir, expected):
    user, home = _user_and_home()
    target = expected.format(d=job_dir, user=user, home=home, parent=os.path.dirname(home))
    if target.startswith(str(job_dir)):
        os.mkdir(target)
        os.chown(target, *_owner(job_dir))
    out = job_dir / "pwd"
    jt = template(rdrmaa, "/bin/sh", "-c", "pwd", outputPath=f":{out}")
    jt.workingDirectory = workdir.format(d=job_dir)
    rsession.wait(rsession.runJob(jt), 30)
    assert out.read_text() == f"{target}\n"


def test_bulk_working_directory_per_task(rsession, rdrmaa, job_dir):
    for i in (1, 2):
        os.mkdir(job_dir / f"wd{i}")
        os.chown(job_dir / f"wd{i}", *_owner(job_dir))
    jt = template(
        rdrmaa, "/bin/sh", "-c", "pwd > pwd", workingDirectory=f"{job_dir}/wd$drmaa_incr_ph$"
    )
    rsession.synchronize(rsession.runBulkJobs(jt, 1, 2, 1), 30, True)
    for i in (1, 2):
        assert (job_dir / f"wd{i}" / "pwd").read_text() == f"{job_dir}/wd{i}\n"


def test_input_path_variables(rsession, rdrmaa, job_dir):
    user, _ = _user_and_home()
    (job_dir / f"in.{user}").write_text("by user\n")
    (job_dir / "in.0").write_text("by task\n")
    for name, seen in (("in.$USER", "by user\n"), ("in.$TASK_ID", "by task\n")):
        jt = template(
            rdrmaa, "/bin/cat", inputPath=f":{job_dir}/{name}", outputPath=f":{job_dir}/o"
        )
        rsession.wait(rsession.runJob(jt), 30)
        assert (job_dir / "o").read_text() == seen
        (job_dir / "o").unlink()


@pytest.mark.parametrize("attribute", ["inputPath", "outputPath", "errorPath"])
@pytest.mark.parametrize("value", [":", ""])
def test_empty_paths_are_refused(vsession, vdrmaa, attribute, value):
    jt = template(vdrmaa, "/bin/true", **{attribute: value})
    assert getattr(jt, attribute) == value
    with pytest.raises(vdrmaa.DeniedByDrmException) as info:
        vsession.runJob(jt)
    assert str(info.value) == "code 17: paths may not be empty strings"


def test_empty_working_directory_is_none(rsession, rdrmaa, job_dir):
    _, home = _user_and_home()
    jt = template(rdrmaa, "/bin/pwd", workingDirectory="", outputPath=f":{job_dir}/o")
    rsession.wait(rsession.runJob(jt), 30)
    assert (job_dir / "o").read_text() == f"{home}\n"


def test_output_file_is_appended_to(rsession, rdrmaa, job_dir):
    (job_dir / "exists").write_text("old content\n")
    os.chown(job_dir / "exists", *_owner(job_dir))
    _job(rsession, rdrmaa, job_dir, outputPath=f":{job_dir}/exists")
    assert (job_dir / "exists").read_text() == "old content\nout\nerr\n"


def test_an_argument_is_cut_at_a_newline(rsession, rdrmaa, job_dir):
    jt = template(rdrmaa, "/usr/bin/printf", "[%s]", "a\nb", "c", outputPath=f":{job_dir}/o")
    assert jt.args == ["[%s]", "a\nb", "c"]
    rsession.wait(rsession.runJob(jt), 30)
    assert (job_dir / "o").read_text() == "[a][c]"


@pytest.mark.parametrize(
    ("text", "parts"),
    [("1:2", (1, 2, 0)), ("10:00:00", (10, 0, 0)), ("99/01/01 00:00", (0, 0, 0))],
)
def test_start_time_forms_grid_engine_takes(text, parts):
    # sge_input_path_probe: '1:2' is 01:02; a two-digit year is 20YY.
    from simulator.library.submission import start_time

    when = start_time(text)
    assert when is not None and (when.hour, when.minute, when.second) == parts
    if text.startswith("99/"):
        assert when.year == 2099


@pytest.mark.parametrize("text", ["25:00", "12:61", "2030/13/01 10:00", "+00:05", "10"])
def test_start_time_forms_grid_engine_refuses(vsession, vdrmaa, text):
    with pytest.raises(vdrmaa.DeniedByDrmException, match="Error parsing DRMAA date string"):
        vsession.runJob(template(vdrmaa, "/bin/true", startTime=text))


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ("jobName", "job rejected cause there is no job_name in the request"),
        ("jobCategory", "Unknown job category"),
    ],
)
def test_empty_name_and_category_are_refused(vsession, vdrmaa, attribute, message):
    # sge_input_path_probe: set and read back as '', refused at runJob.
    jt = template(vdrmaa, "/bin/true", **{attribute: ""})
    assert getattr(jt, attribute) == ""
    with pytest.raises(vdrmaa.DeniedByDrmException) as info:
        vsession.runJob(jt)
    assert str(info.value) == f"code 17: {message}"
