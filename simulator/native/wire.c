/*
 * wire.c: the process's link to the simulated qmaster (docs/qmaster-protocol.md).
 *
 * What lives here is per process: the open session (token, contact, anchor connection),
 * the socket path it was opened on, and a small pool of idle connections. One mutex
 * guards all of it and is never held across a blocking system call: a call checks a
 * connection out, talks on it unlocked, and checks it back in. A thread blocked in
 * drmaa_wait() thus holds one connection and nothing else.
 *
 * A frame is a big-endian u32 payload length, then the payload: fields, each a u32
 * length and its bytes (0xFFFFFFFF: a NULL string, no bytes). Each connection keeps one
 * buffer that carries the request out and the reply back.
 */
#define _GNU_SOURCE

#include "wire.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "drmaa.h"

#define MAX_PAYLOAD (16u * 1024u * 1024u)
#define NULL_FIELD 0xFFFFFFFFu
#define POOL_MAX 16               /* idle connections kept; more are closed */
#define BUF_INITIAL 4096u         /* a connection's buffer to begin with */
#define BUF_KEEP (1024u * 1024u)  /* a bigger buffer is given back after its call */

struct qm_conn {
    int fd;
    int broken;                 /* closed (not pooled) when checked in */
    unsigned long gen;          /* the pool generation it belongs to */
    unsigned char *buf;
    size_t cap;
    size_t len;                 /* bytes of the request built so far */
    struct qm_conn *next_idle;  /* in the pool */
    struct qm_conn *prev_all;   /* every connection of the process, for fork() */
    struct qm_conn *next_all;
};

enum { NO_SESSION, OPENING, OPEN };

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
    int state;
    char token[QM_TOKEN_MAX];
    char path[QM_PATH_MAX];     /* the session's daemon */
    char *contact;
    struct qm_conn *anchor;

    char pool_path[QM_PATH_MAX];
    unsigned long pool_gen;     /* bumped whenever the pool's connections go stale */
    struct qm_conn *idle;
    int n_idle;
    struct qm_conn *all;
} g;

/* ---- messages ---------------------------------------------------------------------- */

