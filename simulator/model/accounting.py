"""A finished job's resource usage, with the keys and conventions of Grid Engine's accounting.

Grid Engine counts time in whole seconds and reports a killing signal by its own numbering
(SGE_SIGKILL is 910, measured); the binding shows every value as a ``'%.4f'`` string.
"""

from __future__ import annotations

import signal

from simulator.model.jobs import Job

# Grid Engine's portable signal numbers (sge_signal.h): 900 + the classic Unix number for
# the signals it knows.
_SGE_SIGNAL_BASE = 900
_SGE_SIGNALS = {
    signal.SIGHUP: 901,
    signal.SIGINT: 902,
    signal.SIGQUIT: 903,
    signal.SIGILL: 904,
    signal.SIGTRAP: 905,
    signal.SIGABRT: 906,
    signal.SIGFPE: 909,
    signal.SIGKILL: 910,
    signal.SIGBUS: 911,
    signal.SIGSEGV: 912,
    signal.SIGSYS: 913,
    signal.SIGPIPE: 914,
    signal.SIGALRM: 915,
    signal.SIGTERM: 916,
    signal.SIGURG: 917,
    signal.SIGSTOP: 918,
    signal.SIGTSTP: 919,
    signal.SIGCONT: 920,
    signal.SIGCHLD: 921,
    signal.SIGTTIN: 922,
    signal.SIGTTOU: 923,
    signal.SIGIO: 924,
    signal.SIGXCPU: 925,
    signal.SIGXFSZ: 926,
    signal.SIGVTALRM: 927,
    signal.SIGPROF: 928,
    signal.SIGWINCH: 929,
    signal.SIGUSR1: 931,
    signal.SIGUSR2: 932,
}

# Key order as Grid Engine's libdrmaa lists them.
_KEYS = [
    "io",
    "iow",
    "mem",
    "cpu",
    "vmem",
    "maxvmem",
    "submission_time",
    "priority",
    "exit_status",
    "signal",
    "start_time",
    "end_time",
    "ru_wallclock",
    "ru_utime",
    "ru_stime",
    "ru_maxrss",
    "ru_ixrss",
    "ru_ismrss",
    "ru_idrss",
    "ru_isrss",
    "ru_minflt",
    "ru_majflt",
    "ru_nswap",
    "ru_inblock",
    "ru_oublock",
    "ru_msgsnd",
    "ru_msgrcv",
    "ru_nsignals",
    "ru_nvcsw",
    "ru_nivcsw",
    "acct_cpu",
    "acct_mem",
    "acct_io",
    "acct_iow",
    "acct_maxvmem",
]
_ZERO = dict.fromkeys(_KEYS, 0.0)
# What Grid Engine reports for a job whose process never started (measured).
_NOT_STARTED_KEYS = ("io", "iow", "mem", "cpu", "vmem", "maxvmem")


def resource_usage(job: Job) -> dict[str, float]:
    """The usage record of a finished job that ran (Grid Engine has none for others)."""
    outcome = job.outcome
    assert outcome is not None and job.start_time is not None and job.end_time is not None
    if not outcome.started:
        usage = dict.fromkeys(_NOT_STARTED_KEYS, 0.0)
        usage.update(submission_time=float(int(job.submit_time)), priority=0.0)
        return usage
    usage = dict(_ZERO)
    usage.update(outcome.usage)
    start, end = int(job.start_time), int(job.end_time)
    cpu = usage["ru_utime"] + usage["ru_stime"]
    if outcome.aborted or outcome.signal:
        # Terminated by the DRM counts as SIGKILL, as Grid Engine's qdel does.
        sig = outcome.signal or signal.SIGKILL
        usage["exit_status"] = 128.0 + sig
        usage["signal"] = float(_SGE_SIGNALS.get(sig, _SGE_SIGNAL_BASE + sig))
    else:
        usage["exit_status"] = float(outcome.exit_status)
    usage.update(
        submission_time=float(int(job.submit_time)),
        start_time=float(start),
        end_time=float(end),
        ru_wallclock=float(end - start),
        cpu=cpu,
        acct_cpu=cpu,
    )
    return usage
