/*
 * jni.c: the native methods of Grid Engine's Java DRMAA binding (drmaa.jar, Debian's
 * libdrmaa1.0-java), in drmaa-testkit's libdrmaa.so.1.0.
 *
 * The jar's com.sun.grid.drmaa.SessionImpl declares sixteen native methods and loads
 * them with System.loadLibrary("drmaa"): Grid Engine's libdrmaa.so exports them beside
 * its C API, and so does this library when it is built with a JDK's jni.h (setup.py).
 * Each is written here on top of this library's own drmaa_* functions; nothing else of
 * the library is used.
 *
 * What the Java side expects (read from the jar's bytecode):
 *   - job templates are ints: nativeAllocateJobTemplate hands out an id, and the other
 *     template methods take it. The ids name entries of a table here; they are never
 *     reused, and nativeExit drops the session's templates.
 *   - nativeGetAttribute returns a String[]: one element for a scalar attribute, the
 *     values for a vector attribute, null for an attribute the template holds no value
 *     for (the library's DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE on reading).
 *   - nativeWait returns a JobInfoImpl(jobId, stat, "name=value" usage, signal name): its
 *     stat is drmaa_wait()'s, whose bits 0-11 are laid out as JobInfoImpl reads them.
 *   - a DRMAA error code becomes the org.ggf.drmaa exception for it, the library's
 *     error text its message; codes with no class of their own there take the Java
 *     DRMAA binding's (GFD.143) stand-ins: IllegalArgumentException, OutOfMemoryError,
 *     InternalException.
 *
 * Strings cross as UTF-8 (what the library and its daemon speak), converted here from
 * and to Java's UTF-16, not as JNI's "modified UTF-8". Every JNI call's result is
 * checked; on a failure the method returns with an exception pending.
 */
#define _GNU_SOURCE

#pragma GCC visibility push(default)
#include "drmaa.h"
#pragma GCC visibility pop

#include <jni.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest value read back from the library: a scalar attribute, an element of a
 * vector attribute, a usage entry. The C API truncates to the caller's buffer, and the
 * kernel refuses any single argument or environment string longer than 128 KiB
 * (MAX_ARG_STRLEN), so nothing a job can use is longer. */
#define VALUE_MAX (128 * 1024 + 1)

#define DIAG_LEN DRMAA_ERROR_STRING_BUFFER

/* drmaa_wait()'s stat bit for a job that never ran (JobInfoImpl's NEVERRAN_BIT) */
#define STAT_ABORTED 0x8

#define CLASS_STRING "java/lang/String"
#define CLASS_JOB_INFO "com/sun/grid/drmaa/JobInfoImpl"
#define CLASS_INTERNAL "org/ggf/drmaa/InternalException"
#define CLASS_NO_SESSION "org/ggf/drmaa/NoActiveSessionException"
#define CLASS_BAD_TEMPLATE "org/ggf/drmaa/InvalidJobTemplateException"
#define CLASS_NO_MEMORY "java/lang/OutOfMemoryError"
#define CLASS_NULL "java/lang/NullPointerException"
#define CLASS_ILLEGAL "java/lang/IllegalArgumentException"

/* ---- exceptions -------------------------------------------------------------------- */

