/*
 * Identity succession (DUF number -> D-number -> fodselsnummer) and the notification worklist
 * (GDPR Art. 18(3) and 19) through the C ABI: the person's grants follow them to the new id;
 * a rectification puts a task on the worklist for every recipient, which stays until it is
 * marked done; bad input gets its own result code and records nothing.
 * Build: see scripts/test-c.sh. Prints "N passed, M failed" as its last line.
 */
#include "consent.h"

#include <stdbool.h>
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

#define ACTOR "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}"
#define DPO "{\"id\": \"personvernombud-1\", \"role\": \"dpo\"}"
#define LOOKUP "sak 2026/55: test"
#define TEACHER "{\"id\": \"laerer-3\", \"role\": \"teacher\"}"
#define AUDITOR "{\"id\": \"revisor-1\", \"role\": \"auditor\"}"
#define ADULT "15038510190"
/* Another valid fodselsnummer (born 1990-01-01). */
#define OTHER_ADULT "01019010046"
/* A DUF number (UDI's case number: year of registration, then eight digits). */
#define DUF "201612345678"
#define OPTIONS "{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\"}"
/* 2026-03-01T10:00:00Z, 2026-03-02T10:00:00Z and 2026-03-03T00:00:00Z in Unix ms. */
#define T_MAR_1 1772359200000LL
#define T_MAR_2 1772445600000LL
#define T_MAR_3 1772496000000LL

static const char *FINANCES[] = {"finances"};

/* A self grant of finances to NAV for employment follow-up, under `subject` (with the birth
 * date from Folkeregisteret for a DUF number, which encodes none). */
static char *grant(const consent_ledger *ledger, const char *subject) {
    char json[1024];
    snprintf(json, sizeof json,
             "{\"subject\": \"%s\", %s"
             " \"grantor\": {\"role\": \"self\"}, \"purposes\": [\"employment_followup\"],"
             " \"recipients\": [\"nav\"], \"categories\": [\"finances\"], \"explicit\": false,"
             " \"valid_from\": \"2026-01-05T09:00:00Z\", \"valid_until\": null,"
             " \"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\","
             " \"language\": \"ar\", \"interpreter\": true},"
             " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}",
             subject,
             strcmp(subject, DUF) == 0 ? "\"subject_birth_date\": \"1990-11-20\"," : "");
    char *id = NULL;
    consent_result rc = consent_ledger_grant(ledger, json, ACTOR, &id);
    CHECK(rc == CONSENT_RESULT_OK && id != NULL);
    return id;
}

static bool permits(const consent_ledger *ledger, const char *subject) {
    bool permitted = false;
    consent_result rc = consent_ledger_permits(ledger, subject, "nav", "employment_followup",
                                               FINANCES, 1, T_MAR_1, &permitted);
    CHECK(rc == CONSENT_RESULT_OK);
    return permitted;
}

/* The last error message does not contain `text`. */
static bool message_lacks(const char *text) {
    char message[512];
    consent_last_error_message(message, sizeof message);
    return message[0] != '\0' && strstr(message, text) == NULL;
}

