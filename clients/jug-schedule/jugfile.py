"""Four square tasks that ask jug-schedule for two CPUs each (it submits them with
``-pe smp 2``), and a total over them. Each task returns, beside its value, the Grid Engine
job (``JOB_ID.SGE_TASK_ID``) and slot count it ran with."""

import os

from jug import TaskGenerator
from jug_schedule.resources import ResourcesTaskGenerator


def where():
    job = os.environ.get("JOB_ID")
    task = os.environ.get("SGE_TASK_ID")
    return f"{job}.{task}" if job else None, os.environ.get("NSLOTS")


@ResourcesTaskGenerator(cpu=2)
def square(x):
    return x * x, where()


@TaskGenerator
def total(results):
    return sum(value for value, _ in results), where()


squares = [square(n) for n in range(1, 5)]
result = total(squares)
