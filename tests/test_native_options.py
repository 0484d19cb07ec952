"""nativeSpecification: the qsub switches Grid Engine's library acts on, the parallel
environment ``smp``, and the template attributes that beat their switches.

Measured: docs/measurements/sge_native_options_probe.out, sge_native_pe_probe.out.
"""

from __future__ import annotations

import os

import pytest

from simulator import control
from tests.conftest import template


def _denied(drmaa, session, jt, message):
    with pytest.raises(drmaa.DeniedByDrmException) as info:
        session.runJob(jt)
    assert str(info.value) == f"code 17: {message}"


# -- parallel environments --------------------------------------------------------------
@pytest.fixture
def four_slots(vdrmaa):
    control.reset(clock="virtual", slots=4)
    vdrmaa.Session.initialize()
    yield vdrmaa.Session


@pytest.mark.parametrize(
    ("native", "message"),
    [
        ("-pe make 2", 'job rejected: the requested parallel environment "make" does not exist'),
        (
            "-pe nosuch 2",
            'job rejected: the requested parallel environment "nosuch" does not exist',
        ),
        ("-pe smp 0", '"job" rejected: pe range must be greater than zero'),
        ("-pe smp 5", "error: no suitable queues"),
        ("-pe smp 5 -w e", "error: no suitable queues"),
        ("-pe smp", "-pe option must have range as 2nd argument\n"),
    ],
)
def test_pe_refusals(four_slots, vdrmaa, native, message):
    _denied(vdrmaa, four_slots, template(vdrmaa, "/bin/true", nativeSpecification=native), message)


def test_a_cell_without_the_pe_refuses_it(vdrmaa):
    control.reset(clock="virtual", parallel_environments={})
    vdrmaa.Session.initialize()
    jt = template(vdrmaa, "/bin/true", nativeSpecification="-pe smp 2")
    message = 'job rejected: the requested parallel environment "smp" does not exist'
    _denied(vdrmaa, vdrmaa.Session, jt, message)


def test_reset_checks_parallel_environments():
    with pytest.raises(ValueError):
        control.reset(clock="virtual", parallel_environments={"smp": 0})


def test_pe_job_too_big_with_w_n_stays_queued(four_slots, vdrmaa):
    job = four_slots.runJob(template(vdrmaa, "/bin/true", nativeSpecification="-pe smp 5 -w n"))
    control.advance(10)
    assert four_slots.jobStatus(job) == "queued_active"
    four_slots.control(job, vdrmaa.JobControlAction.TERMINATE)
    with pytest.raises(Exception, match=r"^code 24: "):
        four_slots.wait(job, 5)


def test_pe_jobs_take_their_slots_and_smaller_jobs_overtake(four_slots, vdrmaa):
    big = four_slots.runJob(template(vdrmaa, "/bin/sleep", "8", nativeSpecification="-pe smp 3"))
    second = four_slots.runJob(template(vdrmaa, "/bin/sleep", "1", nativeSpecification="-pe smp 2"))
    plain = four_slots.runJob(template(vdrmaa, "/bin/sleep", "1"))
    assert [four_slots.jobStatus(j) for j in (big, second, plain)] == [
        "running",
        "queued_active",
        "running",
    ]
    control.advance(7.5)
    assert four_slots.jobStatus(second) == "queued_active"
    control.advance(0.5)
    assert four_slots.jobStatus(second) == "running"
    info = four_slots.wait(second)
    assert info.resourceUsage["start_time"] == four_slots.wait(big).resourceUsage["end_time"]


def test_bulk_pe_tasks_share_the_cell(four_slots, vdrmaa):
    jt = template(vdrmaa, "/bin/sleep", "2", nativeSpecification="-pe smp 2")
    ids = four_slots.runBulkJobs(jt, 1, 3, 1)
    assert [four_slots.jobStatus(t) for t in ids] == ["running", "running", "queued_active"]


@pytest.mark.parametrize(
    ("native", "slots"),
    [
        ("-pe smp 2", "2"),
        ("-pe smp 1-4", "4"),
        ("-pe smp 2-", "4"),
        ("-pe smp -3", "3"),
        ("-pe smp 1", "1"),
        ("-pe 'smp' 2", "2"),
        ("-pe sm* 2", "2"),
        ("-pe smp 2 -pe smp 3", "3"),
    ],
)
def test_pe_job_sees_its_slots(rdrmaa, job_dir, native, slots):
    control.reset(clock="real", slots=4)
    rdrmaa.Session.initialize()
    out = job_dir / "pe"
    script = 'echo "$NSLOTS $PE"; cat "$PE_HOSTFILE"'
    jt = template(rdrmaa, "/bin/sh", "-c", script, nativeSpecification=native)
    jt.outputPath = f":{out}"
    assert rdrmaa.Session.wait(rdrmaa.Session.runJob(jt), 30).exitStatus == 0
    host = os.uname().nodename.split(".")[0]
    assert out.read_text() == f"{slots} smp\n{host} {slots} all.q@{host} UNDEFINED\n"