static void test_succession(void) {
    const consent_ledger *ledger = NULL;
    CHECK(consent_ledger_open(":memory:", OPTIONS, &ledger) == CONSENT_RESULT_OK);
    char *grant_id = grant(ledger, DUF);
    CHECK(permits(ledger, DUF));
    CHECK(!permits(ledger, ADULT));
    uint64_t before = consent_ledger_event_count(ledger);

    /* Bad input: its own code, nothing recorded, nothing written out. */
    char *id = NULL;
    CHECK(consent_ledger_record_identity_succession(NULL, DUF, ADULT, "UDI 2026/9", false, ACTOR, &id) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_record_identity_succession(ledger, NULL, ADULT, "UDI 2026/9", false, ACTOR, &id) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, ADULT, NULL, false, ACTOR, &id) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, ADULT, "UDI 2026/9", false, ACTOR, NULL) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_record_identity_succession(ledger, "\xff", ADULT, "UDI 2026/9", false, ACTOR, &id) ==
          CONSENT_RESULT_INVALID_UTF8);
    /* A DUF number with a bad year prefix, and an 11-digit number with bad control digits. */
    CHECK(consent_ledger_record_identity_succession(ledger, "301612345678", ADULT, "UDI 2026/9", false,
                                                    ACTOR, &id) == CONSENT_RESULT_INVALID_NATIONAL_ID);
    CHECK(message_lacks("301612345678"));
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, "15038510191", "UDI 2026/9", false, ACTOR,
                                                    &id) == CONSENT_RESULT_INVALID_NATIONAL_ID);
    CHECK(message_lacks("15038510191"));
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, DUF, "UDI 2026/9", false, ACTOR, &id) ==
          CONSENT_RESULT_INVALID_INPUT);
    CHECK(message_lacks(DUF));
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, ADULT, "", false, ACTOR, &id) ==
          CONSENT_RESULT_INVALID_INPUT);
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, ADULT, "case " ADULT, false, ACTOR, &id) ==
          CONSENT_RESULT_INVALID_INPUT);
    CHECK(message_lacks(ADULT));
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, ADULT, "UDI 2026/9", false, "{}", &id) ==
          CONSENT_RESULT_INVALID_INPUT);
    /* A role without the permission; a role the catalogue does not have. */
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, ADULT, "UDI 2026/9", false, AUDITOR, &id) ==
          CONSENT_RESULT_NOT_PERMITTED);
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, ADULT, "UDI 2026/9", false, TEACHER, &id) ==
          CONSENT_RESULT_UNKNOWN_CODE);
    /* Nothing is held under the fodselsnummer yet: it cannot be succeeded. */
    CHECK(consent_ledger_record_identity_succession(ledger, OTHER_ADULT, ADULT, "UDI 2026/9", false,
                                                    ACTOR, &id) == CONSENT_RESULT_NOT_FOUND);
    /* A step backwards (a fodselsnummer to a DUF number) is bad input, merge or not. */
    CHECK(consent_ledger_record_identity_succession(ledger, ADULT, DUF, "UDI 2026/9", true, ACTOR,
                                                    &id) == CONSENT_RESULT_INVALID_INPUT);
    CHECK(message_lacks(DUF) && message_lacks(ADULT));
    /* A DUF number in the reference, as UDI writes it, is refused like a national id. */
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, ADULT, "UDI 2017 1234 5678", false,
                                                    ACTOR, &id) == CONSENT_RESULT_INVALID_INPUT);
    CHECK(message_lacks("5678"));
    CHECK(id == NULL);
    CHECK(consent_ledger_event_count(ledger) == before);

    /* The succession: the grant follows the person to the fodselsnummer. */
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, ADULT, "Folkeregisteret 2026/77", false,
                                                    ACTOR, &id) == CONSENT_RESULT_OK);
    CHECK(id != NULL && strlen(id) == 36);
    CHECK(consent_ledger_event_count(ledger) == before + 1);
    CHECK(permits(ledger, ADULT));
    /* Both exports show the one history (the grant), and neither holds an id in clear. */
    char *export_new = NULL;
    char *export_old = NULL;
    CHECK(consent_ledger_subject_export_as(ledger, ADULT, ACTOR, LOOKUP, &export_new) == CONSENT_RESULT_OK);
    CHECK(consent_ledger_subject_export_as(ledger, DUF, ACTOR, LOOKUP, &export_old) == CONSENT_RESULT_OK);
    CHECK(export_new != NULL && strstr(export_new, grant_id) != NULL);
    CHECK(export_old != NULL && strstr(export_old, grant_id) != NULL);
    CHECK(export_new != NULL && strstr(export_new, ADULT) == NULL && strstr(export_new, DUF) == NULL);
    CHECK(export_old != NULL && strstr(export_old, ADULT) == NULL && strstr(export_old, DUF) == NULL);
    consent_string_free(export_new);
    consent_string_free(export_old);
    /* A second succession of the DUF number conflicts and records nothing. */
    char *again = NULL;
    CHECK(consent_ledger_record_identity_succession(ledger, DUF, OTHER_ADULT, "UDI 2026/10", false, ACTOR,
                                                    &again) == CONSENT_RESULT_CONFLICT);
    /* (The two exports recorded their accesses.) */
    CHECK(again == NULL && consent_ledger_event_count(ledger) == before + 3);
    consent_string_free(id);
    consent_string_free(grant_id);
    consent_ledger_free(ledger);
}

