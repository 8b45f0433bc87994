/*
 * Signed actors through the C ABI (issue 17 item 3): a ledger opened with an "actor_trust"
 * takes {"token": "<JWT>"} wherever it takes an actor, verifies it at the call's instant and
 * stores the claims' actor with its issuer; expired, foreign and unknown tokens are refused
 * with nothing recorded; require_signed_actors refuses plain actors; statistics take an actor.
 * The keys and tokens are made by tests/shared/signed_actors.py (openssl) into the directory
 * $CONSENT_SIGNED_ACTORS, which scripts/test-c.sh sets. Prints "N passed, M failed" last.
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
#define ISSUER "https://login.melhus.kommune.no"
#define CASE_WORKER "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}"
#define AUDITOR "{\"id\": \"revisor-1\", \"role\": \"auditor\"}"
#define GRANT                                                                          \
    "{\"subject\": \"15038510190\", \"grantor\": {\"role\": \"self\"}, "               \
    "\"purposes\": [\"employment_followup\"], \"recipients\": [\"nav\"], "             \
    "\"categories\": [\"finances\"], \"explicit\": false, "                            \
    "\"valid_from\": \"2026-03-01T09:00:00Z\", \"valid_until\": null, "                \
    "\"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\", "      \
    "\"language\": \"ar\", \"interpreter\": true}, "                                   \
    "\"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}"

static char dir[1024];

/* The whole of DIR/name, NUL-terminated; the caller frees it. Exits when it cannot. */
static char *read_fixture(const char *name) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    char *text = calloc(32768, 1);
    if (text == NULL) exit(1);
    size_t n = fread(text, 1, 32767, f);
    fclose(f);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) text[--n] = '\0';
    return text;
}

/* {"token": "<DIR/name.jwt>"}; the caller frees it. */
static char *token_actor(const char *name) {
    char file[128];
    snprintf(file, sizeof file, "%s.jwt", name);
    char *token = read_fixture(file);
    size_t len = strlen(token) + 32;
    char *json = malloc(len);
    if (json == NULL) exit(1);
    snprintf(json, len, "{\"token\": \"%s\"}", token);
    free(token);
    return json;
}

static const consent_ledger *open_with(int trusted, const char *catalogue_file) {
    char *trust = read_fixture("trust.json");
    char options[4096];
    int n = snprintf(options, sizeof options,
                     "{\"test_mode\": true, \"clock\": \"2026-03-01T10:00:00Z\"%s%s%s%s%s}",
                     trusted ? ", \"actor_trust\": " : "", trusted ? trust : "",
                     catalogue_file ? ", \"catalogue_file\": \"" : "",
                     catalogue_file ? catalogue_file : "", catalogue_file ? "\"" : "");
    free(trust);
    if (n < 0 || (size_t)n >= sizeof options) exit(1);
    const consent_ledger *ledger = NULL;
    if (consent_ledger_open(":memory:", options, &ledger) != CONSENT_RESULT_OK) {
        char message[512];
        consent_last_error_message(message, sizeof message);
        fprintf(stderr, "cannot open a ledger: %s\n", message);
        exit(1);
    }
    return ledger;
}

static int message_has(const char *needle) {
    char message[1024];
    consent_last_error_message(message, sizeof message);
    return strstr(message, needle) != NULL;
}

/* No part of the token (the text after "{\"token\": \"") is in the last error message. */
static int message_hides(const char *actor) {
    char message[1024];
    consent_last_error_message(message, sizeof message);
    const char *token = strchr(actor + 2, '"');
    token = token ? strchr(token + 1, '"') : NULL;
    if (token == NULL) return 0;
    char part[24];
    memcpy(part, token + 1, sizeof part - 1);
    part[sizeof part - 1] = '\0';
    return strstr(message, part) == NULL;
}

