"""Probe what the exceptions a DRMAA library raises look like to Python code: repr(), str(),
args, type(e).__module__, type(e).__qualname__, the class's bases and MRO, whether the
top-level `drmaa` package exports the class, and what `except AttributeError` /
`except MemoryError` would catch. The exceptions are raised by real calls (the session
and the cell are used for InvalidJob, InvalidArgument, DeniedByDrm, ExitTimeout and the
`code 24` bare Exception); NoActiveSession is raised before initialize().

Run as an unprivileged user with the environment of docker/sge-env.sh:
    bash docs/measurements/run-probe.sh sge_errors_repr_probe
The .out file beside it is what real Grid Engine 8.1.9 printed.
"""
import pickle

import drmaa
import drmaa.errors

A = drmaa.JobControlAction


def probe(name, call):
    try:
        print(f"{name}: OK -> {call()!r}", flush=True)
    except Exception as e:  # report the exact class the library raises
        print(f"{name}: {type(e).__name__}: {e}", flush=True)


def show(label, call):
    try:
        call()
    except BaseException as e:
        t = type(e)
        print(f"{label}:", flush=True)
        print(f"  repr(e)               = {e!r}", flush=True)
        print(f"  str(e)                = {str(e)!r}", flush=True)
        print(f"  e.args                = {e.args!r}", flush=True)
        print(f"  type(e).__module__    = {t.__module__!r}", flush=True)
        print(f"  type(e).__qualname__  = {t.__qualname__!r}", flush=True)
        print(f"  type(e).__bases__     = {t.__bases__!r}", flush=True)
        print(f"  type(e).__mro__       = {t.__mro__!r}", flush=True)
        print(f"  isinstance DrmaaException / AttributeError / MemoryError = "
              f"{isinstance(e, drmaa.errors.DrmaaException)} / {isinstance(e, AttributeError)} / "
              f"{isinstance(e, MemoryError)}", flush=True)
        print(f"  drmaa.{t.__name__} is the class: {getattr(drmaa, t.__name__, None) is t}",
              flush=True)
        print(f"  e.__cause__, e.__context__ = {e.__cause__!r}, {e.__context__!r}", flush=True)
        try:
            back = pickle.loads(pickle.dumps(e))
            print(f"  pickle round trip     = {back!r} (same type: {type(back) is t})", flush=True)
        except Exception as pe:
            print(f"  pickle round trip     : {type(pe).__name__}: {pe}", flush=True)
        return
    print(f"{label}: nothing raised", flush=True)


print("=== classes")
for name in ["DrmaaException", "InvalidJobException", "InvalidArgumentException",
             "DeniedByDrmException", "ExitTimeoutException", "NoActiveSessionException",
             "InvalidAttributeValueException", "OutOfMemoryException",
             "ConflictingAttributeValuesException"]:
    cls = getattr(drmaa.errors, name)
    print(f"drmaa.errors.{name}: __module__={cls.__module__!r} __qualname__={cls.__qualname__!r} "
          f"bases={[b.__name__ for b in cls.__bases__]} repr(cls)={cls!r} "
          f"exported as drmaa.{name}: {getattr(drmaa, name, None) is cls}", flush=True)
print(f"drmaa.errors._ERRORS[23] (code 24) = {drmaa.errors._ERRORS[23]!r}; "
      f"_ERRORS[24] (code 25) = {drmaa.errors._ERRORS[24]!r}; len = {len(drmaa.errors._ERRORS)}",
      flush=True)

print("=== exceptions raised by real calls")
s = drmaa.Session()
show("jobStatus before initialize (NoActiveSessionException)", lambda: s.jobStatus("1"))
s.initialize()
show("jobStatus('99999') (InvalidJobException)", lambda: s.jobStatus("99999"))
show("jobStatus('abc') (InvalidArgumentException)", lambda: s.jobStatus("abc"))
jt = s.createJobTemplate()
jt.remoteCommand = "/bin/sleep"
jt.args = ["30"]
jt.outputPath = ":/dev/null"
jt.joinFiles = True
jt.jobName = "bad/slash"
show("runJob with jobName 'bad/slash' (DeniedByDrmException)", lambda: s.runJob(jt))
jt.jobName = "errrepr"
jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
held = s.runJob(jt)
show("wait(held job, 0) (ExitTimeoutException)", lambda: s.wait(held, 0))
show("synchronize([held job], 0) (ExitTimeoutException, empty text)",
     lambda: s.synchronize([held], 0))
s.control(held, A.TERMINATE)
show("wait(terminated held job) (code 24, bare Exception)", lambda: s.wait(held, 10))
show("wait again (InvalidJobException)", lambda: s.wait(held, 10))
show("jt.transferFiles = True-ish string (set of an unsupported attribute)",
     lambda: setattr(jt, "transferFiles", "i"))
show("read of an unset attribute (InvalidAttributeValueException)", lambda: jt.inputPath)
s.deleteJobTemplate(jt)
show("initialize again while active (AlreadyActiveSessionException)", lambda: s.initialize())
probe("control(ALL, TERMINATE)", lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, A.TERMINATE))
s.exit()
show("exit twice (NoActiveSessionException, empty text)", lambda: s.exit())