void qm_copy(char *dst, size_t dst_len, const char *src, size_t n)
{
    if (dst == NULL || dst_len == 0)
        return;
    if (src == NULL)
        n = 0;
    const char *nul = n ? memchr(src, '\0', n) : NULL;
    if (nul != NULL)
        n = (size_t)(nul - src);
    if (n > dst_len - 1)
        n = dst_len - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

int qm_fail(int code, char *diag, size_t diag_len, const char *message)
{
    qm_copy(diag, diag_len, message, strlen(message));
    return code;
}

__attribute__((format(printf, 4, 5)))
static int failf(int code, char *diag, size_t diag_len, const char *format, ...)
{
    if (diag != NULL && diag_len > 0) {
        va_list ap;
        va_start(ap, format);
        vsnprintf(diag, diag_len, format, ap);
        va_end(ap);
    }
    return code;
}

static const char *errtext(int err, char *buf, size_t len)
{
    return strerror_r(err, buf, len);  /* the GNU variant: returns the text */
}

static int unreachable(const char *path, int err, char *diag, size_t diag_len)
{
    char buf[128];
    return failf(DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE, diag, diag_len,
                 "cannot reach the simulated qmaster at %s: %s", path,
                 errtext(err, buf, sizeof buf));
}

static int no_memory(char *diag, size_t diag_len)
{
    return qm_fail(DRMAA_ERRNO_NO_MEMORY, diag, diag_len, "out of memory");
}

/* ---- connections ------------------------------------------------------------------- */

/* Under g_lock. */
static void link_conn(struct qm_conn *c)
{
    c->prev_all = NULL;
    c->next_all = g.all;
    if (g.all != NULL)
        g.all->prev_all = c;
    g.all = c;
}

/* Under g_lock. */
static void unlink_conn(struct qm_conn *c)
{
    if (c->prev_all != NULL)
        c->prev_all->next_all = c->next_all;
    else
        g.all = c->next_all;
    if (c->next_all != NULL)
        c->next_all->prev_all = c->prev_all;
    c->prev_all = c->next_all = NULL;
}

/* An unlinked connection: close and free it. */
static void free_conn(struct qm_conn *c)
{
    close(c->fd);
    free(c->buf);
    free(c);
}

static void free_idle_list(struct qm_conn *c)
{
    while (c != NULL) {
        struct qm_conn *next = c->next_idle;
        free_conn(c);
        c = next;
    }
}

/* Under g_lock: take every idle connection out of the pool, point the pool at path,
 * and make connections now checked out stale. Returns the list to free (unlocked). */
static struct qm_conn *retarget_pool_locked(const char *path)
{
    struct qm_conn *stale = g.idle;
    for (struct qm_conn *c = stale; c != NULL; c = c->next_idle)
        unlink_conn(c);
    g.idle = NULL;
    g.n_idle = 0;
    snprintf(g.pool_path, sizeof g.pool_path, "%s", path);
    g.pool_gen++;
    return stale;
}

/* Where the daemon listens: DRMAA_TESTKIT_QMASTER, else the protocol's default. */
static int resolve_path(char out[QM_PATH_MAX], char *diag, size_t diag_len)
{
    char full[PATH_MAX + 64];
    const char *given = getenv("DRMAA_TESTKIT_QMASTER");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    int n;
    if (given != NULL && *given != '\0')
        n = snprintf(full, sizeof full, "%s", given);
    else if (runtime != NULL && *runtime != '\0')
        n = snprintf(full, sizeof full, "%s/drmaa-testkit/qmaster", runtime);
    else
        n = snprintf(full, sizeof full, "/tmp/drmaa-testkit-%lu/qmaster",
                     (unsigned long)getuid());
    if (n < 0 || (size_t)n >= QM_PATH_MAX)
        return unreachable(full, ENAMETOOLONG, diag, diag_len);
    memcpy(out, full, (size_t)n + 1);
    return 0;
}

/* The socket's directory must be the caller's alone: anyone else who could write there
 * could put a socket of their own in the daemon's place. */
static int check_directory(const char *path, char *diag, size_t diag_len)
{
    char dir[QM_PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    struct stat st;
    if (stat(dir, &st) != 0)
        return unreachable(path, errno, diag, diag_len);
    if (st.st_uid != getuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return failf(DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE, diag, diag_len,
                     "not connecting to the simulated qmaster at %s: its directory %s must "
                     "belong to uid %lu and be writable by nobody else",
                     path, dir, (unsigned long)getuid());
    return 0;
}

static struct qm_conn *connect_new(const char *path, unsigned long gen, int *rc, char *diag,
                                   size_t diag_len)
{
    *rc = check_directory(path, diag, diag_len);
    if (*rc != 0)
        return NULL;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *rc = unreachable(path, errno, diag, diag_len);
        return NULL;
    }
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, strlen(path) + 1);  /* fits: resolve_path checked */
    for (;;) {
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EISCONN)  /* an interrupted attempt completed meanwhile */
            break;
        *rc = unreachable(path, errno, diag, diag_len);
        close(fd);
        return NULL;
    }
    struct qm_conn *c = calloc(1, sizeof *c);
    unsigned char *buf = malloc(BUF_INITIAL);
    if (c == NULL || buf == NULL) {
        free(c);
        free(buf);
        close(fd);
        *rc = no_memory(diag, diag_len);
        return NULL;
    }
    c->fd = fd;
    c->buf = buf;
    c->cap = BUF_INITIAL;
    c->gen = gen;
    pthread_mutex_lock(&g_lock);
    link_conn(c);
    pthread_mutex_unlock(&g_lock);
    return c;
}

/* Whether a pooled connection is still open at the far end: a daemon that went away
 * (or restarted) left an end-of-file behind on its idle connections. */
