/*
 * Security finding 5 through the C ABI: a ledger records the catalogue it is under; opening it
 * with another catalogue fails with CONFLICT until consent_ledger_adopt_catalogue records the
 * new one; bad input gets its own result code and records nothing.
 * Build: see scripts/test-c.sh (run from the repository root: it reads the default catalogue
 * and the 0.1 catalogue from the tree). Prints "N passed, M failed" as its last line.
 */
#define _POSIX_C_SOURCE 200809L
#include "consent.h"

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

#define DPO "{\"id\": \"personvernombud-1\", \"role\": \"dpo\"}"
#define DEFAULT_CATALOGUE "consent-core/src/catalogue/default.toml"
#define V0_1_CATALOGUE "consent-core/tests/fixtures/v0_1/catalogue.toml"

/* The whole file as a NUL-terminated string (NULL when it cannot be read). */
static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    char *text = NULL;
    long size = -1;
    if (fseek(file, 0, SEEK_END) == 0) size = ftell(file);
    if (size >= 0 && fseek(file, 0, SEEK_SET) == 0) {
        text = malloc((size_t)size + 1);
        if (text != NULL && fread(text, 1, (size_t)size, file) == (size_t)size) {
            text[size] = '\0';
        } else {
            free(text);
            text = NULL;
        }
    }
    fclose(file);
    return text;
}

int main(void) {
    char *current = read_file(DEFAULT_CATALOGUE);
    char *v0_1 = read_file(V0_1_CATALOGUE);
    if (current == NULL || v0_1 == NULL) {
        fprintf(stderr, "cannot read the catalogues (run from the repository root)\n");
        free(current);
        free(v0_1);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    /* The next catalogue: the default with another version (same length, codes kept). */
    char *next = strdup(current);
    char *version = next == NULL ? NULL : strstr(next, "version = \"2026-12-01\"");
    CHECK(version != NULL);
    if (version != NULL) memcpy(version, "version = \"2027-01-01\"", 22);

    const consent_ledger *ledger = NULL;
    CHECK(consent_ledger_open(":memory:", "{\"test_mode\": true, \"clock\": \"2026-01-05T10:00:00Z\"}",
                              &ledger) == CONSENT_RESULT_OK);
    /* Its first event records its catalogue. */
    CHECK(consent_ledger_event_count(ledger) == 1);

    /* Bad input: its own code, nothing recorded, no id written. */
    char *event_id = NULL;
    CHECK(consent_ledger_adopt_catalogue(NULL, next, DPO, &event_id) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_adopt_catalogue(ledger, NULL, DPO, &event_id) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_adopt_catalogue(ledger, next, NULL, &event_id) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_adopt_catalogue(ledger, next, DPO, NULL) == CONSENT_RESULT_NULL_ARGUMENT);
    CHECK(consent_ledger_adopt_catalogue(ledger, "version = [", DPO, &event_id) ==
          CONSENT_RESULT_INVALID_CATALOGUE);
    CHECK(consent_ledger_adopt_catalogue(ledger, next, "{\"id\": \"\"}", &event_id) ==
          CONSENT_RESULT_INVALID_INPUT);
    /* 0.1's catalogue lacks categories of the one in force: codes are never removed. */
    CHECK(consent_ledger_adopt_catalogue(ledger, v0_1, DPO, &event_id) == CONSENT_RESULT_INVALID_INPUT);
    char message[512];
    consent_last_error_message(message, sizeof message);
    CHECK(strstr(message, "missing") != NULL);
    /* The catalogue in force already. */
    CHECK(consent_ledger_adopt_catalogue(ledger, current, DPO, &event_id) == CONSENT_RESULT_CONFLICT);
    CHECK(event_id == NULL);
    CHECK(consent_ledger_event_count(ledger) == 1);

    CHECK(consent_ledger_adopt_catalogue(ledger, next, DPO, &event_id) == CONSENT_RESULT_OK);
    CHECK(event_id != NULL && strlen(event_id) == 36);
    consent_string_free(event_id);
    CHECK(consent_ledger_event_count(ledger) == 2);
    consent_ledger_free(ledger);

    /* A file ledger: reopening with another catalogue fails until it is adopted. */
    char dir[] = "/tmp/consent-catalogue-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], key[256], lock[256], options[512];
    snprintf(path, sizeof path, "%s/consent.db", dir);
    snprintf(key, sizeof key, "%s/consent.db.key", dir);
    snprintf(lock, sizeof lock, "%s/consent.db.lock", dir);
    CHECK(consent_ledger_open(path, NULL, &ledger) == CONSENT_RESULT_OK);
    consent_ledger_free(ledger);
    char *next_file_path = NULL;
    char next_path[256];
    snprintf(next_path, sizeof next_path, "%s/next.toml", dir);
    FILE *file = fopen(next_path, "wb");
    CHECK(file != NULL);
    if (file != NULL) {
        fputs(next, file);
        fclose(file);
        next_file_path = next_path;
    }
    snprintf(options, sizeof options, "{\"catalogue_file\": \"%s\"}", next_path);
    ledger = NULL;
    CHECK(consent_ledger_open(path, options, &ledger) == CONSENT_RESULT_CONFLICT);
    CHECK(ledger == NULL);
    consent_last_error_message(message, sizeof message);
    CHECK(strstr(message, "consent_ledger_adopt_catalogue") != NULL);
    /* Opened under the catalogue in force, it adopts the new one; then the new one opens it. */
    CHECK(consent_ledger_open(path, NULL, &ledger) == CONSENT_RESULT_OK);
    event_id = NULL;
    CHECK(consent_ledger_adopt_catalogue(ledger, next, DPO, &event_id) == CONSENT_RESULT_OK);
    consent_string_free(event_id);
    consent_ledger_free(ledger);
    ledger = NULL;
    CHECK(consent_ledger_open(path, options, &ledger) == CONSENT_RESULT_OK);
    CHECK(consent_ledger_event_count(ledger) == 2);
    consent_ledger_free(ledger);
    /* Without a catalogue, the ledger opens under the one in force: the adopted one. */
    ledger = NULL;
    CHECK(consent_ledger_open(path, NULL, &ledger) == CONSENT_RESULT_OK);
    CHECK(ledger != NULL && consent_ledger_event_count(ledger) == 2);
    consent_ledger_free(ledger);

    if (next_file_path != NULL) remove(next_file_path);
    remove(path);
    remove(key);
    remove(lock);
    rmdir(dir);
    free(next);
    free(current);
    free(v0_1);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
