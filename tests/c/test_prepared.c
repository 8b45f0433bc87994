/*
 * Prepared requests through the C ABI (issue 19): consent_request_prepare checks and interns
 * the recipient, purpose and categories once; consent_request_decide and
 * consent_request_permits then give, for every subject and instant, the decision
 * consent_ledger_decide gives for the same arguments. Bad input gets a specific code and an
 * untouched out-param; a request outlives the ledger handle it was prepared from.
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

#define CHECK_RC(call, expected)                                                          \
    do {                                                                                  \
        consent_result rc_ = (call);                                                      \
        if (rc_ == (expected)) {                                                          \
            passed++;                                                                     \
        } else {                                                                          \
            char message_[512] = "";                                                      \
            consent_last_error_message(message_, sizeof message_);                        \
            failed++;                                                                     \
            fprintf(stderr, "FAIL %s:%d: %s -> %s, expected %s (%s)\n", __FILE__, __LINE__, \
                    #call, consent_result_str(rc_), consent_result_str(expected), message_); \
        }                                                                                 \
    } while (0)

#define ACTOR "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}"
#define ADULT "15038510190"
/* 2026-03-01T10:00:00Z and 2026-02-01T10:00:00Z in Unix milliseconds. */
#define T_2026_03_01_10 INT64_C(1772359200000)
#define T_2026_02_01_10 INT64_C(1769940000000)

/* Three people, and a number with a wrong control digit (the same error both ways). */
static const char *const SUBJECTS[] = {ADULT, "01017012343", "02030412349", "15038510191"};

/* The decision of consent_ledger_decide as JSON, or NULL on an error (whose code is kept). */
static char *direct(const consent_ledger *ledger, const char *subject, const char *recipient,
                    const char *purpose, const char *const *categories, size_t n, int64_t at,
                    consent_result *rc, bool *permitted) {
    consent_decision *decision = NULL;
    *rc = consent_ledger_decide(ledger, subject, recipient, purpose, categories, n, at,
                                &decision);
    if (*rc != CONSENT_RESULT_OK) {
        return NULL;
    }
    *permitted = consent_decision_permitted(decision);
    char *json = NULL;
    consent_decision_to_json(decision, &json);
    consent_decision_free(decision);
    return json;
}

static char *prepared(const consent_request *request, const char *subject, int64_t at,
                      consent_result *rc) {
    consent_decision *decision = NULL;
    *rc = consent_request_decide(request, subject, at, &decision);
    if (*rc != CONSENT_RESULT_OK) {
        return NULL;
    }
    char *json = NULL;
    consent_decision_to_json(decision, &json);
    consent_decision_free(decision);
    return json;
}

/* For each subject (one of them synthetic, refused outside test mode) and instant: the same
 * decision, or the same error, as consent_ledger_decide; and permits agrees. */
static void agrees(const consent_ledger *ledger, const char *recipient, const char *purpose,
                   const char *const *categories, size_t n) {
    consent_request *request = NULL;
    CHECK_RC(consent_request_prepare(ledger, recipient, purpose, categories, n, &request),
             CONSENT_RESULT_OK);
    if (request == NULL) {
        return;
    }
    const int64_t instants[] = {T_2026_02_01_10, T_2026_03_01_10};
    for (size_t s = 0; s < sizeof SUBJECTS / sizeof SUBJECTS[0]; s++) {
        for (size_t i = 0; i < 2; i++) {
            consent_result want_rc, got_rc;
            bool want_permitted = false;
            char *want = direct(ledger, SUBJECTS[s], recipient, purpose, categories, n,
                                instants[i], &want_rc, &want_permitted);
            char *got = prepared(request, SUBJECTS[s], instants[i], &got_rc);
            CHECK(want_rc == got_rc);
            CHECK((want == NULL && got == NULL) ||
                  (want != NULL && got != NULL && strcmp(want, got) == 0));
            bool permitted = false;
            consent_result permits_rc =
                consent_request_permits(request, SUBJECTS[s], instants[i], &permitted);
            CHECK(permits_rc == want_rc);
            CHECK(want == NULL || permitted == want_permitted);
            consent_string_free(want);
            consent_string_free(got);
        }
    }
    consent_request_free(request);
}

