# Source this file (bash or sh) to talk to the cell made by docker/provision-sge.sh:
#
#   . docker/sge-env.sh && python3 -c 'import drmaa; ...'
#
# It exports what a DRMAA client (the `drmaa` package / libdrmaa.so.1.0) needs.

# Cell location and ports: read the cell's settings.sh (provision-sge.sh records the
# ports there); fall back to the Debian defaults.
SGE_ROOT="${SGE_ROOT:-/var/lib/gridengine}"
SGE_CELL="${SGE_CELL:-default}"
if [ -r "$SGE_ROOT/$SGE_CELL/common/settings.sh" ]; then
    . "$SGE_ROOT/$SGE_CELL/common/settings.sh"
fi
SGE_QMASTER_PORT="${SGE_QMASTER_PORT:-6444}"
SGE_EXECD_PORT="${SGE_EXECD_PORT:-6445}"
export SGE_ROOT SGE_CELL SGE_QMASTER_PORT SGE_EXECD_PORT

# Without it `import drmaa` raises RuntimeError("Could not find drmaa library").
export DRMAA_LIBRARY_PATH="${DRMAA_LIBRARY_PATH:-/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0}"

# libdrmaa pulls in jemalloc, whose TLS does not fit glibc's static TLS block when the
# library is dlopen()ed late ("libjemalloc.so.2: cannot allocate memory in static TLS
# block"). Preloading jemalloc fixes it; it only acts on processes started after this.
# (Path from `dpkg -L libjemalloc2`.)
_sge_jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
case ":${LD_PRELOAD:-}:" in
    *":$_sge_jemalloc:"*|*"libjemalloc.so.2"*) ;;
    *) if [ -e "$_sge_jemalloc" ]; then
           LD_PRELOAD="$_sge_jemalloc${LD_PRELOAD:+:$LD_PRELOAD}"; export LD_PRELOAD
       fi ;;
esac
unset _sge_jemalloc

# Client commands (qsub, qstat, qconf...) are in /usr/bin already on Debian.
