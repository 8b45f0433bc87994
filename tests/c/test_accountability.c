/*
 * Issue 17 through the C ABI: roles and permissions from the catalogue, reads of one person's
 * data recorded as access events, and the export listing who looked.
 * Build: see scripts/test-c.sh. Prints "N passed, M failed" as its last line.
 */
#include "consent.h"

#include <stdint.h>
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

#define ADULT "15038510190"
#define CASE_WORKER "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}"
#define DPO "{\"id\": \"personvernombud-1\", \"role\": \"dpo\"}"
#define AUDITOR "{\"id\": \"revisor-1\", \"role\": \"auditor\"}"
#define SYSTEM "{\"id\": \"nir-overforing\", \"role\": \"system\"}"
#define JANITOR "{\"id\": \"vaktmester\", \"role\": \"janitor\"}"
#define GRANT                                                                          \
    "{\"subject\": \"15038510190\", \"grantor\": {\"role\": \"self\"}, "               \
    "\"purposes\": [\"employment_followup\"], \"recipients\": [\"nav\"], "             \
    "\"categories\": [\"finances\"], \"explicit\": false, "                            \
    "\"valid_from\": \"2026-01-05T09:00:00Z\", \"valid_until\": null, "                \
    "\"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\", "      \
    "\"language\": \"ar\", \"interpreter\": true}, "                                   \
    "\"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}"
/* 2026-03-01T10:00:00Z */
#define T_MARCH INT64_C(1772359200000)

static const consent_ledger *open_ledger(void) {
    const consent_ledger *ledger = NULL;
    if (consent_ledger_open(":memory:", "{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\"}",
                            &ledger) != CONSENT_RESULT_OK) {
        fprintf(stderr, "cannot open a ledger\n");
        exit(1);
    }
    char *grant_id = NULL;
    if (consent_ledger_grant(ledger, GRANT, CASE_WORKER, &grant_id) != CONSENT_RESULT_OK) {
        fprintf(stderr, "cannot grant\n");
        exit(1);
    }
    consent_string_free(grant_id);
    return ledger;
}

static int message_has(const char *needle) {
    char message[512];
    consent_last_error_message(message, sizeof message);
    return strstr(message, needle) != NULL;
}

static void test_erasure_needs_a_permitted_role(void) {
    const consent_ledger *ledger = open_ledger();
    uint64_t before = consent_ledger_event_count(ledger);
    char *json = NULL;
    CHECK(consent_ledger_request_erasure(ledger, ADULT, CASE_WORKER, &json) ==
          CONSENT_RESULT_NOT_PERMITTED);
    CHECK(json == NULL);
    CHECK(message_has("`case_worker`") && message_has("`request_erasure`"));
    CHECK(consent_ledger_event_count(ledger) == before);
    CHECK(consent_ledger_request_erasure(ledger, ADULT, JANITOR, &json) ==
          CONSENT_RESULT_UNKNOWN_CODE);
    CHECK(message_has("`janitor`"));
    CHECK(consent_ledger_event_count(ledger) == before);
    CHECK(consent_ledger_request_erasure(ledger, ADULT, DPO, &json) == CONSENT_RESULT_OK);
    CHECK(json != NULL);
    consent_string_free(json);
    CHECK(consent_ledger_event_count(ledger) > before);
    consent_ledger_free(ledger);
}

static void test_an_auditor_verifies_but_does_not_export(void) {
    const consent_ledger *ledger = open_ledger();
    uint64_t before = consent_ledger_event_count(ledger);
    char *json = NULL;
    CHECK(consent_ledger_verify_as(ledger, AUDITOR, &json) == CONSENT_RESULT_OK);
    CHECK(json != NULL && strstr(json, "\"ok\":true") != NULL);
    consent_string_free(json);
    json = NULL;
    CHECK(consent_ledger_verify_as(ledger, CASE_WORKER, &json) == CONSENT_RESULT_NOT_PERMITTED);
    CHECK(consent_ledger_subject_export_as(ledger, ADULT, AUDITOR, "revisjon", &json) ==
          CONSENT_RESULT_NOT_PERMITTED);
    CHECK(message_has("`auditor`") && message_has("`export`"));
    CHECK(consent_ledger_subject_events(ledger, ADULT, AUDITOR, "revisjon", &json) ==
          CONSENT_RESULT_NOT_PERMITTED);
    CHECK(json == NULL);
    CHECK(consent_ledger_event_count(ledger) == before);
    consent_ledger_free(ledger);
}

static void test_an_export_is_listed_in_the_next(void) {
    const consent_ledger *ledger = open_ledger();
    char *json = NULL;
    CHECK(consent_ledger_subject_export_as(ledger, ADULT, CASE_WORKER, "sak 2026/55", &json) ==
          CONSENT_RESULT_OK);
    consent_string_free(json);
    json = NULL;
    CHECK(consent_ledger_subject_export_as(ledger, ADULT, DPO, "innsynskrav 2026/70", &json) ==
          CONSENT_RESULT_OK);
    CHECK(json != NULL);
    if (json != NULL) {
        const char *accesses = strstr(json, "\"accesses\"");
        CHECK(accesses != NULL);
        CHECK(strstr(json, "\"purpose\": \"sak 2026/55\"") != NULL);
        CHECK(strstr(json, "\"role\": \"case_worker\"") != NULL);
        CHECK(strstr(json, "\"accessed_at\": \"2026-01-05T10:00:00Z\"") != NULL);
        CHECK(strstr(json, "\"operation\": \"export\"") != NULL);
        /* Staff ids are not disclosed by the default catalogue. */
        CHECK(accesses != NULL && strstr(accesses, "personvernombud-1") == NULL);
        CHECK(strstr(json, ADULT) == NULL);
    }
    consent_string_free(json);
    json = NULL;
    /* The person's events: the read is recorded first, so they end with it. */
    CHECK(consent_ledger_subject_events(ledger, ADULT, CASE_WORKER, "journal", &json) ==
          CONSENT_RESULT_OK);
    CHECK(json != NULL && strstr(json, "\"subject_accessed\"") != NULL);
    CHECK(json != NULL && strstr(json, ADULT) == NULL);
    consent_string_free(json);
    consent_ledger_free(ledger);
}