static const char *const exception_for_code[DRMAA_NO_ERRNO] = {
    [DRMAA_ERRNO_INTERNAL_ERROR] = CLASS_INTERNAL,
    [DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE] = "org/ggf/drmaa/DrmCommunicationException",
    [DRMAA_ERRNO_AUTH_FAILURE] = "org/ggf/drmaa/AuthorizationException",
    [DRMAA_ERRNO_INVALID_ARGUMENT] = CLASS_ILLEGAL,
    [DRMAA_ERRNO_NO_ACTIVE_SESSION] = CLASS_NO_SESSION,
    [DRMAA_ERRNO_NO_MEMORY] = CLASS_NO_MEMORY,
    [DRMAA_ERRNO_INVALID_CONTACT_STRING] = "org/ggf/drmaa/InvalidContactStringException",
    [DRMAA_ERRNO_DEFAULT_CONTACT_STRING_ERROR] = "org/ggf/drmaa/DefaultContactStringException",
    [DRMAA_ERRNO_NO_DEFAULT_CONTACT_STRING_SELECTED] =
        "org/ggf/drmaa/NoDefaultContactStringException",
    [DRMAA_ERRNO_DRMS_INIT_FAILED] = "org/ggf/drmaa/DrmsInitException",
    [DRMAA_ERRNO_ALREADY_ACTIVE_SESSION] = "org/ggf/drmaa/AlreadyActiveSessionException",
    [DRMAA_ERRNO_DRMS_EXIT_ERROR] = "org/ggf/drmaa/DrmsExitException",
    [DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT] = "org/ggf/drmaa/InvalidAttributeFormatException",
    [DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE] = "org/ggf/drmaa/InvalidAttributeValueException",
    [DRMAA_ERRNO_CONFLICTING_ATTRIBUTE_VALUES] =
        "org/ggf/drmaa/ConflictingAttributeValuesException",
    [DRMAA_ERRNO_TRY_LATER] = "org/ggf/drmaa/TryLaterException",
    [DRMAA_ERRNO_DENIED_BY_DRM] = "org/ggf/drmaa/DeniedByDrmException",
    [DRMAA_ERRNO_INVALID_JOB] = "org/ggf/drmaa/InvalidJobException",
    [DRMAA_ERRNO_RESUME_INCONSISTENT_STATE] = "org/ggf/drmaa/ResumeInconsistentStateException",
    [DRMAA_ERRNO_SUSPEND_INCONSISTENT_STATE] =
        "org/ggf/drmaa/SuspendInconsistentStateException",
    [DRMAA_ERRNO_HOLD_INCONSISTENT_STATE] = "org/ggf/drmaa/HoldInconsistentStateException",
    [DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE] =
        "org/ggf/drmaa/ReleaseInconsistentStateException",
    [DRMAA_ERRNO_EXIT_TIMEOUT] = "org/ggf/drmaa/ExitTimeoutException",
    /* The Java binding has no exception for these two: nativeWait turns NO_RUSAGE into
     * a JobInfo, and NO_MORE_ELEMENTS never leaves this file. */
    [DRMAA_ERRNO_NO_RUSAGE] = CLASS_INTERNAL,
    [DRMAA_ERRNO_NO_MORE_ELEMENTS] = CLASS_INTERNAL,
};

static jstring new_string(JNIEnv *env, const char *text);

/* Throw a new class_name(message); when that fails, whatever the failure threw (a
 * NoClassDefFoundError, an OutOfMemoryError) is pending instead. Never replaces an
 * exception already pending. */
static void throw_new(JNIEnv *env, const char *class_name, const char *message)
{
    if ((*env)->ExceptionCheck(env))
        return;
    jclass cls = (*env)->FindClass(env, class_name);
    if (cls == NULL)
        return;
    jmethodID init = (*env)->GetMethodID(env, cls, "<init>", "(Ljava/lang/String;)V");
    jstring text = init == NULL ? NULL : new_string(env, message);
    if (text != NULL) {
        jobject error = (*env)->NewObject(env, cls, init, text);
        if (error != NULL) {
            (*env)->Throw(env, (jthrowable)error);
            (*env)->DeleteLocalRef(env, error);
        }
        (*env)->DeleteLocalRef(env, text);
    }
    (*env)->DeleteLocalRef(env, cls);
}

/* The exception for a DRMAA error code, with the call's error text (the code's
 * drmaa_strerror() text when the call gave none). */
static void throw_code(JNIEnv *env, int code, const char *diag)
{
    const char *name = NULL;
    char unknown[64];
    if (code > 0 && code < DRMAA_NO_ERRNO)
        name = exception_for_code[code];
    if (diag == NULL || diag[0] == '\0')
        diag = drmaa_strerror(code);
    if (diag == NULL) { /* a code the library has no text for */
        snprintf(unknown, sizeof unknown, "DRMAA error code %d", code);
        diag = unknown;
    }
    throw_new(env, name != NULL ? name : CLASS_INTERNAL, diag);
}

static void throw_no_memory(JNIEnv *env)
{
    throw_new(env, CLASS_NO_MEMORY, "out of memory in libdrmaa's Java binding");
}

/* ---- strings ------------------------------------------------------------------------ */

/* The length of the UTF-8 sequence starting at s (at most n bytes) and its code point;
 * 0 when it is not well-formed (overlong, a surrogate, past U+10FFFF, cut short). */
