/*
 * C tests of the consent C ABI: scenarios, every error path, and a threaded run.
 * Build: see scripts/test-c.sh. Prints "N passed, M failed" as its last line.
 */
#include "consent.h"

#include <pthread.h>
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

/* Checks a result code and, on a mismatch, prints both names and the last error. */
#define CHECK_RC(call, expected)                                                    \
    do {                                                                            \
        consent_result rc_ = (call);                                                \
        if (rc_ == (consent_result)(expected)) {                                    \
            passed++;                                                               \
        } else {                                                                    \
            char msg_[512];                                                         \
            consent_last_error_message(msg_, sizeof msg_);                          \
            failed++;                                                               \
            fprintf(stderr, "FAIL %s:%d: %s -> %s, expected %s (%s)\n", __FILE__,   \
                    __LINE__, #call, consent_result_str(rc_),                       \
                    consent_result_str((uint32_t)(expected)), msg_);                \
        }                                                                           \
    } while (0)

/* Instants, Unix milliseconds UTC (computed with Python's datetime). */
#define T_2026_01_01 INT64_C(1767225600000)  /* 2026-01-01T00:00:00Z */
#define T_GRANT_FROM INT64_C(1767603600000)  /* 2026-01-05T09:00:00Z */
#define T_2026_03_01 INT64_C(1772366400000)  /* 2026-03-01T12:00:00Z */
#define T_2026_05_01 INT64_C(1777636800000)  /* 2026-05-01T12:00:00Z */
#define T_WITHDRAW INT64_C(1780272000000)    /* 2026-06-01T00:00:00Z */
#define T_2026_07_01 INT64_C(1782907200000)  /* 2026-07-01T12:00:00Z */
#define T_2028_05_01 INT64_C(1840795200000)  /* 2028-05-01T12:00:00Z */
#define T_2028_07_01 INT64_C(1846065600000)  /* 2028-07-01T12:00:00Z */
#define T_2030_05_01 INT64_C(1903867200000)  /* 2030-05-01T12:00:00Z */
#define T_2030_07_01 INT64_C(1909137600000)  /* 2030-07-01T12:00:00Z */

/* An adult born 1985-03-15 (the valid test number of the design documents). */
#define ADULT "15038510190"
/*
 * A child born 2012-06-01 (turns 18 on 2030-06-01), and a second child of the same day.
 * Computed with consent_core::control_digits("010612500") and ("010612501"), which return the
 * whole 11-digit number with its two mod-11 control digits.
 */
#define CHILD "01061250073"
#define CHILD2 "01061250154"
/* The adult's number with the last control digit changed: fails validation. */
#define BAD_FNR "15038510191"

static const char *ACTOR = "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}";

/* Builds a grant document into buf. */
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

static void grant_json(char *buf, size_t len, const char *subject, const char *grantor,
                       const char *purpose, const char *recipient, const char *categories,
                       int explicit_consent) {
    snprintf(buf, len,
             "{\"subject\": \"%s\", \"grantor\": %s, \"purposes\": [\"%s\"],"
             " \"recipients\": [\"%s\"], \"categories\": [%s], \"explicit\": %s,"
             " \"valid_from\": \"2026-01-05T09:00:00Z\", \"valid_until\": null,"
             " \"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\","
             " \"language\": \"ar\", \"interpreter\": true},"
             " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}",
             subject, grantor, purpose, recipient, categories,
             explicit_consent ? "true" : "false");
}

#define SELF "{\"role\": \"self\"}"
#define CLOCK_OPTIONS "{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\"}"
#define VERGE                                                                            \
    "{\"role\": \"verge\", \"id\": \"" ADULT "\", \"authority\": \"statsforvalteren 2025/77\"}"
/* A representative grantor followed by the grant's `child_heard` field (the grant documents put
 * the grantor where this goes): the child of 12 or older was heard before the grant. */
