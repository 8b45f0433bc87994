/*
 * Security finding 7 through the C ABI: consent_ledger_events streams the log to a callback a
 * page at a time (no list of every event is built), in order, and stops when the callback asks;
 * a list longer than a catalogue can hold is refused before it is converted.
 * Build: see scripts/test-c.sh. Prints "N passed, M failed" as its last line.
 */
#include "consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0;
static int failed = 0;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                  \
    } while (0)

#define ACTOR "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}"
#define GRANT                                                                          \
    "{\"subject\": \"15038510190\", \"grantor\": {\"role\": \"self\"}, "               \
    "\"purposes\": [\"case_handling\"], \"recipients\": [\"nav\"], "                   \
    "\"categories\": [\"family\"], \"explicit\": false, "                              \
    "\"valid_from\": \"2026-01-05T09:00:00Z\", \"valid_until\": null, "                \
    "\"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\", "      \
    "\"language\": \"ar\", \"interpreter\": true}, "                                   \
    "\"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}"

struct seen {
    int count;
    int in_order;
    int stop_after;
};

static bool count_events(const char *event_json, void *user_data) {
    struct seen *seen = user_data;
    char needle[32];
    seen->count++;
    snprintf(needle, sizeof needle, "\"seq\":%d,", seen->count);
    if (strstr(event_json, needle) == NULL || strstr(event_json, "15038510190") != NULL) {
        seen->in_order = 0;
    }
    return seen->stop_after == 0 || seen->count < seen->stop_after;
}

int main(void) {
    const consent_ledger *ledger = NULL;
    /* A test clock at the morning the fixture's grants start (consent is not backdated). */
    if (consent_ledger_open(":memory:", "{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\"}",
                            &ledger) != CONSENT_RESULT_OK) {
        fprintf(stderr, "cannot open a ledger\n");
        return 1;
    }
    /* More than two of the pages the library reads at a time (256 events). */
    for (int i = 0; i < 600; i++) {
        char *grant_id = NULL;
        if (consent_ledger_grant(ledger, GRANT, ACTOR, &grant_id) != CONSENT_RESULT_OK) {
            char message[512];
            consent_last_error_message(message, sizeof message);
            fprintf(stderr, "grant %d failed: %s\n", i, message);
            consent_ledger_free(ledger);
            printf("0 passed, 1 failed\n");
            return 1;
        }
        consent_string_free(grant_id);
    }
    struct seen all = {0, 1, 0};
    CHECK(consent_ledger_events(ledger, count_events, &all) == CONSENT_RESULT_OK);
    /* The adoption of the ledger's catalogue (its first event), then the 600 grants. */
    CHECK(all.count == 601);
    CHECK(all.in_order);

    struct seen some = {0, 1, 300};
    CHECK(consent_ledger_events(ledger, count_events, &some) == CONSENT_RESULT_OK);
    CHECK(some.count == 300);
    CHECK(some.in_order);

    CHECK(consent_ledger_events(ledger, NULL, &all) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_events(NULL, count_events, &all) == CONSENT_RESULT_NULL_ARGUMENT);

    /* 65 categories: more than a catalogue holds, refused before any is read. */
    const char *categories[65];
    for (int i = 0; i < 65; i++) categories[i] = "family";
    consent_decision *decision = NULL;
    CHECK(consent_ledger_decide(ledger, "15038510190", "nav", "case_handling", categories, 65,
                                INT64_C(1772366400000), &decision) == CONSENT_RESULT_INVALID_INPUT);
    CHECK(decision == NULL);

    consent_ledger_free(ledger);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
