# Sourced by the scripts beside it: make sure .venv exists with the project installed.
# Re-installs (which also compiles the C library) only when pyproject.toml, setup.py, the
# library's sources or the JDK headers it can use changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DRMAA_TESTKIT_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "setting up $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.drmaa-testkit-installed"
# (and the JDK headers found: the library's Java part is built only where jni.h is)
want="$( (cat "$ROOT/pyproject.toml" "$ROOT/setup.py" "$ROOT"/simulator/native/*.[ch];
          ls -d "${JAVA_HOME:-/nonexistent}"/include/jni.h /usr/lib/jvm/*/include/jni.h 2>/dev/null \
              || true
        ) | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[test]"
    echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
