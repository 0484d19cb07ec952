/*
 * libdrmaa.c: the DRMAA 1.0 C API of drmaa-testkit's libdrmaa.so.1.0.
 *
 * Each call checks only what needs no daemon (pointers it must write through, whether
 * a session is open) and forwards the rest, as given, to the simulated qmaster, which
 * answers with Grid Engine 8.1.9's codes and messages (docs/qmaster-protocol.md).
 * Decoding drmaa_wait()'s stat, the string lists and the fixed answers (version, DRM
 * system, error texts) are local.
 *
 * The library is built with -fvisibility=hidden; the declarations of drmaa.h are made
 * default-visibility here, so exactly the API is exported.
 */
#define _GNU_SOURCE

#pragma GCC visibility push(default)
#include "drmaa.h"
#pragma GCC visibility pop

#include <limits.h>
#include <pthread.h>
#include <search.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"

extern char **environ;

#define DRM_SYSTEM "SGE 8.1.9"
#define IMPLEMENTATION "SGE 8.1.9"

static int invalid(char *diag, size_t diag_len)
{
    return qm_fail(DRMAA_ERRNO_INVALID_ARGUMENT, diag, diag_len,
                   "The input value for an argument is invalid.");
}

static void copy_str(char *dst, size_t dst_len, const char *src)
{
    qm_copy(dst, dst_len, src, src == NULL ? 0 : strlen(src));
}

/* A session-scoped call: the session's token and a connection. */
static int begin(struct qm_call *call, char *diag, size_t diag_len)
{
    int rc = qm_session(call, diag, diag_len);
    return rc != 0 ? rc : qm_attach(call, diag, diag_len);
}

/* ---- string lists ------------------------------------------------------------------
 * One allocation holds the list, its pointer array and the strings. The three public
 * list types share this layout. */

struct strlist {
    size_t count;
    size_t next;
    char **items;
};

struct drmaa_attr_names_s { struct strlist list; };
struct drmaa_attr_values_s { struct strlist list; };
struct drmaa_job_ids_s { struct strlist list; };

/* The reply's remaining results as a list; NULL fields become "". */
static int list_from_reply(struct qm_call *call, void **out, char *diag, size_t diag_len)
{
    const unsigned char *start = call->rp;
    const char *data;
    size_t len, count = 0, bytes = 0;
    while (qm_next(call, &data, &len)) {
        count++;
        bytes += len + 1;
    }
    call->rp = start;
    unsigned char *block = malloc(sizeof(struct strlist) + count * sizeof(char *) + bytes);
    if (block == NULL)
        return qm_fail(DRMAA_ERRNO_NO_MEMORY, diag, diag_len, "out of memory");
    struct strlist *list = (struct strlist *)(void *)block;
    list->count = count;
    list->next = 0;
    list->items = (char **)(void *)(block + sizeof(struct strlist));
    char *text = (char *)(list->items + count);
    for (size_t i = 0; qm_next(call, &data, &len); i++) {
        list->items[i] = text;
        if (len)
            memcpy(text, data, len);
        text[len] = '\0';
        text += len + 1;
    }
    *out = block;
    return DRMAA_ERRNO_SUCCESS;
}

static int list_next(struct strlist *list, char *value, size_t value_len)
{
    if (list == NULL || value == NULL)
        return DRMAA_ERRNO_INVALID_ARGUMENT;
    if (list->next >= list->count)
        return DRMAA_ERRNO_NO_MORE_ELEMENTS;
    copy_str(value, value_len, list->items[list->next++]);
    return DRMAA_ERRNO_SUCCESS;
}

