/*
 * C tests of the data-subject rights exports: the subject export, access requests,
 * rectification, erasure or restriction, statistics, the re-consent worklist and pseudonyms,
 * and every error path of each (the result code, out-params untouched, nothing recorded).
 *
 * Rectification and erasure take effect "now" (the library's clock), so those tests place
 * their instants relative to time(NULL). Build: see scripts/test-c.sh. Prints
 * "N passed, M failed" as its last line.
 */
#include "consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* strstr on a string that may be NULL (a failed call leaves out-params NULL). */
#define HAS(text, needle) ((text) != NULL && strstr((text), (needle)) != NULL)

#define DAY INT64_C(86400000)
/* Fixed instants, Unix milliseconds UTC (computed with Python's datetime). */
#define T_2026_01_31_10 INT64_C(1769853600000) /* 2026-01-31T10:00:00Z */
#define T_2026_03_10_08 INT64_C(1773129600000) /* 2026-03-10T08:00:00Z */
#define T_2030_05_01 INT64_C(1903867200000)    /* 2030-05-01T12:00:00Z */

/* An adult born 1985-03-15 (the valid test number of the design documents). */
#define AUDITOR "{\"id\": \"revisor-1\", \"role\": \"auditor\"}"
#define ADULT "15038510190"
/* A child born 2012-06-01 (turns 18 on 2030-06-01; see test_consent.c). */
#define CHILD "01061250073"
/* The adult's number with the last control digit changed: fails validation. */
#define BAD_FNR "15038510191"
/* A well-formed UUID that no grant has. */
#define NO_GRANT "0190a5a0-0000-7000-8000-000000000000"

static const char *ACTOR = "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}";
#define DPO "{\"id\": \"personvernombud-1\", \"role\": \"dpo\"}"
#define ARCHIVIST "{\"id\": \"arkivar-1\", \"role\": \"archivist\"}"
#define LOOKUP "sak 2026/55: test"
#define SELF "{\"role\": \"self\"}"
#define VERGE                                                                            \
    "{\"role\": \"verge\", \"id\": \"" ADULT "\", \"authority\": \"statsforvalteren 2025/77\"}"
/* A representative grantor followed by the grant's `child_heard` field (the grant documents put
 * the grantor where this goes): the child of 12 or older was heard before the grant. */
#define HEARD                                                                              \
    ", \"child_heard\": {\"at\": \"2026-01-04T12:00:00Z\", \"position\": \"agrees\", " \
    "\"reference\": \"2026/1233\"}"
#define VERGE_HEARD VERGE HEARD

/* The ledgers' test clock starts at 2026-01-05T10:00:00Z, the morning the fixtures' grants
 * start (a consent dated more than 30 days before it is recorded is refused); tests that need
 * "now" later move it there with consent_ledger_set_clock. */
#define CLOCK_OPTIONS "{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\"}"
#define T_NOW INT64_C(1788256800000) /* 2026-09-01T10:00:00Z */

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

/* Moves the ledger's test clock to `ms`. */
static void set_clock(const consent_ledger *ledger, int64_t ms) {
    CHECK_RC(consent_ledger_set_clock(ledger, ms), CONSENT_RESULT_OK);
}

/* Formats Unix milliseconds as RFC 3339 UTC (whole seconds). */
static void rfc3339(char *buf, size_t len, int64_t ms) {
    time_t seconds = (time_t)(ms / 1000);
    struct tm *tm = gmtime(&seconds);
    if (tm == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", tm) == 0) {
        snprintf(buf, len, "invalid");
    }
}

/*
 * Writes a valid national id for a person born on ddmmyy (19xx, individual numbers 000-499)
 * to out[12]: the first individual number from `start` whose two mod-11 control digits exist.
 */
static void make_fnr(char out[12], const char *ddmmyy, int start) {
    static const int w1[9] = {3, 7, 6, 1, 8, 9, 4, 5, 2};
    static const int w2[10] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
    if (start < 0) {
        start = 0;
    }
    for (int individual = start; individual < 500; individual++) {
        int d[11];
        memcpy(out, ddmmyy, 6);
        out[6] = (char)('0' + individual / 100);
        out[7] = (char)('0' + individual / 10 % 10);
        out[8] = (char)('0' + individual % 10);
        for (int i = 0; i < 9; i++) {
            d[i] = out[i] - '0';
        }
        int s1 = 0;
        for (int i = 0; i < 9; i++) {
            s1 += w1[i] * d[i];
        }
        int k1 = (11 - s1 % 11) % 11;
        if (k1 == 10) {
            continue;
        }
        d[9] = k1;
        int s2 = 0;
        for (int i = 0; i < 10; i++) {
            s2 += w2[i] * d[i];
        }
        int k2 = (11 - s2 % 11) % 11;
        if (k2 == 10) {
            continue;
        }
        out[9] = (char)('0' + k1);
        out[10] = (char)('0' + k2);
        out[11] = '\0';
        return;
    }
    out[0] = '\0';
}