#define HEARD                                                                              \
    ", \"child_heard\": {\"at\": \"2026-01-04T12:00:00Z\", \"position\": \"agrees\", " \
    "\"reference\": \"2026/1233\"}"
#define VERGE_HEARD VERGE HEARD

/* Decides and returns 1 permitted, 0 denied, -1 error (with the result in *rc). Also asks
 * consent_ledger_permits, which must give the same result and verdict and leave its out-param
 * alone on an error; -2 when it does not. (No CHECK here: the threaded test calls it.) */
static int decide(const consent_ledger *ledger, const char *subject, const char *recipient,
                  const char *purpose, const char *const *cats, size_t n, int64_t at,
                  consent_result *rc) {
    consent_decision *decision = NULL;
    bool verdict = true; /* an error must leave it so */
    consent_result by_permits =
        consent_ledger_permits(ledger, subject, recipient, purpose, cats, n, at, &verdict);
    *rc = consent_ledger_decide(ledger, subject, recipient, purpose, cats, n, at, &decision);
    if (*rc != CONSENT_RESULT_OK) {
        return by_permits == *rc && verdict ? -1 : -2;
    }
    int permitted = consent_decision_permitted(decision) ? 1 : 0;
    consent_decision_free(decision);
    if (by_permits != CONSENT_RESULT_OK || verdict != (permitted == 1)) {
        return -2;
    }
    return permitted;
}

/* consent_ledger_decide, after checking that consent_ledger_permits gives the same result for
 * the same arguments (NULL out-param for NULL out-param) and leaves its out-param alone when
 * it fails. */
static consent_result decide_and_permits(const consent_ledger *ledger, const char *subject,
                                         const char *recipient, const char *purpose,
                                         const char *const *cats, size_t n, int64_t at,
                                         consent_decision **decision_out) {
    bool verdict = true;
    consent_result by_permits = consent_ledger_permits(
        ledger, subject, recipient, purpose, cats, n, at, decision_out != NULL ? &verdict : NULL);
    consent_result rc =
        consent_ledger_decide(ledger, subject, recipient, purpose, cats, n, at, decision_out);
    CHECK(by_permits == rc);
    if (rc != CONSENT_RESULT_OK) {
        CHECK(verdict);
    }
    return rc;
}

static const consent_ledger *open_ledger(void) {
    const consent_ledger *ledger = NULL;
    /* A test clock at the morning the fixtures' grants start (2026-01-05T09:00Z): a consent
     * dated more than 30 days before it is recorded is refused. */
    CHECK_RC(consent_ledger_open(":memory:", CLOCK_OPTIONS, &ledger), CONSENT_RESULT_OK);
    CHECK(ledger != NULL);
    return ledger;
}

static void test_statutory_permit(void) {
    const consent_ledger *ledger = open_ledger();
    const char *cats[] = {"name", "national_id"};
    consent_decision *decision = NULL;
    CHECK_RC(consent_ledger_decide(ledger, ADULT, "nir", "nir_registration", cats, 2, T_2026_03_01,
                                   &decision),
             CONSENT_RESULT_OK);
    CHECK(consent_decision_permitted(decision));
    char *json = NULL;
    CHECK_RC(consent_decision_to_json(decision, &json), CONSENT_RESULT_OK);
    CHECK(json != NULL && strstr(json, "\"permitted\":true") != NULL);
    CHECK(json != NULL && strstr(json, "\"rule\":\"nir_registration\"") != NULL);
    /* The decision never carries the national id. */
    CHECK(json != NULL && strstr(json, ADULT) == NULL);
    consent_string_free(json);
    consent_decision_free(decision);
    CHECK(recorded(ledger) == 0);
    consent_ledger_free(ledger);
}