static void test_logged_decisions(void) {
    const consent_ledger *ledger = open_ledger();
    const char *categories[] = {"name"};
    uint64_t before = consent_ledger_event_count(ledger);
    consent_decision *decision = NULL;
    CHECK(consent_ledger_decide_logged(ledger, ADULT, "nir", "nir_registration", categories, 1,
                                       NULL, T_MARCH, SYSTEM, "melding til NIR",
                                       &decision) == CONSENT_RESULT_OK);
    CHECK(decision != NULL && consent_decision_permitted(decision));
    consent_decision_free(decision);
    decision = NULL;
    CHECK(consent_ledger_event_count(ledger) == before + 1);
    /* Bad role, bad purpose, bad code: nothing recorded, no decision. */
    CHECK(consent_ledger_decide_logged(ledger, ADULT, "nir", "nir_registration", categories, 1,
                                       NULL, T_MARCH, AUDITOR, "x",
                                       &decision) == CONSENT_RESULT_NOT_PERMITTED);
    CHECK(consent_ledger_decide_logged(ledger, ADULT, "nir", "nir_registration", categories, 1,
                                       NULL, T_MARCH, JANITOR, "x",
                                       &decision) == CONSENT_RESULT_UNKNOWN_CODE);
    CHECK(consent_ledger_decide_logged(ledger, ADULT, "nir", "nir_registration", categories, 1,
                                       NULL, T_MARCH, SYSTEM, "", &decision) ==
          CONSENT_RESULT_INVALID_INPUT);
    CHECK(consent_ledger_decide_logged(ledger, ADULT, "nir", "shoe_shopping", categories, 1,
                                       NULL, T_MARCH, SYSTEM, "x",
                                       &decision) == CONSENT_RESULT_UNKNOWN_CODE);
    CHECK(consent_ledger_decide_logged(ledger, ADULT, "nir", "nir_registration", categories, 1,
                                       NULL, T_MARCH, "{\"id\": 1}", "x",
                                       &decision) == CONSENT_RESULT_INVALID_INPUT);
    CHECK(consent_ledger_decide_logged(ledger, ADULT, "nir", "nir_registration", categories, 1,
                                       NULL, T_MARCH, NULL, "x",
                                       &decision) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_decide_logged(ledger, ADULT, "nir", "nir_registration", categories, 1,
                                       NULL, T_MARCH, SYSTEM, NULL,
                                       &decision) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(decision == NULL);
    CHECK(consent_ledger_event_count(ledger) == before + 1);

    /* A prepared request's logged variant. */
    consent_request *request = NULL;
    CHECK(consent_request_prepare(ledger, "nir", "nir_registration", categories, 1, &request) ==
          CONSENT_RESULT_OK);
    CHECK(consent_request_decide_logged(request, ADULT, T_MARCH, SYSTEM, "nattlig overføring",
                                        &decision) == CONSENT_RESULT_OK);
    CHECK(decision != NULL && consent_decision_permitted(decision));
    consent_decision_free(decision);
    decision = NULL;
    CHECK(consent_request_decide_logged(request, ADULT, T_MARCH, AUDITOR, "x", &decision) ==
          CONSENT_RESULT_NOT_PERMITTED);
    CHECK(consent_request_decide_logged(NULL, ADULT, T_MARCH, SYSTEM, "x", &decision) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_request_decide_logged(request, ADULT, T_MARCH, SYSTEM, "x", NULL) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(decision == NULL);
    CHECK(consent_ledger_event_count(ledger) == before + 2);
    consent_request_free(request);
    consent_ledger_free(ledger);
}

static void test_null_and_retired(void) {
    const consent_ledger *ledger = open_ledger();
    char *json = NULL;
    CHECK(consent_ledger_subject_export_as(NULL, ADULT, CASE_WORKER, "x", &json) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_subject_export_as(ledger, ADULT, NULL, "x", &json) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_subject_export_as(ledger, ADULT, CASE_WORKER, NULL, &json) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_subject_export_as(ledger, ADULT, CASE_WORKER, "\xff", &json) ==
          CONSENT_RESULT_INVALID_UTF8);
    CHECK(consent_ledger_subject_events(ledger, ADULT, CASE_WORKER, "x", NULL) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_verify_as(ledger, NULL, &json) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_verify_as(ledger, JANITOR, &json) == CONSENT_RESULT_UNKNOWN_CODE);
    /* The export without an actor is retired: it says which call replaces it. */
    CHECK(consent_ledger_subject_export(ledger, ADULT, &json) == CONSENT_RESULT_NOT_PERMITTED);
    CHECK(message_has("consent_ledger_subject_export_as"));
    CHECK(json == NULL);
    consent_ledger_free(ledger);
}

int main(void) {
    test_erasure_needs_a_permitted_role();
    test_an_auditor_verifies_but_does_not_export();
    test_an_export_is_listed_in_the_next();
    test_logged_decisions();
    test_null_and_retired();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
