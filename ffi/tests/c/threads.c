/* Eight threads book the same slots through one shared engine: no practitioner is ever
 * booked twice at overlapping times (capacity 1 each), every refusal is a capacity or
 * availability status, and the engine ends with exactly the bookings that succeeded. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clinic_portal.h"

#define THREADS 8
#define MAX_BOOKINGS 1024

static const char *CONFIG =
    "{\"clinics\": [{\"id\": \"main\", \"time_zone\": \"America/Toronto\"}],"
    " \"schedule_types\": [{\"id\": \"treat\"}],"
    " \"practitioners\": ["
    "  {\"id\": \"dr-lee\", \"schedule_types\": [\"treat\"], \"availability\": [{\"start_date\": \"2027-01-01\","
    "   \"blocks\": [{\"weekday\": \"mon\", \"start\": \"09:00\", \"end\": \"12:00\", \"schedule_type\": \"treat\"}]}]},"
    "  {\"id\": \"dr-kim\", \"schedule_types\": [\"treat\"], \"availability\": [{\"start_date\": \"2027-01-01\","
    "   \"blocks\": [{\"weekday\": \"mon\", \"start\": \"09:00\", \"end\": \"12:00\", \"schedule_type\": \"treat\"}]}]}],"
    " \"services\": [{\"id\": \"physio-30\", \"duration_minutes\": 30, \"schedule_types\": [\"treat\"]}]}";

static const char *QUERY = "{\"service\": \"physio-30\", \"from\": \"2027-02-01\", \"to\": \"2027-02-01\"}";
static const int64_t NOW = 1800000000; /* 2027-01-15 */

static cp_engine *engine;
static int64_t *starts;
static size_t start_count;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char practitioner[32];
    int64_t start;
    char id[64];
} booked[MAX_BOOKINGS];
static size_t booked_count;
static int unexpected;

static void *worker(void *arg) {
    int thread = (int)(size_t)arg;
    char patient[32];
    snprintf(patient, sizeof patient, "pat-%d", thread);
    for (size_t round = 0; round < start_count; round++) {
        /* Each thread walks the starts from another place, so that they collide. */
        size_t i = (round + (size_t)thread * 3) % start_count;
        time_t t = (time_t)starts[i];
        struct tm tm;
        gmtime_r(&t, &tm);
        char start[32];
        strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", &tm);
        char request[256];
        snprintf(request, sizeof request,
                 "{\"patient\": \"%s\", \"service\": \"physio-30\", \"start\": \"%s\"}", patient, start);
        char *outcome = NULL;
        cp_error *error = NULL;
        cp_status status = cp_engine_book(engine, request, NOW, &outcome, &error);
        if (status == CP_STATUS_OK) {
            cJSON *json = cJSON_Parse(outcome);
            cJSON *appointment = cJSON_GetObjectItemCaseSensitive(json, "appointment");
            const char *practitioner =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(appointment, "practitioner"));
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(appointment, "id"));
            pthread_mutex_lock(&lock);
            if (practitioner == NULL || id == NULL || booked_count == MAX_BOOKINGS) {
                unexpected++;
            } else {
                snprintf(booked[booked_count].practitioner, sizeof booked[0].practitioner, "%s", practitioner);
                snprintf(booked[booked_count].id, sizeof booked[0].id, "%s", id);
                booked[booked_count].start = starts[i];
                booked_count++;
            }
            pthread_mutex_unlock(&lock);
            cJSON_Delete(json);
        } else if (status != CP_STATUS_CAPACITY_FULL && status != CP_STATUS_SLOT_UNAVAILABLE &&
                   status != CP_STATUS_PATIENT_BUSY && status != CP_STATUS_LIMIT_REACHED) {
            pthread_mutex_lock(&lock);
            fprintf(stderr, "thread %d: unexpected %s: %s\n", thread, cp_status_name(status),
                    cp_error_message(error));
            unexpected++;
            pthread_mutex_unlock(&lock);
        }
        cp_string_free(outcome);
        cp_error_free(error);
    }
    return NULL;
}