static size_t utf8_sequence(const unsigned char *s, size_t n, uint32_t *code)
{
    unsigned char lead = s[0];
    size_t length;
    uint32_t value, min;
    if (lead < 0x80) {
        *code = lead;
        return 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2, value = lead & 0x1Fu, min = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3, value = lead & 0x0Fu, min = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4, value = lead & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (length > n)
        return 0;
    for (size_t i = 1; i < length; i++) {
        if ((s[i] & 0xC0u) != 0x80u)
            return 0;
        value = (value << 6) | (s[i] & 0x3Fu);
    }
    if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    *code = value;
    return length;
}

/* A Java string from UTF-8 text; a byte that starts no well-formed sequence becomes
 * U+FFFD. NULL (an exception pending) on failure. */
static jstring new_string(JNIEnv *env, const char *text)
{
    size_t n = strlen(text);
    /* every byte yields at most one UTF-16 unit (a 4-byte sequence yields two) */
    jchar *units = malloc((n + 1) * sizeof *units);
    if (units == NULL) {
        throw_no_memory(env);
        return NULL;
    }
    const unsigned char *s = (const unsigned char *)text;
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        uint32_t code;
        size_t length = utf8_sequence(s + i, n - i, &code);
        if (length == 0) {
            code = 0xFFFD;
            length = 1;
        }
        if (code >= 0x10000) {
            code -= 0x10000;
            units[count++] = (jchar)(0xD800 + (code >> 10));
            units[count++] = (jchar)(0xDC00 + (code & 0x3FFu));
        } else {
            units[count++] = (jchar)code;
        }
        i += length;
    }
    jstring result = NULL;
    if (count > INT32_MAX)
        throw_new(env, CLASS_INTERNAL, "a string from libdrmaa is too long for Java");
    else
        result = (*env)->NewString(env, units, (jsize)count);
    free(units);
    return result;
}

/* A Java string as UTF-8 text in *out (the caller frees it); NULL for a null string.
 * Returns 0, or -1 with an exception pending: out of memory, or a NUL character, which
 * no C string can carry. An unpaired surrogate becomes U+FFFD. */