static void test_a_valid_token_acts_and_its_actor_is_stored(void) {
    const consent_ledger *ledger = open_with(1, NULL);
    char *actor = token_actor("case_worker");
    char *grant_id = NULL;
    CHECK(consent_ledger_grant(ledger, GRANT, actor, &grant_id) == CONSENT_RESULT_OK);
    CHECK(grant_id != NULL);
    consent_string_free(grant_id);
    char *events = NULL;
    CHECK(consent_ledger_subject_events(ledger, ADULT, actor, "sak 2026/55", &events) ==
          CONSENT_RESULT_OK);
    CHECK(events != NULL && strstr(events, "\"kind\":\"grant_recorded\"") != NULL);
    CHECK(events != NULL && strstr(events, "\"id\":\"saksbehandler-17\",\"role\":\"case_worker\","
                                           "\"issuer\":\"" ISSUER "\"") != NULL);
    /* The token is never stored: its signature is in no event. */
    const char *signature = strrchr(actor, '.');
    char tail[24] = {0};
    if (signature != NULL) memcpy(tail, signature + 1, sizeof tail - 1);
    CHECK(events != NULL && strstr(events, tail) == NULL);
    consent_string_free(events);
    free(actor);
    consent_ledger_free(ledger);
}

static void test_bad_tokens_are_refused_and_nothing_changes(void) {
    const consent_ledger *ledger = open_with(1, NULL);
    const struct {
        const char *name;
        consent_result expected;
        const char *needle;
    } cases[] = {
        {"expired", CONSENT_RESULT_NOT_PERMITTED, "expired"},
        {"wrong_issuer", CONSENT_RESULT_NOT_PERMITTED, "another issuer"},
        {"wrong_key", CONSENT_RESULT_NOT_PERMITTED, "does not verify"},
        {"unknown_role", CONSENT_RESULT_UNKNOWN_CODE, "`janitor`"},
        {"auditor", CONSENT_RESULT_NOT_PERMITTED, "may not perform `grant`"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t before = consent_ledger_event_count(ledger);
        char *actor = token_actor(cases[i].name);
        char *grant_id = NULL;
        consent_result rc = consent_ledger_grant(ledger, GRANT, actor, &grant_id);
        CHECK(rc == cases[i].expected);
        if (rc != cases[i].expected) fprintf(stderr, "  token %s: %u\n", cases[i].name, rc);
        CHECK(grant_id == NULL);
        CHECK(message_has(cases[i].needle));
        CHECK(message_hides(actor));
        CHECK(consent_ledger_event_count(ledger) == before);
        free(actor);
    }
    /* Malformed actor JSON: both shapes at once, an empty token. */
    char *grant_id = NULL;
    CHECK(consent_ledger_grant(ledger, GRANT,
                               "{\"id\": \"x\", \"role\": \"case_worker\", \"token\": \"a.b.c\"}",
                               &grant_id) == CONSENT_RESULT_INVALID_INPUT);
    CHECK(consent_ledger_grant(ledger, GRANT, "{\"token\": \"\"}", &grant_id) ==
          CONSENT_RESULT_INVALID_INPUT);
    CHECK(grant_id == NULL);
    consent_ledger_free(ledger);

    /* A ledger opened without an actor trust cannot check a token. */
    const consent_ledger *untrusting = open_with(0, NULL);
    uint64_t before = consent_ledger_event_count(untrusting);
    char *actor = token_actor("case_worker");
    CHECK(consent_ledger_grant(untrusting, GRANT, actor, &grant_id) ==
          CONSENT_RESULT_NOT_PERMITTED);
    CHECK(message_has("without an actor trust"));
    CHECK(message_hides(actor));
    CHECK(consent_ledger_event_count(untrusting) == before);
    free(actor);
    consent_ledger_free(untrusting);

    /* A bad actor_trust in the options: a missing JWKS file. */
    const consent_ledger *never = NULL;
    CHECK(consent_ledger_open(":memory:",
                              "{\"actor_trust\": {\"issuer\": \"" ISSUER "\", "
                              "\"jwks_file\": \"/nonexistent/jwks.json\"}}",
                              &never) == CONSENT_RESULT_STORAGE);
    CHECK(never == NULL);
    CHECK(consent_ledger_open(":memory:", "{\"actor_trust\": {\"issuer\": \"" ISSUER "\"}}",
                              &never) == CONSENT_RESULT_INVALID_INPUT);
    CHECK(never == NULL);
}

static void test_require_signed_actors_refuses_plain_actors(void) {
    char catalogue[1200];
    snprintf(catalogue, sizeof catalogue, "%s/require_signed.toml", dir);
    const consent_ledger *ledger = open_with(1, catalogue);
    uint64_t before = consent_ledger_event_count(ledger);
    char *grant_id = NULL;
    CHECK(consent_ledger_grant(ledger, GRANT, CASE_WORKER, &grant_id) ==
          CONSENT_RESULT_NOT_PERMITTED);
    CHECK(message_has("require_signed_actors"));
    char *json = NULL;
    CHECK(consent_ledger_statistics_as(ledger, NULL, AUDITOR, &json) == CONSENT_RESULT_NOT_PERMITTED);
    CHECK(json == NULL);
    CHECK(consent_ledger_event_count(ledger) == before);
    char *actor = token_actor("case_worker");
    CHECK(consent_ledger_grant(ledger, GRANT, actor, &grant_id) == CONSENT_RESULT_OK);
    consent_string_free(grant_id);
    CHECK(consent_ledger_event_count(ledger) == before + 1);
    free(actor);
    char *auditor = token_actor("auditor");
    CHECK(consent_ledger_statistics_as(ledger, NULL, auditor, &json) == CONSENT_RESULT_OK);
    consent_string_free(json);
    free(auditor);
    consent_ledger_free(ledger);
}

static void test_statistics_take_an_actor(void) {
    const consent_ledger *ledger = open_with(1, NULL);
    char *json = NULL;
    CHECK(consent_ledger_statistics_as(ledger, NULL, CASE_WORKER, &json) ==
          CONSENT_RESULT_NOT_PERMITTED);
    CHECK(message_has("`case_worker`") && message_has("`statistics`"));
    CHECK(json == NULL);
    CHECK(consent_ledger_statistics_as(ledger, NULL, NULL, &json) == CONSENT_RESULT_NULL_ARGUMENT);
    /* The retired call without an actor refuses, and writes nothing. */
    CHECK(consent_ledger_statistics(ledger, NULL, &json) == CONSENT_RESULT_NOT_PERMITTED);
    CHECK(message_has("consent_ledger_statistics_as"));
    CHECK(json == NULL);
    CHECK(consent_ledger_statistics_as(ledger, NULL, AUDITOR, &json) == CONSENT_RESULT_OK);
    CHECK(json != NULL && strstr(json, "\"min_cell\"") != NULL);
    consent_string_free(json);
    json = NULL;
    char *auditor = token_actor("auditor");
    CHECK(consent_ledger_statistics_as(ledger, NULL, auditor, &json) == CONSENT_RESULT_OK);
    consent_string_free(json);
    free(auditor);
    consent_ledger_free(ledger);
}

int main(void) {
    const char *env = getenv("CONSENT_SIGNED_ACTORS");
    if (env == NULL || strlen(env) >= sizeof dir) {
        fprintf(stderr, "CONSENT_SIGNED_ACTORS must name the directory of "
                        "tests/shared/signed_actors.py (scripts/test-c.sh sets it)\n");
        return 1;
    }
    strcpy(dir, env);
    test_a_valid_token_acts_and_its_actor_is_stored();
    test_bad_tokens_are_refused_and_nothing_changes();
    test_require_signed_actors_refuses_plain_actors();
    test_statistics_take_an_actor();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