int main(void) {
    cp_error *error = NULL;
    if (cp_engine_from_json(CONFIG, &engine, &error) != CP_STATUS_OK) {
        fprintf(stderr, "config: %s\n", cp_error_message(error));
        return 1;
    }
    for (int t = 0; t < THREADS; t++) {
        char patient[64];
        snprintf(patient, sizeof patient, "{\"id\": \"pat-%d\"}", t);
        if (cp_engine_upsert_patient(engine, patient, NULL, NULL) != CP_STATUS_OK) {
            return 1;
        }
    }
    cp_slots *slots = NULL;
    if (cp_engine_search_slots(engine, QUERY, NOW, &slots, &error) != CP_STATUS_OK) {
        fprintf(stderr, "search: %s\n", cp_error_message(error));
        return 1;
    }
    start_count = slots->len;
    starts = malloc(sizeof *starts * (start_count + 1));
    for (size_t i = 0; i < start_count; i++) {
        starts[i] = slots->items[i].start_unix;
        if (slots->items[i].remaining_capacity != 2) {
            fprintf(stderr, "slot %zu: remaining %u, expected 2\n", i, slots->items[i].remaining_capacity);
            return 1;
        }
    }
    cp_slots_free(slots);
    if (start_count < 4) {
        fprintf(stderr, "only %zu starts\n", start_count);
        return 1;
    }

    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        pthread_create(&threads[t], NULL, worker, (void *)(size_t)t);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
    }

    int failures = unexpected;
    /* Capacity 1 per practitioner: no two bookings of one practitioner overlap. */
    for (size_t a = 0; a < booked_count; a++) {
        for (size_t b = a + 1; b < booked_count; b++) {
            int64_t gap = booked[a].start - booked[b].start;
            if (strcmp(booked[a].practitioner, booked[b].practitioner) == 0 && gap < 1800 && gap > -1800) {
                fprintf(stderr, "%s is booked twice: %s and %s\n", booked[a].practitioner, booked[a].id,
                        booked[b].id);
                failures++;
            }
        }
    }
    size_t count = 0;
    if (cp_engine_appointment_count(engine, &count, NULL) != CP_STATUS_OK || count != booked_count) {
        fprintf(stderr, "the engine holds %zu appointments, %zu bookings succeeded\n", count, booked_count);
        failures++;
    }
    /* Two practitioners, 09:00-12:00: at most 6 + 6 half-hour bookings fit, and the race
     * must have filled some. */
    if (booked_count == 0 || booked_count > 12) {
        fprintf(stderr, "%zu bookings\n", booked_count);
        failures++;
    }
    /* The journal replays onto the empty engine to the same state. */
    char *snapshot = NULL;
    char *journal = NULL;
    cp_engine_snapshot(engine, &snapshot, NULL);
    cp_engine_changes_since(engine, 0, &journal, NULL);
    cp_engine *replica = NULL;
    cp_engine_from_json(CONFIG, &replica, NULL);
    cJSON *changes = cJSON_Parse(journal);
    const cJSON *change = NULL;
    cJSON_ArrayForEach(change, changes) {
        char *text = cJSON_PrintUnformatted(change);
        uint64_t seq = 0;
        if (cp_engine_apply(replica, text, &seq, &error) != CP_STATUS_OK) {
            fprintf(stderr, "apply: %s\n", cp_error_message(error));
            cp_error_free(error);
            error = NULL;
            failures++;
        }
        cJSON_free(text);
    }
    char *replayed = NULL;
    cp_engine_snapshot(replica, &replayed, NULL);
    if (snapshot == NULL || replayed == NULL || strcmp(snapshot, replayed) != 0) {
        fprintf(stderr, "the journal does not replay to the same snapshot\n");
        failures++;
    }
    cJSON_Delete(changes);
    cp_string_free(snapshot);
    cp_string_free(journal);
    cp_string_free(replayed);
    cp_engine_free(replica);
    cp_engine_free(engine);
    free(starts);
    if (failures > 0) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("threads: %d threads, %zu starts, %zu bookings, capacity never exceeded\n", THREADS, start_count,
           booked_count);
    return 0;
}
