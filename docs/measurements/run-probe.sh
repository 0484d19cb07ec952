#!/usr/bin/env bash
# Run one probe as the unprivileged job user with the DRMAA environment, and save what
# it printed next to it:   bash docs/measurements/run-probe.sh sge_template_probe
# Needs a provisioned cell (docker/provision-sge.sh) and a Python that sgeuser can read
# with drmaa==0.7.9 (default /opt/drmaa-venv, made if missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1%.py}
PY=${PROBE_PYTHON:-/opt/drmaa-venv/bin/python}
if [ ! -x "$PY" ]; then
    /usr/bin/python3 -m venv /opt/drmaa-venv
    /opt/drmaa-venv/bin/pip install -q drmaa==0.7.9
    chmod -R a+rX /opt/drmaa-venv
fi
# Jobs write their files here; sgeuser must own it.
export PROBE_DIR=${PROBE_DIR:-/tmp/sgeprobe}
install -d -o sgeuser -g sgeuser "$PROBE_DIR"
cd "$PROBE_DIR"
runuser -u sgeuser -- bash -c ". '$here/../../docker/sge-env.sh' && export PROBE_DIR='$PROBE_DIR' && exec timeout ${PROBE_TIMEOUT:-600} '$PY' -u '$here/$name.py'" \
    2>&1 | tee "$here/$name.out"