/* Builds a grant document into buf; valid_from is RFC 3339, valid_until null. */
static void grant_json(char *buf, size_t len, const char *subject, const char *grantor,
                       const char *purpose, const char *recipient, const char *categories,
                       const char *valid_from) {
    snprintf(buf, len,
             "{\"subject\": \"%s\", \"grantor\": %s, \"purposes\": [\"%s\"],"
             " \"recipients\": [\"%s\"], \"categories\": [%s], \"explicit\": false,"
             " \"valid_from\": \"%s\", \"valid_until\": null,"
             " \"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\","
             " \"language\": \"ar\", \"interpreter\": true},"
             " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}",
             subject, grantor, purpose, recipient, categories, valid_from);
}

/* Grants and returns the grant id (freed with consent_string_free), or NULL. */
static char *grant(const consent_ledger *ledger, const char *subject, const char *grantor,
                   const char *purpose, const char *recipient, const char *categories,
                   const char *valid_from) {
    char json[2048];
    char *id = NULL;
    grant_json(json, sizeof json, subject, grantor, purpose, recipient, categories, valid_from);
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_OK);
    return id;
}

/* Decides and returns the decision JSON (freed with consent_string_free), or NULL. */
static char *decide(const consent_ledger *ledger, const char *subject, const char *recipient,
                    const char *purpose, const char *const *cats, size_t n, int64_t at) {
    consent_decision *decision = NULL;
    char *json = NULL;
    CHECK_RC(consent_ledger_decide(ledger, subject, recipient, purpose, cats, n, at, &decision),
             CONSENT_RESULT_OK);
    if (decision != NULL) {
        CHECK_RC(consent_decision_to_json(decision, &json), CONSENT_RESULT_OK);
        consent_decision_free(decision);
    }
    return json;
}

/* Whether a decision at `at` is permitted (1), denied with `reason` (0), or neither (-1). */
static int outcome(const consent_ledger *ledger, const char *subject, const char *recipient,
                   const char *purpose, const char *const *cats, size_t n, int64_t at,
                   const char *reason) {
    char *json = decide(ledger, subject, recipient, purpose, cats, n, at);
    int result = -1;
    if (HAS(json, "\"permitted\":true")) {
        result = 1;
    } else if (reason != NULL) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"reason\":\"%s\"", reason);
        result = HAS(json, needle) ? 0 : -1;
    }
    consent_string_free(json);
    return result;
}

static const consent_ledger *open_ledger(void) {
    const consent_ledger *ledger = NULL;
    CHECK_RC(consent_ledger_open(":memory:", CLOCK_OPTIONS, &ledger), CONSENT_RESULT_OK);
    CHECK(ledger != NULL);
    return ledger;
}

static int verifies(const consent_ledger *ledger) {
    char *report = NULL;
    CHECK_RC(consent_ledger_verify(ledger, &report), CONSENT_RESULT_OK);
    int ok = HAS(report, "\"ok\":true");
    consent_string_free(report);
    return ok;
}

static void test_fnr_generator(void) {
    /* The generator reproduces the documented test number, so its other numbers are valid. */
    char fnr[12];
    make_fnr(fnr, "150385", 101);
    CHECK(strcmp(fnr, ADULT) == 0);
}

static void test_subject_export(void) {
    const consent_ledger *ledger = open_ledger();
    const char *nir_cats[] = {"name", "national_id"};
    char *id = grant(ledger, ADULT, SELF, "employment_followup", "nav", "\"finances\"",
                     "2026-01-05T09:00:00Z");
    set_clock(ledger, T_NOW);
    CHECK_RC(consent_ledger_record_disclosure(ledger, ADULT, "nir", "nir_registration", nir_cats,
                                              2, T_NOW, ACTOR, NULL),
             CONSENT_RESULT_OK);
    uint64_t before = consent_ledger_event_count(ledger);
    CHECK(recorded(ledger) == 2);

    char *json = NULL;
    CHECK_RC(consent_ledger_subject_export_as(ledger, ADULT, ACTOR, LOOKUP, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"consent-export/1\""));
    CHECK(HAS(json, "\"status\": \"active\""));
    /* The recipient the data went to (GDPR Art. 15(1)(c)), and the consent with its id. */
    CHECK(HAS(json, "\"recipient\": \"nir\""));
    CHECK(HAS(json, "\"purpose\": \"nir_registration\""));
    CHECK(HAS(json, id));
    CHECK(HAS(json, "\"pii_principal_id\""));
    /* Never the national id in clear. */
    CHECK(json != NULL && strstr(json, ADULT) == NULL);
    consent_string_free(json);
    consent_string_free(id);
    /* Exporting records its look-up, and nothing else. */
    CHECK(consent_ledger_event_count(ledger) == before + 1);
    consent_ledger_free(ledger);
}

