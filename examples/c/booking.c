/*
 * clinic-portal from C (C11): load the sample practice, search, hold, book, accept,
 * cancel, drain the outbox, snapshot and restore.
 *
 * Build: cc -std=c11 -Wall -Wextra -Werror booking.c $(pkg-config --cflags --libs clinic_portal)
 * Run:   ./booking examples/data/sample-practice.json
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clinic_portal.h"

/* Runs a call and exits with its error when it fails (the status is taken before `error`
 * is read: C leaves the order of function arguments unspecified). */
#define CHECK(call)                        \
    do {                                   \
        cp_status status_ = (call);        \
        check(status_, error, #call);      \
    } while (0)

/* Exits with the error's code and message when `status` is not CP_STATUS_OK. */
static void check(cp_status status, cp_error *error, const char *what) {
    if (status == CP_STATUS_OK) {
        return;
    }
    fprintf(stderr, "%s failed: %s (%u): %s\n", what, cp_status_name(status), (unsigned)status,
            cp_error_message(error));
    cp_error_free(error);
    exit(1);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    if (text == NULL || fread(text, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    text[size] = '\0';
    fclose(f);
    return text;
}

/* RFC 3339 in UTC, e.g. 2027-03-10T14:00:00Z. */
static void rfc3339(int64_t unix_seconds, char out[32]) {
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Prints an outcome and frees it. */
static void show(const char *what, char *json) {
    printf("%s: %.160s%s\n", what, json, strlen(json) > 160 ? "..." : "");
    cp_string_free(json);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s sample-practice.json\n", argv[0]);
        return 2;
    }
    if (cp_abi_version() != CP_ABI_VERSION) {
        fprintf(stderr, "header and library disagree on the ABI version\n");
        return 1;
    }
    printf("clinic-portal %s (ABI %u)\n", cp_version(), cp_abi_version());

    cp_error *error = NULL;
    cp_engine *engine = NULL;
    char *config = read_file(argv[1]);
    CHECK(cp_engine_from_json(config, &engine, &error));
    free(config);

    CHECK(cp_engine_upsert_patient(engine,
                                   "{\"id\": \"pat-chloe\", \"first_name\": \"Chloe\", "
                                   "\"last_name\": \"Martin\", \"email\": \"chloe@example.com\"}",
                                   NULL, &error));

    /* Monday 2027-03-08 09:00 in Toronto (14:00 UTC). */
    const int64_t now = 1804514400;
    const char *query = "{\"service\": \"physio-followup-30\", \"from\": \"2027-03-10\", "
                        "\"to\": \"2027-03-12\", \"practitioner\": \"christine\"}";
    cp_slots *slots = NULL;
    CHECK(cp_engine_search_slots(engine, query, now, &slots, &error));
    printf("%zu slots with Christine\n", slots->len);
    if (slots->len == 0) {
        fprintf(stderr, "no slot offered\n");
        return 1;
    }
    for (size_t i = 0; i < slots->len && i < 3; i++) {
        const cp_slot *s = &slots->items[i];
        char start[32];
        rfc3339(s->start_unix, start);
        printf("  %s (UTC%+d h) at %s with %s, %u place(s)\n", start, s->utc_offset_seconds / 3600,
               s->clinic, s->practitioners[0], s->remaining_capacity);
    }
    char start[32];
    rfc3339(slots->items[0].start_unix, start);
    cp_slots_free(slots);

    char request[512];
    char *outcome = NULL;
    snprintf(request, sizeof request,
             "{\"id\": \"hold-1\", \"patient\": \"pat-chloe\", \"service\": \"physio-followup-30\", "
             "\"practitioner\": \"christine\", \"start\": \"%s\"}",
             start);
    CHECK(cp_engine_hold(engine, request, now, &outcome, &error));
    show("hold", outcome);

    CHECK(cp_engine_book(engine,
                         "{\"id\": \"bk-1\", \"patient\": \"pat-chloe\", \"hold\": \"hold-1\", "
                         "\"consent_given\": true}",
                         now + 120, &outcome, &error));
    show("book", outcome);

    /* A second booking of the same start is refused with a typed status. */
    snprintf(request, sizeof request,
             "{\"patient\": \"pat-chloe\", \"service\": \"physio-followup-30\", "
             "\"practitioner\": \"christine\", \"start\": \"%s\", \"consent_given\": true}",
             start);
    cp_status refused = cp_engine_book(engine, request, now + 180, &outcome, &error);
    printf("booking it again: %s: %s\n", cp_status_name(refused), cp_error_message(error));
    cp_error_free(error);
    error = NULL;
    if (refused == CP_STATUS_OK) {
        return 1;
    }

    CHECK(cp_engine_accept(engine, "{\"appointment\": \"bk-1\", \"note\": \"See you then.\"}", now + 600,
                           &outcome, &error));
    show("accept", outcome);

    CHECK(cp_engine_cancel(engine,
                           "{\"appointment\": \"bk-1\", \"by\": \"staff\", \"reason\": \"practitioner ill\"}",
                           now + 3600, &outcome, &error));
    show("cancel", outcome);

    CHECK(cp_engine_drain_outbox(engine, &outcome, &error));
    show("outbox", outcome);

    char *snapshot = NULL;
    CHECK(cp_engine_snapshot(engine, &snapshot, &error));
    cp_engine *restored = NULL;
    CHECK(cp_engine_restore(snapshot, &restored, &error));
    char *again = NULL;
    CHECK(cp_engine_snapshot(restored, &again, &error));
    int same = strcmp(snapshot, again) == 0;
    printf("snapshot of %zu bytes restored: %s\n", strlen(snapshot), same ? "identical" : "DIFFERENT");
    size_t count = 0;
    CHECK(cp_engine_appointment_count(restored, &count, &error));
    printf("%zu appointment(s) after restore\n", count);
    cp_string_free(snapshot);
    cp_string_free(again);
    cp_engine_free(restored);
    cp_engine_free(engine);
    return same ? 0 : 1;
}
