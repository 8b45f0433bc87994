/*
 * C tests of the rights that stop processing: restriction (GDPR Art. 18) and its lift,
 * objection (Art. 21) and its resolution, erasure that waits for the archival duty and the
 * kassasjon after it, and access for a person the ledger holds nothing on. Each error path
 * asserts the result code, the untouched out-param and the unchanged event count.
 *
 * The kassasjon test opens a ledger with the default catalogue whose retention is one year
 * instead of "permanent" (read from consent-core/src/catalogue/default.toml, so run from the
 * repository root, as scripts/test-c.sh does). Prints "N passed, M failed" as its last line.
 */
#define _POSIX_C_SOURCE 200809L

#include "consent.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Instants, Unix milliseconds UTC (computed with Python's datetime). */
#define T_2026_02_01_09 INT64_C(1769936400000)
#define T_2026_02_01_10 INT64_C(1769940000000)
#define T_2026_02_28_10 INT64_C(1772272800000)
#define T_2026_03_01_10 INT64_C(1772359200000)
#define T_2026_03_02_10 INT64_C(1772445600000)
#define T_2026_03_05_10 INT64_C(1772704800000)
#define T_2026_03_10_10 INT64_C(1773136800000)
#define T_2026_03_11_10 INT64_C(1773223200000)
#define T_2027_02_28_00 INT64_C(1803772800000)
#define T_2027_03_01_10 INT64_C(1803895200000)
#define T_2027_03_02_10 INT64_C(1803981600000)

/* An adult born 1985-03-15 (the project's example id). */
#define ADULT "15038510190"
/* A valid adult the ledger holds nothing about: control_digits("010190124"). */
#define STRANGER "01019012480"
#define BAD_FNR "15038510191"
/* A well-formed UUID that no objection has. */
#define NO_OBJECTION "0190a5a0-0000-7000-8000-000000000000"

#define ACTOR "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}"
#define DPO "{\"id\": \"personvernombud-1\", \"role\": \"dpo\"}"
#define ARCHIVIST "{\"id\": \"arkivar-1\", \"role\": \"archivist\"}"
#define LOOKUP "sak 2026/55: test"
#define SELF "{\"role\": \"self\"}"
#define CLOCK_OPTIONS "{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\"}"
#define CATALOGUE_TOML "consent-core/src/catalogue/default.toml"

static const char *const NAME[] = {"name"};
static const char *const FINANCES[] = {"finances"};
static const char *const HEALTH[] = {"health"};

static const consent_ledger *open_with(const char *options) {
    const consent_ledger *ledger = NULL;
    CHECK_RC(consent_ledger_open(":memory:", options, &ledger), CONSENT_RESULT_OK);
    CHECK(ledger != NULL);
    return ledger;
}

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

static void set_clock(const consent_ledger *ledger, int64_t ms) {
    CHECK_RC(consent_ledger_set_clock(ledger, ms), CONSENT_RESULT_OK);
}

static int verifies(const consent_ledger *ledger) {
    char *report = NULL;
    CHECK_RC(consent_ledger_verify(ledger, &report), CONSENT_RESULT_OK);
    int ok = HAS(report, "\"ok\":true");
    consent_string_free(report);
    return ok;
}

/* Grants ADULT's own consent from 2026-01-05T09:00Z; returns the grant id (freed with
 * consent_string_free), or NULL. */
static char *grant(const consent_ledger *ledger, const char *purpose, const char *recipient,
                   const char *category, int explicit_consent) {
    char json[2048];
    char *id = NULL;
    snprintf(json, sizeof json,
             "{\"subject\": \"" ADULT "\", \"grantor\": " SELF ", \"purposes\": [\"%s\"],"
             " \"recipients\": [\"%s\"], \"categories\": [\"%s\"], \"explicit\": %s,"
             " \"valid_from\": \"2026-01-05T09:00:00Z\", \"valid_until\": null,"
             " \"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\","
             " \"language\": \"ar\", \"interpreter\": true},"
             " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}",
             purpose, recipient, category, explicit_consent ? "true" : "false");
    CHECK_RC(consent_ledger_grant(ledger, json, ACTOR, &id), CONSENT_RESULT_OK);
    return id;
}