/* A new id that already holds records is joined to the person's only when merge is asked for. */
static void test_merge(void) {
    const consent_ledger *ledger = NULL;
    CHECK(consent_ledger_open(":memory:", OPTIONS, &ledger) == CONSENT_RESULT_OK);
    char *first = grant(ledger, OTHER_ADULT);
    char *second = grant(ledger, ADULT);
    uint64_t before = consent_ledger_event_count(ledger);
    char *id = NULL;
    CHECK(consent_ledger_record_identity_succession(ledger, OTHER_ADULT, ADULT, "Folkeregisteret 2026/80",
                                                    false, ACTOR, &id) == CONSENT_RESULT_CONFLICT);
    CHECK(message_lacks(ADULT) && message_lacks(OTHER_ADULT));
    CHECK(id == NULL && consent_ledger_event_count(ledger) == before);
    CHECK(consent_ledger_record_identity_succession(ledger, OTHER_ADULT, ADULT, "Folkeregisteret 2026/80",
                                                    true, ACTOR, &id) == CONSENT_RESULT_OK);
    CHECK(id != NULL && consent_ledger_event_count(ledger) == before + 1);
    char *export_json = NULL;
    CHECK(consent_ledger_subject_export_as(ledger, OTHER_ADULT, ACTOR, LOOKUP, &export_json) == CONSENT_RESULT_OK);
    CHECK(export_json != NULL && strstr(export_json, first) != NULL && strstr(export_json, second) != NULL);
    CHECK(export_json != NULL && (strstr(export_json, "\"merge\": true") != NULL ||
                                  strstr(export_json, "\"merge\":true") != NULL));
    consent_string_free(export_json);
    consent_string_free(id);
    consent_string_free(first);
    consent_string_free(second);
    consent_ledger_free(ledger);
}

/* The value of "event_id" in the first task of a worklist (36 characters), or "" */
static void first_event_id(const char *json, char out[37]) {
    out[0] = '\0';
    const char *at = json == NULL ? NULL : strstr(json, "\"event_id\":\"");
    if (at != NULL && strlen(at) >= 12 + 36) {
        memcpy(out, at + 12, 36);
        out[36] = '\0';
    }
}