static void test_explicit_health_consent(void) {
    const consent_ledger *ledger = open_ledger();
    const char *cats[] = {"health"};
    consent_result rc;
    char json[2048];
    char *id = NULL;

    /* No consent: denied. */
    CHECK(decide(ledger, ADULT, "laeringssenteret", "health_coordination", cats, 1, T_2026_03_01,
                 &rc) == 0);

    /* Non-explicit consent to health could never permit: refused at the door, nothing
     * recorded. */
    grant_json(json, sizeof json, ADULT, SELF, "health_coordination", "laeringssenteret",
               "\"health\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_INVALID_INPUT);
    CHECK(id == NULL);
    char message[512];
    consent_last_error_message(message, sizeof message);
    CHECK(strstr(message, "explicit") != NULL);
    CHECK(recorded(ledger) == 0);

    /* Explicit consent: permitted. */
    grant_json(json, sizeof json, ADULT, SELF, "health_coordination", "laeringssenteret",
               "\"health\"", 1);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_OK);
    consent_string_free(id);
    CHECK(decide(ledger, ADULT, "laeringssenteret", "health_coordination", cats, 1, T_2026_03_01,
                 &rc) == 1);
    /* Before the grant takes effect: denied. */
    CHECK(decide(ledger, ADULT, "laeringssenteret", "health_coordination", cats, 1, T_2026_01_01,
                 &rc) == 0);
    CHECK(recorded(ledger) == 1);
    consent_ledger_free(ledger);
}

static void test_withdrawal(void) {
    const consent_ledger *ledger = open_ledger();
    const char *cats[] = {"name", "address"};
    consent_result rc;
    char json[2048];
    char *id = NULL;
    grant_json(json, sizeof json, ADULT, SELF, "employment_followup", "helsetjenesten",
               "\"name\", \"address\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_OK);
    CHECK(decide(ledger, ADULT, "helsetjenesten", "employment_followup", cats, 2, T_2026_05_01,
                 &rc) == 1);
    CHECK_RC(consent_ledger_withdraw(ledger, id, T_WITHDRAW, ACTOR, NULL), CONSENT_RESULT_OK);
    /* Before t: unchanged. After t: denied with reason withdrawn. */
    CHECK(decide(ledger, ADULT, "helsetjenesten", "employment_followup", cats, 2, T_2026_05_01,
                 &rc) == 1);
    consent_decision *decision = NULL;
    CHECK_RC(consent_ledger_decide(ledger, ADULT, "helsetjenesten", "employment_followup", cats, 2,
                                   T_2026_07_01, &decision),
             CONSENT_RESULT_OK);
    CHECK(!consent_decision_permitted(decision));
    /* Made after the adoption, the grant and the withdrawal. */
    CHECK(consent_decision_as_of_seq(decision) == 3);
    CHECK(consent_decision_as_of_seq(NULL) == 0);
    char *out = NULL;
    CHECK_RC(consent_decision_to_json(decision, &out), CONSENT_RESULT_OK);
    CHECK(out != NULL && strstr(out, "\"reason\":\"withdrawn\"") != NULL);
    CHECK(out != NULL && strstr(out, "\"as_of_seq\":3") != NULL);
    consent_string_free(out);
    consent_decision_free(decision);

    /* Withdrawing again is a conflict, and records nothing. */
    uint64_t before = consent_ledger_event_count(ledger);
    CHECK_RC(consent_ledger_withdraw(ledger, id, T_2026_07_01, ACTOR, "second time"),
             CONSENT_RESULT_CONFLICT);
    CHECK(consent_ledger_event_count(ledger) == before);
    consent_string_free(id);

    /* The chain verifies. */
    char *report = NULL;
    CHECK_RC(consent_ledger_verify(ledger, &report), CONSENT_RESULT_OK);
    CHECK(report != NULL && strstr(report, "\"ok\":true") != NULL);
    /* The adoption of the ledger's catalogue, then the two events of this test. */
    CHECK(report != NULL && strstr(report, "\"events\":3") != NULL);
    consent_string_free(report);
    consent_ledger_free(ledger);
}

static void test_minor_representative(void) {
    const consent_ledger *ledger = open_ledger();
    const char *cats[] = {"health"};
    consent_result rc;
    char json[2048];
    char *id = NULL;
    /* A verge consents for the child, explicitly, to health data for the health service. */
    grant_json(json, sizeof json, CHILD, VERGE_HEARD, "health_coordination", "helsetjenesten",
               "\"health\"", 1);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_OK);
    consent_string_free(id);
    CHECK(decide(ledger, CHILD, "helsetjenesten", "health_coordination", cats, 1, T_2026_03_01,
                 &rc) == 1);
    CHECK(decide(ledger, CHILD, "helsetjenesten", "health_coordination", cats, 1, T_2028_05_01,
                 &rc) == 1);
    /* The child turns 16 on 2028-06-01 and consents to health care alone from then: the
     * representative's grant for health data lapses. */
    consent_decision *decision = NULL;
    CHECK_RC(consent_ledger_decide(ledger, CHILD, "helsetjenesten", "health_coordination", cats, 1,
                                   T_2028_07_01, &decision),
             CONSENT_RESULT_OK);
    CHECK(!consent_decision_permitted(decision));
    char *out = NULL;
    CHECK_RC(consent_decision_to_json(decision, &out), CONSENT_RESULT_OK);
    CHECK(out != NULL && strstr(out, "\"reason\":\"reconsent_required\"") != NULL);
    consent_string_free(out);
    consent_decision_free(decision);
    /* The other child, without a grant, is denied. */
    CHECK(decide(ledger, CHILD2, "helsetjenesten", "health_coordination", cats, 1, T_2026_03_01,
                 &rc) == 0);
    consent_ledger_free(ledger);
}

