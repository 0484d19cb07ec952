/*
 * wire.h: internal to libdrmaa.so. The process's link to the simulated qmaster: its
 * session (token, contact, anchor connection), a pool of idle connections, and the
 * framing of docs/qmaster-protocol.md. Nothing here is exported.
 */
#ifndef DRMAA_TESTKIT_WIRE_H
#define DRMAA_TESTKIT_WIRE_H

#include <stddef.h>
#include <sys/un.h>

/* Longest session token accepted from the daemon, NUL included. */
#define QM_TOKEN_MAX 256
/* Longest socket path, NUL included (what sockaddr_un holds). */
#define QM_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

struct qm_conn;

/*
 * One request/reply exchange, on the caller's stack. qm_session() (or qm_nosession())
 * fills token and path; qm_attach() checks a connection out; qm_op() and the qm_put_*
 * functions build the request; qm_exec() sends it and reads the reply; qm_next() walks
 * the reply's results; qm_end() gives the connection back.
 */
struct qm_call {
    struct qm_conn *conn;
    int oom;                    /* building the request ran out of memory */
    char token[QM_TOKEN_MAX];   /* the session's token ("" outside a session) */
    char path[QM_PATH_MAX];     /* the daemon's socket */
    const unsigned char *rp;    /* next unread byte of the reply's results */
    const unsigned char *rend;  /* end of the reply */
};

/* Copy a message into a caller's error buffer (when there is one); returns code. */
int qm_fail(int code, char *diag, size_t diag_len, const char *message);
/* Copy src (n bytes, cut at the first NUL) into dst of dst_len bytes, NUL-terminated. */
void qm_copy(char *dst, size_t dst_len, const char *src, size_t n);

/* Session state (per process). */
int qm_session_init(const char *contact, char *diag, size_t diag_len);
int qm_session_exit(char *diag, size_t diag_len);
void qm_session_contact(char *buf, size_t len);

/* Fill call->token and call->path from the open session; code 5 without one. A NULL
 * diag leaves the message out. */
int qm_session(struct qm_call *call, char *diag, size_t diag_len);
/* Fill call->path for an operation that needs no session (the session's daemon when
 * one is open, else the configured socket); call->token is "". */
int qm_nosession(struct qm_call *call, char *diag, size_t diag_len);
/* Check out a connection to call->path. */
int qm_attach(struct qm_call *call, char *diag, size_t diag_len);

void qm_op(struct qm_call *call, const char *operation);
void qm_put_str(struct qm_call *call, const char *s); /* NULL becomes the NULL field */
void qm_put_long(struct qm_call *call, long value);

/* Send the request and read the reply. Returns the reply's code, its message copied
 * into diag when non-zero; code 2 when the connection fails, 6 when out of memory. */
int qm_exec(struct qm_call *call, char *diag, size_t diag_len);
/* The next result field: 1 and (*data, *len) (data NULL for a NULL field), 0 at the end. */
int qm_next(struct qm_call *call, const char **data, size_t *len);
/* A reply that does not have the shape the operation promises: code 2, and the
 * connection is dropped instead of pooled. */
int qm_malformed(struct qm_call *call, char *diag, size_t diag_len);
/* Give the connection back (or close it if it broke). Safe to call more than once. */
void qm_end(struct qm_call *call);

#endif /* DRMAA_TESTKIT_WIRE_H */
