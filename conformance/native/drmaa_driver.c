/*
 * drmaa_driver.c: a C-level conformance check of a DRMAA 1.0 libdrmaa.so.1.0.
 *
 *     drmaa_driver /path/to/libdrmaa.so.1.0
 *
 * The library is opened with dlopen() and every DRMAA function is looked up with dlsym(),
 * so one binary runs against Grid Engine's library and against drmaa-testkit's. It runs a
 * fixed sequence of calls and prints one line per step:
 *
 *     step-name: rc=<code> <what it got>
 *
 * Whatever differs between runs or cells is normalised: job ids become J1, J2... in order
 * of appearance (a bulk task J3.1), the contact is shape-checked, usage is printed as its
 * sorted key list plus a few stable values, user names in diagnoses become <user>. The
 * output of Grid Engine 8.1.9's library is conformance/native/drmaa_driver.expected; see
 * README.md beside this file.
 *
 * The declarations below follow the DRMAA 1.0 C binding (OGF GFD.133); they are written
 * here rather than taken from any implementation's header so that the driver depends on
 * the ABI only.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <dlfcn.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the DRMAA 1.0 C binding (GFD.133), as this driver uses it ---------------------- */

/* Opaque handles: the driver only passes the library's pointers back to it. */
typedef struct drv_job_template drv_job_template;
typedef struct drv_attr_names drv_attr_names;
typedef struct drv_attr_values drv_attr_values;
typedef struct drv_job_ids drv_job_ids;

enum {
    RC_SUCCESS = 0,
    RC_NO_MORE_ELEMENTS = 25,
};

enum { TIMEOUT_NO_WAIT = 0 };

enum { CTL_SUSPEND = 0, CTL_RESUME = 1, CTL_HOLD = 2, CTL_RELEASE = 3, CTL_TERMINATE = 4 };

static const char SESSION_ANY[] = "DRMAA_JOB_IDS_SESSION_ANY";
static const char SESSION_ALL[] = "DRMAA_JOB_IDS_SESSION_ALL";

#define DIAG_LEN 1024
#define VALUE_LEN 1024

static struct {
    int (*get_next_attr_name)(drv_attr_names *, char *, size_t);
    int (*get_next_attr_value)(drv_attr_values *, char *, size_t);
    int (*get_next_job_id)(drv_job_ids *, char *, size_t);
    int (*get_num_attr_names)(drv_attr_names *, int *);
    int (*get_num_attr_values)(drv_attr_values *, int *);
    int (*get_num_job_ids)(drv_job_ids *, int *);
    void (*release_attr_names)(drv_attr_names *);
    void (*release_attr_values)(drv_attr_values *);
    void (*release_job_ids)(drv_job_ids *);
    int (*init)(const char *, char *, size_t);
    int (*exit)(char *, size_t);
    int (*allocate_job_template)(drv_job_template **, char *, size_t);
    int (*delete_job_template)(drv_job_template *, char *, size_t);
    int (*set_attribute)(drv_job_template *, const char *, const char *, char *, size_t);
    int (*get_attribute)(drv_job_template *, const char *, char *, size_t, char *, size_t);
    int (*set_vector_attribute)(drv_job_template *, const char *, const char *[], char *,
                                size_t);
    int (*get_vector_attribute)(drv_job_template *, const char *, drv_attr_values **, char *,
                                size_t);
    int (*get_attribute_names)(drv_attr_names **, char *, size_t);
    int (*get_vector_attribute_names)(drv_attr_names **, char *, size_t);
    int (*run_job)(char *, size_t, const drv_job_template *, char *, size_t);
    int (*run_bulk_jobs)(drv_job_ids **, const drv_job_template *, unsigned, unsigned, int,
                         char *, size_t);
    int (*control)(const char *, int, char *, size_t);
    int (*synchronize)(const char *[], signed long, int, char *, size_t);
    int (*wait)(const char *, char *, size_t, int *, signed long, drv_attr_values **, char *,
                size_t);
    int (*wifexited)(int *, int, char *, size_t);
    int (*wexitstatus)(int *, int, char *, size_t);
    int (*wifsignaled)(int *, int, char *, size_t);
    int (*wtermsig)(char *, size_t, int, char *, size_t);
    int (*wcoredump)(int *, int, char *, size_t);
    int (*wifaborted)(int *, int, char *, size_t);
    int (*job_ps)(const char *, int *, char *, size_t);
    const char *(*strerror)(int);
    int (*get_contact)(char *, size_t, char *, size_t);
    int (*version)(unsigned int *, unsigned int *, char *, size_t);
    int (*get_DRM_system)(char *, size_t, char *, size_t);
    int (*get_DRMAA_implementation)(char *, size_t, char *, size_t);
} api;

static int load_symbol(void *lib, const char *name, void *slot, size_t slot_size)
{
    dlerror();
    void *sym = dlsym(lib, name);
    const char *err = dlerror();
    if (err != NULL || sym == NULL) {
        fprintf(stderr, "drmaa_driver: %s: %s\n", name, err != NULL ? err : "NULL symbol");
        return 0;
    }
    /* POSIX guarantees that a function's address survives the trip through void *. */
    memcpy(slot, &sym, slot_size);
    return 1;
}

#define LOAD(field) ok &= load_symbol(lib, "drmaa_" #field, &api.field, sizeof api.field)