static void test_disclosure_and_refusal(void) {
    const consent_ledger *ledger = open_ledger();
    const char *cats[] = {"name", "national_id"};
    const char *health[] = {"health"};
    consent_decision *decision = NULL;
    CHECK_RC(consent_ledger_record_disclosure(ledger, ADULT, "nir", "nir_registration", cats, 2,
                                              T_2026_03_01, ACTOR, &decision),
             CONSENT_RESULT_OK);
    CHECK(consent_decision_permitted(decision));
    consent_decision_free(decision);
    CHECK(recorded(ledger) == 1);
    decision = NULL;
    CHECK_RC(consent_ledger_record_disclosure(ledger, ADULT, "helsetjenesten",
                                              "health_coordination", health, 1, T_2026_03_01,
                                              ACTOR, &decision),
             CONSENT_RESULT_NOT_PERMITTED);
    CHECK(decision == NULL);
    CHECK(recorded(ledger) == 1);

    const char *refusal =
        "{\"subject\": \"" ADULT "\", \"grantor\": {\"role\": \"self\"},"
        " \"purposes\": [\"health_coordination\"], \"recipients\": [\"helsetjenesten\"],"
        " \"categories\": [\"health\"], \"at\": \"2026-02-01T10:00:00Z\","
        " \"evidence\": {\"method\": \"oral_recorded\", \"reference\": \"2026/99\","
        " \"language\": \"ti\", \"interpreter\": true},"
        " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}";
    char *record = NULL;
    CHECK_RC(consent_ledger_refuse(ledger, refusal, ACTOR, &record), CONSENT_RESULT_OK);
    CHECK(record != NULL && strlen(record) == 36);
    consent_string_free(record);
    CHECK(recorded(ledger) == 2);
    consent_ledger_free(ledger);
}

/* ---- error paths: each asserts the code and that nothing was recorded ---- */

