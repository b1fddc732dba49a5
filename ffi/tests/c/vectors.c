/* The shared vectors (every core/tests/vectors JSON file, format in its README.md) run through the
 * C API: the same steps, expectations and cross-checks as the Rust runner
 * core/tests/vectors.rs.
 *
 * Usage: vectors <vectors dir> [name prefix...]  (with prefixes: only the files whose name
 * starts with one of them; without: every file, and at least 50 of them).
 *
 * Differences forced by the C API, none weakening a check:
 * - `now` and `start` are passed as Unix seconds (the vectors' RFC 3339 instants are
 *   converted here);
 * - a password-reset token is only handed out by cp_engine_drain_outbox (cp_engine_outbox
 *   never shows tokens), so `request_password_reset` with `save_token_as` drains the outbox
 *   and keeps the drained notifications for the next `drain_outbox` step, which sees them
 *   first, in order. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "clinic_portal.h"

#define MIN_VECTORS 50
#define MAX_NAMED 64

/* ------------------------------------------------------------------------------------ */
/* Small helpers                                                                         */
/* ------------------------------------------------------------------------------------ */

static char failure[8192];

/* Records a failure message; returns 0 so that `return fail(...)` reads naturally. */
static int fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(failure, sizeof failure, format, args);
    va_end(args);
    return 0;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
    } else {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

static const cJSON *get(const cJSON *object, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(object, key);
}

static const char *get_string(const cJSON *object, const char *key) {
    return cJSON_GetStringValue(get(object, key));
}

static char *print(const cJSON *json) {
    return cJSON_PrintUnformatted(json);
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parses an RFC 3339 instant (`2027-02-01T09:00:00-05:00`, `...Z`, fractions allowed) into
 * Unix seconds; returns 0 when `text` is not one. */
static int parse_instant(const char *text, int64_t *out) {
    int y, mo, d, h, mi, s, n = 0;
    if (text == NULL || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19) {
        return 0;
    }
    const char *rest = text + n;
    if (*rest == '.') {
        rest++;
        while (*rest >= '0' && *rest <= '9') {
            rest++;
        }
    }
    int64_t offset = 0;
    if (*rest == 'Z' || *rest == 'z') {
        rest++;
    } else if (*rest == '+' || *rest == '-') {
        int oh, om, m = 0;
        if (sscanf(rest + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5) {
            return 0;
        }
        offset = (oh * 3600 + om * 60) * (*rest == '-' ? -1 : 1);
        rest += 6;
    } else {
        return 0;
    }
    if (*rest != '\0') {
        return 0;
    }
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
    return 1;
}

/* The step's instant member (`now`, `start`) as Unix seconds. */
static int instant_of(const cJSON *step, const char *key, int64_t *out) {
    if (!parse_instant(get_string(step, key), out)) {
        return fail("`%s` is missing or not an RFC 3339 instant", key);
    }
    return 1;
}

/* `2027-02-01T09:00:00-05:00`: the wall time at `offset` seconds east of UTC. */
static void format_local(int64_t unix_seconds, int32_t offset, char out[40]) {
    time_t t = (time_t)(unix_seconds + offset);
    struct tm tm;
    gmtime_r(&t, &tm);
    char wall[24];
    strftime(wall, sizeof wall, "%Y-%m-%dT%H:%M:%S", &tm);
    int32_t a = offset < 0 ? -offset : offset;
    snprintf(out, 40, "%s%c%02d:%02d", wall, offset < 0 ? '-' : '+', (int)(a / 3600), (int)(a % 3600 / 60));
}

/* `YYYY-MM-DD` of the UTC date of an instant, `days` later. */
static void utc_date(int64_t unix_seconds, int days, char out[16]) {
    time_t t = (time_t)(unix_seconds + (int64_t)days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

/* The number of Unicode characters of UTF-8 text. */
static size_t chars(const char *text) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        n += (*p & 0xC0) != 0x80;
    }
    return n;
}

/* ------------------------------------------------------------------------------------ */
/* Comparison                                                                            */
/* ------------------------------------------------------------------------------------ */

/* `want` is a subset of `got` (README: objects by key, recursively; arrays item by item,
 * same length; RFC 3339 strings equal as instants; anything else equal). */
static int subset(const cJSON *want, const cJSON *got, const char *path) {
    char at[512];
    if (cJSON_IsObject(want)) {
        if (!cJSON_IsObject(got)) {
            char *g = print(got);
            int r = fail("`%s`: expected an object, got %s", path, g);
            cJSON_free(g);
            return r;
        }
        const cJSON *item;
        cJSON_ArrayForEach(item, want) {
            snprintf(at, sizeof at, "%s%s%s", path, *path ? "." : "", item->string);
            const cJSON *actual = get(got, item->string);
            if (actual == NULL) {
                return fail("the outcome has no field `%s`", at);
            }
            if (!subset(item, actual, at)) {
                return 0;
            }
        }
        return 1;
    }
    if (cJSON_IsArray(want)) {
        if (!cJSON_IsArray(got) || cJSON_GetArraySize(want) != cJSON_GetArraySize(got)) {
            char *g = print(got);
            int r = fail("`%s`: expected %d item(s), got %s", path, cJSON_GetArraySize(want), g);
            cJSON_free(g);
            return r;
        }
        for (int i = 0; i < cJSON_GetArraySize(want); i++) {
            snprintf(at, sizeof at, "%s[%d]", path, i);
            if (!subset(cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(got, i), at)) {
                return 0;
            }
        }
        return 1;
    }
    if (cJSON_IsString(want) && cJSON_IsString(got)) {
        int64_t a, b;
        if (strcmp(want->valuestring, got->valuestring) == 0 ||
            (parse_instant(want->valuestring, &a) && parse_instant(got->valuestring, &b) && a == b)) {
            return 1;
        }
    } else if (cJSON_Compare(want, got, 1)) {
        return 1;
    }
    char *w = print(want);
    char *g = print(got);
    fail("`%s`: expected %s, got %s", path, w, g);
    cJSON_free(w);
    cJSON_free(g);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* One vector's run                                                                      */
/* ------------------------------------------------------------------------------------ */

typedef struct {
    cp_engine *engine; /* NULL when the configuration does not load */
    char *build_error;
    char *config; /* the configuration JSON */
    char *initial[2];
    const char *initial_label[2];
    int initial_count;
    char *token_names[MAX_NAMED];
    char *token_values[MAX_NAMED];
    int token_count;
    char *secrets[MAX_NAMED * 2];
    int secret_count;
    cJSON *pending; /* drained notifications not yet checked by a drain_outbox step */
} Run;

/* The result of one C call. */
typedef struct {
    cp_status status;
    cp_error *error;
    char *out;
} Call;

static void call_free(Call *c) {
    cp_error_free(c->error);
    cp_string_free(c->out);
    c->error = NULL;
    c->out = NULL;
}

static char *snapshot(const Run *run) {
    char *s = NULL;
    cp_engine_snapshot(run->engine, &s, NULL);
    return s;
}

static void remember_secret(Run *run, const char *text) {
    if (run->secret_count < MAX_NAMED * 2) {
        run->secrets[run->secret_count++] = strdup(text);
    }
}

/* No password or token seen so far appears in `text`. */
static int no_secrets(const Run *run, const char *text, const char *what) {
    for (int i = 0; text != NULL && i < run->secret_count; i++) {
        if (strstr(text, run->secrets[i]) != NULL) {
            return fail("%s contains a password or token (%zu characters)", what, chars(run->secrets[i]));
        }
    }
    return 1;
}

static int save_token(Run *run, const char *name, const char *token) {
    for (int i = 0; i < run->token_count; i++) {
        if (strcmp(run->token_names[i], name) == 0) {
            return fail("token name `%s` is already used in this vector", name);
        }
    }
    if (token == NULL || run->token_count == MAX_NAMED) {
        return fail("no token to save as `%s`", name);
    }
    run->token_names[run->token_count] = strdup(name);
    run->token_values[run->token_count++] = strdup(token);
    remember_secret(run, token);
    return 1;
}

static const char *saved_token(const Run *run, const char *name) {
    for (int i = 0; i < run->token_count; i++) {
        if (strcmp(run->token_names[i], name) == 0) {
            return run->token_values[i];
        }
    }
    return NULL;
}

/* The token a step presents: `token_ref` (saved) or `token` (literal), exactly one. */
static const char *step_token(const Run *run, const cJSON *step) {
    const char *ref = get_string(step, "token_ref");
    const char *literal = get_string(step, "token");
    if ((ref == NULL) == (literal == NULL)) {
        fail("give exactly one of `token_ref` and `token`");
        return NULL;
    }
    if (literal != NULL) {
        return literal;
    }
    const char *token = saved_token(run, ref);
    if (token == NULL) {
        fail("no token was saved as `%s`", ref);
    }
    return token;
}

/* A password: a string or {"repeat": "ab", "times": N}. Remembered as a secret when it
 * has 8 characters or more. The caller frees it. */
static char *secret_text(Run *run, const cJSON *text) {
    char *out = NULL;
    if (cJSON_IsString(text)) {
        out = strdup(text->valuestring);
    } else if (cJSON_IsObject(text) && cJSON_IsString(get(text, "repeat")) && cJSON_IsNumber(get(text, "times"))) {
        const char *unit = get_string(text, "repeat");
        int times = get(text, "times")->valueint;
        size_t len = strlen(unit);
        out = malloc(len * (size_t)times + 1);
        for (int i = 0; i < times; i++) {
            memcpy(out + len * (size_t)i, unit, len);
        }
        out[len * (size_t)times] = '\0';
    } else {
        fail("a password must be a string or {\"repeat\", \"times\"}");
        return NULL;
    }
    if (chars(out) >= 8) {
        remember_secret(run, out);
    }
    return out;
}

/* A cJSON string from the step's member, or JSON null when absent. */
static cJSON *string_or_null(const cJSON *step, const char *key) {
    const char *s = get_string(step, key);
    return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* Compares a call with an expected error code (NULL: success expected). */
static int check_error(const Call *c, const char *want) {
    if (want == NULL && c->status == CP_STATUS_OK) {
        return 1;
    }
    if (want == NULL) {
        return fail("unexpected error %s: %s", cp_status_name(c->status), cp_error_message(c->error));
    }
    if (c->status == CP_STATUS_OK) {
        return fail("expected error `%s`, got success", want);
    }
    if (strcmp(cp_status_name(c->status), want) != 0) {
        return fail("expected error `%s`, got %s: %s", want, cp_status_name(c->status), cp_error_message(c->error));
    }
    if (cp_error_code(c->error) != c->status) {
        return fail("the cp_error carries another status than the one returned");
    }
    return 1;
}

/* The outcome view a step compares (owned by the caller), from the C outcome JSON. */
typedef cJSON *(*View)(cJSON *outcome);

static cJSON *as_is(cJSON *outcome) {
    return outcome;
}

/* Checks an outcome against `expect` (absent: must succeed): {"error", "rule"} or a
 * subset of the (viewed) outcome. */
static int check_outcome(const Call *c, const cJSON *expect, View view) {
    const cJSON *error = get(expect, "error");
    if (error != NULL) {
        const cJSON *item;
        cJSON_ArrayForEach(item, expect) {
            if (strcmp(item->string, "error") != 0 && strcmp(item->string, "rule") != 0) {
                return fail("an `expect` with `error` may only add `rule`, not `%s`", item->string);
            }
        }
        if (!cJSON_IsString(error)) {
            return fail("`error` must be a string");
        }
        if (!check_error(c, error->valuestring)) {
            return 0;
        }
        const cJSON *rule = get(expect, "rule");
        if (rule != NULL) {
            char cite[32];
            snprintf(cite, sizeof cite, "rule %d (", rule->valueint);
            if (strstr(cp_error_message(c->error), cite) == NULL) {
                return fail("expected the message to cite `%s`, got %s", cite, cp_error_message(c->error));
            }
        }
        return 1;
    }
    if (get(expect, "rule") != NULL) {
        return fail("`rule` goes with `error` only");
    }
    if (!check_error(c, NULL)) {
        return 0;
    }
    /* The C API never shows stored secrets (docs/accounts.md). */
    if (strstr(c->out, "\"password_hash\"") != NULL || strstr(c->out, "\"token_digest\"") != NULL) {
        return fail("the outcome shows a password hash or token digest: %.200s", c->out);
    }
    cJSON *got = view(cJSON_Parse(c->out));
    if (got == NULL) {
        return fail("the outcome is not JSON: %.200s", c->out);
    }
    cJSON *want = expect != NULL ? cJSON_Duplicate(expect, 1) : cJSON_CreateObject();
    int ok = subset(want, got, "");
    cJSON_Delete(want);
    cJSON_Delete(got);
    return ok;
}

/* Checks an iCalendar outcome (text, not JSON) against `expect`: {"error"} or a subset of
 * {"lines": [its content lines]}. */
static int check_lines(const Call *c, const cJSON *expect) {
    if (get(expect, "error") != NULL || c->status != CP_STATUS_OK) {
        return check_outcome(c, expect, as_is);
    }
    cJSON *got = cJSON_CreateObject();
    cJSON *lines = cJSON_AddArrayToObject(got, "lines");
    const char *at = c->out;
    while (*at != '\0') {
        const char *end = strstr(at, "\r\n");
        size_t len = end != NULL ? (size_t)(end - at) : strlen(at);
        if (len > 0) {
            char *line = malloc(len + 1);
            memcpy(line, at, len);
            line[len] = '\0';
            cJSON_AddItemToArray(lines, cJSON_CreateString(line));
            free(line);
        }
        at += len + (end != NULL ? 2 : 0);
    }
    cJSON *want = expect != NULL ? cJSON_Duplicate(expect, 1) : cJSON_CreateObject();
    int ok = subset(want, got, "");
    cJSON_Delete(want);
    cJSON_Delete(got);
    return ok;
}

/* ---- views of outcomes that the vectors compare in another shape ---- */

static cJSON *view_ids(cJSON *outcome, const char *key) {
    cJSON *view = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(view, key);
    const cJSON *item;
    cJSON_ArrayForEach(item, outcome) {
        cJSON_AddItemToArray(ids, cJSON_CreateString(get_string(item, "id")));
    }
    cJSON_Delete(outcome);
    return view;
}

static cJSON *view_appointments(cJSON *outcome) {
    return view_ids(outcome, "appointments");
}

static cJSON *wrap(cJSON *outcome, const char *key) {
    cJSON *view = cJSON_CreateObject();
    cJSON_AddItemToObject(view, key, outcome);
    return view;
}

static cJSON *view_signups(cJSON *outcome) {
    return wrap(outcome, "signups");
}

static cJSON *view_candidates(cJSON *outcome) {
    return wrap(outcome, "candidates");
}

static cJSON *view_entries(cJSON *outcome) {
    return wrap(outcome, "entries");
}

static cJSON *view_empty(cJSON *outcome) {
    cJSON_Delete(outcome);
    return cJSON_CreateObject();
}

/* bulk_invite: {"invited": [invitation…], "skipped": [{"patient", "reason"}…]}. */
static cJSON *view_bulk(cJSON *outcome) {
    cJSON *view = cJSON_CreateObject();
    cJSON *invited = cJSON_AddArrayToObject(view, "invited");
    const cJSON *item;
    cJSON_ArrayForEach(item, get(outcome, "invited")) {
        cJSON_AddItemToArray(invited, cJSON_Duplicate(get(item, "invitation"), 1));
    }
    cJSON *skipped = cJSON_AddArrayToObject(view, "skipped");
    cJSON_ArrayForEach(item, get(outcome, "skipped")) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "patient", item->string);
        cJSON_AddItemToObject(entry, "reason", cJSON_Duplicate(item, 1));
        cJSON_AddItemToArray(skipped, entry);
    }
    cJSON_Delete(outcome);
    return view;
}

/* ------------------------------------------------------------------------------------ */
/* Steps                                                                                 */
/* ------------------------------------------------------------------------------------ */

/* The members each op may have (README: unknown fields are errors). */
static const struct {
    const char *op;
    const char *members;
} MEMBERS[] = {
    {"search", " now query expect "},
    {"explain", " now query start expect "},
    {"validate", " expect "},
    {"add_appointment", " appointment expect "},
    {"update_appointment", " appointment expect "},
    {"remove_appointment", " id expect "},
    {"upsert_patient", " patient expect "},
    {"hold", " now request expect "},
    {"book", " now request expect "},
    {"accept", " now request expect "},
    {"decline", " now request expect "},
    {"cancel", " now request expect "},
    {"reschedule", " now request expect "},
    {"register_program", " now request expect "},
    {"cancel_program_registration", " now id actor expect "},
    {"drain_outbox", " expect "},
    {"journal_replay", " "},
    {"create_account", " now request expect "},
    {"login", " now username password expect "},
    {"change_password", " now account current new expect "},
    {"link_account", " now account patient relationship expect "},
    {"revoke_link", " now account patient expect "},
    {"confirm_link", " now account patient expect "},
    {"appointments_for_account", " account expect "},
    {"fhir_appointment", " id expect "},
    {"import_fhir_appointment", " resource expect "},
    {"ical_appointment", " now id actor expect "},
    {"invite", " now request save_token_as expect "},
    {"resend_invitation", " now id save_token_as expect "},
    {"delete_invitation", " id expect "},
    {"accept_invitation", " now token_ref token password authenticated_account account_id expect "},
    {"bulk_invite", " now save_tokens_as expect "},
    {"request_password_reset", " now username save_token_as expect "},
    {"reset_password", " now token_ref token password expect "},
    {"signup", " now request expect "},
    {"review_queue", " expect "},
    {"mark_signup_reviewed", " now id expect "},
    {"find_duplicates", " patient expect "},
    {"merge_patients", " now keep merge expect "},
    {"join_waitlist", " now request expect "},
    {"leave_waitlist", " now id actor expect "},
    {"decline_waitlist_offer", " now id actor expect "},
    {"process_waitlist", " now expect "},
    {"waitlist", " expect "},
};

static int known_members(const cJSON *step, const char *op) {
    for (size_t i = 0; i < sizeof MEMBERS / sizeof MEMBERS[0]; i++) {
        if (strcmp(MEMBERS[i].op, op) != 0) {
            continue;
        }
        const cJSON *item;
        cJSON_ArrayForEach(item, step) {
            char word[64];
            snprintf(word, sizeof word, " %s ", item->string);
            if (strcmp(item->string, "op") != 0 && strcmp(item->string, "note") != 0 &&
                strstr(MEMBERS[i].members, word) == NULL) {
                return fail("unknown member `%s` in a `%s` step", item->string, op);
            }
        }
        return 1;
    }
    return fail("unknown op `%s`", op);
}

/* Whether a step expects its operation to fail. */
static int expects_error(const cJSON *step, const char *op) {
    if (strcmp(op, "validate") == 0 || strcmp(op, "drain_outbox") == 0 || strcmp(op, "journal_replay") == 0) {
        return 0;
    }
    return get(get(step, "expect"), "error") != NULL;
}

static int engine_ready(const Run *run) {
    if (run->engine == NULL) {
        return fail("the configuration does not load: %s", run->build_error);
    }
    return 1;
}

/* Runs a `request` step through one of the request functions. */
typedef cp_status (*RequestFn)(const cp_engine *, const char *, int64_t, char **, cp_error **);

static int request_step(Run *run, const cJSON *step, RequestFn fn, View view) {
    int64_t now;
    if (!instant_of(step, "now", &now)) {
        return 0;
    }
    char *request = print(get(step, "request"));
    Call c = {0};
    c.status = fn(run->engine, request, now, &c.out, &c.error);
    cJSON_free(request);
    int ok = no_secrets(run, cp_error_message(c.error), "the error message") &&
             check_outcome(&c, get(step, "expect"), view);
    call_free(&c);
    return ok;
}

static int search_step(Run *run, const cJSON *step);
static int explain_step(Run *run, const cJSON *step);
static int validate_step(Run *run, const cJSON *step);
static int drain_step(Run *run, const cJSON *step);
static int journal_replay(Run *run);
static int account_step(Run *run, const cJSON *step, const char *op);

/* A step that only expects success or an error code. */
static int simple_step(const cJSON *step, Call *c) {
    int ok = check_error(c, get_string(get(step, "expect"), "error"));
    call_free(c);
    return ok;
}

static int step_dispatch(Run *run, const cJSON *step, const char *op) {
    if (strcmp(op, "validate") == 0) {
        return validate_step(run, step);
    }
    if (!engine_ready(run)) {
        return 0;
    }
    Call c = {0};
    if (strcmp(op, "search") == 0) {
        return search_step(run, step);
    } else if (strcmp(op, "explain") == 0) {
        return explain_step(run, step);
    } else if (strcmp(op, "add_appointment") == 0 || strcmp(op, "update_appointment") == 0 ||
               strcmp(op, "upsert_patient") == 0) {
        const char *key = strcmp(op, "upsert_patient") == 0 ? "patient" : "appointment";
        char *json = print(get(step, key));
        if (strcmp(op, "add_appointment") == 0) {
            c.status = cp_engine_add_appointment(run->engine, json, NULL, &c.error);
        } else if (strcmp(op, "update_appointment") == 0) {
            c.status = cp_engine_update_appointment(run->engine, json, NULL, &c.error);
        } else {
            c.status = cp_engine_upsert_patient(run->engine, json, NULL, &c.error);
        }
        cJSON_free(json);
        return simple_step(step, &c);
    } else if (strcmp(op, "remove_appointment") == 0) {
        c.status = cp_engine_remove_appointment(run->engine, get_string(step, "id"), &c.out, &c.error);
        return simple_step(step, &c);
    } else if (strcmp(op, "hold") == 0) {
        return request_step(run, step, cp_engine_hold, as_is);
    } else if (strcmp(op, "book") == 0) {
        return request_step(run, step, cp_engine_book, as_is);
    } else if (strcmp(op, "accept") == 0) {
        return request_step(run, step, cp_engine_accept, as_is);
    } else if (strcmp(op, "decline") == 0) {
        return request_step(run, step, cp_engine_decline, as_is);
    } else if (strcmp(op, "cancel") == 0) {
        return request_step(run, step, cp_engine_cancel, as_is);
    } else if (strcmp(op, "reschedule") == 0) {
        return request_step(run, step, cp_engine_reschedule, as_is);
    } else if (strcmp(op, "register_program") == 0) {
        return request_step(run, step, cp_engine_register_program, as_is);
    } else if (strcmp(op, "join_waitlist") == 0) {
        return request_step(run, step, cp_engine_join_waitlist, as_is);
    } else if (strcmp(op, "create_account") == 0 || strcmp(op, "signup") == 0) {
        /* The request with its password expanded. */
        cJSON *request = cJSON_Duplicate(get(step, "request"), 1);
        char *password = secret_text(run, get(request, "password"));
        if (password == NULL) {
            cJSON_Delete(request);
            return 0;
        }
        cJSON_ReplaceItemInObjectCaseSensitive(request, "password", cJSON_CreateString(password));
        free(password);
        int64_t now;
        if (!instant_of(step, "now", &now)) {
            cJSON_Delete(request);
            return 0;
        }
        char *json = print(request);
        cJSON_Delete(request);
        if (strcmp(op, "signup") == 0) {
            c.status = cp_engine_signup(run->engine, json, now, &c.out, &c.error);
        } else {
            c.status = cp_engine_create_account(run->engine, json, now, &c.out, &c.error);
        }
        cJSON_free(json);
        int ok = no_secrets(run, cp_error_message(c.error), "the error message") &&
                 check_outcome(&c, get(step, "expect"), as_is);
        call_free(&c);
        return ok;
    } else if (strcmp(op, "drain_outbox") == 0) {
        return drain_step(run, step);
    } else if (strcmp(op, "journal_replay") == 0) {
        return journal_replay(run);
    }
    return account_step(run, step, op);
}

/* The other account, family and program steps: positional string arguments. */
static int account_step(Run *run, const cJSON *step, const char *op) {
    Call c = {0};
    const cJSON *expect = get(step, "expect");
    int64_t now = 0;
    if (get(step, "now") != NULL && !instant_of(step, "now", &now)) {
        return 0;
    }
    const char *account = get_string(step, "account");
    const char *patient = get_string(step, "patient");
    const char *id = get_string(step, "id");
    View view = as_is;
    if (strcmp(op, "cancel_program_registration") == 0) {
        c.status = cp_engine_cancel_program_registration(run->engine, id, get_string(step, "actor"), now, &c.out,
                                                         &c.error);
    } else if (strcmp(op, "login") == 0) {
        char *password = secret_text(run, get(step, "password"));
        if (password == NULL) {
            return 0;
        }
        c.status = cp_engine_login(run->engine, get_string(step, "username"), password, now, &c.out, &c.error);
        free(password);
    } else if (strcmp(op, "change_password") == 0) {
        char *current = secret_text(run, get(step, "current"));
        char *new_password = secret_text(run, get(step, "new"));
        if (current == NULL || new_password == NULL) {
            free(current);
            free(new_password);
            return 0;
        }
        c.status = cp_engine_change_password(run->engine, account, current, new_password, now, &c.out, &c.error);
        free(current);
        free(new_password);
    } else if (strcmp(op, "link_account") == 0) {
        c.status = cp_engine_link_account(run->engine, account, patient, get_string(step, "relationship"), now,
                                          &c.out, &c.error);
    } else if (strcmp(op, "revoke_link") == 0) {
        c.status = cp_engine_revoke_link(run->engine, account, patient, now, &c.out, &c.error);
    } else if (strcmp(op, "confirm_link") == 0) {
        c.status = cp_engine_confirm_link(run->engine, account, patient, now, &c.out, &c.error);
    } else if (strcmp(op, "appointments_for_account") == 0) {
        c.status = cp_engine_appointments_for_account(run->engine, account, &c.out, &c.error);
        view = view_appointments;
    } else if (strcmp(op, "invite") == 0 || strcmp(op, "resend_invitation") == 0) {
        if (strcmp(op, "invite") == 0) {
            char *request = print(get(step, "request"));
            c.status = cp_engine_invite(run->engine, request, now, &c.out, &c.error);
            cJSON_free(request);
        } else {
            c.status = cp_engine_resend_invitation(run->engine, id, now, &c.out, &c.error);
        }
        const char *name = get_string(step, "save_token_as");
        if (c.status == CP_STATUS_OK && name != NULL) {
            cJSON *issued = cJSON_Parse(c.out);
            int ok = save_token(run, name, get_string(issued, "token"));
            cJSON_Delete(issued);
            if (!ok) {
                call_free(&c);
                return 0;
            }
        }
    } else if (strcmp(op, "delete_invitation") == 0) {
        c.status = cp_engine_delete_invitation(run->engine, id, &c.out, &c.error);
    } else if (strcmp(op, "accept_invitation") == 0) {
        const char *token = step_token(run, step);
        if (token == NULL) {
            return 0;
        }
        cJSON *request = cJSON_CreateObject();
        cJSON_AddStringToObject(request, "token", token);
        if (get(step, "password") != NULL) {
            char *password = secret_text(run, get(step, "password"));
            if (password == NULL) {
                cJSON_Delete(request);
                return 0;
            }
            cJSON_AddStringToObject(request, "password", password);
            free(password);
        }
        cJSON_AddItemToObject(request, "authenticated_account", string_or_null(step, "authenticated_account"));
        cJSON_AddItemToObject(request, "account_id", string_or_null(step, "account_id"));
        char *json = print(request);
        cJSON_Delete(request);
        c.status = cp_engine_accept_invitation(run->engine, json, now, &c.out, &c.error);
        cJSON_free(json);
    } else if (strcmp(op, "bulk_invite") == 0) {
        c.status = cp_engine_bulk_invite(run->engine, now, &c.out, &c.error);
        view = view_bulk;
        if (c.status == CP_STATUS_OK) {
            cJSON *report = cJSON_Parse(c.out);
            const cJSON *wanted;
            int ok = 1;
            cJSON_ArrayForEach(wanted, get(step, "save_tokens_as")) {
                const char *token = NULL;
                const cJSON *issued;
                cJSON_ArrayForEach(issued, get(report, "invited")) {
                    if (strcmp(get_string(get(issued, "invitation"), "patient"), wanted->string) == 0) {
                        token = get_string(issued, "token");
                    }
                }
                if (token == NULL) {
                    ok = fail("save_tokens_as: patient `%s` was not invited", wanted->string);
                    break;
                }
                if (!save_token(run, cJSON_GetStringValue(wanted), token)) {
                    ok = 0;
                    break;
                }
            }
            cJSON_Delete(report);
            if (!ok) {
                call_free(&c);
                return 0;
            }
        }
    } else if (strcmp(op, "request_password_reset") == 0) {
        /* The highest notification id before the call. */
        char *before = NULL;
        double last = 0;
        cp_engine_outbox(run->engine, &before, NULL);
        cJSON *waiting = cJSON_Parse(before);
        const cJSON *n;
        cJSON_ArrayForEach(n, waiting) {
            double nid = cJSON_GetNumberValue(get(n, "id"));
            last = nid > last ? nid : last;
        }
        cJSON_Delete(waiting);
        cp_string_free(before);
        c.status = cp_engine_request_password_reset(run->engine, get_string(step, "username"), now, &c.out, &c.error);
        view = view_empty;
        const char *name = get_string(step, "save_token_as");
        if (c.status == CP_STATUS_OK && name != NULL) {
            char *drained = NULL;
            cp_engine_drain_outbox(run->engine, &drained, NULL);
            cJSON *list = cJSON_Parse(drained);
            cp_string_free(drained);
            const char *token = NULL;
            int found = 0;
            cJSON *item;
            cJSON_ArrayForEach(item, list) {
                const char *kind = get_string(item, "kind");
                if (cJSON_GetNumberValue(get(item, "id")) > last && kind != NULL &&
                    strcmp(kind, "password_reset") == 0 && get_string(item, "token") != NULL) {
                    token = get_string(item, "token");
                    found++;
                }
            }
            int ok = found == 1 ? save_token(run, name, token)
                                : fail("save_token_as: expected one new password_reset notification with a "
                                       "token, found %d",
                                       found);
            while (cJSON_GetArraySize(list) > 0) {
                cJSON_AddItemToArray(run->pending, cJSON_DetachItemFromArray(list, 0));
            }
            cJSON_Delete(list);
            if (!ok) {
                call_free(&c);
                return 0;
            }
        }
    } else if (strcmp(op, "reset_password") == 0) {
        const char *token = step_token(run, step);
        char *password = token != NULL ? secret_text(run, get(step, "password")) : NULL;
        if (password == NULL) {
            return 0;
        }
        c.status = cp_engine_reset_password(run->engine, token, password, now, &c.out, &c.error);
        free(password);
    } else if (strcmp(op, "review_queue") == 0) {
        c.status = cp_engine_review_queue(run->engine, &c.out, &c.error);
        view = view_signups;
    } else if (strcmp(op, "mark_signup_reviewed") == 0) {
        c.status = cp_engine_mark_signup_reviewed(run->engine, id, now, &c.out, &c.error);
    } else if (strcmp(op, "find_duplicates") == 0) {
        c.status = cp_engine_find_duplicates(run->engine, patient, &c.out, &c.error);
        view = view_candidates;
    } else if (strcmp(op, "leave_waitlist") == 0) {
        c.status = cp_engine_leave_waitlist(run->engine, id, get_string(step, "actor"), now, &c.out, &c.error);
    } else if (strcmp(op, "decline_waitlist_offer") == 0) {
        c.status =
            cp_engine_decline_waitlist_offer(run->engine, id, get_string(step, "actor"), now, &c.out, &c.error);
    } else if (strcmp(op, "process_waitlist") == 0) {
        c.status = cp_engine_process_waitlist(run->engine, now, &c.out, &c.error);
    } else if (strcmp(op, "waitlist") == 0) {
        c.status = cp_engine_waitlist(run->engine, "{}", &c.out, &c.error);
        view = view_entries;
    } else if (strcmp(op, "merge_patients") == 0) {
        c.status = cp_engine_merge_patients(run->engine, get_string(step, "keep"), get_string(step, "merge"), now,
                                            &c.out, &c.error);
    } else if (strcmp(op, "fhir_appointment") == 0) {
        c.status = cp_engine_fhir_appointment(run->engine, id, &c.out, &c.error);
    } else if (strcmp(op, "import_fhir_appointment") == 0) {
        char *resource = print(get(step, "resource"));
        c.status = cp_engine_import_fhir_appointment(run->engine, resource, &c.out, &c.error);
        cJSON_free(resource);
    } else if (strcmp(op, "ical_appointment") == 0) {
        c.status = cp_engine_ical_appointment(run->engine, id, get_string(step, "actor"), now, &c.out, &c.error);
        int ok = no_secrets(run, cp_error_message(c.error), "the error message") && check_lines(&c, expect);
        call_free(&c);
        return ok;
    } else {
        return fail("`%s` is not a known op", op);
    }
    int ok = no_secrets(run, cp_error_message(c.error), "the error message") && check_outcome(&c, expect, view);
    call_free(&c);
    return ok;
}

/* Explains `start` for `query` (JSON text); returns the parsed explanation or NULL. */
static cJSON *explain(const Run *run, const char *query, int64_t start, int64_t now) {
    Call c = {0};
    c.status = cp_engine_explain(run->engine, query, start, now, &c.out, &c.error);
    cJSON *why = c.status == CP_STATUS_OK ? cJSON_Parse(c.out) : NULL;
    if (why == NULL) {
        fail("explain failed: %s", cp_error_message(c.error));
    }
    call_free(&c);
    return why;
}

/* Every slot of a search is explained as offered, also with each candidate named. */
static int cross_check_search(const Run *run, const cJSON *query, const cp_slots *slots, int64_t now) {
    char *text = print(query);
    int ok = 1;
    for (size_t i = 0; ok && i < slots->len; i++) {
        const cp_slot *s = &slots->items[i];
        char label[40];
        format_local(s->start_unix, s->utc_offset_seconds, label);
        cJSON *why = explain(run, text, s->start_unix, now);
        if (why == NULL || !cJSON_IsTrue(get(why, "offered"))) {
            ok = fail("cross-check: search returned %s but explain refuses it", label);
        }
        cJSON_Delete(why);
        for (size_t p = 0; ok && p < s->practitioner_count; p++) {
            cJSON *named = cJSON_Duplicate(query, 1);
            cJSON_DeleteItemFromObjectCaseSensitive(named, "practitioner");
            cJSON_DeleteItemFromObjectCaseSensitive(named, "clinic");
            cJSON_AddStringToObject(named, "practitioner", s->practitioners[p]);
            cJSON_AddStringToObject(named, "clinic", s->clinic);
            char *named_text = print(named);
            cJSON_Delete(named);
            why = explain(run, named_text, s->start_unix, now);
            cJSON_free(named_text);
            int clinic_ok = 0;
            const cJSON *verdict;
            cJSON_ArrayForEach(verdict, get(why, "practitioners")) {
                const char *vp = get_string(verdict, "practitioner");
                const char *vc = get_string(verdict, "clinic");
                if (vp != NULL && strcmp(vp, s->practitioners[p]) == 0 && vc != NULL && strcmp(vc, s->clinic) == 0) {
                    clinic_ok = 1;
                }
            }
            if (why == NULL || !cJSON_IsTrue(get(why, "offered")) || !clinic_ok) {
                ok = fail("cross-check: search offers %s with `%s` at `%s`, explain does not", label,
                          s->practitioners[p], s->clinic);
            }
            cJSON_Delete(why);
        }
    }
    cJSON_free(text);
    return ok;
}

static int search_step(Run *run, const cJSON *step) {
    int64_t now;
    if (!instant_of(step, "now", &now)) {
        return 0;
    }
    const cJSON *query = get(step, "query");
    const cJSON *expect = get(step, "expect");
    char *text = print(query);
    Call c = {0};
    cp_slots *slots = NULL;
    c.status = cp_engine_search_slots(run->engine, text, now, &slots, &c.error);
    /* The JSON form must give the same answer. */
    Call j = {0};
    j.status = cp_engine_search(run->engine, text, now, &j.out, &j.error);
    cJSON_free(text);
    if (j.status != c.status) {
        int r = fail("cp_engine_search gives %s, cp_engine_search_slots %s", cp_status_name(j.status),
                     cp_status_name(c.status));
        call_free(&c);
        call_free(&j);
        cp_slots_free(slots);
        return r;
    }
    /* The JSON page lists the same slots as the structs. */
    cJSON *page = j.status == CP_STATUS_OK ? cJSON_Parse(j.out) : NULL;
    call_free(&j);
    if (page != NULL) {
        const cJSON *listed = get(page, "slots");
        int same = cJSON_GetArraySize(listed) == (int)slots->len &&
                   cJSON_IsBool(get(page, "truncated")) && cJSON_IsTrue(get(page, "truncated")) == slots->truncated;
        for (size_t i = 0; same && i < slots->len; i++) {
            const cJSON *item = cJSON_GetArrayItem(listed, (int)i);
            same = (int64_t)cJSON_GetNumberValue(get(item, "start_unix")) == slots->items[i].start_unix &&
                   (int64_t)cJSON_GetNumberValue(get(item, "end_unix")) == slots->items[i].end_unix &&
                   strcmp(get_string(item, "clinic"), slots->items[i].clinic) == 0 &&
                   (uint32_t)cJSON_GetNumberValue(get(item, "remaining_capacity")) ==
                       slots->items[i].remaining_capacity &&
                   cJSON_GetArraySize(get(item, "practitioners")) == (int)slots->items[i].practitioner_count;
        }
        cJSON_Delete(page);
        if (!same) {
            call_free(&c);
            cp_slots_free(slots);
            return fail("cp_engine_search and cp_engine_search_slots give different slots");
        }
    }
    const char *want_error = get_string(expect, "error");
    if (want_error != NULL) {
        int ok = check_error(&c, want_error);
        call_free(&c);
        cp_slots_free(slots);
        return ok;
    }
    const cJSON *count = get(expect, "count");
    if (!cJSON_IsNumber(count)) {
        call_free(&c);
        cp_slots_free(slots);
        return fail("a search step expects `count` or `error`");
    }
    if (!check_error(&c, NULL)) {
        call_free(&c);
        return 0;
    }
    call_free(&c);
    int ok = 1;
    if ((int)slots->len != count->valueint) {
        ok = fail("expected %d slots, got %zu", count->valueint, slots->len);
    }
    const cJSON *starts = get(expect, "starts");
    if (ok && starts != NULL) {
        if (cJSON_GetArraySize(starts) != (int)slots->len) {
            ok = fail("expected %d starts, got %zu", cJSON_GetArraySize(starts), slots->len);
        }
        for (size_t i = 0; ok && i < slots->len; i++) {
            char got[40];
            format_local(slots->items[i].start_unix, slots->items[i].utc_offset_seconds, got);
            const char *want = cJSON_GetStringValue(cJSON_GetArrayItem(starts, (int)i));
            if (want == NULL || strcmp(want, got) != 0) {
                ok = fail("start %zu: expected %s, got %s", i, want ? want : "?", got);
            }
        }
    }
    const cJSON *practitioners = get(expect, "practitioners");
    for (int i = 0; ok && i < cJSON_GetArraySize(practitioners); i++) {
        const cJSON *want = cJSON_GetArrayItem(practitioners, i);
        if ((size_t)i >= slots->len || (size_t)cJSON_GetArraySize(want) != slots->items[i].practitioner_count) {
            ok = fail("slot %d: practitioners differ in number", i);
            break;
        }
        for (size_t p = 0; ok && p < slots->items[i].practitioner_count; p++) {
            const char *w = cJSON_GetStringValue(cJSON_GetArrayItem(want, (int)p));
            if (w == NULL || strcmp(w, slots->items[i].practitioners[p]) != 0) {
                ok = fail("slot %d: practitioner %zu: expected %s, got %s", i, p, w ? w : "?",
                          slots->items[i].practitioners[p]);
            }
        }
    }
    const cJSON *clinics = get(expect, "clinics");
    for (int i = 0; ok && i < cJSON_GetArraySize(clinics); i++) {
        const char *w = cJSON_GetStringValue(cJSON_GetArrayItem(clinics, i));
        if ((size_t)i >= slots->len || w == NULL || strcmp(w, slots->items[i].clinic) != 0) {
            ok = fail("slot %d: clinic differs (expected %s)", i, w ? w : "?");
        }
    }
    const cJSON *remaining = get(expect, "remaining");
    for (int i = 0; ok && i < cJSON_GetArraySize(remaining); i++) {
        const cJSON *w = cJSON_GetArrayItem(remaining, i);
        if ((size_t)i >= slots->len || (uint32_t)w->valueint != slots->items[i].remaining_capacity) {
            ok = fail("slot %d: remaining capacity differs (expected %d)", i, w->valueint);
        }
        uint32_t sum = 0;
        for (size_t p = 0; ok && p < slots->items[i].practitioner_count; p++) {
            sum += slots->items[i].practitioner_remaining[p];
        }
        if (ok && sum != slots->items[i].remaining_capacity) {
            ok = fail("slot %d: the practitioners' places do not add up to the slot's", i);
        }
    }
    if (ok) {
        ok = cross_check_search(run, query, slots, now);
    }
    cp_slots_free(slots);
    return ok;
}

/* A start explained as offered comes back from a search of the days around it. */
static int cross_check_offered(const Run *run, const cJSON *query, int64_t start, int64_t now) {
    cJSON *around = cJSON_Duplicate(query, 1);
    char from[16], to[16];
    utc_date(start, -1, from);
    utc_date(start, 1, to);
    cJSON_ReplaceItemInObjectCaseSensitive(around, "from", cJSON_CreateString(from));
    cJSON_ReplaceItemInObjectCaseSensitive(around, "to", cJSON_CreateString(to));
    char *text = print(around);
    cJSON_Delete(around);
    cp_slots *slots = NULL;
    cp_error *error = NULL;
    int ok;
    if (cp_engine_search_slots(run->engine, text, now, &slots, &error) != CP_STATUS_OK) {
        ok = fail("cross-check: search around the start failed: %s", cp_error_message(error));
    } else {
        ok = 0;
        for (size_t i = 0; i < slots->len; i++) {
            ok |= slots->items[i].start_unix == start;
        }
        if (!ok) {
            fail("cross-check: explain offers a start that a search of %s to %s does not return", from, to);
        }
    }
    cJSON_free(text);
    cp_slots_free(slots);
    cp_error_free(error);
    return ok;
}

static int explain_step(Run *run, const cJSON *step) {
    int64_t now, start;
    if (!instant_of(step, "now", &now) || !instant_of(step, "start", &start)) {
        return 0;
    }
    const cJSON *expect = get(step, "expect");
    char *query = print(get(step, "query"));
    Call c = {0};
    c.status = cp_engine_explain(run->engine, query, start, now, &c.out, &c.error);
    cJSON_free(query);
    const char *want_error = get_string(expect, "error");
    if (want_error != NULL) {
        return simple_step(step, &c);
    }
    if (!check_error(&c, NULL)) {
        call_free(&c);
        return 0;
    }
    cJSON *why = cJSON_Parse(c.out);
    call_free(&c);
    const cJSON *offered = get(expect, "offered");
    const cJSON *rule = get(expect, "rule");
    int ok = 1;
    if (!cJSON_IsBool(offered)) {
        ok = fail("an explain step expects `offered` or `error`");
    } else if (cJSON_IsTrue(offered) != cJSON_IsTrue(get(why, "offered"))) {
        ok = fail("expected offered = %s, got %s", cJSON_IsTrue(offered) ? "true" : "false",
                  get_string(why, "message"));
    } else if (cJSON_IsTrue(offered)) {
        ok = rule != NULL ? fail("an offered start has no rule: drop `rule`")
                          : cross_check_offered(run, get(step, "query"), start, now);
    } else if (rule == NULL) {
        ok = fail("an explain step that expects a refusal must give `rule`");
    } else if (!cJSON_IsNumber(get(why, "rule")) || get(why, "rule")->valueint != rule->valueint) {
        ok = fail("expected rule %d, got %s", rule->valueint, get_string(why, "message"));
    }
    cJSON_Delete(why);
    return ok;
}

/* Adds the paths of the diagnostics of one severity to a sorted, de-duplicated list. */
static int same_paths(const cJSON *diagnostics, const char *severity, const cJSON *want) {
    /* Every expected path is found, and every found path is expected. */
    const cJSON *d;
    cJSON_ArrayForEach(d, diagnostics) {
        if (severity != NULL && strcmp(get_string(d, "severity"), severity) != 0) {
            continue;
        }
        int found = 0;
        const cJSON *w;
        cJSON_ArrayForEach(w, want) {
            found |= strcmp(cJSON_GetStringValue(w), get_string(d, "path")) == 0;
        }
        if (!found) {
            return 0;
        }
    }
    const cJSON *w;
    cJSON_ArrayForEach(w, want) {
        int found = 0;
        cJSON_ArrayForEach(d, diagnostics) {
            if (severity == NULL || strcmp(get_string(d, "severity"), severity) == 0) {
                found |= strcmp(cJSON_GetStringValue(w), get_string(d, "path")) == 0;
            }
        }
        if (!found) {
            return 0;
        }
    }
    return 1;
}

static int validate_step(Run *run, const cJSON *step) {
    const cJSON *expect = get(step, "expect");
    const cJSON *errors = get(expect, "errors");
    const cJSON *warnings = get(expect, "warnings");
    if (!cJSON_IsArray(errors) || !cJSON_IsArray(warnings)) {
        return fail("a validate step expects `errors` and `warnings`");
    }
    Call c = {0};
    c.status = cp_engine_validate(run->config, &c.out, &c.error);
    if (!check_error(&c, NULL)) {
        call_free(&c);
        return 0;
    }
    cJSON *diagnostics = cJSON_Parse(c.out);
    int ok = same_paths(diagnostics, "error", errors) && same_paths(diagnostics, "warning", warnings);
    if (!ok) {
        fail("diagnostics differ: got %.1000s", c.out);
    }
    call_free(&c);
    cJSON_Delete(diagnostics);
    if (!ok) {
        return 0;
    }
    int want_errors = cJSON_GetArraySize(errors) > 0;
    if (want_errors && run->engine != NULL) {
        return fail("the configuration has errors but the engine was built");
    }
    if (!want_errors && run->engine == NULL) {
        return fail("no errors expected, but the engine fails: %s", run->build_error);
    }
    if (!want_errors) {
        c.status = cp_engine_warnings(run->engine, &c.out, &c.error);
        cJSON *live = cJSON_Parse(c.out);
        ok = same_paths(live, NULL, warnings) || fail("the engine's warnings differ from validate's: %s", c.out);
        cJSON_Delete(live);
        call_free(&c);
    }
    return ok;
}

static int drain_step(Run *run, const cJSON *step) {
    const cJSON *expect = get(step, "expect");
    char *text = NULL;
    cp_error *error = NULL;
    if (cp_engine_drain_outbox(run->engine, &text, &error) != CP_STATUS_OK) {
        int r = fail("drain_outbox failed: %s", cp_error_message(error));
        cp_error_free(error);
        return r;
    }
    cJSON *fresh = cJSON_Parse(text);
    cp_string_free(text);
    cJSON *drained = run->pending;
    run->pending = cJSON_CreateArray();
    while (cJSON_GetArraySize(fresh) > 0) {
        cJSON_AddItemToArray(drained, cJSON_DetachItemFromArray(fresh, 0));
    }
    cJSON_Delete(fresh);
    int ok = 1;
    if (cJSON_GetArraySize(drained) != cJSON_GetArraySize(expect)) {
        char *got = print(drained);
        ok = fail("expected %d notification(s), got %.1500s", cJSON_GetArraySize(expect), got);
        cJSON_free(got);
    }
    for (int i = 0; ok && i < cJSON_GetArraySize(expect); i++) {
        const cJSON *w = cJSON_GetArrayItem(expect, i);
        const cJSON *n = cJSON_GetArrayItem(drained, i);
        const char *kind = get_string(w, "kind");
        const cJSON *item;
        cJSON_ArrayForEach(item, w) {
            const char *k = item->string;
            if (strcmp(k, "kind") && strcmp(k, "recipients") && strcmp(k, "data") && strcmp(k, "token_ref") &&
                strcmp(k, "save_token_as")) {
                ok = fail("notification %d: unknown member `%s`", i, k);
            }
        }
        if (ok && (kind == NULL || strcmp(kind, get_string(n, "kind")) != 0 ||
                   !cJSON_Compare(get(w, "recipients"), get(n, "recipients"), 1))) {
            char *got = print(n);
            ok = fail("notification %d: expected kind %s and its recipients, got %.500s", i, kind ? kind : "?",
                      got);
            cJSON_free(got);
        }
        if (ok && get(w, "data") != NULL && !subset(get(w, "data"), get(n, "data"), "data")) {
            ok = 0;
        }
        const char *ref = get_string(w, "token_ref");
        if (ok && ref != NULL) {
            const char *want = saved_token(run, ref);
            const char *got = get_string(n, "token");
            if (want == NULL || got == NULL || strcmp(want, got) != 0) {
                ok = fail("notification %d (%s) does not carry the token saved as `%s`", i, kind, ref);
            }
        }
        const char *name = get_string(w, "save_token_as");
        if (ok && name != NULL) {
            ok = get_string(n, "token") != NULL ? save_token(run, name, get_string(n, "token"))
                                                : fail("notification %d (%s) carries no token to save", i, kind);
        }
    }
    cJSON_Delete(drained);
    return ok;
}

/* Restores each initial snapshot, replays the journal after it, compares snapshots. */
static int journal_replay(Run *run) {
    if (!engine_ready(run)) {
        return 0;
    }
    char *current = snapshot(run);
    int ok = 1;
    for (int i = 0; ok && i < run->initial_count; i++) {
        const char *label = run->initial_label[i];
        cJSON *parsed = cJSON_Parse(run->initial[i]);
        const cJSON *seq = get(parsed, "seq");
        int has_seq = cJSON_IsNumber(seq);
        uint64_t from = has_seq ? (uint64_t)seq->valuedouble : 0;
        cJSON_Delete(parsed);
        if (!has_seq) {
            ok = fail("the %s snapshot has no `seq`", label);
            break;
        }
        cp_engine *replica = NULL;
        cp_error *error = NULL;
        if (cp_engine_restore(run->initial[i], &replica, &error) != CP_STATUS_OK) {
            ok = fail("restoring the %s snapshot failed: %s", label, cp_error_message(error));
            cp_error_free(error);
            break;
        }
        char *journal = NULL;
        cp_engine_changes_since(run->engine, from, &journal, NULL);
        cJSON *changes = cJSON_Parse(journal);
        cp_string_free(journal);
        const cJSON *change;
        cJSON_ArrayForEach(change, changes) {
            char *text = print(change);
            uint64_t applied = 0;
            if (ok && cp_engine_apply(replica, text, &applied, &error) != CP_STATUS_OK) {
                ok = fail("applying a change onto the %s snapshot failed: %s", label, cp_error_message(error));
                cp_error_free(error);
                error = NULL;
            }
            cJSON_free(text);
        }
        char *replayed = NULL;
        cp_engine_snapshot(replica, &replayed, NULL);
        if (ok && strcmp(replayed, current) != 0) {
            ok = fail("replaying %d change(s) onto the %s snapshot does not reproduce the engine",
                      cJSON_GetArraySize(changes), label);
        }
        cJSON_Delete(changes);
        cp_string_free(replayed);
        cp_engine_free(replica);
    }
    cp_string_free(current);
    return ok;
}

/* After a step: once secrets are in play, none shows in the snapshot, the journal or an
 * account's JSON, and every stored password is an Argon2id hash. */
static int secrets_check(Run *run) {
    if (run->engine == NULL || run->secret_count == 0) {
        return 1;
    }
    char *snap = snapshot(run);
    char *journal = NULL;
    char *accounts = NULL;
    cp_engine_changes_since(run->engine, 0, &journal, NULL);
    cp_engine_accounts(run->engine, &accounts, NULL);
    int ok = no_secrets(run, snap, "the snapshot") && no_secrets(run, journal, "the journal");
    cJSON *stored = cJSON_Parse(snap);
    const cJSON *account;
    cJSON_ArrayForEach(account, get(stored, "accounts")) {
        const char *hash = get_string(account, "password_hash");
        if (ok && (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0)) {
            ok = fail("account `%s` does not store an Argon2id hash", get_string(account, "id"));
        }
    }
    if (ok && accounts != NULL && strstr(accounts, "password_hash") != NULL) {
        ok = fail("cp_engine_accounts shows a password hash");
    }
    cJSON_Delete(stored);
    cp_string_free(snap);
    cp_string_free(journal);
    cp_string_free(accounts);
    return ok;
}

static int checked_step(Run *run, const cJSON *step) {
    const char *op = get_string(step, "op");
    if (op == NULL) {
        return fail("a step without `op`");
    }
    if (!known_members(step, op)) {
        return 0;
    }
    char *before = run->engine != NULL && expects_error(step, op) ? snapshot(run) : NULL;
    int ok = step_dispatch(run, step, op);
    if (ok && before != NULL) {
        char *after = snapshot(run);
        if (strcmp(before, after) != 0) {
            ok = fail("the operation failed as expected but changed the engine's snapshot");
        }
        cp_string_free(after);
    }
    cp_string_free(before);
    return ok && secrets_check(run);
}

/* Runs one vector file; returns the number of failed steps. */
static int run_vector(const char *path, const char *file) {
    char *text = read_file(path);
    cJSON *vector = text != NULL ? cJSON_Parse(text) : NULL;
    free(text);
    if (vector == NULL) {
        fprintf(stderr, "%s: cannot read or parse\n", file);
        return 1;
    }
    const char *name = get_string(vector, "name");
    const cJSON *steps = get(vector, "steps");
    if (cJSON_GetArraySize(steps) == 0) {
        fprintf(stderr, "%s: has no steps\n", file);
        cJSON_Delete(vector);
        return 1;
    }
    Run run = {0};
    run.pending = cJSON_CreateArray();
    run.config = print(get(vector, "config"));
    cp_error *error = NULL;
    if (cp_engine_from_json(run.config, &run.engine, &error) != CP_STATUS_OK) {
        run.build_error = strdup(cp_error_message(error));
        cp_error_free(error);
        error = NULL;
    } else {
        run.initial_label[run.initial_count] = "empty";
        run.initial[run.initial_count++] = snapshot(&run);
    }
    int failures = 0;
    const cJSON *patients = get(vector, "patients");
    const cJSON *appointments = get(vector, "appointments");
    if (cJSON_GetArraySize(patients) > 0 || cJSON_GetArraySize(appointments) > 0) {
        int loaded = run.engine != NULL;
        const cJSON *p;
        cJSON_ArrayForEach(p, patients) {
            char *json = print(p);
            if (loaded && cp_engine_upsert_patient(run.engine, json, NULL, &error) != CP_STATUS_OK) {
                fprintf(stderr, "%s: patient: %s\n", file, cp_error_message(error));
                loaded = 0;
            }
            cJSON_free(json);
        }
        char *json = appointments != NULL ? print(appointments) : strdup("[]");
        if (loaded && cp_engine_add_appointments(run.engine, json, NULL, &error) != CP_STATUS_OK) {
            fprintf(stderr, "%s: appointments: %s\n", file, cp_error_message(error));
            loaded = 0;
        }
        if (appointments != NULL) {
            cJSON_free(json);
        } else {
            free(json);
        }
        cp_error_free(error);
        if (!loaded) {
            failures = 1;
        }
    }
    if (failures == 0 && run.engine != NULL) {
        run.initial_label[run.initial_count] = "loaded";
        run.initial[run.initial_count++] = snapshot(&run);
    }
    int i = 0;
    const cJSON *step;
    cJSON_ArrayForEach(step, steps) {
        if (failures > 0 && i == 0 && run.initial_count < 2 && run.engine != NULL) {
            break; /* the data did not load */
        }
        failure[0] = '\0';
        if (!checked_step(&run, step)) {
            const char *note = get_string(step, "note");
            fprintf(stderr, "%s (%s) step %d (%s)%s%s%s: %s\n\n", file, name ? name : "?", i,
                    get_string(step, "op") ? get_string(step, "op") : "?", note ? " [" : "", note ? note : "",
                    note ? "]" : "", failure);
            failures++;
        }
        i++;
    }
    if (run.engine != NULL && !journal_replay(&run)) {
        fprintf(stderr, "%s (%s) after the last step (journal replay): %s\n\n", file, name ? name : "?", failure);
        failures++;
    }
    cp_engine_free(run.engine);
    free(run.build_error);
    cJSON_free(run.config);
    for (int k = 0; k < run.initial_count; k++) {
        cp_string_free(run.initial[k]);
    }
    for (int k = 0; k < run.token_count; k++) {
        free(run.token_names[k]);
        free(run.token_values[k]);
    }
    for (int k = 0; k < run.secret_count; k++) {
        free(run.secrets[k]);
    }
    cJSON_Delete(run.pending);
    cJSON_Delete(vector);
    return failures;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <vectors dir> [name prefix...]\n", argv[0]);
        return 2;
    }
    DIR *dir = opendir(argv[1]);
    if (dir == NULL) {
        perror(argv[1]);
        return 2;
    }
    char *names[1024];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < 1024) {
        size_t len = strlen(entry->d_name);
        if (len <= 5 || strcmp(entry->d_name + len - 5, ".json") != 0) {
            continue;
        }
        int wanted = argc == 2;
        for (int a = 2; a < argc; a++) {
            wanted |= strncmp(entry->d_name, argv[a], strlen(argv[a])) == 0;
        }
        if (wanted) {
            names[count++] = strdup(entry->d_name);
        }
    }
    closedir(dir);
    qsort(names, (size_t)count, sizeof names[0], compare_names);
    if ((argc == 2 && count < MIN_VECTORS) || count == 0) {
        fprintf(stderr, "expected at least %d vectors in %s, found %d\n", argc == 2 ? MIN_VECTORS : 1, argv[1],
                count);
        return 1;
    }
    int failures = 0;
    for (int i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        failures += run_vector(path, names[i]);
        free(names[i]);
    }
    if (failures > 0) {
        fprintf(stderr, "%d vector step(s) failed\n", failures);
        return 1;
    }
    printf("vectors: %d files passed through the C API\n", count);
    return 0;
}