static void test_access_request(void) {
    const consent_ledger *ledger = open_ledger();
    char *id = grant(ledger, ADULT, SELF, "employment_followup", "nav", "\"finances\"",
                     "2026-01-05T09:00:00Z");
    consent_string_free(id);

    char *json = NULL;
    CHECK_RC(consent_ledger_register_access_request(ledger, ADULT, T_2026_03_10_08, ACTOR, &json),
             CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"received_at\":\"2026-03-10T08:00:00Z\""));
    CHECK(HAS(json, "\"due_at\":\"2026-04-10T08:00:00Z\""));
    CHECK(HAS(json, "\"id\":\""));
    consent_string_free(json);
    CHECK(recorded(ledger) == 2);

    /* One calendar month: 31 January is due on the last day of February. */
    json = NULL;
    CHECK_RC(consent_ledger_register_access_request(ledger, ADULT, T_2026_01_31_10, ACTOR, &json),
             CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"due_at\":\"2026-02-28T10:00:00Z\""));
    consent_string_free(json);
    CHECK(recorded(ledger) == 3);

    /* The export lists both requests with their due dates. */
    json = NULL;
    CHECK_RC(consent_ledger_subject_export_as(ledger, ADULT, ACTOR, LOOKUP, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"due_at\": \"2026-04-10T08:00:00Z\""));
    CHECK(HAS(json, "\"due_at\": \"2026-02-28T10:00:00Z\""));
    consent_string_free(json);
    CHECK(verifies(ledger));
    consent_ledger_free(ledger);
}

static void test_rectify_valid_until(void) {
    const consent_ledger *ledger = open_ledger();
    const char *cats[] = {"family"};
    int64_t now = T_NOW;
    char from[32];
    char until[64];
    char correction[128];
    rfc3339(from, sizeof from, now - 200 * DAY);
    /* Granted 200 days ago, corrected now. */
    set_clock(ledger, now - 200 * DAY + 3600 * 1000);
    char *id = grant(ledger, ADULT, SELF, "case_handling", "bufetat", "\"family\"", from);
    set_clock(ledger, now);

    int64_t long_ago = now - 100 * DAY; /* before the corrected end */
    int64_t lately = now - 20 * DAY;    /* after the corrected end, before the correction */
    int64_t later = now + 100 * DAY;    /* after both */
    CHECK(outcome(ledger, ADULT, "bufetat", "case_handling", cats, 1, long_ago, NULL) == 1);
    CHECK(outcome(ledger, ADULT, "bufetat", "case_handling", cats, 1, lately, NULL) == 1);
    CHECK(outcome(ledger, ADULT, "bufetat", "case_handling", cats, 1, later, NULL) == 1);

    /* The form said the consent ended 50 days ago. */
    rfc3339(until, sizeof until, now - 50 * DAY);
    snprintf(correction, sizeof correction, "{\"field\": \"valid_until\", \"value\": \"%s\"}",
             until);
    char *record = NULL;
    CHECK_RC(consent_ledger_rectify(ledger, ADULT, id, correction, "the form gave an end date",
                                    ACTOR, &record),
             CONSENT_RESULT_OK);
    CHECK(record != NULL && strlen(record) == 36);
    CHECK(record != NULL && id != NULL && strcmp(record, id) != 0);
    consent_string_free(record);
    CHECK(recorded(ledger) == 2);

    /* Decisions for instants before the correction stand, even after the corrected end. */
    CHECK(outcome(ledger, ADULT, "bufetat", "case_handling", cats, 1, long_ago, NULL) == 1);
    CHECK(outcome(ledger, ADULT, "bufetat", "case_handling", cats, 1, lately, NULL) == 1);
    /* After the correction, the corrected end holds. */
    CHECK(outcome(ledger, ADULT, "bufetat", "case_handling", cats, 1, later, "expired") == 0);

    /* The export shows the rectification; the evidence reference can be corrected too. */
    record = NULL;
    CHECK_RC(consent_ledger_rectify(ledger, ADULT, id,
                                    "{\"field\": \"evidence_reference\", \"value\": \"2026/1235\"}",
                                    "typing error in the case number", ACTOR, &record),
             CONSENT_RESULT_OK);
    consent_string_free(record);
    char *json = NULL;
    CHECK_RC(consent_ledger_subject_export_as(ledger, ADULT, ACTOR, LOOKUP, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"rectified\""));
    CHECK(HAS(json, "\"reference\": \"2026/1235\""));
    consent_string_free(json);
    CHECK(recorded(ledger) == 4);
    CHECK(verifies(ledger));
    consent_string_free(id);
    consent_ledger_free(ledger);
}

/* Erasure withdraws the subject's grants and restricts; the default catalogue keeps the
 * records for good, so kassasjon is never due and nothing is destroyed. */