/* Whether ADULT's decision at `at` is permitted (1), denied with `reason` (0), or neither
 * (-1). */
static int outcome(const consent_ledger *ledger, const char *recipient, const char *purpose,
                   const char *const *cats, int64_t at, const char *reason) {
    consent_decision *decision = NULL;
    char *json = NULL;
    CHECK_RC(consent_ledger_decide(ledger, ADULT, recipient, purpose, cats, 1, at, &decision),
             CONSENT_RESULT_OK);
    if (decision != NULL) {
        CHECK_RC(consent_decision_to_json(decision, &json), CONSENT_RESULT_OK);
        consent_decision_free(decision);
    }
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

/* ADULT's subject export (freed with consent_string_free), or NULL. */
static char *export_of(const consent_ledger *ledger, const char *subject) {
    char *json = NULL;
    CHECK_RC(consent_ledger_subject_export_as(ledger, subject, ACTOR, LOOKUP, &json), CONSENT_RESULT_OK);
    return json;
}

/* Whether `text` is a hyphenated UUID (36 characters, hyphens at 8, 13, 18 and 23). */
static int is_uuid(const char *text) {
    if (text == NULL || strlen(text) != 36) {
        return 0;
    }
    for (int i = 0; i < 36; i++) {
        int hyphen = i == 8 || i == 13 || i == 18 || i == 23;
        if (hyphen != (text[i] == '-')) {
            return 0;
        }
    }
    return 1;
}

/* Reads a whole file; NULL on failure. The caller frees. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *text = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && fseek(f, 0, SEEK_SET) == 0) {
            text = malloc((size_t)size + 1);
            if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size) {
                text[size] = '\0';
            } else {
                free(text);
                text = NULL;
            }
        }
    }
    fclose(f);
    return text;
}

/* `text` with every `from` replaced by `to`, newly allocated (NULL when out of memory);
 * `*count` is the number of replacements. */
static char *replace_all(const char *text, const char *from, const char *to, int *count) {
    size_t n_from = strlen(from);
    size_t n_to = strlen(to);
    size_t size = strlen(text) + 1;
    *count = 0;
    for (const char *at = strstr(text, from); at != NULL; at = strstr(at + n_from, from)) {
        (*count)++;
        size += n_to;
    }
    char *out = malloc(size);
    if (out == NULL) {
        return NULL;
    }
    char *end = out;
    const char *at = text;
    for (const char *next = strstr(at, from); next != NULL; next = strstr(at, from)) {
        memcpy(end, at, (size_t)(next - at));
        end += next - at;
        memcpy(end, to, n_to);
        end += n_to;
        at = next + n_from;
    }
    strcpy(end, at);
    return out;
}

/* Writes the default catalogue with every `retention_years = "permanent"` replaced by
 * `retention_years = 1`, and the access log kept one year too, to a new temporary file whose
 * name goes to path[64]; 1 on success. */
static int write_finite_catalogue(char path[64]) {
    char *text = read_file(CATALOGUE_TOML);
    if (text == NULL) {
        fprintf(stderr, "cannot read %s (run from the repository root)\n", CATALOGUE_TOML);
        return 0;
    }
    int records = 0;
    int accesses = 0;
    char *finite = replace_all(text, "retention_years = \"permanent\"", "retention_years = 1",
                               &records);
    free(text);
    char *both = finite != NULL ? replace_all(finite, "access_log_retention_years = 5",
                                              "access_log_retention_years = 1", &accesses)
                                : NULL;
    free(finite);
    if (both == NULL) {
        return 0;
    }
    snprintf(path, 64, "/tmp/consent-finite-XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int ok = f != NULL && fputs(both, f) >= 0;
    if (f != NULL && fclose(f) != 0) {
        ok = 0;
    }
    free(both);
    return ok && records > 0 && accesses == 1;
}

/* ---- restriction --------------------------------------------------------------------------- */

static void test_restriction_lets_consent_through_and_lifts(void) {
    const consent_ledger *ledger = open_with(CLOCK_OPTIONS);
    char *grant_id = grant(ledger, "employment_followup", "nav", "finances", 0);
    consent_string_free(grant_id);
    set_clock(ledger, T_2026_03_01_10);

    char *id = NULL;
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "A18_1_a", T_2026_03_01_10, ACTOR, &id),
             CONSENT_RESULT_OK);
    CHECK(is_uuid(id));
    consent_string_free(id);
    CHECK(recorded(ledger) == 2);

    /* Art. 18(2): with consent processing goes on; a statutory rule stops. */
    CHECK(outcome(ledger, "nav", "employment_followup", FINANCES, T_2026_03_05_10, NULL) == 1);
    CHECK(outcome(ledger, "imdi", "settlement", NAME, T_2026_03_05_10, "restricted") == 0);
    CHECK(outcome(ledger, "imdi", "settlement", NAME, T_2026_02_28_10, NULL) == 1);
    /* A rule the catalogue marks continues_under_restriction. */
    CHECK(outcome(ledger, "nir", "nir_registration", NAME, T_2026_03_05_10, NULL) == 1);
    char *json = export_of(ledger, ADULT);
    CHECK(HAS(json, "\"status\": \"restricted\""));
    CHECK(HAS(json, "\"ground\": \"A18_1_a\""));
    consent_string_free(json);

    /* Bad input: a specific code, the out-param untouched, nothing recorded. */
    const uint64_t before = consent_ledger_event_count(ledger);
    char *out = (char *)"untouched";
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "A18_1_a", T_2026_03_01_10, ACTOR, &out),
             CONSENT_RESULT_CONFLICT);
    /* Bound by the ledger's clock: a restriction is never for the future (the clock reads
       1 March), nor a lift in the past. */
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "A18_1_b", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "erasure_request", T_2026_03_02_10, ACTOR,
                                     &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "a18_1_a", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "A18_1_b", INT64_MAX, ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_restrict(ledger, BAD_FNR, "A18_1_b", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "A18_1_b", T_2026_03_02_10, "{}", &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_restrict(NULL, ADULT, "A18_1_b", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_restrict(ledger, NULL, "A18_1_b", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, NULL, T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "A18_1_b", T_2026_03_02_10, NULL, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "A18_1_b", T_2026_03_02_10, ACTOR, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_restrict(ledger, ADULT, "A18_1_\xff", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_INVALID_UTF8);
    /* A lift before the restriction began, or with no reason. */
    CHECK_RC(consent_ledger_lift_restriction(ledger, ADULT, T_2026_02_28_10, "verified", DPO,
                                             &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_lift_restriction(ledger, ADULT, T_2026_03_10_10, "", DPO, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_lift_restriction(ledger, ADULT, T_2026_03_10_10, NULL, DPO, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_lift_restriction(ledger, ADULT, T_2026_03_10_10, "verified", DPO,
                                             NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_lift_restriction(ledger, STRANGER, T_2026_03_10_10, "verified",
                                             DPO, &out),
             CONSENT_RESULT_NOT_FOUND);
    char msg[512];
    CHECK(consent_last_error_message(msg, sizeof msg) > 0);
    CHECK(strstr(msg, STRANGER) == NULL);
    CHECK(strcmp(out, "untouched") == 0);
    CHECK(consent_ledger_event_count(ledger) == before);

    /* Lifting (after telling the person, Art. 18(3)): the statute runs again; history stands. */
    id = NULL;
    CHECK_RC(consent_ledger_lift_restriction(ledger, ADULT, T_2026_03_10_10,
                                             "the address was verified", DPO, &id),
             CONSENT_RESULT_OK);
    CHECK(is_uuid(id));
    consent_string_free(id);
    CHECK(outcome(ledger, "imdi", "settlement", NAME, T_2026_03_11_10, NULL) == 1);
    CHECK(outcome(ledger, "imdi", "settlement", NAME, T_2026_03_05_10, "restricted") == 0);
    json = export_of(ledger, ADULT);
    CHECK(HAS(json, "\"status\": \"active\""));
    CHECK(HAS(json, "\"lifted\""));
    CHECK(HAS(json, "the address was verified"));
    CHECK(json != NULL && strstr(json, ADULT) == NULL);
    consent_string_free(json);
    /* Nothing left to lift. */
    out = (char *)"untouched";
    CHECK_RC(consent_ledger_lift_restriction(ledger, ADULT, T_2026_03_11_10, "again", DPO,
                                             &out),
             CONSENT_RESULT_NOT_FOUND);
    CHECK(strcmp(out, "untouched") == 0);
    CHECK(verifies(ledger));
    consent_ledger_free(ledger);
}

/* ---- objection ----------------------------------------------------------------------------- */

static void test_objection_stops_the_public_task_until_rejected(void) {
    const consent_ledger *ledger = open_with(CLOCK_OPTIONS);
    set_clock(ledger, T_2026_03_01_10);
    CHECK(outcome(ledger, "nav", "introduction_programme", NAME, T_2026_03_02_10, NULL) == 1);

    char *objection = NULL;
    CHECK_RC(consent_ledger_object(ledger, ADULT, "introduction_programme", T_2026_03_01_10,
                                   ACTOR, &objection),
             CONSENT_RESULT_OK);
    CHECK(is_uuid(objection));
    CHECK(recorded(ledger) == 1);
    CHECK(outcome(ledger, "nav", "introduction_programme", NAME, T_2026_03_02_10, "objected") ==
          0);
    char *json = export_of(ledger, ADULT);
    CHECK(HAS(json, "\"objections\""));
    CHECK(objection != NULL && HAS(json, objection));
    consent_string_free(json);

    /* Bad input: a specific code, the out-param untouched, nothing recorded. */
    const uint64_t before = consent_ledger_event_count(ledger);
    char *out = (char *)"untouched";
    CHECK_RC(consent_ledger_object(ledger, ADULT, "introduction_programme", T_2026_03_01_10,
                                   ACTOR, &out),
             CONSENT_RESULT_CONFLICT);
    /* An objection is recorded when it is made, never for the future. */
    CHECK_RC(consent_ledger_object(ledger, ADULT, "settlement", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_object(ledger, ADULT, "holidays", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_UNKNOWN_CODE);
    /* Consent is the basis (Art. 6(1)(a)): nothing to object to; the person withdraws. */
    CHECK_RC(consent_ledger_object(ledger, ADULT, "statistics", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_object(ledger, ADULT, "settlement", INT64_MIN, ACTOR, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_object(ledger, ADULT, NULL, T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_object(ledger, ADULT, "settlement", T_2026_03_02_10, ACTOR, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_object(ledger, "\xff", "settlement", T_2026_03_02_10, ACTOR, &out),
             CONSENT_RESULT_INVALID_UTF8);
    CHECK_RC(consent_ledger_resolve_objection(ledger, "objection-1", "rejected", T_2026_03_05_10,
                                              "reason", DPO, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_resolve_objection(ledger, ADULT, "rejected", T_2026_03_05_10,
                                              "reason", DPO, &out),
             CONSENT_RESULT_INVALID_INPUT);
    char msg[512];
    CHECK(consent_last_error_message(msg, sizeof msg) > 0);
    CHECK(strstr(msg, ADULT) == NULL);
    CHECK_RC(consent_ledger_resolve_objection(ledger, NO_OBJECTION, "rejected", T_2026_03_05_10,
                                              "reason", DPO, &out),
             CONSENT_RESULT_NOT_FOUND);
    CHECK_RC(consent_ledger_resolve_objection(ledger, objection, "dismissed", T_2026_03_05_10,
                                              "reason", DPO, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_resolve_objection(ledger, objection, "rejected", T_2026_03_05_10, "",
                                              DPO, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_resolve_objection(ledger, objection, "rejected", T_2026_02_28_10,
                                              "reason", DPO, &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_resolve_objection(ledger, objection, NULL, T_2026_03_05_10,
                                              "reason", DPO, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_resolve_objection(ledger, objection, "rejected", T_2026_03_05_10,
                                              "reason", "{\"id\": \"x\"}", &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK(strcmp(out, "untouched") == 0);
    CHECK(consent_ledger_event_count(ledger) == before);
    CHECK(outcome(ledger, "nav", "introduction_programme", NAME, T_2026_03_10_10, "objected") ==
          0);

    /* Rejected: the municipality showed compelling grounds, the processing resumes. */
    char *id = NULL;
    CHECK_RC(consent_ledger_resolve_objection(ledger, objection, "rejected", T_2026_03_05_10,
                                              "vedtak 2026/90: compelling grounds", DPO, &id),
             CONSENT_RESULT_OK);
    CHECK(is_uuid(id));
    consent_string_free(id);
    CHECK(outcome(ledger, "nav", "introduction_programme", NAME, T_2026_03_10_10, NULL) == 1);
    CHECK(outcome(ledger, "nav", "introduction_programme", NAME, T_2026_03_02_10, "objected") ==
          0);
    out = (char *)"untouched";
    CHECK_RC(consent_ledger_resolve_objection(ledger, objection, "upheld", T_2026_03_10_10,
                                              "again", DPO, &out),
             CONSENT_RESULT_CONFLICT);
    CHECK(strcmp(out, "untouched") == 0);

    /* Upheld: the processing for the purpose stays stopped. */
    char *second = NULL;
    set_clock(ledger, T_2026_03_10_10);
    CHECK_RC(consent_ledger_object(ledger, ADULT, "settlement", T_2026_03_10_10, ACTOR, &second),
             CONSENT_RESULT_OK);
    id = NULL;
    CHECK_RC(consent_ledger_resolve_objection(ledger, second, "upheld", T_2026_03_11_10,
                                              "no compelling grounds", DPO, &id),
             CONSENT_RESULT_OK);
    consent_string_free(id);
    CHECK(outcome(ledger, "imdi", "settlement", NAME, T_2027_03_01_10, "objected") == 0);
    CHECK(verifies(ledger));
    consent_string_free(second);
    consent_string_free(objection);
    consent_ledger_free(ledger);
}

/* ---- erasure and kassasjon ----------------------------------------------------------------- */

static void test_erasure_waits_for_kassasjon(void) {
    char catalogue[64];
    if (!write_finite_catalogue(catalogue)) {
        failed++;
        fprintf(stderr, "FAIL: the one-year catalogue could not be written\n");
        return;
    }
    char options[256];
    snprintf(options, sizeof options,
             "{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\", "
             "\"catalogue_file\": \"%s\"}",
             catalogue);
    const consent_ledger *ledger = open_with(options);
    unlink(catalogue);
    if (ledger == NULL) {
        return;
    }
    char *grant_id = grant(ledger, "health_coordination", "helsetjenesten", "health", 1);
    set_clock(ledger, T_2026_02_01_10);
    CHECK_RC(consent_ledger_record_disclosure(ledger, ADULT, "helsetjenesten",
                                              "health_coordination", HEALTH, 1, T_2026_02_01_09,
                                              ACTOR, NULL),
             CONSENT_RESULT_OK);
    set_clock(ledger, T_2026_03_01_10);

    /* Nothing is due before the request. */
    char *out = (char *)"untouched";
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, ADULT, ARCHIVIST, &out),
             CONSENT_RESULT_NOT_PERMITTED);

    char *json = NULL;
    CHECK_RC(consent_ledger_request_erasure(ledger, ADULT, DPO, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"outcome\":\"restricted\""));
    CHECK(grant_id != NULL && HAS(json, grant_id));
    /* One year (this catalogue) from the last case event: the withdrawal now. */
    CHECK(HAS(json, "\"kassasjon_due_at\":\"2027-03-01T10:00:00Z\""));
    consent_string_free(json);
    CHECK(recorded(ledger) == 4);

    /* The grant is withdrawn at the request; the disclosure record is kept. */
    CHECK(outcome(ledger, "helsetjenesten", "health_coordination", HEALTH, T_2026_03_02_10,
                  "withdrawn") == 0);
    json = export_of(ledger, ADULT);
    CHECK(HAS(json, "\"status\": \"restricted\""));
    CHECK(HAS(json, "\"reason\": \"erasure_request\""));
    CHECK(HAS(json, "\"disclosures\": [\n    {"));
    consent_string_free(json);

    /* Kassasjon before the retention has ended is refused, by the ledger's own clock. */
    const uint64_t before = consent_ledger_event_count(ledger);
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, ADULT, ARCHIVIST, &out),
             CONSENT_RESULT_NOT_PERMITTED);
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, STRANGER, ARCHIVIST, &out),
             CONSENT_RESULT_NOT_FOUND);
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, BAD_FNR, ARCHIVIST, &out),
             CONSENT_RESULT_INVALID_NATIONAL_ID);
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, ADULT, "{\"id\": 1}", &out),
             CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, ADULT, NULL, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, ADULT, ARCHIVIST, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_erasure_due(ledger, INT64_MIN, &out), CONSENT_RESULT_INVALID_INPUT);
    CHECK_RC(consent_ledger_erasure_due(NULL, T_2027_03_01_10, &out),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_erasure_due(ledger, T_2027_03_01_10, NULL),
             CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(strcmp(out, "untouched") == 0);
    CHECK(consent_ledger_event_count(ledger) == before);

    /* The worklist: nothing due the day before, the subject by pseudonym from the due date. */
    json = NULL;
    CHECK_RC(consent_ledger_erasure_due(ledger, T_2027_02_28_00, &json), CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);
    char *pseudonym = NULL;
    CHECK_RC(consent_ledger_pseudonym(ledger, ADULT, &pseudonym), CONSENT_RESULT_OK);
    json = NULL;
    CHECK_RC(consent_ledger_erasure_due(ledger, T_2027_03_01_10, &json), CONSENT_RESULT_OK);
    CHECK(pseudonym != NULL && HAS(json, pseudonym));
    CHECK(HAS(json, "\"due_at\":\"2027-03-01T10:00:00Z\""));
    CHECK(json != NULL && strstr(json, ADULT) == NULL);
    consent_string_free(json);

    /* Past the retention by the ledger's clock: shredded, and the chain still verifies. */
    set_clock(ledger, T_2027_03_02_10);
    json = NULL;
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, ADULT, ARCHIVIST, &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"outcome\":\"erased\""));
    CHECK(HAS(json, "\"at\":\"2027-03-02T10:00:00Z\""));
    CHECK(HAS(json, "\"events_erased\":"));
    consent_string_free(json);
    CHECK(consent_ledger_event_count(ledger) == before + 1);
    CHECK(verifies(ledger));
    out = (char *)"untouched";
    CHECK_RC(consent_ledger_execute_kassasjon(ledger, ADULT, ARCHIVIST, &out),
             CONSENT_RESULT_CONFLICT);
    CHECK(strcmp(out, "untouched") == 0);
    /* A look-up afterwards is recorded (under a new key); the export still says erased. */
    json = export_of(ledger, ADULT);
    CHECK(HAS(json, "\"status\": \"erased\""));
    consent_string_free(json);
    json = NULL;
    CHECK_RC(consent_ledger_erasure_due(ledger, T_2027_03_02_10, &json), CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);
    consent_string_free(pseudonym);
    consent_string_free(grant_id);
    consent_ledger_free(ledger);
}

/* ---- access for everyone ------------------------------------------------------------------- */

static void test_a_stranger_is_answered(void) {
    const consent_ledger *ledger = open_with(CLOCK_OPTIONS);
    char *json = export_of(ledger, STRANGER);
    CHECK(HAS(json, "\"consent-export/1\""));
    CHECK(HAS(json, "\"status\": \"nothing_held\""));
    CHECK(json != NULL && strstr(json, STRANGER) == NULL);
    consent_string_free(json);
    /* The look-up itself is recorded (and was listed in the export). */
    CHECK(recorded(ledger) == 1);

    json = NULL;
    CHECK_RC(consent_ledger_register_access_request(ledger, STRANGER, T_2026_03_01_10, ACTOR,
                                                    &json),
             CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"due_at\":\"2026-04-01T10:00:00Z\""));
    consent_string_free(json);
    CHECK(recorded(ledger) == 2);
    consent_ledger_free(ledger);
}

/* ---- deviations ----------------------------------------------------------------------------- */

/* A disclosure on 1 February under a consent; on 28 February the ledger learns of a
   withdrawal dated before it, so the disclosure is a deviation. */
static void test_a_backdated_withdrawal_makes_a_deviation(void) {
    const consent_ledger *ledger = open_with(CLOCK_OPTIONS);
    char *grant_id = grant(ledger, "employment_followup", "nav", "finances", 0);
    set_clock(ledger, T_2026_02_01_10);
    CHECK_RC(consent_ledger_record_disclosure(ledger, ADULT, "nav", "employment_followup",
                                              FINANCES, 1, T_2026_02_01_09, ACTOR, NULL),
             CONSENT_RESULT_OK);
    char *json = NULL;
    CHECK_RC(consent_ledger_deviations(ledger, INT64_C(0), &json), CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);

    /* Registered on 28 February, the letter withdrew the consent from 1 February, 09:00 UTC
       less an hour. */
    set_clock(ledger, T_2026_02_28_10);
    CHECK_RC(consent_ledger_withdraw(ledger, grant_id, T_2026_02_01_09 - INT64_C(3600000), ACTOR,
                                     NULL),
             CONSENT_RESULT_OK);
    json = NULL;
    CHECK_RC(consent_ledger_deviations(ledger, INT64_C(0), &json), CONSENT_RESULT_OK);
    CHECK(HAS(json, "\"recipient\":\"nav\""));
    CHECK(HAS(json, "\"reason\":\"withdrawn\""));
    CHECK(HAS(json, "\"at\":\"2026-02-01T09:00:00Z\""));
    CHECK(json != NULL && strstr(json, ADULT) == NULL);
    consent_string_free(json);
    /* Recorded before `since`: not listed. */
    json = NULL;
    CHECK_RC(consent_ledger_deviations(ledger, T_2026_02_28_10, &json), CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);

    /* Bad input: a specific code, the out-param untouched. */
    char *out = (char *)"untouched";
    CHECK_RC(consent_ledger_deviations(NULL, INT64_C(0), &out), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_deviations(ledger, INT64_C(0), NULL), CONSENT_RESULT_NULL_ARGUMENT);
    CHECK_RC(consent_ledger_deviations(ledger, INT64_MAX, &out), CONSENT_RESULT_INVALID_INPUT);
    CHECK(strcmp(out, "untouched") == 0);
    consent_string_free(grant_id);
    consent_ledger_free(ledger);
}

int main(void) {
    test_a_backdated_withdrawal_makes_a_deviation();
    test_restriction_lets_consent_through_and_lifts();
    test_objection_stops_the_public_task_until_rejected();
    test_erasure_waits_for_kassasjon();
    test_a_stranger_is_answered();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