static int utf8_from(JNIEnv *env, jstring string, const char *what, char **out)
{
    *out = NULL;
    if (string == NULL)
        return 0;
    jsize n = (*env)->GetStringLength(env, string);
    jchar *units = malloc(((size_t)n + 1) * sizeof *units);
    /* at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units) */
    char *text = malloc((size_t)n * 3 + 1);
    if (units == NULL || text == NULL) {
        free(units);
        free(text);
        throw_no_memory(env);
        return -1;
    }
    (*env)->GetStringRegion(env, string, 0, n, units);
    if ((*env)->ExceptionCheck(env)) {
        free(units);
        free(text);
        return -1;
    }
    unsigned char *p = (unsigned char *)text;
    for (jsize i = 0; i < n; i++) {
        uint32_t code = units[i];
        if (code == 0) {
            free(units);
            free(text);
            char message[160];
            snprintf(message, sizeof message, "%s contains a NUL character", what);
            throw_new(env, CLASS_ILLEGAL, message);
            return -1;
        }
        if (code >= 0xD800 && code <= 0xDBFF && i + 1 < n && units[i + 1] >= 0xDC00 &&
            units[i + 1] <= 0xDFFF) {
            code = 0x10000 + ((code - 0xD800) << 10) + (units[i + 1] - 0xDC00u);
            i++;
        } else if (code >= 0xD800 && code <= 0xDFFF) {
            code = 0xFFFD;
        }
        if (code < 0x80) {
            *p++ = (unsigned char)code;
        } else if (code < 0x800) {
            *p++ = (unsigned char)(0xC0 | (code >> 6));
            *p++ = (unsigned char)(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            *p++ = (unsigned char)(0xE0 | (code >> 12));
            *p++ = (unsigned char)(0x80 | ((code >> 6) & 0x3F));
            *p++ = (unsigned char)(0x80 | (code & 0x3F));
        } else {
            *p++ = (unsigned char)(0xF0 | (code >> 18));
            *p++ = (unsigned char)(0x80 | ((code >> 12) & 0x3F));
            *p++ = (unsigned char)(0x80 | ((code >> 6) & 0x3F));
            *p++ = (unsigned char)(0x80 | (code & 0x3F));
        }
    }
    *p = '\0';
    free(units);
    *out = text;
    return 0;
}

/* ---- string vectors: the library's lists on their way to Java, and Java's arrays on
 * their way to the library (NULL-terminated, as the C API takes them). */

struct strings {
    size_t count;
    size_t capacity;
    char **items; /* count items, then NULL */
};

static void strings_free(struct strings *v)
{
    for (size_t i = 0; i < v->count; i++)
        free(v->items[i]);
    free(v->items);
    v->count = v->capacity = 0;
    v->items = NULL;
}

/* Append text (taking it over); -1 when out of memory (text is freed). */
static int strings_take(struct strings *v, char *text)
{
    if (v->count + 1 >= v->capacity) {
        size_t capacity = v->capacity ? v->capacity * 2 : 8;
        char **items = realloc(v->items, capacity * sizeof *items);
        if (items == NULL) {
            free(text);
            return -1;
        }
        v->items = items;
        v->capacity = capacity;
    }
    v->items[v->count++] = text;
    v->items[v->count] = NULL;
    return 0;
}

static int strings_add(struct strings *v, const char *text)
{
    char *copy = strdup(text);
    return copy == NULL ? -1 : strings_take(v, copy);
}

enum list_kind { ATTR_NAMES, ATTR_VALUES, JOB_IDS };

static int list_next(enum list_kind kind, void *list, char *value, size_t len)
{
    switch (kind) {
    case ATTR_NAMES:
        return drmaa_get_next_attr_name(list, value, len);
    case ATTR_VALUES:
        return drmaa_get_next_attr_value(list, value, len);
    default:
        return drmaa_get_next_job_id(list, value, len);
    }
}

/* Append a library list's elements. Returns 0, or -1 with an exception pending. */
static int strings_from_list(JNIEnv *env, struct strings *v, enum list_kind kind, void *list)
{
    char *value = malloc(VALUE_MAX);
    if (value == NULL) {
        throw_no_memory(env);
        return -1;
    }
    int rc;
    while ((rc = list_next(kind, list, value, VALUE_MAX)) == DRMAA_ERRNO_SUCCESS) {
        if (strings_add(v, value) != 0) {
            free(value);
            throw_no_memory(env);
            return -1;
        }
    }
    free(value);
    if (rc != DRMAA_ERRNO_NO_MORE_ELEMENTS) {
        throw_code(env, rc, NULL);
        return -1;
    }
    return 0;
}

/* A String[] of the vector's items; NULL with an exception pending on failure. */
static jobjectArray strings_to_java(JNIEnv *env, const struct strings *v)
{
    if (v->count > INT32_MAX) {
        throw_new(env, CLASS_INTERNAL, "a list from libdrmaa is too long for Java");
        return NULL;
    }
    jclass string_class = (*env)->FindClass(env, CLASS_STRING);
    if (string_class == NULL)
        return NULL;
    jobjectArray array = (*env)->NewObjectArray(env, (jsize)v->count, string_class, NULL);
    (*env)->DeleteLocalRef(env, string_class);
    if (array == NULL)
        return NULL;
    for (size_t i = 0; i < v->count; i++) {
        jstring item = new_string(env, v->items[i]);
        if (item == NULL)
            break;
        (*env)->SetObjectArrayElement(env, array, (jsize)i, item);
        (*env)->DeleteLocalRef(env, item);
        if ((*env)->ExceptionCheck(env))
            break;
    }
    if ((*env)->ExceptionCheck(env)) {
        (*env)->DeleteLocalRef(env, array);
        return NULL;
    }
    return array;
}

/* A library list as a String[] (the list is left to the caller to release). */
static jobjectArray list_to_java(JNIEnv *env, enum list_kind kind, void *list)
{
    struct strings v = {0, 0, NULL};
    jobjectArray array = NULL;
    if (strings_from_list(env, &v, kind, list) == 0)
        array = strings_to_java(env, &v);
    strings_free(&v);
    return array;
}

/* A Java String[] as UTF-8 strings (NULL-terminated in v->items). A null array or
 * element is a NullPointerException. Returns 0, or -1 with an exception pending. */
static int strings_from_java(JNIEnv *env, jobjectArray array, const char *what,
                             struct strings *v)
{
    if (array == NULL) {
        throw_new(env, CLASS_NULL, what);
        return -1;
    }
    jsize n = (*env)->GetArrayLength(env, array);
    v->items = calloc(1, sizeof *v->items); /* an empty array: just the NULL */
    if (v->items == NULL) {
        throw_no_memory(env);
        return -1;
    }
    v->capacity = 1;
    for (jsize i = 0; i < n; i++) {
        jstring element = (jstring)(*env)->GetObjectArrayElement(env, array, i);
        if ((*env)->ExceptionCheck(env))
            return -1;
        if (element == NULL) {
            char message[160];
            snprintf(message, sizeof message, "element %d of %s is null", (int)i, what);
            throw_new(env, CLASS_NULL, message);
            return -1;
        }
        char *text;
        int rc = utf8_from(env, element, what, &text);
        (*env)->DeleteLocalRef(env, element);
        if (rc != 0)
            return -1;
        if (strings_take(v, text) != 0) {
            throw_no_memory(env);
            return -1;
        }
    }
    return 0;
}

/* ---- job templates ------------------------------------------------------------------
 * The Java side names a template by an int. A slot is in use while a call works with its
 * template; deleting it (or the session's end) takes it out of the table at once, and
 * whoever lets go of it last deletes the template, so a template is never used after it
 * is freed, whatever Java threads do. */

struct template_slot {
    struct template_slot *next;
    jint id;
    drmaa_job_template_t *jt;
    int users;   /* calls using jt now */
    int dropped; /* out of the table; the last user deletes jt */
};

static pthread_mutex_t templates_lock = PTHREAD_MUTEX_INITIALIZER;
static struct template_slot *templates;
static jint last_template_id;

static int session_is_open(void)
{
    char contact[DRMAA_CONTACT_BUFFER] = "";
    /* this library's contact is empty exactly when no session is open */
    return drmaa_get_contact(contact, sizeof contact, NULL, 0) == DRMAA_ERRNO_SUCCESS &&
           contact[0] != '\0';
}

/* An id that names no template: outside a session, that is the missing session. */
static void throw_no_template(JNIEnv *env, jint id)
{
    if (!session_is_open()) {
        throw_code(env, DRMAA_ERRNO_NO_ACTIVE_SESSION, NULL);
        return;
    }
    char message[160];
    snprintf(message, sizeof message,
             "There is no job template %d in this session: it was deleted, or made by an "
             "earlier session.",
             (int)id);
    throw_new(env, CLASS_BAD_TEMPLATE, message);
}

/* The slot of template id, in use by the caller until release_template(); NULL with an
 * exception pending when there is none. */
static struct template_slot *use_template(JNIEnv *env, jint id)
{
    pthread_mutex_lock(&templates_lock);
    struct template_slot *slot = templates;
    while (slot != NULL && slot->id != id)
        slot = slot->next;
    if (slot != NULL)
        slot->users++;
    pthread_mutex_unlock(&templates_lock);
    if (slot == NULL)
        throw_no_template(env, id);
    return slot;
}

static void release_template(struct template_slot *slot)
{
    pthread_mutex_lock(&templates_lock);
    int last = --slot->users == 0 && slot->dropped;
    pthread_mutex_unlock(&templates_lock);
    if (last) {
        drmaa_delete_job_template(slot->jt, NULL, 0);
        free(slot);
    }
}

/* Take a slot out of the table (templates_lock held). Returns it when nobody uses it,
 * for the caller to delete; NULL when the last user will. */
static struct template_slot *unlink_template_locked(struct template_slot **link)
{
    struct template_slot *slot = *link;
    *link = slot->next;
    slot->next = NULL;
    if (slot->users > 0) {
        slot->dropped = 1;
        return NULL;
    }
    return slot;
}

/* After the session's end: its templates went with it. */
static void drop_all_templates(void)
{
    struct template_slot *unused = NULL;
    pthread_mutex_lock(&templates_lock);
    while (templates != NULL) {
        struct template_slot *slot = unlink_template_locked(&templates);
        if (slot != NULL) {
            slot->next = unused;
            unused = slot;
        }
    }
    pthread_mutex_unlock(&templates_lock);
    while (unused != NULL) {
        struct template_slot *next = unused->next;
        drmaa_delete_job_template(unused->jt, NULL, 0);
        free(unused);
        unused = next;
    }
}

/* ---- the native methods of com.sun.grid.drmaa.SessionImpl ------------------------- */

JNIEXPORT void JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeInit(JNIEnv *env, jobject self,
                                                                      jstring contact)
{
    (void)self;
    char *text, diag[DIAG_LEN] = "";
    if (utf8_from(env, contact, "the contact string", &text) != 0)
        return;
    int rc = drmaa_init(text, diag, sizeof diag);
    free(text);
    if (rc != DRMAA_ERRNO_SUCCESS)
        throw_code(env, rc, diag);
}

JNIEXPORT void JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeExit(JNIEnv *env, jobject self)
{
    (void)self;
    char diag[DIAG_LEN] = "";
    int rc = drmaa_exit(diag, sizeof diag);
    if (!session_is_open())
        drop_all_templates();
    if (rc != DRMAA_ERRNO_SUCCESS)
        throw_code(env, rc, diag);
}

JNIEXPORT jstring JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeGetContact(JNIEnv *env,
                                                                               jobject self)
{
    (void)self;
    char contact[DRMAA_CONTACT_BUFFER] = "", diag[DIAG_LEN] = "";
    int rc = drmaa_get_contact(contact, sizeof contact, diag, sizeof diag);
    if (rc != DRMAA_ERRNO_SUCCESS) {
        throw_code(env, rc, diag);
        return NULL;
    }
    return new_string(env, contact);
}

JNIEXPORT jstring JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeGetDRMSInfo(JNIEnv *env,
                                                                                jobject self)
{
    (void)self;
    char system[DRMAA_DRM_SYSTEM_BUFFER] = "", diag[DIAG_LEN] = "";
    int rc = drmaa_get_DRM_system(system, sizeof system, diag, sizeof diag);
    if (rc != DRMAA_ERRNO_SUCCESS) {
        throw_code(env, rc, diag);
        return NULL;
    }
    return new_string(env, system);
}

JNIEXPORT jint JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeGetJobProgramStatus(
    JNIEnv *env, jobject self, jstring job_id)
{
    (void)self;
    char *id, diag[DIAG_LEN] = "";
    if (utf8_from(env, job_id, "the job id", &id) != 0)
        return 0;
    int state = DRMAA_PS_UNDETERMINED;
    int rc = drmaa_job_ps(id, &state, diag, sizeof diag);
    free(id);
    if (rc != DRMAA_ERRNO_SUCCESS) {
        throw_code(env, rc, diag);
        return 0;
    }
    return state;
}

JNIEXPORT void JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeControl(JNIEnv *env,
                                                                         jobject self,
                                                                         jstring job_id,
                                                                         jint action)
{
    (void)self;
    char *id, diag[DIAG_LEN] = "";
    if (utf8_from(env, job_id, "the job id", &id) != 0)
        return;
    int rc = drmaa_control(id, action, diag, sizeof diag);
    free(id);
    if (rc != DRMAA_ERRNO_SUCCESS)
        throw_code(env, rc, diag);
}

JNIEXPORT void JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeSynchronize(
    JNIEnv *env, jobject self, jobjectArray job_ids, jlong timeout, jboolean dispose)
{
    (void)self;
    struct strings ids = {0, 0, NULL};
    char diag[DIAG_LEN] = "";
    if (strings_from_java(env, job_ids, "the job ids", &ids) == 0) {
        int rc = drmaa_synchronize((const char **)ids.items, (signed long)timeout,
                                   dispose == JNI_TRUE, diag, sizeof diag);
        if (rc != DRMAA_ERRNO_SUCCESS)
            throw_code(env, rc, diag);
    }
    strings_free(&ids);
}

/* A JobInfoImpl(jobId, stat, usage, signal); NULL with an exception pending. */
static jobject new_job_info(JNIEnv *env, const char *job_id, int stat,
                            const struct strings *usage)
{
    jobject info = NULL;
    jstring id = NULL, signal = NULL;
    jobjectArray resources = NULL;
    char diag[DIAG_LEN] = "", name[DRMAA_SIGNAL_BUFFER] = "";
    int signaled = 0, rc;
    jclass cls = (*env)->FindClass(env, CLASS_JOB_INFO);
    if (cls == NULL)
        return NULL;
    jmethodID init = (*env)->GetMethodID(env, cls, "<init>",
                                         "(Ljava/lang/String;I[Ljava/lang/String;"
                                         "Ljava/lang/String;)V");
    if (init == NULL)
        goto done;
    if ((id = new_string(env, job_id)) == NULL)
        goto done;
    if (usage != NULL && (resources = strings_to_java(env, usage)) == NULL)
        goto done;
    rc = drmaa_wifsignaled(&signaled, stat, diag, sizeof diag);
    if (rc == DRMAA_ERRNO_SUCCESS && signaled) {
        rc = drmaa_wtermsig(name, sizeof name, stat, diag, sizeof diag);
        if (rc == DRMAA_ERRNO_SUCCESS && (signal = new_string(env, name)) == NULL)
            goto done;
    }
    if (rc != DRMAA_ERRNO_SUCCESS) {
        throw_code(env, rc, diag);
        goto done;
    }
    info = (*env)->NewObject(env, cls, init, id, (jint)stat, resources, signal);
done:
    if (signal != NULL)
        (*env)->DeleteLocalRef(env, signal);
    if (resources != NULL)
        (*env)->DeleteLocalRef(env, resources);
    if (id != NULL)
        (*env)->DeleteLocalRef(env, id);
    (*env)->DeleteLocalRef(env, cls);
    return info;
}

JNIEXPORT jobject JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeWait(JNIEnv *env,
                                                                         jobject self,
                                                                         jstring job_id,
                                                                         jlong timeout)
{
    (void)self;
    char *id, done[DRMAA_JOBNAME_BUFFER] = "", diag[DIAG_LEN] = "";
    if (utf8_from(env, job_id, "the job id", &id) != 0)
        return NULL;
    int stat = 0;
    drmaa_attr_values_t *rusage = NULL;
    int rc = drmaa_wait(id, done, sizeof done, &stat, (signed long)timeout, &rusage, diag,
                        sizeof diag);
    jobject info = NULL;
    if (rc == DRMAA_ERRNO_SUCCESS) {
        struct strings usage = {0, 0, NULL};
        if (rusage == NULL || strings_from_list(env, &usage, ATTR_VALUES, rusage) == 0)
            info = new_job_info(env, done, stat, rusage == NULL ? NULL : &usage);
        strings_free(&usage);
    } else if (rc == DRMAA_ERRNO_NO_RUSAGE && id != NULL &&
               strcmp(id, DRMAA_JOB_IDS_SESSION_ANY) != 0) {
        /* The job is reaped, but Grid Engine has no usage for it: it never ran. The
         * Java binding has no exception for this; its JobInfo says so instead
         * (wasAborted(), no resource usage). */
        info = new_job_info(env, id, STAT_ABORTED, NULL);
    } else {
        throw_code(env, rc, diag);
    }
    drmaa_release_attr_values(rusage);
    free(id);
    return info;
}

JNIEXPORT jint JNICALL
Java_com_sun_grid_drmaa_SessionImpl_nativeAllocateJobTemplate(JNIEnv *env, jobject self)
{
    (void)self;
    char diag[DIAG_LEN] = "";
    struct template_slot *slot = calloc(1, sizeof *slot);
    if (slot == NULL) {
        throw_no_memory(env);
        return -1;
    }
    int rc = drmaa_allocate_job_template(&slot->jt, diag, sizeof diag);
    if (rc != DRMAA_ERRNO_SUCCESS) {
        free(slot);
        throw_code(env, rc, diag);
        return -1;
    }
    pthread_mutex_lock(&templates_lock);
    int full = last_template_id == INT32_MAX;
    if (!full) {
        slot->id = ++last_template_id;
        slot->next = templates;
        templates = slot;
    }
    pthread_mutex_unlock(&templates_lock);
    if (full) {
        drmaa_delete_job_template(slot->jt, NULL, 0);
        free(slot);
        throw_new(env, CLASS_INTERNAL, "this process has used up its job template ids");
        return -1;
    }
    return slot->id;
}

JNIEXPORT void JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeDeleteJobTemplate(
    JNIEnv *env, jobject self, jint id)
{
    (void)self;
    pthread_mutex_lock(&templates_lock);
    struct template_slot **link = &templates;
    while (*link != NULL && (*link)->id != id)
        link = &(*link)->next;
    int found = *link != NULL;
    struct template_slot *slot = found ? unlink_template_locked(link) : NULL;
    pthread_mutex_unlock(&templates_lock);
    if (!found) {
        throw_no_template(env, id);
        return;
    }
    if (slot != NULL) {
        char diag[DIAG_LEN] = "";
        int rc = drmaa_delete_job_template(slot->jt, diag, sizeof diag);
        free(slot);
        if (rc != DRMAA_ERRNO_SUCCESS)
            throw_code(env, rc, diag);
    }
}

JNIEXPORT void JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeSetAttributeValue(
    JNIEnv *env, jobject self, jint id, jstring name, jstring value)
{
    (void)self;
    char *c_name = NULL, *c_value = NULL, diag[DIAG_LEN] = "";
    struct template_slot *slot = use_template(env, id);
    if (slot == NULL)
        return;
    if (utf8_from(env, name, "the attribute name", &c_name) == 0 &&
        utf8_from(env, value, "the attribute value", &c_value) == 0) {
        int rc = drmaa_set_attribute(slot->jt, c_name, c_value, diag, sizeof diag);
        if (rc != DRMAA_ERRNO_SUCCESS)
            throw_code(env, rc, diag);
    }
    release_template(slot);
    free(c_name);
    free(c_value);
}

JNIEXPORT void JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeSetAttributeValues(
    JNIEnv *env, jobject self, jint id, jstring name, jobjectArray values)
{
    (void)self;
    char *c_name = NULL, diag[DIAG_LEN] = "";
    struct strings v = {0, 0, NULL};
    struct template_slot *slot = use_template(env, id);
    if (slot == NULL)
        return;
    if (utf8_from(env, name, "the attribute name", &c_name) == 0 &&
        strings_from_java(env, values, "the attribute values", &v) == 0) {
        int rc = drmaa_set_vector_attribute(slot->jt, c_name, (const char **)v.items, diag,
                                            sizeof diag);
        if (rc != DRMAA_ERRNO_SUCCESS)
            throw_code(env, rc, diag);
    }
    release_template(slot);
    strings_free(&v);
    free(c_name);
}

/* Append the library's scalar (vector == 0) or vector attribute names. Returns 0, or -1
 * with an exception pending. */
static int attribute_names(JNIEnv *env, int vector, struct strings *names)
{
    char diag[DIAG_LEN] = "";
    drmaa_attr_names_t *list = NULL;
    int rc = vector ? drmaa_get_vector_attribute_names(&list, diag, sizeof diag)
                    : drmaa_get_attribute_names(&list, diag, sizeof diag);
    if (rc != DRMAA_ERRNO_SUCCESS) {
        throw_code(env, rc, diag);
        return -1;
    }
    rc = strings_from_list(env, names, ATTR_NAMES, list);
    drmaa_release_attr_names(list);
    return rc;
}

JNIEXPORT jobjectArray JNICALL
Java_com_sun_grid_drmaa_SessionImpl_nativeGetAttributeNames(JNIEnv *env, jobject self, jint id)
{
    (void)self;
    struct template_slot *slot = use_template(env, id);
    if (slot == NULL)
        return NULL;
    release_template(slot); /* the names are the library's, whatever the template */
    struct strings names = {0, 0, NULL};
    jobjectArray array = NULL;
    if (attribute_names(env, 0, &names) == 0 && attribute_names(env, 1, &names) == 0)
        array = strings_to_java(env, &names);
    strings_free(&names);
    return array;
}

JNIEXPORT jobjectArray JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeGetAttribute(
    JNIEnv *env, jobject self, jint id, jstring name)
{
    (void)self;
    char *c_name = NULL, diag[DIAG_LEN] = "";
    struct strings vector_names = {0, 0, NULL}, values = {0, 0, NULL};
    jobjectArray array = NULL;
    int rc, vector = 0;
    struct template_slot *slot = use_template(env, id);
    if (slot == NULL)
        return NULL;
    if (utf8_from(env, name, "the attribute name", &c_name) != 0 ||
        attribute_names(env, 1, &vector_names) != 0)
        goto done;
    for (size_t i = 0; c_name != NULL && i < vector_names.count; i++)
        vector = vector || strcmp(vector_names.items[i], c_name) == 0;
    if (vector) {
        drmaa_attr_values_t *list = NULL;
        rc = drmaa_get_vector_attribute(slot->jt, c_name, &list, diag, sizeof diag);
        if (rc == DRMAA_ERRNO_SUCCESS) {
            int failed = strings_from_list(env, &values, ATTR_VALUES, list);
            drmaa_release_attr_values(list);
            if (failed)
                goto done;
        }
    } else {
        char *value = malloc(VALUE_MAX);
        if (value == NULL) {
            throw_no_memory(env);
            goto done;
        }
        rc = drmaa_get_attribute(slot->jt, c_name, value, VALUE_MAX, diag, sizeof diag);
        if (rc == DRMAA_ERRNO_SUCCESS && strings_add(&values, value) != 0) {
            free(value);
            throw_no_memory(env);
            goto done;
        }
        free(value);
    }
    if (rc == DRMAA_ERRNO_SUCCESS)
        array = strings_to_java(env, &values);
    else if (rc != DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE) /* that one: not set, null */
        throw_code(env, rc, diag);
done:
    release_template(slot);
    strings_free(&vector_names);
    strings_free(&values);
    free(c_name);
    return array;
}

JNIEXPORT jstring JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeRunJob(JNIEnv *env,
                                                                           jobject self,
                                                                           jint id)
{
    (void)self;
    char job_id[DRMAA_JOBNAME_BUFFER] = "", diag[DIAG_LEN] = "";
    struct template_slot *slot = use_template(env, id);
    if (slot == NULL)
        return NULL;
    int rc = drmaa_run_job(job_id, sizeof job_id, slot->jt, diag, sizeof diag);
    release_template(slot);
    if (rc != DRMAA_ERRNO_SUCCESS) {
        throw_code(env, rc, diag);
        return NULL;
    }
    return new_string(env, job_id);
}

JNIEXPORT jobjectArray JNICALL Java_com_sun_grid_drmaa_SessionImpl_nativeRunBulkJobs(
    JNIEnv *env, jobject self, jint id, jint start, jint end, jint incr)
{
    (void)self;
    char diag[DIAG_LEN] = "";
    struct template_slot *slot = use_template(env, id);
    if (slot == NULL)
        return NULL;
    drmaa_job_ids_t *ids = NULL;
    /* the bounds go through as the C API's unsigned ints; the library passes them on as
     * the ints they were, and a negative one is refused as Grid Engine refuses it */
    int rc = drmaa_run_bulk_jobs(&ids, slot->jt, (unsigned)start, (unsigned)end, incr, diag,
                                 sizeof diag);
    release_template(slot);
    if (rc != DRMAA_ERRNO_SUCCESS) {
        throw_code(env, rc, diag);
        return NULL;
    }
    jobjectArray array = list_to_java(env, JOB_IDS, ids);
    drmaa_release_job_ids(ids);
    return array;
}