static void test_notifications(void) {
    const consent_ledger *ledger = NULL;
    CHECK(consent_ledger_open(":memory:", OPTIONS, &ledger) == CONSENT_RESULT_OK);
    char *grant_id = grant(ledger, ADULT);
    CHECK(consent_ledger_set_clock(ledger, T_MAR_1) == CONSENT_RESULT_OK);
    consent_decision *decision = NULL;
    CHECK(consent_ledger_record_disclosure(ledger, ADULT, "nav", "employment_followup", FINANCES, 1,
                                           T_MAR_1, ACTOR, &decision) == CONSENT_RESULT_OK);
    consent_decision_free(decision);

    char *json = NULL;
    CHECK(consent_ledger_notifications_due(ledger, T_MAR_3, &json) == CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);

    /* A rectification: NAV, which received the data, must be told (Art. 19). */
    char *record = NULL;
    CHECK(consent_ledger_rectify(ledger, ADULT, grant_id,
                                 "{\"field\": \"evidence_reference\", \"value\": \"2026/1235\"}",
                                 "typing error in the case number", ACTOR,
                                 &record) == CONSENT_RESULT_OK);
    consent_string_free(record);
    json = NULL;
    CHECK(consent_ledger_notifications_due(ledger, T_MAR_3, &json) == CONSENT_RESULT_OK);
    CHECK(json != NULL && strstr(json, "\"reason\":\"rectification\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"recipient\":\"nav\"") != NULL);
    CHECK(json != NULL && strstr(json, ADULT) == NULL);
    char event_id[37];
    first_event_id(json, event_id);
    CHECK(strlen(event_id) == 36);
    consent_string_free(json);
    /* Before the rectification it was not yet due. */
    json = NULL;
    CHECK(consent_ledger_notifications_due(ledger, T_MAR_1 - 1, &json) == CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);

    /* Bad input: its own code, nothing recorded, nothing written out. */
    json = NULL;
    uint64_t before = consent_ledger_event_count(ledger);
    CHECK(consent_ledger_notifications_due(NULL, T_MAR_3, &json) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_notifications_due(ledger, T_MAR_3, NULL) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_notifications_due(ledger, INT64_MAX, &json) == CONSENT_RESULT_INVALID_INPUT);
    char *done = NULL;
    CHECK(consent_ledger_record_notification(ledger, NULL, "nav", T_MAR_2, ACTOR, &done) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_record_notification(ledger, event_id, "nav", T_MAR_2, NULL, &done) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_record_notification(ledger, event_id, "nav", T_MAR_2, ACTOR, NULL) ==
          CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_record_notification(ledger, "not-a-uuid", "nav", T_MAR_2, ACTOR, &done) ==
          CONSENT_RESULT_INVALID_INPUT);
    CHECK(consent_ledger_record_notification(ledger, event_id, "no_such_recipient", T_MAR_2, ACTOR,
                                             &done) == CONSENT_RESULT_UNKNOWN_CODE);
    CHECK(consent_ledger_record_notification(ledger, event_id, "\xff", T_MAR_2, ACTOR, &done) ==
          CONSENT_RESULT_INVALID_UTF8);
    /* The person is not on this task (only NAV is), and another recipient is not either. */
    CHECK(consent_ledger_record_notification(ledger, event_id, NULL, T_MAR_2, ACTOR, &done) ==
          CONSENT_RESULT_NOT_FOUND);
    CHECK(consent_ledger_record_notification(ledger, event_id, "imdi", T_MAR_2, ACTOR, &done) ==
          CONSENT_RESULT_NOT_FOUND);
    CHECK(consent_ledger_record_notification(ledger, event_id, "nav", INT64_MIN, ACTOR, &done) ==
          CONSENT_RESULT_INVALID_INPUT);
    CHECK(done == NULL && json == NULL);
    CHECK(consent_ledger_event_count(ledger) == before);

    /* Marked done: the task leaves the worklist, and a second mark finds none. */
    CHECK(consent_ledger_record_notification(ledger, event_id, "nav", T_MAR_2, ACTOR, &done) ==
          CONSENT_RESULT_OK);
    CHECK(done != NULL && strlen(done) == 36);
    consent_string_free(done);
    CHECK(consent_ledger_event_count(ledger) == before + 1);
    json = NULL;
    CHECK(consent_ledger_notifications_due(ledger, T_MAR_3, &json) == CONSENT_RESULT_OK);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    consent_string_free(json);
    done = NULL;
    CHECK(consent_ledger_record_notification(ledger, event_id, "nav", T_MAR_2, ACTOR, &done) ==
          CONSENT_RESULT_NOT_FOUND);
    CHECK(done == NULL && consent_ledger_event_count(ledger) == before + 1);
    consent_string_free(grant_id);
    consent_ledger_free(ledger);
}

int main(void) {
    test_succession();
    test_merge();
    test_notifications();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