static int list_size(const struct strlist *list, int *size)
{
    if (list == NULL || size == NULL)
        return DRMAA_ERRNO_INVALID_ARGUMENT;
    *size = list->count > INT_MAX ? INT_MAX : (int)list->count;
    return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_next_attr_name(drmaa_attr_names_t *values, char *value, size_t value_len)
{
    return list_next(values ? &values->list : NULL, value, value_len);
}

int drmaa_get_next_attr_value(drmaa_attr_values_t *values, char *value, size_t value_len)
{
    return list_next(values ? &values->list : NULL, value, value_len);
}

int drmaa_get_next_job_id(drmaa_job_ids_t *values, char *value, size_t value_len)
{
    return list_next(values ? &values->list : NULL, value, value_len);
}

int drmaa_get_num_attr_names(drmaa_attr_names_t *values, int *size)
{
    return list_size(values ? &values->list : NULL, size);
}

int drmaa_get_num_attr_values(drmaa_attr_values_t *values, int *size)
{
    return list_size(values ? &values->list : NULL, size);
}

int drmaa_get_num_job_ids(drmaa_job_ids_t *values, int *size)
{
    return list_size(values ? &values->list : NULL, size);
}

void drmaa_release_attr_names(drmaa_attr_names_t *values)
{
    free(values);
}

void drmaa_release_attr_values(drmaa_attr_values_t *values)
{
    free(values);
}

void drmaa_release_job_ids(drmaa_job_ids_t *values)
{
    free(values);
}

/* ---- sessions ---------------------------------------------------------------------- */

int drmaa_init(const char *contact, char *error_diagnosis, size_t error_diag_len)
{
    return qm_session_init(contact, error_diagnosis, error_diag_len);
}

int drmaa_exit(char *error_diagnosis, size_t error_diag_len)
{
    return qm_session_exit(error_diagnosis, error_diag_len);
}

/* ---- job templates ------------------------------------------------------------------
 * A template lives in the daemon, which keeps it for this process (as Grid Engine's library
 * keeps templates: they outlive the session they were made in); here it is the daemon's
 * template id. */

#define TEMPLATE_ID_MAX 32

struct drmaa_job_template_s {
    char id[TEMPLATE_ID_MAX];
};

/* The templates this process holds, by address: Grid Engine's library survives a second
 * drmaa_delete_job_template of one template (measured), so a delete of a template that is
 * not live touches nothing, and other calls on one refuse it instead of reading freed
 * memory. */
static pthread_mutex_t g_templates_lock = PTHREAD_MUTEX_INITIALIZER;
static void *g_templates; /* a tsearch(3) tree of live template pointers */

static int compare_pointers(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return (x > y) - (x < y);
}

static int template_is_live(const drmaa_job_template_t *jt)
{
    pthread_mutex_lock(&g_templates_lock);
    int live = tfind(jt, &g_templates, compare_pointers) != NULL;
    pthread_mutex_unlock(&g_templates_lock);
    return live;
}

/* Refuse a template that was deleted (or never allocated here): ``code`` 14 for reads,
 * as Grid Engine answers them; 4 for writes and submissions, where its library crashes. */
static int dead_template(int code, char *diag, size_t diag_len)
{
    if (code == DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE)
        return qm_fail(code, diag, diag_len, "The value for the job attribute is invalid.");
    return qm_fail(code, diag, diag_len,
                   "the job template was deleted (libdrmaa would crash here)");
}

/* A template belongs to this process, not to a session: it is named to the daemon with
 * the session open now (which must be one of this process's) and its id. */
static void put_template(struct qm_call *call, const drmaa_job_template_t *jt)
{
    qm_put_str(call, call->token);
    qm_put_str(call, jt->id);
}

int drmaa_allocate_job_template(drmaa_job_template_t **jt, char *error_diagnosis,
                                size_t error_diag_len)
{
    if (jt == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *jt = NULL;
    struct qm_call call;
    int rc = qm_session(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    drmaa_job_template_t *made = malloc(sizeof *made);
    if (made == NULL)
        return qm_fail(DRMAA_ERRNO_NO_MEMORY, error_diagnosis, error_diag_len,
                       "out of memory");
    rc = qm_attach(&call, error_diagnosis, error_diag_len);
    if (rc == 0) {
        qm_op(&call, "jt.new");
        qm_put_str(&call, call.token);
        rc = qm_exec(&call, error_diagnosis, error_diag_len);
    }
    if (rc == 0) {
        const char *id;
        size_t len;
        if (!qm_next(&call, &id, &len) || id == NULL || len == 0 || len >= TEMPLATE_ID_MAX ||
            memchr(id, '\0', len) != NULL) {
            rc = qm_malformed(&call, error_diagnosis, error_diag_len);
        } else {
            memcpy(made->id, id, len);
            made->id[len] = '\0';
            pthread_mutex_lock(&g_templates_lock);
            int stored = tsearch(made, &g_templates, compare_pointers) != NULL;
            pthread_mutex_unlock(&g_templates_lock);
            if (stored) {
                *jt = made;
                made = NULL;
            } else {
                rc = qm_fail(DRMAA_ERRNO_NO_MEMORY, error_diagnosis, error_diag_len,
                             "out of memory");
            }
        }
    }
    qm_end(&call);
    free(made);
    return rc;
}

int drmaa_delete_job_template(drmaa_job_template_t *jt, char *error_diagnosis,
                              size_t error_diag_len)
{
    if (jt == NULL)
        return invalid(error_diagnosis, error_diag_len);
    pthread_mutex_lock(&g_templates_lock);
    int live = tdelete(jt, &g_templates, compare_pointers) != NULL;
    pthread_mutex_unlock(&g_templates_lock);
    if (!live)
        return DRMAA_ERRNO_SUCCESS; /* deleted already: nothing to do (measured) */
    struct qm_call call;
    int rc = DRMAA_ERRNO_SUCCESS;
    /* Without a session (after exit, in a forked child) the daemon is not told: its copy
     * goes when this process does. */
    if (qm_session(&call, NULL, 0) == 0) {
        rc = qm_attach(&call, error_diagnosis, error_diag_len);
        if (rc == 0) {
            qm_op(&call, "jt.delete");
            put_template(&call, jt);
            rc = qm_exec(&call, error_diagnosis, error_diag_len);
        }
        qm_end(&call);
    }
    free(jt);
    return rc;
}

int drmaa_set_attribute(drmaa_job_template_t *jt, const char *name, const char *value,
                        char *error_diagnosis, size_t error_diag_len)
{
    if (jt == NULL || name == NULL)
        return invalid(error_diagnosis, error_diag_len);
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    if (!template_is_live(jt)) {
        qm_end(&call);
        return dead_template(DRMAA_ERRNO_INVALID_ARGUMENT, error_diagnosis, error_diag_len);
    }
    qm_op(&call, "jt.set");
    put_template(&call, jt);
    qm_put_str(&call, name);
    qm_put_str(&call, value);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    qm_end(&call);
    return rc;
}

int drmaa_get_attribute(drmaa_job_template_t *jt, const char *name, char *value,
                        size_t value_len, char *error_diagnosis, size_t error_diag_len)
{
    if (jt == NULL || name == NULL || value == NULL)
        return invalid(error_diagnosis, error_diag_len);
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    if (!template_is_live(jt)) {
        qm_end(&call);
        return dead_template(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, error_diagnosis, error_diag_len);
    }
    qm_op(&call, "jt.get");
    put_template(&call, jt);
    qm_put_str(&call, name);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    if (rc == 0) {
        const char *data;
        size_t len;
        if (qm_next(&call, &data, &len))
            qm_copy(value, value_len, data, len);
        else
            rc = qm_malformed(&call, error_diagnosis, error_diag_len);
    }
    qm_end(&call);
    return rc;
}

int drmaa_set_vector_attribute(drmaa_job_template_t *jt, const char *name,
                               const char *value[], char *error_diagnosis,
                               size_t error_diag_len)
{
    if (jt == NULL || name == NULL || value == NULL)
        return invalid(error_diagnosis, error_diag_len);
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    if (!template_is_live(jt)) {
        qm_end(&call);
        return dead_template(DRMAA_ERRNO_INVALID_ARGUMENT, error_diagnosis, error_diag_len);
    }
    qm_op(&call, "jt.set_vector");
    put_template(&call, jt);
    qm_put_str(&call, name);
    for (size_t i = 0; value[i] != NULL; i++)
        qm_put_str(&call, value[i]);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    qm_end(&call);
    return rc;
}

int drmaa_get_vector_attribute(drmaa_job_template_t *jt, const char *name,
                               drmaa_attr_values_t **values, char *error_diagnosis,
                               size_t error_diag_len)
{
    if (jt == NULL || name == NULL || values == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *values = NULL;
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    if (!template_is_live(jt)) {
        qm_end(&call);
        return dead_template(DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, error_diagnosis, error_diag_len);
    }
    qm_op(&call, "jt.get_vector");
    put_template(&call, jt);
    qm_put_str(&call, name);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    if (rc == 0) {
        void *list;
        rc = list_from_reply(&call, &list, error_diagnosis, error_diag_len);
        if (rc == 0)
            *values = list;
    }
    qm_end(&call);
    return rc;
}

/* attr_names and vector_attr_names need no session. */
static int attribute_names(const char *operation, drmaa_attr_names_t **values,
                           char *error_diagnosis, size_t error_diag_len)
{
    if (values == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *values = NULL;
    struct qm_call call;
    int rc = qm_nosession(&call, error_diagnosis, error_diag_len);
    if (rc == 0)
        rc = qm_attach(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    qm_op(&call, operation);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    if (rc == 0) {
        void *list;
        rc = list_from_reply(&call, &list, error_diagnosis, error_diag_len);
        if (rc == 0)
            *values = list;
    }
    qm_end(&call);
    return rc;
}

int drmaa_get_attribute_names(drmaa_attr_names_t **values, char *error_diagnosis,
                              size_t error_diag_len)
{
    return attribute_names("attr_names", values, error_diagnosis, error_diag_len);
}

int drmaa_get_vector_attribute_names(drmaa_attr_names_t **values, char *error_diagnosis,
                                     size_t error_diag_len)
{
    return attribute_names("vector_attr_names", values, error_diagnosis, error_diag_len);
}

/* ---- submission -------------------------------------------------------------------- */

/* What Grid Engine records of the submitter: the working directory (a NULL field when
 * it cannot be had) and the whole environment. */
static void put_submitter(struct qm_call *call)
{
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) != NULL) {
        qm_put_str(call, cwd);
    } else {
        char *long_cwd = getcwd(NULL, 0);  /* longer than PATH_MAX, or gone */
        qm_put_str(call, long_cwd);
        free(long_cwd);
    }
    for (char **entry = environ; entry != NULL && *entry != NULL; entry++)
        qm_put_str(call, *entry);
}

int drmaa_run_job(char *job_id, size_t job_id_len, const drmaa_job_template_t *jt,
                  char *error_diagnosis, size_t error_diag_len)
{
    if (job_id == NULL || jt == NULL)
        return invalid(error_diagnosis, error_diag_len);
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    if (!template_is_live(jt)) {
        qm_end(&call);
        return dead_template(DRMAA_ERRNO_INVALID_ARGUMENT, error_diagnosis, error_diag_len);
    }
    qm_op(&call, "run");
    put_template(&call, jt);
    put_submitter(&call);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    if (rc == 0) {
        const char *data;
        size_t len;
        if (qm_next(&call, &data, &len) && data != NULL)
            qm_copy(job_id, job_id_len, data, len);
        else
            rc = qm_malformed(&call, error_diagnosis, error_diag_len);
    }
    qm_end(&call);
    return rc;
}

int drmaa_run_bulk_jobs(drmaa_job_ids_t **jobids, const drmaa_job_template_t *jt,
                        unsigned start, unsigned end, int incr, char *error_diagnosis,
                        size_t error_diag_len)
{
    if (jobids == NULL || jt == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *jobids = NULL;
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    if (!template_is_live(jt)) {
        qm_end(&call);
        return dead_template(DRMAA_ERRNO_INVALID_ARGUMENT, error_diagnosis, error_diag_len);
    }
    qm_op(&call, "run_bulk");
    put_template(&call, jt);
    /* the bounds as the C ints the caller passed: the daemon refuses negative ones */
    qm_put_long(&call, (long)(int)start);
    qm_put_long(&call, (long)(int)end);
    qm_put_long(&call, (long)incr);
    put_submitter(&call);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    if (rc == 0) {
        void *list;
        rc = list_from_reply(&call, &list, error_diagnosis, error_diag_len);
        if (rc == 0)
            *jobids = list;
    }
    qm_end(&call);
    return rc;
}

/* ---- control and monitoring -------------------------------------------------------- */

/* A decimal result field as an int. */
static int int_field(struct qm_call *call, int *out)
{
    const char *data;
    size_t len;
    if (!qm_next(call, &data, &len) || data == NULL || len == 0 || len > 11)
        return -1;
    size_t i = 0;
    int negative = data[0] == '-';
    if (negative && len == 1)
        return -1;
    long value = 0;
    for (i = negative ? 1 : 0; i < len; i++) {
        if (data[i] < '0' || data[i] > '9')
            return -1;
        value = value * 10 + (data[i] - '0');
    }
    if (negative)
        value = -value;
    if (value < INT_MIN || value > INT_MAX)
        return -1;
    *out = (int)value;
    return 0;
}

int drmaa_control(const char *jobid, int action, char *error_diagnosis,
                  size_t error_diag_len)
{
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    qm_op(&call, "control");
    qm_put_str(&call, call.token);
    qm_put_str(&call, jobid);
    qm_put_long(&call, (long)action);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    qm_end(&call);
    return rc;
}

int drmaa_synchronize(const char *job_ids[], signed long timeout, int dispose,
                      char *error_diagnosis, size_t error_diag_len)
{
    if (job_ids == NULL)
        return invalid(error_diagnosis, error_diag_len);
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    qm_op(&call, "sync");
    qm_put_str(&call, call.token);
    qm_put_long(&call, timeout);
    qm_put_long(&call, dispose ? 1 : 0);
    for (size_t i = 0; job_ids[i] != NULL; i++)
        qm_put_str(&call, job_ids[i]);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    qm_end(&call);
    return rc;
}

int drmaa_wait(const char *job_id, char *job_id_out, size_t job_id_out_len, int *stat,
               signed long timeout, drmaa_attr_values_t **rusage, char *error_diagnosis,
               size_t error_diag_len)
{
    if (rusage != NULL)
        *rusage = NULL;
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    qm_op(&call, "wait");
    qm_put_str(&call, call.token);
    qm_put_str(&call, job_id);
    qm_put_long(&call, timeout);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    if (rc == 0) {
        const char *done;
        size_t done_len;
        int status;
        if (!qm_next(&call, &done, &done_len) || done == NULL || int_field(&call, &status)) {
            rc = qm_malformed(&call, error_diagnosis, error_diag_len);
        } else {
            void *list = NULL;
            if (rusage != NULL)
                rc = list_from_reply(&call, &list, error_diagnosis, error_diag_len);
            if (rc == 0) {
                qm_copy(job_id_out, job_id_out_len, done, done_len);
                if (stat != NULL)
                    *stat = status;
                if (rusage != NULL)
                    *rusage = list;
            }
        }
    }
    qm_end(&call);
    return rc;
}

int drmaa_job_ps(const char *job_id, int *remote_ps, char *error_diagnosis,
                 size_t error_diag_len)
{
    if (remote_ps == NULL)
        return invalid(error_diagnosis, error_diag_len);
    struct qm_call call;
    int rc = begin(&call, error_diagnosis, error_diag_len);
    if (rc != 0)
        return rc;
    qm_op(&call, "job_ps");
    qm_put_str(&call, call.token);
    qm_put_str(&call, job_id);
    rc = qm_exec(&call, error_diagnosis, error_diag_len);
    if (rc == 0) {
        int state;
        if (int_field(&call, &state) != 0)
            rc = qm_malformed(&call, error_diagnosis, error_diag_len);
        else
            *remote_ps = state;
    }
    qm_end(&call);
    return rc;
}

/* ---- decoding stat ------------------------------------------------------------------
 * bit 0 exited, 1 signaled, 2 core dumped, 3 aborted; bits 4-11 the exit status;
 * bits 12-19 the signal number. */

#define STAT_BIT(stat, n) ((int)(((unsigned)(stat) >> (n)) & 1u))

int drmaa_wifexited(int *exited, int stat, char *error_diagnosis, size_t error_diag_len)
{
    if (exited == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *exited = STAT_BIT(stat, 0);
    return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wifsignaled(int *signaled, int stat, char *error_diagnosis, size_t error_diag_len)
{
    if (signaled == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *signaled = STAT_BIT(stat, 1);
    return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wcoredump(int *core_dumped, int stat, char *error_diagnosis,
                    size_t error_diag_len)
{
    if (core_dumped == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *core_dumped = STAT_BIT(stat, 2);
    return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wifaborted(int *aborted, int stat, char *error_diagnosis, size_t error_diag_len)
{
    if (aborted == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *aborted = STAT_BIT(stat, 3);
    return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wexitstatus(int *exit_status, int stat, char *error_diagnosis,
                      size_t error_diag_len)
{
    if (exit_status == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *exit_status = (int)(((unsigned)stat >> 4) & 0xFFu);
    return DRMAA_ERRNO_SUCCESS;
}

/* The signals Grid Engine has names for; any other is "SIGunknown signal". */
static const struct {
    int number;
    const char *name;
} known_signals[] = {
    {SIGHUP, "SIGHUP"},     {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"},
    {SIGILL, "SIGILL"},     {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"},
    {SIGFPE, "SIGFPE"},     {SIGKILL, "SIGKILL"},     {SIGBUS, "SIGBUS"},
    {SIGSEGV, "SIGSEGV"},   {SIGPIPE, "SIGPIPE"},     {SIGALRM, "SIGALRM"},
    {SIGTERM, "SIGTERM"},   {SIGURG, "SIGURG"},       {SIGSTOP, "SIGSTOP"},
    {SIGTSTP, "SIGTSTP"},   {SIGCONT, "SIGCONT"},     {SIGCHLD, "SIGCHLD"},
    {SIGTTIN, "SIGTTIN"},   {SIGTTOU, "SIGTTOU"},     {SIGIO, "SIGIO"},
    {SIGXCPU, "SIGXCPU"},   {SIGXFSZ, "SIGXFSZ"},     {SIGUSR1, "SIGUSR1"},
    {SIGUSR2, "SIGUSR2"},   {SIGWINCH, "SIGWINCH"},
};

int drmaa_wtermsig(char *signal, size_t signal_len, int stat, char *error_diagnosis,
                   size_t error_diag_len)
{
    if (signal == NULL)
        return invalid(error_diagnosis, error_diag_len);
    int number = (int)(((unsigned)stat >> 12) & 0xFFu);
    const char *name = number == 0 ? "" : "SIGunknown signal";
    for (size_t i = 0; number != 0 && i < sizeof known_signals / sizeof *known_signals; i++) {
        if (known_signals[i].number == number) {
            name = known_signals[i].name;
            break;
        }
    }
    copy_str(signal, signal_len, name);
    return DRMAA_ERRNO_SUCCESS;
}

/* ---- information ------------------------------------------------------------------- */

/* The texts Grid Engine 8.1.9's drmaa_strerror returns, as measured by
 * conformance/native/drmaa_driver.c (conformance/native/drmaa_driver.expected). */
static const char *const error_texts[] = {
    [DRMAA_ERRNO_SUCCESS] = "Routine returned normally with success.",
    [DRMAA_ERRNO_INTERNAL_ERROR] =
        "Unexpected or internal DRMAA error like memory allocation, system call failure, etc.",
    [DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE] = "Could not contact DRM system",
    [DRMAA_ERRNO_AUTH_FAILURE] =
        "The specified request is not processed successfully due to authorization failure.",
    [DRMAA_ERRNO_INVALID_ARGUMENT] = "The input value for an argument is invalid.",
    [DRMAA_ERRNO_NO_ACTIVE_SESSION] = "No active session",
    [DRMAA_ERRNO_NO_MEMORY] = "failed allocating memory",
    [DRMAA_ERRNO_INVALID_CONTACT_STRING] = "Initialization failed due to invalid contact string.",
    [DRMAA_ERRNO_DEFAULT_CONTACT_STRING_ERROR] =
        "DRMAA could not use the default contact string to connect to DRM system.",
    [DRMAA_ERRNO_NO_DEFAULT_CONTACT_STRING_SELECTED] =
        "No default contact string was provided or selected.",
    [DRMAA_ERRNO_DRMS_INIT_FAILED] = "Initialization failed due to failure to init DRM system.",
    [DRMAA_ERRNO_ALREADY_ACTIVE_SESSION] = "Initialization failed due to existing DRMAA session.",
    [DRMAA_ERRNO_DRMS_EXIT_ERROR] = "DRM system disengagement failed.",
    [DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT] = "The format for the job attribute value is invalid.",
    [DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE] = "The value for the job attribute is invalid.",
    [DRMAA_ERRNO_CONFLICTING_ATTRIBUTE_VALUES] =
        "The value of this attribute is conflicting with a previously set attributes.",
    [DRMAA_ERRNO_TRY_LATER] =
        "Could not pass job now to DRM system. A retry may succeed however (saturation).",
    [DRMAA_ERRNO_DENIED_BY_DRM] =
        "The DRM system rejected the job. The job will never be accepted due "
        "to DRM configuration or job template settings.",
    [DRMAA_ERRNO_INVALID_JOB] = "The job specified by the 'jobid' does not exist.",
    [DRMAA_ERRNO_RESUME_INCONSISTENT_STATE] =
        "The job has not been suspended. The RESUME request will not be processed.",
    [DRMAA_ERRNO_SUSPEND_INCONSISTENT_STATE] =
        "The job has not been running, and it cannot be suspended.",
    [DRMAA_ERRNO_HOLD_INCONSISTENT_STATE] = "The job cannot be moved to a HOLD state.",
    [DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE] = "The job is not in a HOLD state.",
    [DRMAA_ERRNO_EXIT_TIMEOUT] = "time-out condition",
    [DRMAA_ERRNO_NO_RUSAGE] = "no usage information was returned for the completed job",
    [DRMAA_ERRNO_NO_MORE_ELEMENTS] = "no more elements are contained in the opaque string vector",
};

const char *drmaa_strerror(int drmaa_errno)
{
    if (drmaa_errno < 0 || drmaa_errno >= DRMAA_NO_ERRNO)
        return NULL; /* as Grid Engine's */
    return error_texts[drmaa_errno];
}

int drmaa_get_contact(char *contact, size_t contact_len, char *error_diagnosis,
                      size_t error_diag_len)
{
    if (contact == NULL)
        return invalid(error_diagnosis, error_diag_len);
    qm_session_contact(contact, contact_len);
    return DRMAA_ERRNO_SUCCESS;
}

int drmaa_version(unsigned int *major, unsigned int *minor, char *error_diagnosis,
                  size_t error_diag_len)
{
    if (major == NULL || minor == NULL)
        return invalid(error_diagnosis, error_diag_len);
    *major = 1;
    *minor = 0;
    return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_DRM_system(char *drm_system, size_t drm_system_len, char *error_diagnosis,
                         size_t error_diag_len)
{
    if (drm_system == NULL)
        return invalid(error_diagnosis, error_diag_len);
    copy_str(drm_system, drm_system_len, DRM_SYSTEM);
    return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_DRMAA_implementation(char *drmaa_impl, size_t drmaa_impl_len,
                                   char *error_diagnosis, size_t error_diag_len)
{
    if (drmaa_impl == NULL)
        return invalid(error_diagnosis, error_diag_len);
    copy_str(drmaa_impl, drmaa_impl_len, IMPLEMENTATION);
    return DRMAA_ERRNO_SUCCESS;
}