static void test_erasure_withdraws_and_restricts(void) {
    const consent_ledger *ledger = open_ledger();
    const char *cats[] = {"finances"};
    char other[12];
    make_fnr(other, "010280", 120);
    char *nav = grant(ledger, ADULT, SELF, "employment_followup", "nav", "\"finances\"",
                      "2026-01-05T09:00:00Z");
    char *bufetat = grant(ledger, ADULT, SELF, "case_handling", "bufetat", "\"family\"",
                          "2026-01-05T09:00:00Z");
    char *id = grant(ledger, other, SELF, "employment_followup", "nav", "\"finances\"",
                     "2026-01-05T09:00:00Z");
    consent_string_free(id);
    CHECK(recorded(ledger) == 3);

    char *json = NULL;
    set_clock(ledger, T_NOW);
    CHECK_RC(consent_ledger_request_erasure(ledger, ADULT, DPO, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"outcome\":\"restricted\""));
    CHECK(HAS(json, "\"at\":\"2026-09-01T10:00:00Z\""));
    CHECK(HAS(json, nav) && HAS(json, bufetat));
    CHECK(HAS(json, "\"kassasjon_due_at\":null"));
    CHECK(!HAS(json, "\"outcome\":\"erased\""));
    consent_string_free(json);
    /* Two withdrawals and the restriction. */
    CHECK(recorded(ledger) == 6);
    CHECK(verifies(ledger));
    /* The consent is withdrawn from now; before, it stands; the other person's is untouched. */
    int64_t later = T_NOW + DAY;
    CHECK(outcome(ledger, ADULT, "nav", "employment_followup", cats, 1, later, "withdrawn") == 0);
    CHECK(outcome(ledger, ADULT, "nav", "employment_followup", cats, 1, T_NOW - DAY, NULL) == 1);
    CHECK(outcome(ledger, other, "nav", "employment_followup", cats, 1, later, NULL) == 1);
    json = NULL;
    CHECK_RC(consent_ledger_subject_export_as(ledger, ADULT, ACTOR, LOOKUP, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"status\": \"restricted\""));
    CHECK(HAS(json, "\"reason\": \"erasure_request\""));
    CHECK(HAS(json, "\"ground\": \"erasure_request\""));
    consent_string_free(json);

    /* The records are kept for good: kassasjon is never due. */
    json = (char *)"untouched";
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, ADULT, ARCHIVIST, &json),
             CONSENT_RESULT_NOT_PERMITTED);
    CHECK(strcmp(json, "untouched") == 0);
    json = NULL;
    CHECK_RC(consent_ledger_erasure_due(ledger, T_2030_05_01, &json), CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);

    /* A second request conflicts and records nothing. */
    json = (char *)"untouched";
    CHECK_RC(consent_ledger_request_erasure(ledger, ADULT, DPO, &json),
             CONSENT_RESULT_CONFLICT);
    CHECK(strcmp(json, "untouched") == 0);
    CHECK(recorded(ledger) == 7);
    consent_string_free(nav);
    consent_string_free(bufetat);
    consent_ledger_free(ledger);
}

static void test_erasure_after_nir_disclosure(void) {
    const consent_ledger *ledger = open_ledger();
    const char *nir_cats[] = {"name", "national_id"};
    const char *cats[] = {"finances"};
    int64_t now = T_NOW;
    char *id = grant(ledger, ADULT, SELF, "employment_followup", "nav", "\"finances\"",
                     "2026-01-05T09:00:00Z");
    consent_string_free(id);
    set_clock(ledger, now);
    CHECK_RC(consent_ledger_record_disclosure(ledger, ADULT, "nir", "nir_registration", nir_cats,
                                              2, now - DAY, ACTOR, NULL),
             CONSENT_RESULT_OK);
    CHECK(recorded(ledger) == 2);

    char *json = NULL;
    CHECK_RC(consent_ledger_request_erasure(ledger, ADULT, DPO, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"outcome\":\"restricted\""));
    CHECK(HAS(json, "\"rules\":[\"nir_registration\"]"));
    CHECK(HAS(json, "integreringsloven"));
    consent_string_free(json);
    /* The withdrawal and the restriction. */
    CHECK(recorded(ledger) == 4);
    CHECK(verifies(ledger));

    /* Before the request the consent stands; after it, it is withdrawn. */
    CHECK(outcome(ledger, ADULT, "nav", "employment_followup", cats, 1, now - 10 * DAY, NULL) ==
          1);
    CHECK(outcome(ledger, ADULT, "nav", "employment_followup", cats, 1, now + DAY,
                  "withdrawn") == 0);
    /* The statutory duty continues (the catalogue marks it continues_under_restriction). */
    CHECK(outcome(ledger, ADULT, "nir", "nir_registration", nir_cats, 2, now + DAY, NULL) == 1);
    /* A consent-based disclosure needs a permitting decision: refused, nothing recorded. */
    consent_decision *decision = NULL;
    CHECK_RC(consent_ledger_record_disclosure(ledger, ADULT, "nav", "employment_followup", cats, 1,
                                              now + DAY, ACTOR, &decision),
             CONSENT_RESULT_NOT_PERMITTED);
    CHECK(decision == NULL);
    CHECK(recorded(ledger) == 4);

    json = NULL;
    CHECK_RC(consent_ledger_subject_export_as(ledger, ADULT, ACTOR, LOOKUP, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"status\": \"restricted\""));
    /* The disclosure record is archival material: it is kept. */
    CHECK(HAS(json, "\"nir_registration\""));
    consent_string_free(json);
    /* Asking again conflicts. */
    json = (char *)"untouched";
    CHECK_RC(consent_ledger_request_erasure(ledger, ADULT, DPO, &json),
             CONSENT_RESULT_CONFLICT);
    CHECK(strcmp(json, "untouched") == 0);
    CHECK(recorded(ledger) == 5);
    consent_ledger_free(ledger);
}

