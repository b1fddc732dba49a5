/* The bad-input test: every function with bad arguments (bad_input.c, generated from the
 * header) and the NULL behaviour of the infallible functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bad_input_support.h"

const char *const BAD_UTF8 = "\xff\xfe not UTF-8 \xc3\x28";
const char *const TRUNCATED_JSON = "{\"service\": \"physio-30\", \"from\": \"2027-";
char *huge = NULL;

static int failures = 0;
static int checks = 0;

#define FAIL(...)                         \
    do {                                  \
        fprintf(stderr, "FAIL: ");        \
        fprintf(stderr, __VA_ARGS__);     \
        fprintf(stderr, "\n");            \
        failures++;                       \
    } while (0)

static char *initial = NULL;

static char *snapshot_of(const cp_engine *engine) {
    char *snapshot = NULL;
    if (cp_engine_snapshot(engine, &snapshot, NULL) != CP_STATUS_OK) {
        fprintf(stderr, "cp_engine_snapshot failed\n");
        exit(1);
    }
    return snapshot;
}

void check_unchanged(const cp_engine *engine, const char *function) {
    char *now = snapshot_of(engine);
    if (strcmp(now, initial) != 0) {
        FAIL("%s: a failed call changed the engine", function);
        cp_string_free(initial);
        initial = now;
    } else {
        cp_string_free(now);
    }
}

void check_result(const char *function, const char *param,
                  const char *kind, long expected, int names, cp_status status, cp_error *error, char *out_text,
                  cp_engine *out_engine, cp_slots *out_slots) {
    checks++;
    if (expected >= 0) {
        const char *message = cp_error_message(error);
        char quoted[128];
        snprintf(quoted, sizeof quoted, "`%s`", param);
        if ((long)status != expected) {
            FAIL("%s with %s `%s`: status %s, expected %s (%s)", function, kind, param,
                 cp_status_name(status), cp_status_name((uint32_t)expected), message);
        } else if (error == NULL || cp_error_code(error) != status) {
            FAIL("%s with %s `%s`: no cp_error carrying the status", function, kind, param);
        } else if (names && strstr(message, quoted) == NULL) {
            FAIL("%s with %s `%s`: the message does not name the argument: %s", function, kind,
                 param, message);
        }
    }
    if (status != CP_STATUS_OK && (out_text != NULL || out_engine != NULL || out_slots != NULL)) {
        FAIL("%s with %s `%s`: an output despite the failure", function, kind, param);
    }
    cp_error_free(error);
    cp_string_free(out_text);
    cp_engine_free(out_engine);
    cp_slots_free(out_slots);
}

void check_null_engine_no_error(const char *function, cp_status status, char *out_text,
                                cp_engine *out_engine, cp_slots *out_slots) {
    checks++;
    if (status != CP_STATUS_INVALID_INPUT) {
        FAIL("%s with a NULL engine and NULL error: status %s", function, cp_status_name(status));
    }
    if (out_text != NULL || out_engine != NULL || out_slots != NULL) {
        FAIL("%s with a NULL engine: an output", function);
    }
}

void expect_count(int functions) {
    if (functions < 80) {
        FAIL("only %d functions covered", functions);
    }
    printf("%d functions, %d bad calls checked\n", functions, checks);
}

static void infallible_functions(void) {
    cp_string_free(NULL);
    cp_error_free(NULL);
    cp_engine_free(NULL);
    cp_slots_free(NULL);
    if (cp_error_code(NULL) != CP_STATUS_OK) FAIL("cp_error_code(NULL)");
    if (strcmp(cp_error_message(NULL), "") != 0) FAIL("cp_error_message(NULL)");
    if (strcmp(cp_error_diagnostics_json(NULL), "[]") != 0) FAIL("cp_error_diagnostics_json(NULL)");
    if (strcmp(cp_status_name(9999), "unknown") != 0) FAIL("cp_status_name(9999)");
    if (strcmp(cp_status_name(CP_STATUS_SLOT_UNAVAILABLE), "slot_unavailable") != 0) FAIL("cp_status_name(6)");
    if (strcmp(cp_status_name(CP_STATUS_OK), "ok") != 0) FAIL("cp_status_name(0)");
    if (cp_abi_version() != CP_ABI_VERSION) FAIL("cp_abi_version");
    if (cp_version() == NULL || cp_version()[0] == '\0') FAIL("cp_version");

    /* An invalid configuration: invalid_config with diagnostics naming the path. */
    cp_engine *engine = NULL;
    cp_error *error = NULL;
    cp_status status = cp_engine_from_json("{\"clinics\": [{\"id\": \"c\", \"time_zone\": \"Mars/Base\"}]}",
                                           &engine, &error);
    if (status != CP_STATUS_INVALID_CONFIG || engine != NULL) FAIL("a bad zone: %s", cp_status_name(status));
    if (strstr(cp_error_diagnostics_json(error), "clinics[0].time_zone") == NULL)
        FAIL("diagnostics: %s", cp_error_diagnostics_json(error));
    cp_error_free(error);
    /* Without `error` the status alone reports it. */
    if (cp_engine_from_json("not json", &engine, NULL) != CP_STATUS_INVALID_CONFIG) FAIL("not json");
    /* Out-of-range instants. */
    char *out = NULL;
    if (cp_engine_from_json("{\"clinics\": [{\"id\": \"c\", \"time_zone\": \"UTC\"}]}", &engine, NULL) != CP_STATUS_OK)
        FAIL("a minimal engine");
    if (cp_engine_pending_queue(engine, INT64_MAX, &out, NULL) != CP_STATUS_INVALID_INPUT || out != NULL)
        FAIL("now = INT64_MAX");
    cp_engine_free(engine);
}

/* Usage: bad_input [huge string bytes]; default 64 MiB. scripts/test-c.sh passes
 * CP_MAX_INPUT_BYTES + 1 (the smallest refused size) under valgrind, where scanning 64 MiB
 * hundreds of times is slow; the plain and sanitizer runs use 64 MiB. */
int main(int argc, char **argv) {
    size_t size = (size_t)64 * 1024 * 1024;
    if (argc > 1) {
        size = (size_t)strtoull(argv[1], NULL, 10);
    }
    if (size <= CP_MAX_INPUT_BYTES) {
        fprintf(stderr, "the huge string must be longer than CP_MAX_INPUT_BYTES\n");
        return 2;
    }
    huge = malloc(size + 1);
    if (huge == NULL) {
        return 1;
    }
    memset(huge, 'a', size);
    huge[size] = '\0';

    cp_engine *engine = NULL;
    cp_error *error = NULL;
    if (cp_engine_from_json("{\"clinics\": [{\"id\": \"main\", \"time_zone\": \"UTC\"}], "
                            "\"portal\": {\"allow_public_signup\": true}}",
                            &engine, &error) != CP_STATUS_OK) {
        fprintf(stderr, "engine: %s\n", cp_error_message(error));
        return 1;
    }
    if (cp_engine_upsert_patient(engine, "{\"id\": \"x\", \"email\": \"x@example.test\"}", NULL, NULL) != CP_STATUS_OK) {
        fprintf(stderr, "patient\n");
        return 1;
    }
    initial = snapshot_of(engine);
    run_generated(engine);
    cp_string_free(initial);
    infallible_functions();
    cp_engine_free(engine);
    free(huge);
    if (failures > 0) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("bad input: ok\n");
    return 0;
}