static int load_api(const char *path)
{
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "drmaa_driver: dlopen(%s): %s\n", path, dlerror());
        return 0;
    }
    int ok = 1;
    LOAD(get_next_attr_name);
    LOAD(get_next_attr_value);
    LOAD(get_next_job_id);
    LOAD(get_num_attr_names);
    LOAD(get_num_attr_values);
    LOAD(get_num_job_ids);
    LOAD(release_attr_names);
    LOAD(release_attr_values);
    LOAD(release_job_ids);
    LOAD(init);
    LOAD(exit);
    LOAD(allocate_job_template);
    LOAD(delete_job_template);
    LOAD(set_attribute);
    LOAD(get_attribute);
    LOAD(set_vector_attribute);
    LOAD(get_vector_attribute);
    LOAD(get_attribute_names);
    LOAD(get_vector_attribute_names);
    LOAD(run_job);
    LOAD(run_bulk_jobs);
    LOAD(control);
    LOAD(synchronize);
    LOAD(wait);
    LOAD(wifexited);
    LOAD(wexitstatus);
    LOAD(wifsignaled);
    LOAD(wtermsig);
    LOAD(wcoredump);
    LOAD(wifaborted);
    LOAD(job_ps);
    LOAD(strerror);
    LOAD(get_contact);
    LOAD(version);
    LOAD(get_DRM_system);
    LOAD(get_DRMAA_implementation);
    return ok;
}

/* ---- output and normalisation -------------------------------------------------------- */

/* A growable string. */
struct buf {
    char *data;
    size_t len, cap;
};

static void buf_putn(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (data == NULL) {
            fputs("drmaa_driver: out of memory\n", stderr);
            exit(2);
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s) { buf_putn(b, s, strlen(s)); }

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    buf_puts(b, tmp);
}

static const char *buf_str(struct buf *b) { return b->data ? b->data : ""; }

/* Job ids in order of appearance: the label of ids[i] is J<i+1>. Only the part before a
 * '.' is recorded; a bulk task keeps its index (J3.2). */
#define MAX_JOBS 256
static char *job_ids[MAX_JOBS];
static int job_count;

static int find_job(const char *base, size_t len)
{
    for (int i = 0; i < job_count; i++)
        if (strlen(job_ids[i]) == len && memcmp(job_ids[i], base, len) == 0)
            return i;
    return -1;
}

/* The label of a job id the library returned, recording it if it is new. */
static const char *label(const char *id)
{
    static char out[8][64];
    static int turn;
    char *res = out[turn++ % 8];
    if (id == NULL || *id == '\0') {
        snprintf(res, 64, "<%s>", id == NULL ? "null" : "empty");
        return res;
    }
    const char *dot = strchr(id, '.');
    size_t len = dot ? (size_t)(dot - id) : strlen(id);
    int i = find_job(id, len);
    if (i < 0 && job_count < MAX_JOBS) {
        job_ids[job_count] = strndup(id, len);
        i = job_count++;
    }
    if (i < 0)
        snprintf(res, 64, "J?");
    else if (dot)
        snprintf(res, 64, "J%d%.40s", i + 1, dot);
    else
        snprintf(res, 64, "J%d", i + 1);
    return res;
}

/* The real job id behind label number n (1-based), for passing back to the library. */
static const char *real(int n) { return n >= 1 && n <= job_count ? job_ids[n - 1] : "0"; }

/* Diagnosis text with run-specific parts replaced: the word before " - job " (Grid
 * Engine's "<user> - job N is already suspended") becomes <user>, and every known job id
 * (a run of digits that is not a task index) becomes its label. */
static void normalise(const char *in, struct buf *out)
{
    struct buf tmp = {0};
    const char *p = in;
    const char *hit;
    while ((hit = strstr(p, " - job ")) != NULL) {
        const char *word = hit;
        while (word > p && word[-1] != ' ' && word[-1] != '\n' && word[-1] != '"')
            word--;
        buf_putn(&tmp, p, (size_t)(word - p));
        buf_puts(&tmp, word == hit ? "" : "<user>");
        buf_puts(&tmp, " - job ");
        p = hit + 7;
    }
    buf_puts(&tmp, p);

    const char *s = buf_str(&tmp);
    for (size_t i = 0; s[i] != '\0';) {
        if (isdigit((unsigned char)s[i]) && (i == 0 || !isdigit((unsigned char)s[i - 1]))) {
            size_t j = i;
            while (isdigit((unsigned char)s[j]))
                j++;
            int task_index = i >= 2 && s[i - 1] == '.' && isdigit((unsigned char)s[i - 2]);
            int n = task_index ? -1 : find_job(s + i, j - i);
            if (n >= 0)
                buf_printf(out, "J%d", n + 1);
            else
                buf_putn(out, s + i, j - i);
            i = j;
        } else {
            buf_putn(out, s + i, 1);
            i++;
        }
    }
    free(tmp.data);
}

/* A string as a double-quoted C literal. */
static void quote(struct buf *out, const char *s)
{
    if (s == NULL) {
        buf_puts(out, "(null)");
        return;
    }
    buf_puts(out, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_printf(out, "\\%c", c);
        else if (c == '\n')
            buf_puts(out, "\\n");
        else if (c == '\t')
            buf_puts(out, "\\t");
        else if (c < 0x20 || c >= 0x7f)
            buf_printf(out, "\\x%02x", c);
        else
            buf_putn(out, (const char *)&c, 1);
    }
    buf_puts(out, "\"");
}

static char diag[DIAG_LEN];

static void reset_diag(void) { memset(diag, 0, sizeof diag); }

/* Print "name: rc=N[ detail][ diag="..."]": the diagnosis only for a failure (on success
 * its content is not defined). */
static void report(const char *name, int rc, const char *detail)
{
    struct buf line = {0};
    buf_printf(&line, "%s: rc=%d", name, rc);
    if (detail != NULL && *detail != '\0') {
        buf_puts(&line, " ");
        buf_puts(&line, detail);
    }
    if (rc != RC_SUCCESS) {
        struct buf text = {0};
        normalise(diag, &text);
        buf_puts(&line, " diag=");
        quote(&line, buf_str(&text));
        free(text.data);
    }
    printf("%s\n", buf_str(&line));
    free(line.data);
}

static void reportf(const char *name, int rc, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    report(name, rc, tmp);
}