def test_plain_job_has_no_pe(rsession, rdrmaa, job_dir):
    out = job_dir / "plain"
    jt = template(rdrmaa, "/bin/sh", "-c", 'echo "$NSLOTS ${PE-unset} ${PE_HOSTFILE-unset}"')
    jt.outputPath = f":{out}"
    rsession.wait(rsession.runJob(jt), 30)
    assert out.read_text() == "1 unset unset\n"


# -- switches accepted, ignored or refused ----------------------------------------------
@pytest.mark.parametrize(
    "native",
    ["-sync y", "-verify", "-help", "-b y", "-q all.q", "-w e", "-w n", "-w w", "", "   ", "-p -5"],
)
def test_switches_accepted(vsession, vdrmaa, native):
    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "2", nativeSpecification=native))
    assert vsession.jobStatus(job) == "running"
    assert vsession.wait(job).exitStatus == 0


@pytest.mark.parametrize(
    ("native", "message"),
    [
        ("-p 10", "job rejected: positive submission priority requires operator privileges"),
        ("-p -2000", 'invalid priority "-2000".  Must be an integer from -1023 to 1024\n'),
        ("-N", "-N option must have argument\n"),
        ("-bogus", 'invalid option argument "-bogus"\n'),
        ("--long", 'invalid option argument "--long"\n'),
        ("-", 'invalid option argument "-"\n'),
        ("-l h_rt=abc", 'attribute "h_rt" is not a time value'),
        ("-b n", "Script length does not match declared length"),
    ],
)
def test_switches_refused(vsession, vdrmaa, native, message):
    _denied(vdrmaa, vsession, template(vdrmaa, "/bin/sh", nativeSpecification=native), message)


def test_negative_hard_runtime_kills_at_once(vsession, vdrmaa):
    jt = template(vdrmaa, "/bin/sleep", "2", nativeSpecification="-l h_rt=-5")
    info = vsession.wait(vsession.runJob(jt))
    assert (info.hasSignal, info.terminatedSignal, info.resourceUsage["exit_status"]) == (
        True,
        "SIGKILL",
        "137.0000",
    )


def test_now_y_with_no_free_slot_is_gone(vdrmaa):
    control.reset(clock="virtual", slots=2)
    session = vdrmaa.Session
    session.initialize()
    session.runBulkJobs(template(vdrmaa, "/bin/sleep", "8"), 1, 2, 1)
    job = session.runJob(template(vdrmaa, "/bin/sleep", "2", nativeSpecification="-now y"))
    assert session.jobStatus(job) == "failed"
    with pytest.raises(Exception, match=r"^code 24: no usage information"):
        session.wait(job)


def test_now_y_held_waits_for_its_release(vsession, vdrmaa):
    jt = template(vdrmaa, "/bin/sleep", "2", nativeSpecification="-now y")
    jt.jobSubmissionState = vdrmaa.JobSubmissionState.HOLD_STATE
    job = vsession.runJob(jt)
    control.advance(3)
    assert vsession.jobStatus(job) == "user_on_hold"
    vsession.control(job, vdrmaa.JobControlAction.RELEASE)
    assert vsession.wait(job).exitStatus == 0


