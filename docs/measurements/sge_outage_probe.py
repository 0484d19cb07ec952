"""Probe what DRMAA calls do while the qmaster is down, and what sessions see after it comes
back: which exception, after how long, and which jobs survive.

Unlike the other probes this one runs as root, because it stops and restarts the qmaster
(docker/stop-sge.sh qmaster, docker/provision-sge.sh). The DRMAA clients run as sgeuser:
this file started again with --client, executing the lines the driver sends it.

    python3 docs/measurements/sge_outage_probe.py > docs/measurements/sge_outage_probe.out

The .out file beside it is what real Grid Engine 8.1.9 printed.
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DOCKER = os.path.join(HERE, "..", "..", "docker")


def client() -> None:
    """Run each line read from stdin; print its outcome and how long it took.

    ``=name expression`` keeps the value under ``name``; ``?expression`` prints only the
    value's repr (the driver reads it).
    """
    import threading

    import drmaa

    names = {"drmaa": drmaa, "s": drmaa.Session, "time": time, "threading": threading}
    for line in sys.stdin:
        line = line.strip()
        if line.startswith("?"):
            print(repr(eval(line[1:], names)), flush=True)
            print("--", flush=True)
            continue
        t0 = time.time()
        try:
            if line.startswith("="):
                name, expr = line[1:].split(" ", 1)
                names[name] = result = eval(expr, names)
            else:
                result = eval(line, names)
            print(f"{line}: OK -> {result!r}  [{time.time() - t0:.2f}s]", flush=True)
        except Exception as e:  # report the exact class the library raises
            print(f"{line}: {type(e).__name__}: {e}  [{time.time() - t0:.2f}s]", flush=True)
        print("--", flush=True)


class Client:
    """A DRMAA client process running as sgeuser, driven line by line."""

    def __init__(self, name: str) -> None:
        py = os.environ.get("PROBE_PYTHON", "/opt/drmaa-venv/bin/python")
        env_sh = os.path.join(DOCKER, "sge-env.sh")
        self.name = name
        self.proc = subprocess.Popen(
            ["runuser", "-u", "sgeuser", "--", "bash", "-c",
             f". '{env_sh}' && cd /tmp && exec '{py}' -u '{__file__}' --client"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )

    def _send(self, line: str) -> list[str]:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        lines = []
        for out in self.proc.stdout:
            if out.strip() == "--":
                break
            lines.append(out)
        return lines

    def __call__(self, *lines: str) -> None:
        for line in lines:
            for out in self._send(line):
                print(f"[{self.name}] {out}", end="", flush=True)

    def value(self, expr: str) -> str:
        return self._send("?" + expr)[0].strip()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def sh(what: str, *argv: str) -> None:
    t0 = time.time()
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    print(f"## {what}  [{time.time() - t0:.1f}s]", flush=True)


def stop_qmaster() -> None:
    sh("qmaster stopped (stop-sge.sh qmaster)", "bash", f"{DOCKER}/stop-sge.sh", "qmaster")


def start_qmaster() -> None:
    sh("qmaster restarted (provision-sge.sh)", "bash", f"{DOCKER}/provision-sge.sh")


def driver() -> None:
    a = Client("A")
    a(
        "s.initialize()",
        "=jt s.createJobTemplate()",
        "setattr(jt, 'remoteCommand', '/bin/sleep') or setattr(jt, 'outputPath', ':/dev/null')"
        " or setattr(jt, 'joinFiles', True)",
        "setattr(jt, 'args', ['60'])",
        "=long s.runJob(jt)",
        "setattr(jt, 'args', ['5'])",
        "=short s.runJob(jt)",
        "setattr(jt, 'args', ['0'])",
        "=before s.runJob(jt)",
        "s.synchronize([before], 30, False)",  # finished before the outage, not reaped
        "[time.sleep(0.5) for _ in range(40) if s.jobStatus(long) != 'running'] and None",
        "(s.jobStatus(long), s.jobStatus(short))",
        # wait(FOREVER) blocked in another thread through the whole outage
        "=box {}",
        "threading.Thread(target=lambda: box.update(r=repr(s.wait(short, -1)[:6])),"
        " daemon=True).start()",
    )
    contact, long = a.value("s.contact"), a.value("long")
    print("# A: the session stays open through the outage")
    stop_qmaster()
    a(
        "s.jobStatus(long)",
        "s.runJob(jt)",
        "s.control(long, drmaa.JobControlAction.HOLD)",
        "s.wait(short, 5)",
        "s.wait(short, drmaa.Session.TIMEOUT_NO_WAIT)",
        "s.wait(before, 5)[:3]",
        "s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 5)",
        "s.synchronize([long], 5, False)",
        "s.drmsInfo",
        "s.contact",
        "time.sleep(8)",
        "box",
        "s.jobStatus(long)",
    )
    start_qmaster()
    a(
        "time.sleep(3)",
        "box",
        "s.jobStatus(long)",
        "s.jobStatus(short)",
        "s.wait(short, 10)",
        "s.wait(long, 5)",
        "s.exit()",
    )
    print("# B: a fresh process rejoins the session and waits for the job that kept running")
    b = Client("B")
    b(
        f"s.initialize({contact})",
        f"s.jobStatus({long})",
        f"(lambda i: (i.hasExited, i.exitStatus))(s.wait({long}, 120))",
        "s.exit()",
    )
    print("# B: exit and initialize while the qmaster is down")
    b("s.initialize()", "=c s.contact")
    stop_qmaster()
    b("s.exit()", "s.initialize(c)", "s.initialize()")
    start_qmaster()
    b("s.initialize(c)", "s.exit()")
    b.close()
    a.close()


if __name__ == "__main__":
    client() if sys.argv[1:] == ["--client"] else driver()