static void sleep_seconds(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static const char *state_name(int state)
{
    static char other[32];
    switch (state) {
    case 0x00: return "undetermined";
    case 0x10: return "queued_active";
    case 0x11: return "system_on_hold";
    case 0x12: return "user_on_hold";
    case 0x13: return "user_system_on_hold";
    case 0x20: return "running";
    case 0x21: return "system_suspended";
    case 0x22: return "user_suspended";
    case 0x23: return "user_system_suspended";
    case 0x30: return "done";
    case 0x40: return "failed";
    default:
        snprintf(other, sizeof other, "0x%x", (unsigned)state);
        return other;
    }
}

/* ---- steps ------------------------------------------------------------------------- */

/* The session's contact string, checked for Grid Engine's shape
 * session=<host>.<this process's pid>.<number>, printed as contact-shape=ok. */
static char contact_saved[VALUE_LEN];

static void step_contact(const char *name, int save)
{
    char contact[VALUE_LEN] = "";
    reset_diag();
    int rc = api.get_contact(contact, sizeof contact, diag, sizeof diag);
    if (rc != RC_SUCCESS) {
        report(name, rc, NULL);
        return;
    }
    const char *problem = NULL;
    const char *rest = contact;
    if (contact[0] == '\0') {
        report(name, rc, "contact=\"\"");
        return;
    }
    if (strncmp(rest, "session=", 8) != 0)
        problem = "no session= prefix";
    else {
        rest += 8;
        const char *last = strrchr(rest, '.');
        const char *mid = NULL;
        if (last != NULL)
            for (const char *q = last - 1; q >= rest; q--)
                if (*q == '.') {
                    mid = q;
                    break;
                }
        char pid[32];
        snprintf(pid, sizeof pid, "%ld", (long)getpid());
        if (last == NULL || mid == NULL)
            problem = "not host.pid.n";
        else if (mid == rest)
            problem = "empty host";
        else if ((size_t)(last - mid - 1) != strlen(pid) || strncmp(mid + 1, pid, strlen(pid)))
            problem = "pid is not this process's";
        else if (last[1] == '\0' || strspn(last + 1, "0123456789") != strlen(last + 1))
            problem = "last part not a number";
    }
    struct buf detail = {0};
    if (problem == NULL)
        buf_puts(&detail, "contact-shape=ok");
    else {
        buf_printf(&detail, "contact-shape=bad(%s) contact=", problem);
        quote(&detail, contact);
    }
    if (save)
        snprintf(contact_saved, sizeof contact_saved, "%s", contact);
    else if (contact_saved[0] != '\0')
        buf_printf(&detail, " same-as-saved=%s", strcmp(contact, contact_saved) ? "no" : "yes");
    report(name, rc, buf_str(&detail));
    free(detail.data);
}

static void step_string(const char *name, int (*fn)(char *, size_t, char *, size_t))
{
    char value[VALUE_LEN] = "";
    struct buf detail = {0};
    reset_diag();
    int rc = fn(value, sizeof value, diag, sizeof diag);
    if (rc == RC_SUCCESS)
        quote(&detail, value);
    report(name, rc, buf_str(&detail));
    free(detail.data);
}

static void step_names(const char *name,
                       int (*get)(drv_attr_names **, char *, size_t))
{
    drv_attr_names *names = NULL;
    reset_diag();
    int rc = get(&names, diag, sizeof diag);
    if (rc != RC_SUCCESS) {
        report(name, rc, NULL);
        return;
    }
    int count = -1;
    int crc = api.get_num_attr_names(names, &count);
    struct buf detail = {0};
    buf_printf(&detail, "count=%d (rc=%d) names=", count, crc);
    char value[VALUE_LEN];
    int n = 0, nrc;
    while ((nrc = api.get_next_attr_name(names, value, sizeof value)) == RC_SUCCESS && n < 100)
        buf_printf(&detail, "%s%s", n++ ? "," : "", value);
    buf_printf(&detail, " iterated=%d end-rc=%d", n, nrc);
    nrc = api.get_next_attr_name(names, value, sizeof value);
    buf_printf(&detail, " again-rc=%d", nrc);
    api.release_attr_names(names);
    report(name, rc, buf_str(&detail));
    free(detail.data);
}

static void step_set(drv_job_template *jt, const char *name, const char *value)
{
    char step[256];
    snprintf(step, sizeof step, "set %s=%s", name, value ? value : "(null)");
    reset_diag();
    int rc = api.set_attribute(jt, name, value, diag, sizeof diag);
    report(step, rc, NULL);
}

static void step_get(drv_job_template *jt, const char *name)
{
    char step[256];
    char value[VALUE_LEN];
    memset(value, 0, sizeof value);
    snprintf(step, sizeof step, "get %s", name);
    reset_diag();
    int rc = api.get_attribute(jt, name, value, sizeof value, diag, sizeof diag);
    struct buf detail = {0};
    if (rc == RC_SUCCESS)
        quote(&detail, value);
    report(step, rc, buf_str(&detail));
    free(detail.data);
}

static void step_set_vector(drv_job_template *jt, const char *name, const char *values[])
{
    char step[256];
    snprintf(step, sizeof step, "set_vector %s", name);
    reset_diag();
    int rc = api.set_vector_attribute(jt, name, values, diag, sizeof diag);
    struct buf detail = {0};
    buf_puts(&detail, "values=[");
    for (int i = 0; values[i] != NULL; i++) {
        if (i)
            buf_puts(&detail, ",");
        quote(&detail, values[i]);
    }
    buf_puts(&detail, "]");
    report(step, rc, buf_str(&detail));
    free(detail.data);
}

static void step_get_vector(drv_job_template *jt, const char *name)
{
    char step[256];
    snprintf(step, sizeof step, "get_vector %s", name);
    drv_attr_values *values = NULL;
    reset_diag();
    int rc = api.get_vector_attribute(jt, name, &values, diag, sizeof diag);
    if (rc != RC_SUCCESS) {
        report(step, rc, NULL);
        return;
    }
    int count = -1;
    int crc = api.get_num_attr_values(values, &count);
    struct buf detail = {0};
    buf_printf(&detail, "count=%d (rc=%d) values=[", count, crc);
    char value[VALUE_LEN];
    int n = 0, nrc;
    while ((nrc = api.get_next_attr_value(values, value, sizeof value)) == RC_SUCCESS &&
           n < 100) {
        if (n++)
            buf_puts(&detail, ",");
        quote(&detail, value);
    }
    buf_printf(&detail, "] end-rc=%d", nrc);
    api.release_attr_values(values);
    report(step, rc, buf_str(&detail));
    free(detail.data);
}

static drv_job_template *new_template(const char *step)
{
    drv_job_template *jt = NULL;
    reset_diag();
    int rc = api.allocate_job_template(&jt, diag, sizeof diag);
    reportf(step, rc, "%s", rc == RC_SUCCESS ? (jt ? "template" : "NULL template") : "");
    return rc == RC_SUCCESS ? jt : NULL;
}

static void delete_template(const char *step, drv_job_template *jt)
{
    if (jt == NULL)
        return;
    reset_diag();
    int rc = api.delete_job_template(jt, diag, sizeof diag);
    report(step, rc, NULL);
}

/* A template for `command args...`, output to /dev/null, stdout and stderr joined. Each
 * setting is its own step. */
static drv_job_template *job_template(const char *what, const char *state, const char *argv[])
{
    char step[256];
    snprintf(step, sizeof step, "allocate template %s", what);
    drv_job_template *jt = new_template(step);
    if (jt == NULL)
        return NULL;
    int rc;
    struct buf detail = {0};
    reset_diag();
    rc = api.set_attribute(jt, "drmaa_remote_command", argv[0], diag, sizeof diag);
    buf_printf(&detail, "remote_command=%d", rc);
    rc = api.set_vector_attribute(jt, "drmaa_v_argv", argv + 1, diag, sizeof diag);
    buf_printf(&detail, " v_argv=%d", rc);
    rc = api.set_attribute(jt, "drmaa_output_path", ":/dev/null", diag, sizeof diag);
    buf_printf(&detail, " output_path=%d", rc);
    rc = api.set_attribute(jt, "drmaa_join_files", "y", diag, sizeof diag);
    buf_printf(&detail, " join_files=%d", rc);
    rc = api.set_attribute(jt, "drmaa_js_state", state, diag, sizeof diag);
    buf_printf(&detail, " js_state=%d", rc);
    snprintf(step, sizeof step, "fill template %s", what);
    printf("%s: %s\n", step, buf_str(&detail));
    free(detail.data);
    return jt;
}

/* Submit a job; returns its label number (0 when the submission failed). */
static int run(const char *step, drv_job_template *jt)
{
    char id[VALUE_LEN] = "";
    reset_diag();
    int rc = api.run_job(id, sizeof id, jt, diag, sizeof diag);
    if (rc != RC_SUCCESS) {
        report(step, rc, NULL);
        return 0;
    }
    reportf(step, rc, "id=%s", label(id));
    const char *dot = strchr(id, '.');
    size_t len = dot ? (size_t)(dot - id) : strlen(id);
    return find_job(id, len) + 1;
}

/* job_ps of a job: prints the state name, or, where Grid Engine is racy, whether the state
 * is one of the `allowed` names (space-separated). Returns the state, -1 on failure. */
static int ps_id(const char *step, const char *id, const char *allowed)
{
    int state = -1;
    reset_diag();
    int rc = api.job_ps(id, &state, diag, sizeof diag);
    if (rc != RC_SUCCESS)
        report(step, rc, NULL);
    else if (allowed == NULL)
        reportf(step, rc, "state=%s", state_name(state));
    else {
        char list[256];
        snprintf(list, sizeof list, " %s ", allowed);
        char key[64];
        snprintf(key, sizeof key, " %s ", state_name(state));
        struct buf set = {0};
        for (const char *p = allowed; *p; p++)
            buf_putn(&set, *p == ' ' ? "," : p, 1);
        if (strstr(list, key) != NULL)
            reportf(step, rc, "state in {%s}", buf_str(&set));
        else
            reportf(step, rc, "state=%s (expected one of {%s})", state_name(state),
                    buf_str(&set));
        free(set.data);
    }
    return rc == RC_SUCCESS ? state : -1;
}

static int ps(const char *step, int job, const char *allowed)
{
    return ps_id(step, real(job), allowed);
}

/* Poll job_ps (every 0.25 s, at most `seconds`) until the state is one of `wanted`
 * (space-separated names). */
static void poll_state(const char *step, int job, const char *wanted, double seconds)
{
    char list[256];
    snprintf(list, sizeof list, " %s ", wanted);
    int state = -1, rc = 0;
    for (double waited = 0; waited <= seconds; waited += 0.25) {
        reset_diag();
        rc = api.job_ps(real(job), &state, diag, sizeof diag);
        if (rc == RC_SUCCESS) {
            char key[64];
            snprintf(key, sizeof key, " %s ", state_name(state));
            if (strstr(list, key) != NULL) {
                reportf(step, rc, "reached {%s}", wanted);
                return;
            }
        }
        sleep_seconds(0.25);
    }
    if (rc != RC_SUCCESS)
        report(step, rc, "not reached");
    else
        reportf(step, rc, "not reached within %.0f s: state=%s", seconds, state_name(state));
}

static void ctl_id(const char *step, const char *id, int action)
{
    reset_diag();
    int rc = api.control(id, action, diag, sizeof diag);
    report(step, rc, NULL);
}

static void ctl(const char *step, int job, int action) { ctl_id(step, real(job), action); }

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The usage list: sorted keys, whether submission_time <= start_time <= end_time, and,
 * with `values`, the exit_status and signal entries (Grid Engine's own numbers: SIGKILL is
 * 910). Their values are not stable for a job terminated while running: Grid Engine
 * reported 137.0000/910.0000 in most runs and 0.0000/0.0000 in some. */
static void print_usage(const char *step, drv_attr_values *usage, int values)
{
    struct buf detail = {0};
    int count = -1;
    int crc = api.get_num_attr_values(usage, &count);
    char *keys[128];
    int n = 0;
    char value[VALUE_LEN];
    double submission = -1, start = -1, end = -1;
    char exit_status[64] = "", signal[64] = "";
    int nrc;
    while ((nrc = api.get_next_attr_value(usage, value, sizeof value)) == RC_SUCCESS &&
           n < 128) {
        char *eq = strchr(value, '=');
        const char *val = eq ? eq + 1 : "";
        if (eq)
            *eq = '\0';
        keys[n++] = strdup(value);
        if (strcmp(value, "submission_time") == 0)
            submission = atof(val);
        else if (strcmp(value, "start_time") == 0)
            start = atof(val);
        else if (strcmp(value, "end_time") == 0)
            end = atof(val);
        else if (strcmp(value, "exit_status") == 0)
            snprintf(exit_status, sizeof exit_status, "%s", val);
        else if (strcmp(value, "signal") == 0)
            snprintf(signal, sizeof signal, "%s", val);
    }
    qsort(keys, (size_t)n, sizeof keys[0], cmp_str);
    buf_printf(&detail, "count=%d (rc=%d) end-rc=%d keys=", count, crc, nrc);
    for (int i = 0; i < n; i++) {
        buf_printf(&detail, "%s%s", i ? "," : "", keys[i]);
        free(keys[i]);
    }
    if (values && exit_status[0])
        buf_printf(&detail, " exit_status=%s", exit_status);
    if (values && signal[0])
        buf_printf(&detail, " signal=%s", signal);
    if (submission >= 0 && start >= 0 && end >= 0)
        buf_printf(&detail, " times=%s",
                   submission <= start && start <= end && submission > 0 ? "ordered"
                                                                         : "NOT-ordered");
    printf("%s: %s\n", step, buf_str(&detail));
    free(detail.data);
}

/* drmaa_wait on `id` and everything drmaa_w* say about the status; `values`: see
 * print_usage. */
static void wait_id_values(const char *step, const char *id, long timeout, int values)
{
    char out[VALUE_LEN] = "";
    int stat = 0;
    drv_attr_values *usage = NULL;
    reset_diag();
    int rc = api.wait(id, out, sizeof out, &stat, timeout, &usage, diag, sizeof diag);
    if (rc != RC_SUCCESS) {
        report(step, rc, NULL);
        if (usage != NULL)
            api.release_attr_values(usage);
        return;
    }
    int exited = -1, status = -1, signaled = -1, core = -1, aborted = -1;
    char sig[64] = "";
    char d[DIAG_LEN];
    int r1 = api.wifexited(&exited, stat, d, sizeof d);
    int r2 = api.wexitstatus(&status, stat, d, sizeof d);
    int r3 = api.wifsignaled(&signaled, stat, d, sizeof d);
    int r4 = api.wtermsig(sig, sizeof sig, stat, d, sizeof d);
    int r5 = api.wcoredump(&core, stat, d, sizeof d);
    int r6 = api.wifaborted(&aborted, stat, d, sizeof d);
    struct buf detail = {0};
    buf_printf(&detail, "id=%s exited=%d", label(out), exited != 0);
    if (exited)
        buf_printf(&detail, " exit_status=%d", status);
    buf_printf(&detail, " signaled=%d", signaled != 0);
    if (signaled)
        buf_printf(&detail, " termsig=%s", sig);
    buf_printf(&detail, " core=%d aborted=%d", core != 0, aborted != 0);
    if (r1 || r2 || r3 || r4 || r5 || r6)
        buf_printf(&detail, " (w* rc=%d,%d,%d,%d,%d,%d)", r1, r2, r3, r4, r5, r6);
    report(step, rc, buf_str(&detail));
    free(detail.data);
    if (usage == NULL)
        printf("%s usage: NULL\n", step);
    else {
        char ustep[256];
        snprintf(ustep, sizeof ustep, "%s usage", step);
        print_usage(ustep, usage, values);
        api.release_attr_values(usage);
    }
}

static void wait_id(const char *step, const char *id, long timeout)
{
    wait_id_values(step, id, timeout, 1);
}

static void wait_job(const char *step, int job, long timeout)
{
    wait_id(step, real(job), timeout);
}

static void sync_ids(const char *step, const char *ids[], long timeout, int dispose)
{
    reset_diag();
    int rc = api.synchronize(ids, timeout, dispose, diag, sizeof diag);
    report(step, rc, NULL);
}

static void do_exit(const char *step)
{
    reset_diag();
    int rc = api.exit(diag, sizeof diag);
    report(step, rc, NULL);
}

static void do_init(const char *step, const char *contact)
{
    reset_diag();
    int rc = api.init(contact, diag, sizeof diag);
    report(step, rc, NULL);
}

/* ---- the sequence ------------------------------------------------------------------ */

static void before_init(void)
{
    unsigned int major = 0, minor = 0;
    reset_diag();
    int rc = api.version(&major, &minor, diag, sizeof diag);
    reportf("version", rc, "%u.%u", major, minor);
    step_string("drm_system before init", api.get_DRM_system);
    step_string("drmaa_implementation before init", api.get_DRMAA_implementation);
    step_string("contact before init", api.get_contact);

    for (int code = -1; code <= 26; code++) {
        char step[64];
        snprintf(step, sizeof step, "strerror(%d)", code);
        struct buf text = {0};
        quote(&text, api.strerror(code));
        printf("%s: %s\n", step, buf_str(&text));
        free(text.data);
    }

    drv_job_template *jt = NULL;
    reset_diag();
    rc = api.allocate_job_template(&jt, diag, sizeof diag);
    report("allocate_job_template before init", rc, NULL);
    int state = 0;
    reset_diag();
    rc = api.job_ps("1", &state, diag, sizeof diag);
    report("job_ps before init", rc, NULL);
    ctl_id("control ALL terminate before init", SESSION_ALL, CTL_TERMINATE);
    do_exit("exit before init");
}

static void session_basics(void)
{
    do_init("init contact=bogus", "bogus");
    step_contact("contact after failed init", 0);
    do_init("init", NULL);
    do_init("init again", NULL);
    step_contact("contact", 1);
    step_string("drm_system", api.get_DRM_system);
    step_string("drmaa_implementation", api.get_DRMAA_implementation);
    step_names("attribute names", api.get_attribute_names);
    step_names("vector attribute names", api.get_vector_attribute_names);
}

static void templates(void)
{
    drv_job_template *jt = new_template("allocate template attrs");
    if (jt == NULL)
        return;
    step_get(jt, "drmaa_remote_command");
    step_set(jt, "drmaa_remote_command", "/bin/sleep");
    step_get(jt, "drmaa_remote_command");
    step_set(jt, "drmaa_js_state", "drmaa_hold");
    step_get(jt, "drmaa_js_state");
    step_set(jt, "drmaa_js_state", "bogus");
    step_get(jt, "drmaa_js_state");
    step_set(jt, "drmaa_join_files", "y");
    step_get(jt, "drmaa_join_files");
    step_set(jt, "drmaa_join_files", "1");
    step_get(jt, "drmaa_join_files");
    step_set(jt, "drmaa_wd", "/tmp");
    step_get(jt, "drmaa_wd");
    step_set(jt, "drmaa_job_name", "conformance");
    step_get(jt, "drmaa_job_name");
    step_set(jt, "drmaa_input_path", ":/dev/null");
    step_get(jt, "drmaa_input_path");
    step_set(jt, "drmaa_output_path", ":$drmaa_wd_ph$/out.$drmaa_incr_ph$");
    step_get(jt, "drmaa_output_path");
    step_set(jt, "drmaa_error_path", ":/dev/null");
    step_get(jt, "drmaa_error_path");
    step_set(jt, "drmaa_job_category", "");
    step_get(jt, "drmaa_job_category");
    step_set(jt, "drmaa_native_specification", "-l h_rt=60");
    step_get(jt, "drmaa_native_specification");
    step_set(jt, "drmaa_block_email", "1");
    step_get(jt, "drmaa_block_email");
    step_set(jt, "drmaa_start_time", "10:00");
    step_get(jt, "drmaa_start_time");
    step_set(jt, "drmaa_deadline_time", "10:00");
    step_get(jt, "drmaa_deadline_time");
    step_set(jt, "drmaa_wct_hlimit", "60");
    step_set(jt, "drmaa_bogus_attr", "x");
    step_get(jt, "drmaa_bogus_attr");
    step_set(jt, "drmaa_v_argv", "x");
    step_get(jt, "drmaa_v_argv");

    const char *argv[] = {"a b", "'quoted'", "", NULL};
    const char *env[] = {"X=1=2", "EMPTY=", NULL};
    const char *email[] = {"nobody@example.com", NULL};
    const char *none[] = {NULL};
    step_get_vector(jt, "drmaa_v_argv");
    step_set_vector(jt, "drmaa_v_argv", argv);
    step_get_vector(jt, "drmaa_v_argv");
    step_set_vector(jt, "drmaa_v_env", env);
    step_get_vector(jt, "drmaa_v_env");
    step_set_vector(jt, "drmaa_v_email", email);
    step_get_vector(jt, "drmaa_v_email");
    step_set_vector(jt, "drmaa_v_email", none);
    step_get_vector(jt, "drmaa_v_email");
    step_set_vector(jt, "drmaa_remote_command", argv);
    step_get_vector(jt, "drmaa_remote_command");
    step_set_vector(jt, "drmaa_bogus_vector", argv);
    delete_template("delete template attrs", jt);

    /* Submissions Grid Engine refuses before a job exists. */
    jt = new_template("allocate template empty");
    if (jt != NULL) {
        run("run_job without remote_command", jt);
        step_set(jt, "drmaa_remote_command", "/bin/true");
        step_set(jt, "drmaa_start_time", "garbage");
        run("run_job with start_time=garbage", jt);
        delete_template("delete template empty", jt);
    }
}

/* Output buffers shorter than the text. The buffers are filled with '#' and are much
 * larger than the length passed, so the bytes the library writes (including any beyond
 * the length it was given) are printed exactly: `bytes="SGE 8\0##"`, \0 for a NUL. */
#define TRUNC_BUF 64

static void raw_bytes(struct buf *out, const char *b, size_t n)
{
    buf_puts(out, "bytes=\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c == '\0')
            buf_puts(out, "\\0");
        else if (c == '"' || c == '\\')
            buf_printf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            buf_printf(out, "\\x%02x", c);
        else
            buf_putn(out, (const char *)&c, 1);
    }
    buf_puts(out, "\"");
}

static void print_bytes(const char *step, int rc, const char *b, size_t n)
{
    struct buf line = {0};
    buf_printf(&line, "%s: rc=%d ", step, rc);
    raw_bytes(&line, b, n);
    printf("%s\n", buf_str(&line));
    free(line.data);
}

static void truncation(void)
{
    char out[TRUNC_BUF], d[TRUNC_BUF];
    int rc;

    memset(out, '#', sizeof out);
    rc = api.get_DRM_system(out, 5, diag, sizeof diag);
    print_bytes("truncate drm_system (len 5)", rc, out, 8);

    memset(out, '#', sizeof out);
    rc = api.get_contact(out, 5, diag, sizeof diag);
    print_bytes("truncate contact (len 5)", rc, out, 8);

    memset(d, '#', sizeof d);
    rc = api.init(NULL, d, 10);
    print_bytes("truncate init again diagnosis (len 10)", rc, d, 13);

    int state;
    memset(d, '#', sizeof d);
    rc = api.job_ps("abc", &state, d, 10);
    print_bytes("truncate job_ps abc diagnosis (len 10)", rc, d, 13);

    drv_attr_names *names = NULL;
    reset_diag();
    rc = api.get_attribute_names(&names, diag, sizeof diag);
    if (rc != RC_SUCCESS)
        report("truncate get_next_attr_name (len 5)", rc, NULL);
    else {
        memset(out, '#', sizeof out);
        rc = api.get_next_attr_name(names, out, 5);
        print_bytes("truncate get_next_attr_name (len 5)", rc, out, 8);
        api.release_attr_names(names);
    }

    drv_job_template *jt = new_template("allocate template truncate");
    if (jt == NULL)
        return;
    step_set(jt, "drmaa_remote_command", "/bin/sleep");
    static const size_t lens[] = {1, 5, 10, 11};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char step[128];
        snprintf(step, sizeof step, "truncate get drmaa_remote_command (len %zu)", lens[i]);
        memset(out, '#', sizeof out);
        reset_diag();
        rc = api.get_attribute(jt, "drmaa_remote_command", out, lens[i], diag, sizeof diag);
        print_bytes(step, rc, out, lens[i] + 3);
    }
    delete_template("delete template truncate", jt);
}