static int still_open(const struct qm_conn *c)
{
    unsigned char byte;
    ssize_t r;
    do
        r = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int qm_attach(struct qm_call *call, char *diag, size_t diag_len)
{
    struct qm_conn *stale = NULL;
    struct qm_conn *c = NULL;
    unsigned long gen;
    call->conn = NULL;
    call->oom = 0;
    for (;;) {
        pthread_mutex_lock(&g_lock);
        if (strcmp(g.pool_path, call->path) != 0)
            stale = retarget_pool_locked(call->path);
        c = g.idle;
        if (c != NULL) {
            g.idle = c->next_idle;
            g.n_idle--;
            c->next_idle = NULL;
        }
        gen = g.pool_gen;
        pthread_mutex_unlock(&g_lock);
        free_idle_list(stale);
        stale = NULL;
        if (c == NULL || still_open(c))
            break;
        pthread_mutex_lock(&g_lock);
        unlink_conn(c);
        pthread_mutex_unlock(&g_lock);
        free_conn(c);
    }
    if (c == NULL) {
        int rc;
        c = connect_new(call->path, gen, &rc, diag, diag_len);
        if (c == NULL)
            return rc;
    }
    call->conn = c;
    return 0;
}

void qm_end(struct qm_call *call)
{
    struct qm_conn *c = call->conn;
    if (c == NULL)
        return;
    call->conn = NULL;
    if (!c->broken && c->cap > BUF_KEEP) {
        unsigned char *smaller = realloc(c->buf, BUF_INITIAL);
        if (smaller != NULL) {
            c->buf = smaller;
            c->cap = BUF_INITIAL;
        }
    }
    pthread_mutex_lock(&g_lock);
    if (!c->broken && c->gen == g.pool_gen && g.n_idle < POOL_MAX) {
        c->next_idle = g.idle;
        g.idle = c;
        g.n_idle++;
        c = NULL;
    } else {
        unlink_conn(c);
    }
    pthread_mutex_unlock(&g_lock);
    if (c != NULL)
        free_conn(c);
}

/* ---- the session ------------------------------------------------------------------- */

int qm_session(struct qm_call *call, char *diag, size_t diag_len)
{
    call->conn = NULL;
    call->oom = 0;
    pthread_mutex_lock(&g_lock);
    int open = g.state == OPEN;
    if (open) {
        memcpy(call->token, g.token, sizeof call->token);
        memcpy(call->path, g.path, sizeof call->path);
    }
    pthread_mutex_unlock(&g_lock);
    if (!open)
        return qm_fail(DRMAA_ERRNO_NO_ACTIVE_SESSION, diag, diag_len, "No active session");
    return 0;
}

int qm_nosession(struct qm_call *call, char *diag, size_t diag_len)
{
    call->conn = NULL;
    call->oom = 0;
    call->token[0] = '\0';
    pthread_mutex_lock(&g_lock);
    int open = g.state == OPEN;
    if (open)
        memcpy(call->path, g.path, sizeof call->path);
    pthread_mutex_unlock(&g_lock);
    return open ? 0 : resolve_path(call->path, diag, diag_len);
}

static void reset_state(int state)
{
    pthread_mutex_lock(&g_lock);
    g.state = state;
    pthread_mutex_unlock(&g_lock);
}

int qm_session_init(const char *contact, char *diag, size_t diag_len)
{
    struct qm_call call;
    pthread_mutex_lock(&g_lock);
    int busy = g.state != NO_SESSION;
    if (!busy)
        g.state = OPENING;
    pthread_mutex_unlock(&g_lock);
    if (busy)
        return qm_fail(DRMAA_ERRNO_ALREADY_ACTIVE_SESSION, diag, diag_len,
                       "Initialization failed due to existing DRMAA session.");

    call.conn = NULL;
    call.oom = 0;
    call.token[0] = '\0';
    int rc = resolve_path(call.path, diag, diag_len);
    if (rc != 0) {
        reset_state(NO_SESSION);
        return rc;
    }
    /* A new session starts with a fresh pool: idle connections may be a former daemon's.
     * The anchor is a connection of its own, never pooled. */
    pthread_mutex_lock(&g_lock);
    struct qm_conn *stale = retarget_pool_locked(call.path);
    unsigned long gen = g.pool_gen;
    pthread_mutex_unlock(&g_lock);
    free_idle_list(stale);
    call.conn = connect_new(call.path, gen, &rc, diag, diag_len);
    if (call.conn == NULL) {
        reset_state(NO_SESSION);
        return rc;
    }

    qm_op(&call, "init");
    qm_put_str(&call, contact);
    qm_put_long(&call, (long)getpid());
    rc = qm_exec(&call, diag, diag_len);
    const char *token = NULL, *given = NULL;
    size_t token_len = 0, given_len = 0;
    char *copy = NULL;
    if (rc == 0) {
        if (!qm_next(&call, &token, &token_len) || token == NULL || token_len == 0 ||
            token_len >= QM_TOKEN_MAX || memchr(token, '\0', token_len) != NULL ||
            !qm_next(&call, &given, &given_len)) {
            rc = qm_malformed(&call, diag, diag_len);
        } else if ((copy = malloc(given_len + 1)) == NULL) {
            call.conn->broken = 1;  /* closing it ends the daemon's half-made session */
            rc = no_memory(diag, diag_len);
        } else {
            qm_copy(copy, given_len + 1, given, given_len);
        }
    }
    if (rc != 0) {
        qm_end(&call);
        reset_state(NO_SESSION);
        return rc;
    }
    pthread_mutex_lock(&g_lock);
    memcpy(g.token, token, token_len);
    g.token[token_len] = '\0';
    memcpy(g.path, call.path, sizeof g.path);
    g.contact = copy;
    g.anchor = call.conn;
    g.state = OPEN;
    pthread_mutex_unlock(&g_lock);
    return 0;
}

int qm_session_exit(char *diag, size_t diag_len)
{
    struct qm_call call;
    char *contact = NULL;
    pthread_mutex_lock(&g_lock);
    int open = g.state == OPEN;
    if (open) {
        call.conn = g.anchor;
        memcpy(call.token, g.token, sizeof call.token);
        memcpy(call.path, g.path, sizeof call.path);
        contact = g.contact;
        g.anchor = NULL;
        g.contact = NULL;
        g.token[0] = '\0';
        g.state = NO_SESSION;
    }
    pthread_mutex_unlock(&g_lock);
    if (!open)
        return qm_fail(DRMAA_ERRNO_NO_ACTIVE_SESSION, diag, diag_len, "");
    free(contact);
    call.oom = 0;
    qm_op(&call, "exit");
    qm_put_str(&call, call.token);
    int rc = qm_exec(&call, diag, diag_len);
    if (call.conn != NULL)
        call.conn->broken = 1;  /* the anchor goes with the session */
    qm_end(&call);
    return rc;
}

void qm_session_contact(char *buf, size_t len)
{
    pthread_mutex_lock(&g_lock);
    const char *contact = g.state == OPEN && g.contact != NULL ? g.contact : "";
    qm_copy(buf, len, contact, strlen(contact));
    pthread_mutex_unlock(&g_lock);
}

/* ---- fork() ------------------------------------------------------------------------
 * The child has no session: it closes its copies of every connection (the parent's stay
 * open, and the daemon is not told anything) and starts from nothing. */

static void before_fork(void)
{
    pthread_mutex_lock(&g_lock);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&g_lock);
}

