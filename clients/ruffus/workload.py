"""A ruffus pipeline whose task runs a shell command on the cluster through
``ruffus.drmaa_wrapper.run_job``, three jobs at once (``multithread=3``), each asking for
two slots (``-pe smp 2``).

Prints ``RESULT <json>``: per input, what the job printed (its value, job id, slot count).
"""

import json
import os

import drmaa
from ruffus import originate, pipeline_run, suffix, transform
from ruffus.drmaa_wrapper import run_job

INPUTS = ["1.in", "2.in", "3.in"]
session = drmaa.Session()


@originate(INPUTS)
def make_input(output_file):
    with open(output_file, "w") as f:
        f.write(output_file.split(".")[0])


@transform(make_input, suffix(".in"), ".out")
def square(input_file, output_file):
    with open(input_file) as f:
        n = int(f.read())
    stdout, _stderr = run_job(
        f'echo "$(( {n} * {n} )) $JOB_ID $NSLOTS"',
        job_name=f"square{n}",
        job_other_options="-pe smp 2",
        drmaa_session=session,
        working_directory=os.getcwd(),
        job_script_directory=os.path.join(os.getcwd(), "job_scripts"),
    )
    with open(output_file, "w") as f:
        f.write("".join(stdout))


if __name__ == "__main__":
    session.initialize()
    try:
        pipeline_run([square], multithread=3, verbose=1)
    finally:
        session.exit()
    results = []
    for name in INPUTS:
        with open(name.replace(".in", ".out")) as f:
            results.append(f.read().split())
    print("RESULT " + json.dumps(results), flush=True)