#define NAV_GRANTS 6
#define BUFETAT_GRANTS 2
#define HEALTH_GRANTS 5
#define ALL_GRANTS (NAV_GRANTS + BUFETAT_GRANTS + HEALTH_GRANTS)

static void test_statistics(void) {
    const consent_ledger *ledger = open_ledger();
    char people[ALL_GRANTS][12];
    int start = 100;
    for (int i = 0; i < ALL_GRANTS; i++) {
        make_fnr(people[i], "010280", start);
        /* The next person takes the next individual number. */
        start = (people[i][6] - '0') * 100 + (people[i][7] - '0') * 10 + (people[i][8] - '0') + 1;
        char *id;
        if (i < NAV_GRANTS) {
            id = grant(ledger, people[i], SELF, "employment_followup", "nav", "\"finances\"",
                       "2026-01-05T09:00:00Z");
        } else if (i < NAV_GRANTS + BUFETAT_GRANTS) {
            id = grant(ledger, people[i], SELF, "case_handling", "bufetat", "\"family\"",
                       "2026-01-05T09:00:00Z");
        } else {
            id = grant(ledger, people[i], SELF, "employment_followup", "helsetjenesten",
                       "\"name\"", "2026-01-05T09:00:00Z");
        }
        consent_string_free(id);
    }
    CHECK(strcmp(people[0], people[1]) != 0);
    uint64_t before = consent_ledger_event_count(ledger);
    CHECK(recorded(ledger) == ALL_GRANTS);
    set_clock(ledger, T_NOW);

    /* Defaults: every quarter (the catalogue's period) from the first event's to this one,
     * the catalogue's threshold of 5. */
    char *json = NULL;
    CHECK_RC(consent_ledger_statistics_as(ledger, NULL, AUDITOR, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"min_cell\":5"));
    CHECK(HAS(json, "\"period\":\"quarter\""));
    CHECK(HAS(json, "\"periods\":[\"2026-Q1\",\"2026-Q2\",\"2026-Q3\"]"));
    CHECK(HAS(json, "\"period\":\"2026-Q1\",\"purpose\":\"employment_followup\",\"recipient\":"
                    "\"nav\",\"grants\":6,"));
    /* 2 is below the threshold: suppressed. */
    CHECK(HAS(json, "\"purpose\":\"case_handling\",\"recipient\":\"bufetat\",\"grants\":null,"));
    /* The total (13) minus the visible cells would give the 2 away: the next smallest cell (5)
     * is suppressed as well. */
    CHECK(HAS(json, "\"period\":\"2026-Q1\",\"grants\":13,"));
    CHECK(HAS(json, "\"recipient\":\"helsetjenesten\",\"grants\":null,"));
    /* Active grants at the end of each quarter. */
    CHECK(HAS(json, "\"period\":\"2026-Q2\",\"at\":\"2026-06-30T21:59:59.999999Z\","
                    "\"purpose\":\"employment_followup\",\"recipient\":\"nav\",\"count\":6}"));
    CHECK(HAS(json, "\"purpose\":\"case_handling\",\"recipient\":\"bufetat\",\"count\":null}"));
    /* No row describes a person. */
    for (int i = 0; i < ALL_GRANTS; i++) {
        CHECK(json != NULL && strstr(json, people[i]) == NULL);
    }
    CHECK(json != NULL && strstr(json, "subject") == NULL);
    consent_string_free(json);

    /* A raised threshold suppresses the 6 as well, and then the total. */
    json = NULL;
    CHECK_RC(consent_ledger_statistics_as(ledger, "{\"min_cell\": 10}", AUDITOR, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"min_cell\":10"));
    CHECK(HAS(json, "\"recipient\":\"nav\",\"grants\":null,"));
    CHECK(json != NULL && strstr(json, "\"grants\":6") == NULL);
    consent_string_free(json);

    /* Quarters before any event: no rows, and nothing active then. */
    json = NULL;
    CHECK_RC(consent_ledger_statistics_as(ledger, "{\"from\": \"2020-Q1\", \"to\": \"2020-Q4\"}", AUDITOR,
                                       &json),
             CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"periods\":[\"2020-Q1\",\"2020-Q2\",\"2020-Q3\",\"2020-Q4\"]"));
    CHECK(HAS(json, "\"rows\":[]"));
    CHECK(HAS(json, "\"active_grants\":[]"));
    consent_string_free(json);

    /* An arbitrary window could be subtracted from another: only whole quarters are asked. */
    json = (char *)"untouched";
    CHECK_RC(consent_ledger_statistics_as(
                 ledger, "{\"from\": \"2026-01-01T00:00:00Z\", \"to\": \"2026-02-15T00:00:00Z\"}", AUDITOR,
                 &json),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK(strcmp(json, "untouched") == 0);
    CHECK(consent_ledger_event_count(ledger) == before);
    consent_ledger_free(ledger);
}

