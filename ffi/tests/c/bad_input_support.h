/* Support of the generated bad-input test (bad_input.c) and its driver bad_input_main.c. */
#ifndef BAD_INPUT_SUPPORT_H
#define BAD_INPUT_SUPPORT_H

#include "clinic_portal.h"

extern const char *const BAD_UTF8;
extern const char *const TRUNCATED_JSON;
extern char *huge;

/* Fails when the snapshot of `engine` differs from the one taken before the first call. */
void check_unchanged(const cp_engine *engine, const char *function);

/* Checks one call: the status is `expected` (-1: any) and, with `names`, the message names
 * `param`; a failed call gave no output. Frees everything. */
void check_result(const char *function, const char *param,
                  const char *kind, long expected, int names, cp_status status, cp_error *error, char *out_text,
                  cp_engine *out_engine, cp_slots *out_slots);

/* A call with a NULL engine and a NULL `error`: CP_STATUS_INVALID_INPUT, no output. */
void check_null_engine_no_error(const char *function, cp_status status, char *out_text,
                                cp_engine *out_engine, cp_slots *out_slots);

void run_generated(cp_engine *engine);
void expect_count(int functions);

#define BEGIN()                                  \
    do {                                         \
        char *out_text = NULL;                   \
        cp_engine *out_engine = NULL;            \
        cp_slots *out_slots = NULL;              \
        size_t out_size = 0;                     \
        uint64_t out_u64 = 0;                    \
        cp_error *error = NULL;                  \
        cp_status status;                        \
        (void)out_size;                          \
        (void)out_u64;

#define END(function, param, kind, expected, names)                                         \
    check_result(function, param, kind, expected, names, status, error, out_text,          \
                 out_engine, out_slots);                                                   \
    }                                                                                      \
    while (0)

#define END_NO_ERROR(function)                                                             \
    (void)error;                                                                           \
    check_null_engine_no_error(function, status, out_text, out_engine, out_slots);         \
    }                                                                                      \
    while (0)

#endif
