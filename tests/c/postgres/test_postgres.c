/*
 * The C ABI on a PostgreSQL ledger: consent_ledger_open with a postgresql:// URL (two handles,
 * standing in for two hosts), decisions that see the other handle's writes, one withdrawal of
 * a grant withdrawn twice, and the errors of a wrong key, a wrong password and a bad URL.
 * Needs CONSENT_TEST_POSTGRES_URL (scripts/test-postgres.sh starts a private cluster and runs
 * this). Prints "N passed, M failed" as its last line.
 */
#include "consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

static const char *ACTOR = "{\"id\": \"saksbehandler-17\", \"role\": \"case_worker\"}";
static const char *KEY = "{\"key_hex\": \"0707070707070707070707070707070707070707070707070707070707070707\"}";
static const char *OTHER_KEY = "{\"key_hex\": \"0808080808080808080808080808080808080808080808080808080808080808\"}";

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the example grant's disclosure is permitted now; -1 on error. */
static int permits(const consent_ledger *ledger) {
    const char *categories[] = {"finances"};
    consent_decision *decision = NULL;
    if (consent_ledger_decide(ledger, "15038510190", "nav", "employment_followup", categories, 1,
                              now_ms(), &decision) != CONSENT_RESULT_OK) {
        return -1;
    }
    int permitted = consent_decision_permitted(decision) ? 1 : 0;
    consent_decision_free(decision);
    return permitted;
}

/* The password of a postgresql://user:password@host URL, into buf (empty when none). */
static void password_of(const char *url, char *buf, size_t len) {
    buf[0] = '\0';
    const char *start = strstr(url, "://");
    const char *at = strchr(url, '@');
    if (start == NULL || at == NULL) return;
    const char *colon = memchr(start + 3, ':', (size_t)(at - start - 3));
    if (colon == NULL) return;
    size_t n = (size_t)(at - colon - 1);
    if (n >= len) n = len - 1;
    memcpy(buf, colon + 1, n);
    buf[n] = '\0';
}

int main(void) {
    const char *server = getenv("CONSENT_TEST_POSTGRES_URL");
    if (server == NULL || server[0] == '\0') {
        fprintf(stderr, "CONSENT_TEST_POSTGRES_URL is not set: run scripts/test-postgres.sh\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    char url[1024];
    snprintf(url, sizeof url, "%s%cschema=c_%ld_%ld", server, strchr(server, '?') ? '&' : '?',
             (long)getpid(), (long)time(NULL));
    char password[256];
    password_of(server, password, sizeof password);

    const consent_ledger *a = NULL;
    const consent_ledger *b = NULL;
    CHECK_RC(consent_ledger_open(url, KEY, &a), CONSENT_RESULT_OK);
    CHECK_RC(consent_ledger_open(url, KEY, &b), CONSENT_RESULT_OK);
    if (a == NULL || b == NULL) {
        consent_ledger_free(a);
        consent_ledger_free(b);
        printf("%d passed, %d failed\n", passed, failed + 1);
        return 1;
    }

    char grant[1024];
    time_t yesterday = time(NULL) - 86400;
    struct tm tm;
    gmtime_r(&yesterday, &tm);
    char from[32];
    strftime(from, sizeof from, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(grant, sizeof grant,
             "{\"subject\": \"15038510190\", \"grantor\": {\"role\": \"self\"},"
             " \"purposes\": [\"employment_followup\"], \"recipients\": [\"nav\"],"
             " \"categories\": [\"finances\"], \"explicit\": false, \"valid_from\": \"%s\","
             " \"evidence\": {\"method\": \"signed_paper\", \"reference\": \"2026/1234\","
             " \"language\": \"ar\", \"interpreter\": true},"
             " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}",
             from);
    char *grant_id = NULL;
    CHECK(permits(b) == 0);
    CHECK_RC(consent_ledger_grant(a, grant, ACTOR, &grant_id), CONSENT_RESULT_OK);
    /* B's next decision checks the database's head and sees A's grant. */
    CHECK(permits(b) == 1);
    if (grant_id != NULL) {
        CHECK_RC(consent_ledger_withdraw(b, grant_id, now_ms(), ACTOR, NULL), CONSENT_RESULT_OK);
        /* A's view was older: its write catches up under the lock and finds it withdrawn. */
        CHECK_RC(consent_ledger_withdraw(a, grant_id, now_ms(), ACTOR, NULL),
                 CONSENT_RESULT_CONFLICT);
        consent_string_free(grant_id);
    }
    CHECK(permits(a) == 0);
    CHECK(permits(b) == 0);
    consent_ledger_free(a);
    consent_ledger_free(b);

    /* Another key than the ledger's. */
    const consent_ledger *c = NULL;
    CHECK_RC(consent_ledger_open(url, OTHER_KEY, &c), CONSENT_RESULT_KEY_MISMATCH);
    CHECK(c == NULL);

    /* A wrong password: STORAGE, and neither password in the message. */
    char wrong[1024];
    char needle[300];
    snprintf(needle, sizeof needle, ":%s@", password);
    const char *pos = strstr(url, needle);
    CHECK(pos != NULL && password[0] != '\0');
    if (pos != NULL) {
        snprintf(wrong, sizeof wrong, "%.*s:Wr0ng-Secret@%s", (int)(pos - url), url,
                 pos + strlen(needle));
        CHECK_RC(consent_ledger_open(wrong, KEY, &c), CONSENT_RESULT_STORAGE);
        char msg[1024];
        consent_last_error_message(msg, sizeof msg);
        CHECK(strstr(msg, "Wr0ng-Secret") == NULL);
        CHECK(strstr(msg, password) == NULL);
    }
    /* A malformed URL and a server that is not there: STORAGE, no password. */
    char bad[512];
    snprintf(bad, sizeof bad, "postgresql://consent_test:%s@127.0.0.1:notaport/db", password);
    CHECK_RC(consent_ledger_open(bad, KEY, &c), CONSENT_RESULT_STORAGE);
    char msg[1024];
    consent_last_error_message(msg, sizeof msg);
    CHECK(strstr(msg, password) == NULL);
    snprintf(bad, sizeof bad, "postgresql://consent_test:%s@127.0.0.1:1/db", password);
    CHECK_RC(consent_ledger_open(bad, KEY, &c), CONSENT_RESULT_STORAGE);
    consent_last_error_message(msg, sizeof msg);
    CHECK(strstr(msg, password) == NULL);
    /* No key: the host must supply it. */
    CHECK_RC(consent_ledger_open(url, NULL, &c), CONSENT_RESULT_INVALID_INPUT);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