static void test_reconsent_due(void) {
    const consent_ledger *ledger = open_ledger();
    /* A verge consents for a child who turns 18 on 2030-06-01 (midnight in Oslo). */
    char *id = grant(ledger, CHILD, VERGE_HEARD, "case_handling", "nav", "\"family\"",
                     "2026-01-05T09:00:00Z");
    char *other = grant(ledger, ADULT, SELF, "case_handling", "nav", "\"name\"",
                        "2026-01-05T09:00:00Z");
    uint64_t before = consent_ledger_event_count(ledger);

    char *json = NULL;
    CHECK_RC(consent_ledger_reconsent_due(ledger, T_2030_05_01, 60 * DAY, &json),
             CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"reason\":\"comes_of_age\""));
    CHECK(HAS(json, "\"due_at\":\"2030-05-31T22:00:00Z\""));
    CHECK(HAS(json, id));
    CHECK(HAS(json, "\"categories\":[\"family\"]"));
    /* The adult's open-ended grant is not due; nobody appears by national id. */
    CHECK(json != NULL && other != NULL && strstr(json, other) == NULL);
    CHECK(json != NULL && strstr(json, CHILD) == NULL && strstr(json, ADULT) == NULL);
    consent_string_free(json);

    /* A window that ends before the birthday: nothing due. */
    json = NULL;
    CHECK_RC(consent_ledger_reconsent_due(ledger, T_2030_05_01, 10 * DAY, &json),
             CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);
    /* After the birthday the grant is no longer active: nothing due either. */
    json = NULL;
    CHECK_RC(consent_ledger_reconsent_due(ledger, T_2030_05_01 + 60 * DAY, 60 * DAY, &json),
             CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);
    CHECK(consent_ledger_event_count(ledger) == before);
    consent_string_free(id);
    consent_string_free(other);
    consent_ledger_free(ledger);
}

