# Sourced by scripts/test (and .ci/run): the system packages the project's tests use, from
# Debian, installed when missing: Grid Engine's Java DRMAA binding (libdrmaa1.0-java: the
# Java program of tests/test_java_binding.py runs it over the project's libdrmaa) and a JDK
# (javac, and jni.h for the library's Java part). Needs root and apt; without them, says
# what is missing and goes on (the tests that need it then fail, saying so).
need=()
[ -e /usr/share/java/drmaa.jar ] || need+=(libdrmaa1.0-java)
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${need[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${need[@]}" >/dev/null
    else
        echo "warning: missing ${need[*]} (apt-get install them as root)" >&2
    fi
fi