static void test_open_errors(void) {
    const consent_ledger *ledger = (const consent_ledger *)&passed; /* sentinel */
    const consent_ledger *sentinel = ledger;
    CHECK_RC(consent_ledger_open(NULL, NULL, &ledger), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_open(":memory:", NULL, NULL), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_open("\xff\xfe", NULL, &ledger), CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_open(":memory:", "\xc3(", &ledger), CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_open(":memory:", "{\"test_mode\": ", &ledger),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_open(":memory:", "{\"no_such_option\": 1}", &ledger),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_open(":memory:", "{\"key_file\": \"x.key\"}", &ledger),
             CONSENT_RESULT_INVALID_INPUT);
    /* A file ledger in a directory that does not exist: a storage error, not a crash. */
    CHECK_RC(consent_ledger_open("/nonexistent-dir/consent.db", NULL, &ledger),
             CONSENT_RESULT_STORAGE);
    char msg[256];
    CHECK(consent_last_error_message(msg, sizeof msg) > 0);
    /* The out-param is written only on success. */
    CHECK(ledger == sentinel);
    /* NULL handles are no-ops or defaults. */
    consent_ledger_free(NULL);
    consent_decision_free(NULL);
    consent_string_free(NULL);
    CHECK(consent_ledger_event_count(NULL) == 0);
    CHECK(!consent_decision_permitted(NULL));
}