/* Whether text is 32 lowercase hex digits. */
static int is_pseudonym(const char *text) {
    if (text == NULL || strlen(text) != 32) {
        return 0;
    }
    for (const char *c = text; *c != '\0'; c++) {
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static void test_pseudonym(void) {
    const consent_ledger *ledger = open_ledger();
    /* A case system matches the re-consent worklist to its clients by pseudonym. */
    char *id = grant(ledger, CHILD, VERGE_HEARD, "case_handling", "nav", "\"family\"",
                     "2026-01-05T09:00:00Z");
    const uint64_t before = consent_ledger_event_count(ledger);
    char *child = NULL;
    char *adult = NULL;
    char *again = NULL;
    CHECK_RC(consent_ledger_pseudonym(ledger, CHILD, &child), CONSENT_RESULT_OK);
    CHECK(is_pseudonym(child));
    CHECK_RC(consent_ledger_pseudonym(ledger, CHILD, &again), CONSENT_RESULT_OK);
    CHECK(child != NULL && again != NULL && strcmp(child, again) == 0);
    /* A subject the ledger has never seen has a pseudonym too, and a different one. */
    CHECK_RC(consent_ledger_pseudonym(ledger, ADULT, &adult), CONSENT_RESULT_OK);
    CHECK(is_pseudonym(adult) && child != NULL && strcmp(child, adult) != 0);

    char *json = NULL;
    CHECK_RC(consent_ledger_reconsent_due(ledger, T_2030_05_01, 60 * DAY, &json),
             CONSENT_RESULT_OK);
    char needle[64];
    snprintf(needle, sizeof needle, "\"subject\":\"%s\"", child != NULL ? child : "?");
    CHECK(HAS(json, needle) && HAS(json, id));
    consent_string_free(json);
    json = NULL;
    CHECK_RC(consent_ledger_subject_export_as(ledger, CHILD, ACTOR, LOOKUP, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, child));
    consent_string_free(json);

    /* The pseudonym is keyed: another ledger (another key) gives another one. */
    const consent_ledger *other = open_ledger();
    char *elsewhere = NULL;
    CHECK_RC(consent_ledger_pseudonym(other, CHILD, &elsewhere), CONSENT_RESULT_OK);
    CHECK(is_pseudonym(elsewhere) && child != NULL && strcmp(child, elsewhere) != 0);
    consent_string_free(elsewhere);
    consent_ledger_free(other);

    /* Errors: the out-param stays untouched, no message names the number. */
    char *out = (char *)"untouched";
    char message[512];
    CHECK_RC(consent_ledger_pseudonym(NULL, ADULT, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_pseudonym(ledger, NULL, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_pseudonym(ledger, ADULT, NULL), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_pseudonym(ledger, "1503\xff", &out), CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_pseudonym(ledger, BAD_FNR, &out), CONSENT_RESULT_INVALID_NATIONAL_ID);
    consent_last_error_message(message, sizeof message);
    CHECK(strlen(message) > 0 && strstr(message, BAD_FNR) == NULL);
    /* A synthetic test number (month + 40) only in test mode. */
    char synthetic[12];
    make_fnr(synthetic, "154385", 0);
    const consent_ledger *production = NULL;
    CHECK_RC(consent_ledger_open(":memory:", NULL, &production), CONSENT_RESULT_OK);
    CHECK_RC(consent_ledger_pseudonym(production, synthetic, &out),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    consent_last_error_message(message, sizeof message);
    CHECK(strstr(message, synthetic) == NULL);
    CHECK(strcmp(out, "untouched") == 0);
    consent_ledger_free(production);
    const consent_ledger *test_ledger = NULL;
    CHECK_RC(consent_ledger_open(":memory:", "{\"test_mode\": true}", &test_ledger),
             CONSENT_RESULT_OK);
    char *test_pseudonym = NULL;
    CHECK_RC(consent_ledger_pseudonym(test_ledger, synthetic, &test_pseudonym),
             CONSENT_RESULT_OK);
    CHECK(is_pseudonym(test_pseudonym));
    consent_string_free(test_pseudonym);
    consent_ledger_free(test_ledger);

    /* Nothing is recorded but the export's look-up. */
    CHECK(consent_ledger_event_count(ledger) == before + 1);
    consent_string_free(child);
    consent_string_free(again);
    consent_string_free(adult);
    consent_string_free(id);
    consent_ledger_free(ledger);
}

/* ---- error paths: each asserts the code, the untouched out-param and the event count ---- */

static void test_rights_errors(void) {
    const consent_ledger *ledger = open_ledger();
    char stranger[12];
    make_fnr(stranger, "010280", 300);
    char *id = grant(ledger, ADULT, SELF, "case_handling", "bufetat", "\"family\"",
                     "2026-01-05T09:00:00Z");
    char other[12];
    make_fnr(other, "020280", 120);
    char *other_id = grant(ledger, other, SELF, "case_handling", "bufetat", "\"family\"",
                           "2026-01-05T09:00:00Z");
    const uint64_t before = consent_ledger_event_count(ledger);
    CHECK(recorded(ledger) == 2);
    char *out = (char *)"untouched";
    const char *fix = "{\"field\": \"evidence_reference\", \"value\": \"2026/9\"}";

    /* subject_export */
    CHECK_RC(consent_ledger_subject_export_as(NULL, ADULT, ACTOR, LOOKUP, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_subject_export_as(ledger, NULL, ACTOR, LOOKUP, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_subject_export_as(ledger, ADULT, ACTOR, LOOKUP, NULL), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_subject_export_as(ledger, "1503\xff", ACTOR, LOOKUP, &out), CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_subject_export_as(ledger, BAD_FNR, ACTOR, LOOKUP, &out),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    /* The message never repeats the number. */
    char msg[512];
    CHECK(consent_last_error_message(msg, sizeof msg) > 0);
    CHECK(strstr(msg, BAD_FNR) == NULL);

    /* register_access_request */
    CHECK_RC(consent_ledger_register_access_request(NULL, ADULT, T_2026_03_10_08, ACTOR, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_register_access_request(ledger, NULL, T_2026_03_10_08, ACTOR, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_register_access_request(ledger, ADULT, T_2026_03_10_08, NULL, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_register_access_request(ledger, ADULT, T_2026_03_10_08, ACTOR, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_register_access_request(ledger, "\xff", T_2026_03_10_08, ACTOR, &out),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_register_access_request(ledger, ADULT, T_2026_03_10_08,
                                                    "{\"id\": \"\xe2\x82\"}", &out),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_register_access_request(ledger, ADULT, T_2026_03_10_08, "{\"id\": ",
                                                    &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_register_access_request(ledger, ADULT, INT64_MAX, ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_register_access_request(ledger, BAD_FNR, T_2026_03_10_08, ACTOR, &out),
             CONSENT_RESULT_INVALID_NATIONAL_ID);

    /* rectify */
#define RECTIFY(l, s, g, c, r, a, o) consent_ledger_rectify(l, s, g, c, r, a, o)
    CHECK_RC(RECTIFY(NULL, ADULT, id, fix, "typo", ACTOR, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(RECTIFY(ledger, NULL, id, fix, "typo", ACTOR, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(RECTIFY(ledger, ADULT, NULL, fix, "typo", ACTOR, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(RECTIFY(ledger, ADULT, id, NULL, "typo", ACTOR, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(RECTIFY(ledger, ADULT, id, fix, NULL, ACTOR, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(RECTIFY(ledger, ADULT, id, fix, "typo", NULL, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(RECTIFY(ledger, ADULT, id, fix, "typo", ACTOR, NULL), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(RECTIFY(ledger, "\xff", id, fix, "typo", ACTOR, &out), CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(RECTIFY(ledger, ADULT, "\xff", fix, "typo", ACTOR, &out),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(RECTIFY(ledger, ADULT, id, "{\"field\": \"\xff\"}", "typo", ACTOR, &out),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(RECTIFY(ledger, ADULT, id, fix, "typ\xc3", ACTOR, &out), CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(RECTIFY(ledger, ADULT, id, fix, "typo", "{\"id\": \"\xff\"}", &out),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(RECTIFY(ledger, ADULT, id, "{\"field\": ", "typo", ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(RECTIFY(ledger, ADULT, id, "{\"field\": \"subject\", \"value\": \"x\"}", "typo",
                     ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(RECTIFY(ledger, ADULT, id, "{\"field\": \"valid_until\", \"value\": \"2026-13-01\"}",
                     "typo", ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    /* A validity window that would end before it starts. */
    CHECK_RC(RECTIFY(ledger, ADULT, id,
                     "{\"field\": \"valid_until\", \"value\": \"2025-01-01T00:00:00Z\"}", "typo",
                     ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(RECTIFY(ledger, ADULT, id, fix, "", ACTOR, &out), CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(RECTIFY(ledger, ADULT, id, fix, "typo", "{}", &out), CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(RECTIFY(ledger, ADULT, "not-a-uuid", fix, "typo", ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(RECTIFY(ledger, BAD_FNR, id, fix, "typo", ACTOR, &out),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    CHECK_RC(RECTIFY(ledger, stranger, id, fix, "typo", ACTOR, &out), CONSENT_RESULT_NOT_FOUND);
    CHECK_RC(RECTIFY(ledger, ADULT, NO_GRANT, fix, "typo", ACTOR, &out), CONSENT_RESULT_NOT_FOUND);
    /* Another subject's grant is not this subject's to correct. */
    CHECK_RC(RECTIFY(ledger, ADULT, other_id, fix, "typo", ACTOR, &out), CONSENT_RESULT_NOT_FOUND);
#undef RECTIFY

    /* request_erasure */
    CHECK_RC(consent_ledger_request_erasure(NULL, ADULT, DPO, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_request_erasure(ledger, NULL, DPO, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_request_erasure(ledger, ADULT, NULL, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_request_erasure(ledger, ADULT, DPO, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_request_erasure(ledger, "\xff", DPO, &out),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_request_erasure(ledger, ADULT, "{\"id\": \"\xff\"}", &out),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_request_erasure(ledger, ADULT, "{\"id\"", &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_request_erasure(ledger, BAD_FNR, DPO, &out),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    CHECK_RC(consent_ledger_request_erasure(ledger, stranger, DPO, &out),
             CONSENT_RESULT_NOT_FOUND);

    /* statistics */
    CHECK_RC(consent_ledger_statistics_as(NULL, NULL, AUDITOR, &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_statistics_as(ledger, NULL, AUDITOR, NULL), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_statistics_as(ledger, "{\"from\": \"\xff\"}", AUDITOR, &out),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_statistics_as(ledger, "{\"from\": ", AUDITOR, &out), CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_statistics_as(ledger, "{\"since\": \"2026-01-01T00:00:00Z\"}", AUDITOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    /* A naive instant (no offset) is not RFC 3339. */
    CHECK_RC(consent_ledger_statistics_as(ledger, "{\"from\": \"2026-01-01T00:00:00\"}", AUDITOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    /* The threshold can only be raised. */
    CHECK_RC(consent_ledger_statistics_as(ledger, "{\"min_cell\": 2}", AUDITOR, &out),
             CONSENT_RESULT_INVALID_INPUT);

    /* reconsent_due */
    CHECK_RC(consent_ledger_reconsent_due(NULL, T_2030_05_01, DAY, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_reconsent_due(ledger, T_2030_05_01, DAY, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_reconsent_due(ledger, T_2030_05_01, -DAY, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_reconsent_due(ledger, INT64_MIN, DAY, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_reconsent_due(ledger, T_2030_05_01, INT64_MAX, &out),
             CONSENT_RESULT_INVALID_INPUT);

    /* Out-params are written only on success, and nothing was recorded. */
    CHECK(strcmp(out, "untouched") == 0);
    CHECK(consent_ledger_event_count(ledger) == before);
    CHECK(verifies(ledger));
    consent_string_free(id);
    consent_string_free(other_id);
    consent_ledger_free(ledger);
}

int main(void) {
    test_fnr_generator();
    test_subject_export();
    test_access_request();
    test_rectify_valid_until();
    test_erasure_withdraws_and_restricts();
    test_erasure_after_nir_disclosure();
    test_statistics();
    test_reconsent_due();
    test_pseudonym();
    test_rights_errors();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