int main(void) {
    const consent_ledger *ledger = NULL;
    if (consent_ledger_open(":memory:", "{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\"}",
                            &ledger) != CONSENT_RESULT_OK) {
        fprintf(stderr, "cannot open a ledger\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    /* The adult consents to NAV (finances) from 5 January; withdrawn from 15 February. */
    const char *grant =
        "{\"subject\": \"" ADULT "\", \"grantor\": {\"role\": \"self\"}, "
        "\"purposes\": [\"employment_followup\"], \"recipients\": [\"nav\"], "
        "\"categories\": [\"finances\"], \"explicit\": false, "
        "\"valid_from\": \"2026-01-05T09:00:00Z\", \"valid_until\": null, "
        "\"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\", "
        "\"language\": \"ar\", \"interpreter\": true}, "
        "\"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}";
    char *grant_id = NULL;
    CHECK_RC(consent_ledger_grant(ledger, grant, ACTOR, &grant_id), CONSENT_RESULT_OK);

    const char *nir[] = {"name", "national_id"};
    const char *finances[] = {"finances"};
    const char *mixed[] = {"finances", "name"};
    agrees(ledger, "nir", "nir_registration", nir, 2);
    agrees(ledger, "nav", "employment_followup", finances, 1);
    agrees(ledger, "nav", "employment_followup", mixed, 2);

    /* A change after the preparation is seen by the next decision. */
    consent_request *request = NULL;
    CHECK_RC(consent_request_prepare(ledger, "nav", "employment_followup", finances, 1, &request),
             CONSENT_RESULT_OK);
    bool permitted = false;
    CHECK_RC(consent_request_permits(request, ADULT, T_2026_03_01_10, &permitted),
             CONSENT_RESULT_OK);
    CHECK(permitted);
    CHECK_RC(consent_ledger_withdraw(ledger, grant_id, INT64_C(1771149600000), ACTOR, NULL),
             CONSENT_RESULT_OK);
    CHECK_RC(consent_request_permits(request, ADULT, T_2026_03_01_10, &permitted),
             CONSENT_RESULT_OK);
    CHECK(!permitted);
    consent_string_free(grant_id);

    /* Conditions asserted once, at preparation. */
    const char *name[] = {"name"};
    consent_request *concern = NULL;
    CHECK_RC(consent_request_prepare_asserted(
                 ledger, "barnevern", "child_welfare_followup", name, 1,
                 "[{\"condition\": \"serious_concern\", \"reference\": \"2026/55\"}]", &concern),
             CONSENT_RESULT_OK);
    CHECK_RC(consent_request_permits(concern, ADULT, T_2026_03_01_10, &permitted),
             CONSENT_RESULT_OK);
    CHECK(permitted);
    consent_request *routine = NULL;
    CHECK_RC(consent_request_prepare_asserted(ledger, "barnevern", "child_welfare_followup", name,
                                              1, NULL, &routine),
             CONSENT_RESULT_OK);
    consent_decision *decision = NULL;
    CHECK_RC(consent_request_decide(routine, ADULT, T_2026_03_01_10, &decision),
             CONSENT_RESULT_OK);
    char *json = NULL;
    CHECK_RC(consent_decision_to_json(decision, &json), CONSENT_RESULT_OK);
    CHECK(json != NULL && strstr(json, "condition_not_asserted") != NULL);
    consent_string_free(json);
    consent_decision_free(decision);
    consent_request_free(routine);

    /* Bad input at preparation: a specific code, the out-param untouched. */
    consent_request *untouched = (consent_request *)&passed;
    const char *shoe[] = {"shoe_size"};
    const char *twice[] = {"name", "name"};
    const char *bad_utf8[] = {"nam\xff"};
    CHECK_RC(consent_request_prepare(NULL, "nir", "nir_registration", nir, 2, &untouched),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_request_prepare(ledger, NULL, "nir_registration", nir, 2, &untouched),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_request_prepare(ledger, "nir", "nir_registration", nir, 2, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_request_prepare(ledger, "nsa", "nir_registration", nir, 2, &untouched),
             CONSENT_RESULT_UNKNOWN_CODE);
    CHECK_RC(consent_request_prepare(ledger, "nir", "nir_registration", shoe, 1, &untouched),
             CONSENT_RESULT_UNKNOWN_CODE);
    CHECK_RC(consent_request_prepare(ledger, "nir", "nir_registration", twice, 2, &untouched),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_request_prepare(ledger, "nir", "nir_registration", NULL, 0, &untouched),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_request_prepare(ledger, "nir", "nir_registration", bad_utf8, 1, &untouched),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_request_prepare_asserted(ledger, "nir", "nir_registration", nir, 2,
                                              "[{\"condition\": \"curiosity\"}]", &untouched),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_request_prepare_asserted(
                 ledger, "nir", "nir_registration", nir, 2,
                 "[{\"condition\": \"curiosity\", \"reference\": \"2026/1\"}]", &untouched),
             CONSENT_RESULT_UNKNOWN_CODE);
    CHECK(untouched == (consent_request *)&passed);

    /* Bad input at decision: a specific code, the out-params untouched, no id in a message. */
    consent_decision *no_decision = (consent_decision *)&failed;
    bool verdict = true;
    CHECK_RC(consent_request_decide(NULL, ADULT, T_2026_03_01_10, &no_decision),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_request_decide(request, NULL, T_2026_03_01_10, &no_decision),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_request_decide(request, ADULT, T_2026_03_01_10, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_request_decide(request, "15038510191", T_2026_03_01_10, &no_decision),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    char message[512];
    CHECK(consent_last_error_message(message, sizeof message) > 0);
    CHECK(strstr(message, "15038510191") == NULL);
    CHECK_RC(consent_request_decide(request, "1503851019\xff", T_2026_03_01_10, &no_decision),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_request_decide(request, ADULT, INT64_MAX, &no_decision),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_request_permits(request, ADULT, T_2026_03_01_10, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_request_permits(request, "15038510191", T_2026_03_01_10, &verdict),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    CHECK(no_decision == (consent_decision *)&failed);
    CHECK(verdict);

    /* A request outlives the handle it was prepared from. */
    consent_ledger_free(ledger);
    CHECK_RC(consent_request_permits(concern, ADULT, T_2026_03_01_10, &permitted),
             CONSENT_RESULT_OK);
    CHECK(permitted);
    consent_request_free(concern);
    consent_request_free(request);
    consent_request_free(NULL);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