static void after_fork_child(void)
{
    struct qm_conn *c = g.all;
    while (c != NULL) {
        struct qm_conn *next = c->next_all;
        free_conn(c);
        c = next;
    }
    g.all = NULL;
    g.idle = NULL;
    g.n_idle = 0;
    g.anchor = NULL;
    free(g.contact);
    g.contact = NULL;
    g.token[0] = '\0';
    g.pool_path[0] = '\0';
    g.pool_gen++;
    g.state = NO_SESSION;
    pthread_mutex_unlock(&g_lock);
}

__attribute__((constructor))
static void register_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* ---- framing ----------------------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int reserve(struct qm_call *call, size_t more)
{
    struct qm_conn *c = call->conn;
    if (call->oom)
        return -1;
    if (more > SIZE_MAX / 2 - c->len) {
        call->oom = 1;
        return -1;
    }
    size_t need = c->len + more;
    if (need <= c->cap)
        return 0;
    size_t cap = c->cap * 2;
    if (cap < need)
        cap = need;
    unsigned char *buf = realloc(c->buf, cap);
    if (buf == NULL) {
        call->oom = 1;
        return -1;
    }
    c->buf = buf;
    c->cap = cap;
    return 0;
}

static void put_field(struct qm_call *call, const char *data, size_t len, int is_null)
{
    if (!is_null && len >= NULL_FIELD) {  /* cannot be framed; the size check refuses it */
        call->oom = 1;
        return;
    }
    if (reserve(call, 4 + (is_null ? 0 : len)) != 0)
        return;
    struct qm_conn *c = call->conn;
    put_u32(c->buf + c->len, is_null ? NULL_FIELD : (uint32_t)len);
    c->len += 4;
    if (!is_null && len) {
        memcpy(c->buf + c->len, data, len);
        c->len += len;
    }
}