static void test_grant_errors(void) {
    const consent_ledger *ledger = open_ledger();
    char json[2048];
    char *id = (char *)"untouched";
    grant_json(json, sizeof json, ADULT, SELF, "employment_followup", "nav", "\"family\"", 0);

    CHECK_RC(consent_ledger_grant(NULL, json, ACTOR, &id), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_grant(ledger, NULL, ACTOR, &id), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_grant(ledger, json, NULL, &id), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, NULL), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_grant(ledger, "{\"subject\": \"\xff\"}", ACTOR, &id),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_grant(ledger, json, "{\"id\": \"\xe2\x82\"}", &id),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_grant(ledger, "{\"subject\": ", ACTOR, &id),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_grant(ledger, "[]", ACTOR, &id), CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_grant(ledger, json, "{\"id\": \"x\"}", &id),
             CONSENT_RESULT_INVALID_INPUT);

    grant_json(json, sizeof json, ADULT, SELF, "no_such_purpose", "imdi", "\"name\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_UNKNOWN_CODE);
    grant_json(json, sizeof json, ADULT, SELF, "settlement", "no_such_recipient", "\"name\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_UNKNOWN_CODE);
    grant_json(json, sizeof json, ADULT, SELF, "employment_followup", "nav", "\"shoe_size\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_UNKNOWN_CODE);

    grant_json(json, sizeof json, BAD_FNR, SELF, "employment_followup", "nav", "\"family\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_INVALID_NATIONAL_ID);
    /* The message never repeats the number. */
    char msg[512];
    size_t full = consent_last_error_message(msg, sizeof msg);
    CHECK(full > 0 && full < sizeof msg);
    CHECK(strstr(msg, BAD_FNR) == NULL);
    /* A short buffer gets a NUL-terminated prefix and the full length back. */
    char small[8];
    CHECK(consent_last_error_message(small, sizeof small) == full);
    CHECK(strlen(small) == sizeof small - 1 && strncmp(small, msg, sizeof small - 1) == 0);
    CHECK(consent_last_error_message(NULL, 0) == full);

    /* A 13-year-old cannot consent alone; a representative grants only after hearing the child,
     * and cannot grant for an adult. */
    grant_json(json, sizeof json, CHILD, SELF, "employment_followup", "nav", "\"family\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_INVALID_INPUT);
    grant_json(json, sizeof json, CHILD2, "{\"role\": \"parent\", \"id\": \"" ADULT
               "\", \"authority\": \"folkeregisteret\"}" HEARD,
               "employment_followup", "nav", "\"family\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_OK);
    consent_string_free(id);
    id = (char *)"untouched";
    /* A success clears the last error. */
    CHECK(consent_last_error_message(NULL, 0) == 0);
    grant_json(json, sizeof json, ADULT,
               "{\"role\": \"parent\", \"id\": \"" CHILD "\", \"authority\": \"x\"}",
               "employment_followup", "nav", "\"family\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_INVALID_INPUT);

    CHECK(strcmp(id, "untouched") == 0);
    CHECK(recorded(ledger) == 1);
    consent_ledger_free(ledger);
}

static void test_withdraw_errors(void) {
    const consent_ledger *ledger = open_ledger();
    char json[2048];
    char *id = NULL;
    grant_json(json, sizeof json, ADULT, SELF, "employment_followup", "nav", "\"family\"", 0);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_OK);
    uint64_t before = consent_ledger_event_count(ledger);

    CHECK_RC(consent_ledger_withdraw(NULL, id, T_WITHDRAW, ACTOR, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_withdraw(ledger, NULL, T_WITHDRAW, ACTOR, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_withdraw(ledger, id, T_WITHDRAW, NULL, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_withdraw(ledger, "\xff", T_WITHDRAW, ACTOR, NULL),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_withdraw(ledger, id, T_WITHDRAW, ACTOR, "bad \xff reason"),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_withdraw(ledger, "not-a-uuid", T_WITHDRAW, ACTOR, NULL),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_withdraw(ledger, "0190a5a0-0000-7000-8000-000000000000", T_WITHDRAW,
                                     ACTOR, NULL),
             CONSENT_RESULT_NOT_FOUND);
    CHECK_RC(consent_ledger_withdraw(ledger, id, T_2026_01_01, ACTOR, NULL),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_withdraw(ledger, id, INT64_MAX, ACTOR, NULL),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_withdraw(ledger, id, T_WITHDRAW, "{}", NULL),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK(consent_ledger_event_count(ledger) == before);
    consent_string_free(id);
    consent_ledger_free(ledger);
}

static void test_decide_errors(void) {
    const consent_ledger *ledger = open_ledger();
    const char *cats[] = {"name", "national_id"};
    const char *with_null[] = {"name", NULL};
    const char *bad_utf8[] = {"name", "\xff"};
    const char *unknown[] = {"name", "shoe_size"};
    const char *twice[] = {"name", "name"};
    consent_decision *decision = (consent_decision *)&passed; /* sentinel */
    consent_decision *sentinel = decision;
    uint64_t before = consent_ledger_event_count(ledger);

#define DECIDE(l, s, r, p, c, n, t, o) decide_and_permits(l, s, r, p, c, n, t, o)
    CHECK_RC(DECIDE(NULL, ADULT, "nir", "nir_registration", cats, 2, T_2026_03_01, &decision),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(DECIDE(ledger, NULL, "nir", "nir_registration", cats, 2, T_2026_03_01, &decision),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(DECIDE(ledger, ADULT, NULL, "nir_registration", cats, 2, T_2026_03_01, &decision),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", NULL, cats, 2, T_2026_03_01, &decision),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "nir_registration", NULL, 2, T_2026_03_01, &decision),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "nir_registration", with_null, 2, T_2026_03_01,
                    &decision),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "nir_registration", cats, 2, T_2026_03_01, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(DECIDE(ledger, "\xff", "nir", "nir_registration", cats, 2, T_2026_03_01, &decision),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(DECIDE(ledger, ADULT, "n\xffr", "nir_registration", cats, 2, T_2026_03_01,
                    &decision),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "nir_registration", bad_utf8, 2, T_2026_03_01,
                    &decision),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(DECIDE(ledger, BAD_FNR, "nir", "nir_registration", cats, 2, T_2026_03_01, &decision),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    CHECK_RC(DECIDE(ledger, "1503851019", "nir", "nir_registration", cats, 2, T_2026_03_01,
                    &decision),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    CHECK_RC(DECIDE(ledger, ADULT, "no_such", "nir_registration", cats, 2, T_2026_03_01,
                    &decision),
             CONSENT_RESULT_UNKNOWN_CODE);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "no_such", cats, 2, T_2026_03_01, &decision),
             CONSENT_RESULT_UNKNOWN_CODE);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "nir_registration", unknown, 2, T_2026_03_01,
                    &decision),
             CONSENT_RESULT_UNKNOWN_CODE);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "nir_registration", NULL, 0, T_2026_03_01, &decision),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "nir_registration", twice, 2, T_2026_03_01, &decision),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "nir_registration", cats, 2, INT64_MIN, &decision),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(DECIDE(ledger, ADULT, "nir", "nir_registration", cats, 1000, T_2026_03_01,
                    &decision),
             CONSENT_RESULT_INVALID_INPUT);
#undef DECIDE
    CHECK(decision == sentinel);

    /* record_disclosure, refuse, verify, to_json: NULL pointers. */
    CHECK_RC(consent_ledger_record_disclosure(ledger, ADULT, "nir", "nir_registration", cats, 2,
                                              T_2026_03_01, NULL, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_record_disclosure(ledger, ADULT, "nir", "nir_registration", cats, 2,
                                              T_2026_03_01, "{\"id\": 1}", NULL),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_refuse(ledger, NULL, ACTOR, NULL), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_refuse(ledger, "{}", ACTOR, NULL), CONSENT_RESULT_INVALID_INPUT);
    char *out = (char *)"untouched";
    CHECK_RC(consent_ledger_verify(NULL, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_verify(ledger, NULL), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_decision_to_json(NULL, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(strcmp(out, "untouched") == 0);
    CHECK(consent_ledger_event_count(ledger) == before);
    consent_ledger_free(ledger);
}

static void test_names_and_version(void) {
    CHECK(strcmp(consent_result_str(CONSENT_RESULT_OK), "ok") == 0);
    CHECK(strcmp(consent_result_str(CONSENT_RESULT_INVALID_NATIONAL_ID), "invalid_national_id") ==
          0);
    CHECK(strcmp(consent_result_str(CONSENT_RESULT_PANIC), "panic") == 0);
    CHECK(strcmp(consent_result_str(9999), "unknown") == 0);
    const char *version = consent_version();
    CHECK(strncmp(version, "consent-ffi " CONSENT_VERSION " (consent-core ",
                  strlen("consent-ffi " CONSENT_VERSION " (consent-core ")) == 0);
    CHECK(CONSENT_VERSION_NUMBER ==
          ((CONSENT_VERSION_MAJOR << 16) | (CONSENT_VERSION_MINOR << 8) | CONSENT_VERSION_PATCH));
}

/* ---- threads: 4 deciders and 1 granter share one ledger handle ---- */

#define DECIDERS 4
#define DECISIONS_PER_THREAD 500
#define GRANTS 100

struct thread_result {
    const consent_ledger *ledger;
    int errors;
};

static void *decider(void *arg) {
    struct thread_result *r = arg;
    const char *cats[] = {"name", "national_id"};
    const char *health[] = {"health"};
    for (int i = 0; i < DECISIONS_PER_THREAD; i++) {
        consent_result rc;
        if (decide(r->ledger, ADULT, "nir", "nir_registration", cats, 2, T_2026_03_01, &rc) != 1) {
            r->errors++;
        }
        /* Health to helsetjenesten is explicit-consent only, and the granter never gives it. */
        if (decide(r->ledger, ADULT, "helsetjenesten", "health_coordination", health, 1,
                   T_2026_03_01, &rc) != 0) {
            r->errors++;
        }
        /* This thread's last error is its own. */
        if (decide(r->ledger, BAD_FNR, "nir", "nir_registration", cats, 2, T_2026_03_01, &rc) !=
                -1 ||
            rc != CONSENT_RESULT_INVALID_NATIONAL_ID) {
            r->errors++;
        }
        char msg[256];
        consent_last_error_message(msg, sizeof msg);
        if (strstr(msg, "national id") == NULL) {
            r->errors++;
        }
    }
    return NULL;
}

static void *granter(void *arg) {
    struct thread_result *r = arg;
    char json[2048];
    grant_json(json, sizeof json, ADULT, SELF, "employment_followup", "helsetjenesten",
               "\"name\"", 0);
    for (int i = 0; i < GRANTS; i++) {
        char *id = NULL;
        if (consent_ledger_grant(r->ledger, json, ACTOR, &id) != CONSENT_RESULT_OK) {
            r->errors++;
        }
        consent_string_free(id);
    }
    return NULL;
}

static void test_threads(void) {
    const consent_ledger *ledger = open_ledger();
    pthread_t threads[DECIDERS + 1];
    struct thread_result results[DECIDERS + 1];
    for (int i = 0; i <= DECIDERS; i++) {
        results[i].ledger = ledger;
        results[i].errors = 0;
        int rc = pthread_create(&threads[i], NULL, i == DECIDERS ? granter : decider, &results[i]);
        CHECK(rc == 0);
    }
    for (int i = 0; i <= DECIDERS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(results[i].errors == 0);
    }
    CHECK(recorded(ledger) == GRANTS);
    char *report = NULL;
    CHECK_RC(consent_ledger_verify(ledger, &report), CONSENT_RESULT_OK);
    CHECK(report != NULL && strstr(report, "\"ok\":true") != NULL);
    consent_string_free(report);
    consent_ledger_free(ledger);
}

/* A retried grant or withdrawal with the same idempotency key writes nothing and returns what
 * the first returned; the same key with another request is a conflict. */
static void test_idempotency_keys(void) {
    const consent_ledger *ledger = open_ledger();
    char json[2048];
    char keyed[2200];
    char *first = NULL;
    char *again = NULL;
    grant_json(json, sizeof json, ADULT, SELF, "employment_followup", "nav", "\"family\"", 0);
    /* The grant JSON with its key: the document's closing brace replaced. */
    snprintf(keyed, sizeof keyed, "%.*s, \"idempotency_key\": \"sak 2026/77\"}",
             (int)(strlen(json) - 1), json);
    CHECK_RC(consent_ledger_grant(ledger, keyed, ACTOR, &first), CONSENT_RESULT_OK);
    uint64_t before = consent_ledger_event_count(ledger);
    CHECK_RC(consent_ledger_grant(ledger, keyed, ACTOR, &again), CONSENT_RESULT_OK);
    CHECK(first != NULL && again != NULL && strcmp(first, again) == 0);
    CHECK(consent_ledger_event_count(ledger) == before);
    consent_string_free(again);

    CHECK_RC(consent_ledger_withdraw_idempotent(ledger, first, T_WITHDRAW, ACTOR, NULL, "trekk-77"),
             CONSENT_RESULT_OK);
    before = consent_ledger_event_count(ledger);
    CHECK_RC(consent_ledger_withdraw_idempotent(ledger, first, T_WITHDRAW, ACTOR, NULL, "trekk-77"),
             CONSENT_RESULT_OK);
    CHECK_RC(consent_ledger_withdraw_idempotent(ledger, first, T_WITHDRAW, ACTOR, "other",
                                                "trekk-77"),
             CONSENT_RESULT_CONFLICT);
    CHECK_RC(consent_ledger_withdraw_idempotent(ledger, first, T_WITHDRAW, ACTOR, NULL, ""),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_withdraw_idempotent(ledger, first, T_WITHDRAW, ACTOR, NULL, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_withdraw_idempotent(ledger, first, T_WITHDRAW, ACTOR, NULL,
                                                "sak " ADULT),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK(consent_ledger_event_count(ledger) == before);
    consent_string_free(first);
    consent_ledger_free(ledger);
}

int main(void) {
    test_statutory_permit();
    test_explicit_health_consent();
    test_withdrawal();
    test_minor_representative();
    test_disclosure_and_refusal();
    test_open_errors();
    test_grant_errors();
    test_withdraw_errors();
    test_idempotency_keys();
    test_decide_errors();
    test_names_and_version();
    test_threads();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
