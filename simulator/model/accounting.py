"""A finished job's resource usage, with the keys and conventions of Grid Engine's accounting.

Grid Engine counts time in whole seconds and reports a killing signal by its own numbering
(SGE_SIGKILL is 910, measured); the binding shows every value as a ``'%.4f'`` string.
"""

from __future__ import annotations

import signal

from simulator.model.jobs import Job

# Grid Engine's portable signal numbers (sge_signal.h) for the signals it knows; a job
# ended by any other (SIGSYS, SIGSTKFLT, SIGVTALRM, SIGPROF, SIGPWR, the real-time ones)
# shows its plain Linux number, and the name "SIGunknown signal" (sge_signal_end_probe).
UNKNOWN_SIGNAL_NAME = "SIGunknown signal"
_SGE_SIGNALS: dict[int, int] = {
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
    signal.SIGWINCH: 929,
    signal.SIGUSR1: 931,
    signal.SIGUSR2: 932,
}

# Seconds a job runs before Grid Engine's execd has sampled its memory once (measured:
# jobs of ru_wallclock 1 had maxvmem 0, jobs of 2 s and more had it).
SAMPLE_INTERVAL = 1.0

# Key order as Grid Engine's libdrmaa lists them.
USAGE_KEYS = [
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
# What Grid Engine reports for a job whose process never started (measured).
NOT_STARTED_KEYS = ["io", "iow", "mem", "cpu", "vmem", "maxvmem", "submission_time", "priority"]


def signal_name(sig: int) -> str:
    """The ``terminatedSignal`` Grid Engine reports for a job ended by ``sig``."""
    if sig not in _SGE_SIGNALS:
        return UNKNOWN_SIGNAL_NAME
    return signal.Signals(sig).name


def usage_record(job: Job) -> dict[str, float]:
    """The non-zero part of a finished job's usage record, keyed as Grid Engine keys it.

    :data:`USAGE_KEYS` lists every key of a full record (the rest are zero); a job whose
    process never started has only :data:`NOT_STARTED_KEYS` (Grid Engine has no more).
    """
    outcome = job.outcome
    assert outcome is not None and job.start_time is not None and job.end_time is not None
    if not outcome.started:
        return {"submission_time": float(int(job.submit_time))}
    usage = {key: value for key, value in outcome.usage.items() if value}
    start, end = int(job.start_time), int(job.end_time)
    cpu = usage.get("ru_utime", 0.0) + usage.get("ru_stime", 0.0)
    if outcome.signal:  # killed by a signal, or terminated by the DRM (SIGKILL)
        sig = outcome.signal
        usage["exit_status"] = 128.0 + sig
        usage["signal"] = float(_SGE_SIGNALS.get(sig, sig))
    elif outcome.exit_status:
        usage["exit_status"] = float(outcome.exit_status)
    usage["submission_time"] = float(int(job.submit_time))
    usage["start_time"] = float(start)
    usage["end_time"] = float(end)
    if end != start:
        usage["ru_wallclock"] = float(end - start)
    if cpu:
        usage["cpu"] = usage["acct_cpu"] = cpu
    rss = usage.get("ru_maxrss")
    if rss and job.end_time - job.start_time >= SAMPLE_INTERVAL:
        # Grid Engine samples a job's memory about once a second: maxvmem is the largest
        # virtual size seen (bytes), mem the integral of it over CPU time (GB s); a job
        # that ends before the first sample has neither (sge_usage_probe). wait4 only
        # gives the peak resident set: taken for maxvmem (a lower bound of the peak
        # virtual size), and held over all the CPU time for mem (an upper bound).
        peak = rss * 1024.0
        usage["maxvmem"] = usage["acct_maxvmem"] = peak
        if cpu:
            usage["mem"] = usage["acct_mem"] = cpu * peak / 2**30
    return usage