void qm_op(struct qm_call *call, const char *operation)
{
    call->conn->len = 4;  /* room for the frame's length */
    qm_put_str(call, operation);
}

void qm_put_str(struct qm_call *call, const char *s)
{
    if (s == NULL)
        put_field(call, NULL, 0, 1);
    else
        put_field(call, s, strlen(s), 0);
}

void qm_put_long(struct qm_call *call, long value)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%ld", value);
    put_field(call, text, (size_t)n, 0);
}

static int send_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int lost(struct qm_call *call, char *diag, size_t diag_len)
{
    call->conn->broken = 1;
    return failf(DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE, diag, diag_len,
                 "lost the connection to the simulated qmaster at %s", call->path);
}

int qm_malformed(struct qm_call *call, char *diag, size_t diag_len)
{
    if (call->conn != NULL)
        call->conn->broken = 1;
    return failf(DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE, diag, diag_len,
                 "the simulated qmaster at %s sent a reply this library cannot read",
                 call->path);
}

/* Every field of the payload lies within it. */
static int well_formed(const unsigned char *p, const unsigned char *end)
{
    while (p < end) {
        if ((size_t)(end - p) < 4)
            return 0;
        uint32_t len = get_u32(p);
        p += 4;
        if (len == NULL_FIELD)
            continue;
        if (len > (size_t)(end - p))
            return 0;
        p += len;
    }
    return 1;
}

int qm_next(struct qm_call *call, const char **data, size_t *len)
{
    if (call->rp >= call->rend)
        return 0;
    uint32_t n = get_u32(call->rp);
    call->rp += 4;
    if (n == NULL_FIELD) {
        *data = NULL;
        *len = 0;
    } else {
        *data = (const char *)call->rp;
        *len = n;
        call->rp += n;
    }
    return 1;
}

int qm_exec(struct qm_call *call, char *diag, size_t diag_len)
{
    struct qm_conn *c = call->conn;
    if (call->oom)
        return no_memory(diag, diag_len);
    size_t payload = c->len - 4;
    if (payload > MAX_PAYLOAD)
        return qm_fail(DRMAA_ERRNO_INVALID_ARGUMENT, diag, diag_len,
                       "the arguments are too large for the simulated qmaster "
                       "(16 MiB per request at most)");
    put_u32(c->buf, (uint32_t)payload);
    if (send_all(c->fd, c->buf, c->len) != 0)
        return lost(call, diag, diag_len);

    size_t have = 0, need = 4;
    int header_read = 0;
    while (have < need) {
        ssize_t r = recv(c->fd, c->buf + have, c->cap - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return lost(call, diag, diag_len);
        have += (size_t)r;
        if (!header_read && have >= 4) {
            header_read = 1;
            uint32_t len = get_u32(c->buf);
            if (len > MAX_PAYLOAD) {
                c->broken = 1;
                return failf(DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE, diag, diag_len,
                             "the simulated qmaster at %s sent a frame of %lu bytes, over "
                             "the protocol's limit of 16 MiB",
                             call->path, (unsigned long)len);
            }
            need = 4 + (size_t)len;
            if (need > c->cap) {
                unsigned char *buf = realloc(c->buf, need);
                if (buf == NULL) {
                    c->broken = 1;  /* the rest of the reply is still on its way */
                    return no_memory(diag, diag_len);
                }
                c->buf = buf;
                c->cap = need;
            }
        }
    }
    /* One request, one reply: anything past it means the two sides are out of step. */
    if (have != need || !well_formed(c->buf + 4, c->buf + need))
        return qm_malformed(call, diag, diag_len);
    call->rp = c->buf + 4;
    call->rend = c->buf + need;

    const char *code_text, *message;
    size_t code_len, message_len;
    if (!qm_next(call, &code_text, &code_len) || code_text == NULL || code_len == 0 ||
        code_len > 4 || !qm_next(call, &message, &message_len))
        return qm_malformed(call, diag, diag_len);
    int code = 0;
    for (size_t i = 0; i < code_len; i++) {
        if (code_text[i] < '0' || code_text[i] > '9')
            return qm_malformed(call, diag, diag_len);
        code = code * 10 + (code_text[i] - '0');
    }
    if (code != 0)
        qm_copy(diag, diag_len, message, message_len);
    return code;
}