static void jobs(void)
{
    const char *sleep30[] = {"/bin/sleep", "30", NULL};
    const char *exit3[] = {"/bin/sh", "-c", "exit 3", NULL};
    const char *kill9[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
    const char *sleep1[] = {"/bin/sleep", "1", NULL};

    /* A job submitted on hold: it cannot start, so every answer is certain. */
    drv_job_template *held = job_template("held sleep 30", "drmaa_hold", sleep30);
    int j1 = run("run_job held", held);
    ps("job_ps held", j1, NULL);
    ctl("control held suspend", j1, CTL_SUSPEND);
    ctl("control held resume", j1, CTL_RESUME);
    ctl("control held hold", j1, CTL_HOLD);
    ps("job_ps held after hold", j1, NULL);
    ctl("control held terminate", j1, CTL_TERMINATE);
    wait_job("wait terminated-while-held", j1, 60);
    wait_job("wait terminated-while-held again", j1, TIMEOUT_NO_WAIT);
    ps("job_ps terminated-while-held after wait", j1, NULL);

    /* A running job. */
    drv_job_template *active = job_template("sleep 30", "drmaa_active", sleep30);
    int j2 = run("run_job sleep 30", active);
    ps("job_ps just submitted", j2, "queued_active running");
    poll_state("poll until running", j2, "running", 30);
    sleep_seconds(2); /* Grid Engine delays a control sent right at the dispatch */
    wait_job("wait running NO_WAIT", j2, TIMEOUT_NO_WAIT);
    wait_job("wait running timeout=1", j2, 1);
    {
        const char *ids[] = {real(j2), NULL};
        sync_ids("synchronize running NO_WAIT", ids, TIMEOUT_NO_WAIT, 1);
    }
    ctl("control running resume", j2, CTL_RESUME);
    ctl("control running suspend", j2, CTL_SUSPEND);
    ps("job_ps suspended", j2, NULL);
    ctl("control suspended suspend", j2, CTL_SUSPEND);
    ctl("control suspended resume", j2, CTL_RESUME);
    ps("job_ps resumed", j2, NULL);
    ctl("control running hold", j2, CTL_HOLD);
    ps("job_ps running+hold", j2, NULL);
    ctl("control running+hold release", j2, CTL_RELEASE);
    ps("job_ps released", j2, NULL);
    ctl("control running terminate", j2, CTL_TERMINATE);
    wait_id_values("wait terminated-while-running", real(j2), 60, 0);

    /* Jobs that end by themselves. */
    drv_job_template *t3 = job_template("exit 3", "drmaa_active", exit3);
    drv_job_template *t9 = job_template("kill -9", "drmaa_active", kill9);
    int j3 = run("run_job exit 3", t3);
    int j4 = run("run_job kill -9", t9);
    {
        const char *ids[] = {real(j3), real(j4), NULL};
        sync_ids("synchronize exit-3 kill-9 no-dispose", ids, 60, 0);
    }
    wait_id("wait ANY (both ended: the lower id)", SESSION_ANY, 60);
    wait_job("wait kill -9", j4, 60);
    wait_job("wait exit-3 again", j3, TIMEOUT_NO_WAIT);
    ps("job_ps exit-3 after wait", j3, NULL);

    /* A bulk job. */
    drv_job_template *bulk = job_template("bulk sleep 1", "drmaa_active", sleep1);
    drv_job_ids *ids = NULL;
    reset_diag();
    int rc = api.run_bulk_jobs(&ids, bulk, 1, 3, 1, diag, sizeof diag);
    if (rc != RC_SUCCESS)
        report("run_bulk_jobs 1..3:1", rc, NULL);
    else {
        int count = -1;
        int crc = api.get_num_job_ids(ids, &count);
        struct buf detail = {0};
        buf_printf(&detail, "count=%d (rc=%d) ids=", count, crc);
        char id[VALUE_LEN];
        int n = 0, nrc;
        while ((nrc = api.get_next_job_id(ids, id, sizeof id)) == RC_SUCCESS && n < 100)
            buf_printf(&detail, "%s%s", n++ ? "," : "", label(id));
        buf_printf(&detail, " end-rc=%d", nrc);
        report("run_bulk_jobs 1..3:1", rc, buf_str(&detail));
        free(detail.data);
        api.release_job_ids(ids);
        int j5 = job_count;
        char task[VALUE_LEN];
        snprintf(task, sizeof task, "%s.2", real(j5));
        ps_id("job_ps bulk task 2", task, "queued_active running done");
        ps_id("job_ps bulk bare id", real(j5), NULL);
        snprintf(task, sizeof task, "%s.4", real(j5));
        ps_id("job_ps bulk task 4 (not in the range)", task, NULL);
    }
    ids = NULL;
    reset_diag();
    rc = api.run_bulk_jobs(&ids, bulk, 3, 1, 1, diag, sizeof diag);
    report("run_bulk_jobs 3..1:1", rc, NULL);
    if (rc == RC_SUCCESS && ids != NULL)
        api.release_job_ids(ids);
    {
        const char *all[] = {SESSION_ALL, NULL};
        sync_ids("synchronize ALL dispose", all, 60, 1);
    }
    wait_id("wait ANY with nothing left", SESSION_ANY, 2);

    /* Job ids that are not jobs. */
    ps_id("job_ps abc", "abc", NULL);
    ps_id("job_ps 99999999", "99999999", NULL);
    ps_id("job_ps ALL", SESSION_ALL, NULL);
    ctl_id("control abc terminate", "abc", CTL_TERMINATE);
    ctl_id("control 99999999 terminate", "99999999", CTL_TERMINATE);
    ctl_id("control 99999999 hold", "99999999", CTL_HOLD);
    ctl_id("control 99999999 suspend", "99999999", CTL_SUSPEND);
    ctl_id("control ANY terminate", SESSION_ANY, CTL_TERMINATE);
    wait_id("wait 99999999", "99999999", TIMEOUT_NO_WAIT);
    wait_id("wait ALL", SESSION_ALL, TIMEOUT_NO_WAIT);
    wait_id("wait 99999999 timeout=-2", "99999999", -2);
    {
        const char *bad[] = {"abc", NULL};
        sync_ids("synchronize abc", bad, TIMEOUT_NO_WAIT, 1);
        const char *unknown[] = {"99999999", NULL};
        sync_ids("synchronize 99999999", unknown, TIMEOUT_NO_WAIT, 1);
    }

    delete_template("delete template held", held);
    delete_template("delete template sleep 30", active);
    delete_template("delete template exit 3", t3);
    delete_template("delete template kill -9", t9);
    delete_template("delete template bulk", bulk);
    ctl_id("control ALL terminate", SESSION_ALL, CTL_TERMINATE);
}

static void after_exit(void)
{
    do_exit("exit");
    do_exit("exit again");
    step_contact("contact after exit", 0);
    step_string("drm_system after exit", api.get_DRM_system);
    drv_job_template *jt = NULL;
    reset_diag();
    int rc = api.allocate_job_template(&jt, diag, sizeof diag);
    report("allocate_job_template after exit", rc, NULL);
    ps_id("job_ps after exit", "1", NULL);
    wait_id("wait ANY after exit", SESSION_ANY, TIMEOUT_NO_WAIT);
}

static void reconnect(void)
{
    const char *sleep10[] = {"/bin/sleep", "10", NULL};
    const char *sleep1[] = {"/bin/sleep", "1", NULL};

    do_init("init (second session)", NULL);
    step_contact("contact of the second session", 1);
    drv_job_template *tl = job_template("sleep 10", "drmaa_active", sleep10);
    drv_job_template *ts = job_template("sleep 1", "drmaa_active", sleep1);
    int j_long = run("run_job sleep 10", tl);
    int j_short = run("run_job sleep 1", ts);
    poll_state("poll sleep 10 until running", j_long, "running", 30);
    poll_state("poll sleep 1 until started", j_short, "running done", 30);
    delete_template("delete template sleep 10", tl);
    delete_template("delete template sleep 1", ts);
    do_exit("exit with sleep 10 running");
    sleep_seconds(3); /* sleep 1 ends while no session is connected */
    do_init("init with the saved contact", contact_saved);
    step_contact("contact after reconnect", 0);
    ps("job_ps sleep 10 after reconnect", j_long, NULL);
    ps("job_ps sleep 1 after reconnect (ended while disconnected)", j_short, NULL);
    wait_job("wait sleep 1 after reconnect", j_short, 2);
    wait_job("wait sleep 10 after reconnect", j_long, 60);

    /* Clean up: whatever is left goes. */
    const char *sleep30[] = {"/bin/sleep", "30", NULL};
    drv_job_template *tr = job_template("final sleep 30", "drmaa_active", sleep30);
    drv_job_template *th = job_template("final held", "drmaa_hold", sleep30);
    run("run_job final sleep 30", tr);
    run("run_job final held", th);
    delete_template("delete template final sleep 30", tr);
    delete_template("delete template final held", th);
    ctl_id("control ALL terminate (final)", SESSION_ALL, CTL_TERMINATE);
    {
        const char *all[] = {SESSION_ALL, NULL};
        sync_ids("synchronize ALL dispose (final)", all, 60, 1);
    }
    /* No wait(ANY) here: Grid Engine's synchronize(ALL, dispose) leaves out a job that had
     * already ended when it was called (the held one, terminated), and whether the queued
     * one had is a race: wait(ANY) then gave code 24 in some runs and 18 in others. */
    do_exit("exit (final)");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s /path/to/libdrmaa.so.1.0\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!load_api(argv[1]))
        return 2;
    before_init();
    session_basics();
    templates();
    truncation();
    jobs();
    after_exit();
    reconnect();
    printf("done\n");
    return 0;
}
