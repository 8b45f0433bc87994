/*
 * Security finding 3 through the C ABI: a national id written in disguise (spaced, dashed,
 * with a zero-width space, in full-width or Arabic-Indic digits, inside a longer number) is
 * refused in free text and never comes back in the last error message, whichever input echoed
 * it. Build: see scripts/test-c.sh. Prints "N passed, M failed" as its last line.
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
#define T_2026_03_01 INT64_C(1772366400000)

/* The adult 15038510190 in disguise, each as UTF-8. */
static const char *const DISGUISES[] = {
    "150385 10190",
    "150385-10190",
    "150385/10190",
    "150385_10190",
    "150385:10190",
    "(150385) 10190",
    "150385  10190",
    "150385\xc2\xa0" "10190",           /* no-break space */
    "150385\xe2\x80\x93" "10190",       /* en dash */
    "150385\xe2\x80\x8b" "10190",       /* zero-width space */
    "\xef\xbc\x91\xef\xbc\x95\xef\xbc\x90\xef\xbc\x93\xef\xbc\x98\xef\xbc\x95"
    "\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x99\xef\xbc\x90", /* full-width */
    "\xd9\xa1\xd9\xa5\xd9\xa0\xd9\xa3\xd9\xa8\xd9\xa5\xd9\xa1\xd9\xa0\xd9\xa1\xd9\xa9\xd9\xa0",
    /* Arabic-Indic */
    "2026150385101909",
};

/* Whether the last error message holds any five-digit group of the id in any form above:
   the date part 150385 or the personal number 10190, in ASCII, full-width or Arabic-Indic. */
/* The events the test's own calls recorded: every event but the catalogue adoptions (a new
 * ledger's first event records the adoption of its catalogue). UINT64_MAX when the log cannot
 * be read. */
static bool count_recorded(const char *event_json, void *user_data) {
    if (strstr(event_json, "\"kind\":\"catalogue_adopted\"") == NULL) {
        (*(uint64_t *)user_data)++;
    }
    return true;
}

static uint64_t recorded(const consent_ledger *ledger) {
    uint64_t count = 0;
    if (consent_ledger_events(ledger, count_recorded, &count) != CONSENT_RESULT_OK) {
        return UINT64_MAX;
    }
    return count;
}

static int last_error_leaks(void) {
    char message[1024];
    consent_last_error_message(message, sizeof message);
    static const char *const parts[] = {
        "150385", "10190",
        "\xef\xbc\x91\xef\xbc\x95\xef\xbc\x90\xef\xbc\x93\xef\xbc\x98\xef\xbc\x95",
        "\xd9\xa1\xd9\xa5\xd9\xa0\xd9\xa3\xd9\xa8\xd9\xa5",
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (strstr(message, parts[i]) != NULL) {
            fprintf(stderr, "leaked: %s\n", message);
            return 1;
        }
    }
    return 0;
}

int main(void) {
    const consent_ledger *ledger = NULL;
    if (consent_ledger_open(":memory:", NULL, &ledger) != CONSENT_RESULT_OK) {
        fprintf(stderr, "cannot open a ledger\n");
        return 1;
    }
    char buffer[2048];
    for (size_t i = 0; i < sizeof DISGUISES / sizeof DISGUISES[0]; i++) {
        const char *id = DISGUISES[i];
        /* Free text holding it is refused: the actor's id and role, the evidence reference. */
        snprintf(buffer, sizeof buffer, "{\"id\": \"ref %s\", \"role\": \"case_worker\"}", id);
        char *grant_id = NULL;
        const char *grant =
            "{\"subject\": \"15038510190\", \"grantor\": {\"role\": \"self\"}, "
            "\"purposes\": [\"case_handling\"], \"recipients\": [\"nav\"], "
            "\"categories\": [\"family\"], \"explicit\": false, "
            "\"valid_from\": \"2026-01-05T09:00:00Z\", \"valid_until\": null, "
            "\"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\", "
            "\"language\": \"ar\", \"interpreter\": true}, "
            "\"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}";
        CHECK(consent_ledger_grant(ledger, grant, buffer, &grant_id) == CONSENT_RESULT_INVALID_INPUT);
        CHECK(!last_error_leaks());
        snprintf(buffer, sizeof buffer, "{\"id\": \"x\", \"role\": \"%s\"}", id);
        CHECK(consent_ledger_grant(ledger, grant, buffer, &grant_id) != CONSENT_RESULT_OK);
        CHECK(!last_error_leaks());
        /* Inputs whose errors echo them: a code, an unknown JSON key, a file path. */
        const char *categories[] = {id};
        consent_decision *decision = NULL;
        CHECK(consent_ledger_decide(ledger, "15038510190", id, "case_handling", categories, 1,
                                    T_2026_03_01, &decision) == CONSENT_RESULT_UNKNOWN_CODE);
        CHECK(!last_error_leaks());
        CHECK(consent_ledger_decide(ledger, id, "nav", "case_handling", categories, 1,
                                    T_2026_03_01, &decision) != CONSENT_RESULT_OK);
        CHECK(!last_error_leaks());
        snprintf(buffer, sizeof buffer, "{\"%s\": true}", id);
        const consent_ledger *other = NULL;
        CHECK(consent_ledger_open(":memory:", buffer, &other) == CONSENT_RESULT_INVALID_INPUT);
        CHECK(!last_error_leaks());
        snprintf(buffer, sizeof buffer, "{\"catalogue_file\": \"/nonexistent/%s.toml\"}", id);
        CHECK(consent_ledger_open(":memory:", buffer, &other) == CONSENT_RESULT_STORAGE);
        CHECK(!last_error_leaks());
        snprintf(buffer, sizeof buffer, "/nonexistent/%s.db", id);
        CHECK(consent_ledger_open(buffer, NULL, &other) != CONSENT_RESULT_OK);
        CHECK(!last_error_leaks());
        CHECK(consent_ledger_withdraw(ledger, id, T_2026_03_01, ACTOR, NULL) ==
              CONSENT_RESULT_INVALID_INPUT);
        CHECK(!last_error_leaks());
    }
    CHECK(recorded(ledger) == 0);
    consent_ledger_free(ledger);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