def test_w_v_hands_out_an_id_for_no_job(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/true", nativeSpecification="-w v"))
    assert vsession.jobStatus(job) == "undetermined"
    with pytest.raises(vdrmaa.ExitTimeoutException, match=r"^code 23: time-out condition$"):
        vsession.wait(job, 3)
    with pytest.raises(vdrmaa.ExitTimeoutException, match=r"^code 23: $"):
        vsession.synchronize([job], 3, True)
    with pytest.raises(vdrmaa.InvalidJobException, match=r"There are no jobs registered"):
        vsession.control(job, vdrmaa.JobControlAction.TERMINATE)
    with pytest.raises(vdrmaa.InvalidJobException, match=f'denied: job "{job}" does not exist'):
        vsession.control(job, vdrmaa.JobControlAction.HOLD)
    with pytest.raises(vdrmaa.ExitTimeoutException):
        vsession.wait(vsession.JOB_IDS_SESSION_ANY, 3)  # the made-up id stays in the session
    real = vsession.runJob(template(vdrmaa, "/bin/true"))
    assert int(real) == int(job) + 1
    assert vsession.wait(vsession.JOB_IDS_SESSION_ANY, 10).jobId == real
    contact = vsession.contact
    vsession.exit()
    vsession.initialize(contact)
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.wait(vsession.JOB_IDS_SESSION_ANY, 3)


def test_w_v_with_an_impossible_request(vsession, vdrmaa):
    jt = template(vdrmaa, "/bin/true", nativeSpecification="-w v -l arch=no-such-arch")
    with pytest.raises(vdrmaa.DeniedByDrmException) as info:
        vsession.runJob(jt)
    assert "(-l arch=no-such-arch) cannot run at host" in str(info.value)
    assert str(info.value).endswith(
        "offers only hl:arch=lx-amd64\nverification: no suitable queues"
    )


# -- the template beats the switch --------------------------------------------------------
def _files(path):
    return sorted(p.name for p in path.iterdir())


def test_job_name_beats_dash_n(rsession, rdrmaa, job_dir):
    jt = template(rdrmaa, "/bin/sh", "-c", "echo $JOB_NAME", workingDirectory=str(job_dir))
    jt.jobName, jt.nativeSpecification = "tmpl", "-N othername"
    job = rsession.runJob(jt)
    rsession.wait(job, 30)
    assert (job_dir / f"tmpl.o{job}").read_text() == "tmpl\n"
    jt2 = template(rdrmaa, "/bin/sh", "-c", "echo $JOB_NAME", workingDirectory=str(job_dir))
    jt2.nativeSpecification = "-N othername"
    job2 = rsession.runJob(jt2)
    rsession.wait(job2, 30)
    assert (job_dir / f"othername.o{job2}").read_text() == "othername\n"


def test_dash_n_is_checked_even_when_beaten(vsession, vdrmaa):
    jt = template(vdrmaa, "/bin/true", jobName="tmpl", nativeSpecification="-N bad/name")
    _denied(vdrmaa, vsession, jt, "argument to -N option must not contain / \n")
    jt = template(vdrmaa, "/bin/true", jobName="bad/name", nativeSpecification="-N othername")
    _denied(vdrmaa, vsession, jt, "Slash ('/') not allowed in objectname")


def test_paths_beat_dash_o_dash_e(rsession, rdrmaa, job_dir):
    script = "echo to-stdout; echo to-stderr >&2"
    d = job_dir
    jt = template(rdrmaa, "/bin/sh", "-c", script, workingDirectory=str(d))
    jt.nativeSpecification = f"-o {d}/nat.out -e {d}/nat.err"
    jt.outputPath, jt.errorPath = f":{d}/tmpl.out", f":{d}/tmpl.err"
    rsession.wait(rsession.runJob(jt), 30)
    assert _files(d) == ["tmpl.err", "tmpl.out"]
    jt = template(rdrmaa, "/bin/sh", "-c", script, workingDirectory=str(d))
    jt.nativeSpecification, jt.errorPath = f"-o {d}/nat.out", f":{d}/e2"
    rsession.wait(rsession.runJob(jt), 30)
    assert (d / "nat.out").read_text() == "to-stdout\n" and (d / "e2").read_text() == "to-stderr\n"
    jt = template(rdrmaa, "/bin/sh", "-c", script, workingDirectory=str(d))
    jt.nativeSpecification = f"-o :{d}/natcolon.out"
    job = rsession.runJob(jt)
    rsession.wait(job, 30)
    assert (d / "natcolon.out").read_text() == "to-stdout\n"
    assert (d / f"sh.e{job}").read_text() == "to-stderr\n"


@pytest.mark.parametrize(
    ("native", "join", "merged"), [("-j y", False, False), ("-j n", True, True)]
)
def test_join_files_beats_dash_j(rsession, rdrmaa, job_dir, native, join, merged):
    jt = template(rdrmaa, "/bin/sh", "-c", "echo out; echo err >&2", nativeSpecification=native)
    jt.outputPath, jt.errorPath, jt.joinFiles = f":{job_dir}/o", f":{job_dir}/e", join
    rsession.wait(rsession.runJob(jt), 30)
    assert (job_dir / "o").read_text() == ("out\nerr\n" if merged else "out\n")


def test_input_path_beats_dash_i(rsession, rdrmaa, job_dir):
    (job_dir / "a").write_text("from a\n")
    (job_dir / "b").write_text("from b\n")
    jt = template(rdrmaa, "/bin/cat", nativeSpecification=f"-i {job_dir}/a")
    jt.inputPath, jt.outputPath = f":{job_dir}/b", f":{job_dir}/o"
    rsession.wait(rsession.runJob(jt), 30)
    assert (job_dir / "o").read_text() == "from b\n"


def test_environment_switches(rsession, rdrmaa, job_dir, monkeypatch):
    monkeypatch.setenv("BAZ", "baz-from-submitter")
    monkeypatch.setenv("PROBE_V_MARKER", "from-submitter")
    script = 'echo "${FOO-unset} ${BAZ-unset} ${PROBE_V_MARKER-unset}"'
    cases = [
        ("-V", {}, "unset baz-from-submitter from-submitter"),
        ("-v FOO=bar,BAZ", {}, "bar baz-from-submitter unset"),
        ("-v FOO=bar", {"FOO": "tmpl"}, "tmpl unset unset"),
    ]
    for i, (native, env, seen) in enumerate(cases):
        jt = template(rdrmaa, "/bin/sh", "-c", script, nativeSpecification=native)
        jt.jobEnvironment, jt.outputPath = env, f":{job_dir}/{i}"
        rsession.wait(rsession.runJob(jt), 30)
        assert (job_dir / str(i)).read_text() == seen + "\n", native


def test_cwd_is_the_submitters_unless_a_working_directory_is_set(
    rsession, rdrmaa, job_dir, monkeypatch
):
    submit, wd = job_dir / "submit", job_dir / "wd"
    for d in (submit, wd):
        d.mkdir()
        os.chown(d, *_owner(job_dir))
    monkeypatch.chdir(submit)
    for allow in (None, "1"):
        if allow:
            monkeypatch.setenv("SGE_DRMAA_ALLOW_CWD", allow)
        job = rsession.runJob(template(rdrmaa, "/bin/pwd", nativeSpecification="-cwd"))
        rsession.wait(job, 30)
        assert (submit / f"pwd.o{job}").read_text() == f"{submit}\n"
        jt = template(rdrmaa, "/bin/pwd", nativeSpecification="-cwd", workingDirectory=str(wd))
        job = rsession.runJob(jt)
        rsession.wait(job, 30)
        assert (wd / f"pwd.o{job}").read_text() == f"{wd}\n"


def _owner(path):
    st = path.stat()
    return st.st_uid, st.st_gid


# -- -b n: the command as a script ---------------------------------------------------------
def test_script_directives_with_b_n(rsession, rdrmaa, job_dir):
    script = job_dir / "script.sh"
    script.write_text('#!/bin/sh\n#$ -N from_script_directive\necho "$1 $JOB_NAME"\n')
    script.chmod(0o755)
    for native, name, seen in [
        ("-b n", None, "from_script_directive"),
        ("-b n", "tmpl", "tmpl"),
        ("-b y", None, "script.sh"),
        ("", None, "script.sh"),
    ]:
        jt = template(rdrmaa, str(script), "arg1", nativeSpecification=native)
        jt.outputPath = f":{job_dir}/out"
        if name:
            jt.jobName = name
        assert rsession.wait(rsession.runJob(jt), 30).exitStatus == 0
        assert (job_dir / "out").read_text() == f"arg1 {seen}\n", native
        (job_dir / "out").unlink()


def test_b_n_without_a_readable_script_is_refused(vsession, vdrmaa, tmp_path):
    # sge_reconnect_tasks_probe
    missing = f"{tmp_path}/no-such-script.sh"
    jt = template(vdrmaa, missing, nativeSpecification="-b n")
    _denied(vdrmaa, vsession, jt, f"error opening {missing}: No such file or directory\n")


def test_b_n_script_without_a_shebang_runs_in_a_shell(rsession, rdrmaa, job_dir):
    # sge_reconnect_tasks_probe: "ran as <the spooled copy> with arg1"
    script = job_dir / "noshebang.sh"
    script.write_text('echo "ran as $0 with $1"\n')
    jt = template(rdrmaa, str(script), "arg1", nativeSpecification="-b n")
    jt.outputPath = f":{job_dir}/o"
    assert rsession.wait(rsession.runJob(jt), 30).exitStatus == 0
    seen = (job_dir / "o").read_text()
    assert seen.startswith("ran as /") and seen.endswith(" with arg1\n")
    assert str(script) not in seen  # a copy taken at submission runs


def test_b_n_runs_a_copy_taken_at_submission(rsession, rdrmaa, job_dir):
    script = job_dir / "s.sh"
    script.write_text("echo first\n")
    jt = template(rdrmaa, str(script), nativeSpecification="-b n", outputPath=f":{job_dir}/o")
    jt.jobSubmissionState = rdrmaa.JobSubmissionState.HOLD_STATE
    job = rsession.runJob(jt)
    script.write_text("echo second\n")
    rsession.control(job, rdrmaa.JobControlAction.RELEASE)
    rsession.wait(job, 30)
    assert (job_dir / "o").read_text() == "first\n"


# -- -hold_jid -----------------------------------------------------------------------------
def test_hold_jid_by_id_and_by_name(vsession, vdrmaa):
    first = vsession.runJob(template(vdrmaa, "/bin/sleep", "5", jobName="holdA"))
    by_id = vsession.runJob(template(vdrmaa, "/bin/true", nativeSpecification=f"-hold_jid {first}"))
    by_name = vsession.runJob(template(vdrmaa, "/bin/true", nativeSpecification="-hold_jid holdA"))
    mixed = vsession.runJob(
        template(vdrmaa, "/bin/true", nativeSpecification="-hold_jid holdA,99999999")
    )
    for job in (by_id, by_name, mixed):
        assert vsession.jobStatus(job) == "system_on_hold"
    control.advance(4.9)
    assert vsession.jobStatus(by_id) == "system_on_hold"
    end = vsession.wait(first).resourceUsage["end_time"]
    for job in (by_id, by_name, mixed):
        assert vsession.wait(job).resourceUsage["start_time"] == end


@pytest.mark.parametrize("wanted", ["99999999", "nosuchname"])
def test_hold_jid_of_no_job_is_ignored(vsession, vdrmaa, wanted):
    job = vsession.runJob(
        template(vdrmaa, "/bin/sleep", "1", nativeSpecification=f"-hold_jid {wanted}")
    )
    assert vsession.jobStatus(job) == "running"


def test_hold_jid_on_a_held_job_until_it_is_terminated(vsession, vdrmaa):
    held = vsession.runJob(template(vdrmaa, "/bin/true", jobSubmissionState="drmaa_hold"))
    dependent = vsession.runJob(
        template(vdrmaa, "/bin/sleep", "5", nativeSpecification=f"-hold_jid {held}")
    )
    control.advance(3)
    assert vsession.jobStatus(dependent) == "system_on_hold"
    vsession.control(held, vdrmaa.JobControlAction.TERMINATE)
    assert vsession.jobStatus(dependent) == "running"
    assert vsession.wait(dependent).exitStatus == 0


def test_hold_jid_on_an_array_waits_for_every_task(vsession, vdrmaa):
    jt = template(vdrmaa, "/bin/sleep", "2", jobSubmissionState="drmaa_hold")
    tasks = vsession.runBulkJobs(jt, 1, 3, 1)
    number = tasks[0].split(".")[0]
    dependent = vsession.runJob(
        template(vdrmaa, "/bin/sleep", "5", nativeSpecification=f"-hold_jid {number}")
    )
    for task in tasks[:2]:
        vsession.control(task, vdrmaa.JobControlAction.RELEASE)
    control.advance(5)
    assert vsession.jobStatus(dependent) == "system_on_hold"
    vsession.control(tasks[2], vdrmaa.JobControlAction.TERMINATE)
    assert vsession.jobStatus(dependent) == "running"


def test_t_in_run_job_is_ignored(vsession, vdrmaa):
    job = vsession.runJob(template(vdrmaa, "/bin/sleep", "1", nativeSpecification="-t 1-3"))
    assert "." not in job
    for task in (f"{job}.1", f"{job}.2"):
        with pytest.raises(vdrmaa.InvalidJobException):
            vsession.jobStatus(task)
    control.advance(2)
    assert vsession.jobStatus(f"{job}.1") == "done"  # the library's finished list
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.jobStatus(f"{job}.2")
    assert vsession.wait(job).jobId == job
    with pytest.raises(vdrmaa.InvalidJobException):
        vsession.wait(job, 1)
    ids = vsession.runBulkJobs(template(vdrmaa, "/bin/true", nativeSpecification="-t 1-3"), 1, 2, 1)
    assert [i.split(".")[1] for i in ids] == ["1", "2"]
