/*
 * Times consent_ledger_decide through the C ABI on the ledger that
 * `native_baseline fixture` wrote, drawing subjects exactly as `native_baseline time` does
 * (SplitMix64, seed 42 for the statute path and 43 for the consent path), so the two numbers
 * compare the same decisions. Each call includes consent_decision_permitted and
 * consent_decision_free, as a C caller needs them. Then the same decisions through
 * consent_ledger_permits, the call for a caller that needs only the verdict, and both again
 * through a prepared request (consent_request_decide, consent_request_permits: recipient,
 * purpose and categories checked once, each call passing the subject and the instant).
 *
 *   decide_bench DB DECISIONS      (DB.ids holds the national ids, one a line)
 *
 * Times chunks of 1,000 calls and prints the median chunk's time per call (robust against the
 * time slices other processes take on a shared machine) and the plain mean:
 * "BENCH-RESULT c_statute_ns=... c_statute_mean_ns=... c_consent_ns=... ...", and the same
 * with `_permits` after the kind for consent_ledger_permits, `_prepared` for
 * consent_request_decide and `_prepared_permits` for consent_request_permits.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consent.h"

static uint64_t rng_state;

static uint64_t next_u64(void) {
    rng_state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = rng_state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static size_t below(size_t n) {
    __extension__ typedef unsigned __int128 u128;
    return (size_t)(((u128)next_u64() * (u128)n) >> 64);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* 2026-06-01T12:00:00Z, the instant every benchmarked decision is made at. */
static const int64_t AT_MS = 1780315200000LL;

#define CHUNK 1000

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* What a timed call is. */
enum mode { DECIDE, PERMITS, PREPARED_DECIDE, PREPARED_PERMITS };

/* Returns the median chunk's ns per call; writes the mean to *mean. DECIDE times
 * consent_ledger_decide + permitted + free, PERMITS consent_ledger_permits, and the PREPARED
 * modes the same through a request prepared once, before the timing. */
static double time_kind(const struct consent_ledger *ledger, char **ids, size_t n_ids,
                        size_t n, uint64_t seed, const char *recipient, const char *purpose,
                        const char *const categories[3], enum mode mode, size_t *permitted,
                        double *mean) {
    struct consent_request *request = NULL;
    if ((mode == PREPARED_DECIDE || mode == PREPARED_PERMITS) &&
        consent_request_prepare(ledger, recipient, purpose, categories, 3, &request) !=
            CONSENT_RESULT_OK) {
        return -1.0;
    }
    const char **subjects = malloc(n * sizeof *subjects);
    if (subjects == NULL) {
        consent_request_free(request);
        return -1.0;
    }
    rng_state = seed;
    for (size_t i = 0; i < n; i++) {
        subjects[i] = ids[below(n_ids)];
    }
    size_t n_chunks = (n + CHUNK - 1) / CHUNK;
    double *chunks = malloc((n_chunks ? n_chunks : 1) * sizeof *chunks);
    if (chunks == NULL) {
        free(subjects);
        consent_request_free(request);
        return -1.0;
    }
    *permitted = 0;
    double total = 0.0;
    for (size_t c = 0; c < n_chunks; c++) {
        size_t from = c * CHUNK, to = from + CHUNK < n ? from + CHUNK : n;
        double start = now_ns();
        for (size_t i = from; i < to && mode == PERMITS; i++) {
            bool verdict = false;
            if (consent_ledger_permits(ledger, subjects[i], recipient, purpose, categories, 3,
                                       AT_MS, &verdict) == CONSENT_RESULT_OK &&
                verdict) {
                (*permitted)++;
            }
        }
        for (size_t i = from; i < to && mode == PREPARED_PERMITS; i++) {
            bool verdict = false;
            if (consent_request_permits(request, subjects[i], AT_MS, &verdict) ==
                    CONSENT_RESULT_OK &&
                verdict) {
                (*permitted)++;
            }
        }
        for (size_t i = from; i < to && mode == PREPARED_DECIDE; i++) {
            struct consent_decision *decision = NULL;
            if (consent_request_decide(request, subjects[i], AT_MS, &decision) ==
                CONSENT_RESULT_OK) {
                if (consent_decision_permitted(decision)) {
                    (*permitted)++;
                }
                consent_decision_free(decision);
            }
        }
        for (size_t i = from; i < to && mode == DECIDE; i++) {
            struct consent_decision *decision = NULL;
            if (consent_ledger_decide(ledger, subjects[i], recipient, purpose, categories, 3,
                                      AT_MS, &decision) == CONSENT_RESULT_OK) {
                if (consent_decision_permitted(decision)) {
                    (*permitted)++;
                }
                consent_decision_free(decision);
            }
        }
        double elapsed = now_ns() - start;
        total += elapsed;
        chunks[c] = elapsed / (double)(to - from);
    }
    qsort(chunks, n_chunks, sizeof *chunks, compare_doubles);
    double median = n_chunks ? chunks[n_chunks / 2] : 0.0;
    *mean = total / (double)(n ? n : 1);
    free(chunks);
    free(subjects);
    consent_request_free(request);
    return median;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DB [DECISIONS]\n", argv[0]);
        return 2;
    }
    size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 200000;
    char ids_path[4096];
    snprintf(ids_path, sizeof ids_path, "%s.ids", argv[1]);
    FILE *f = fopen(ids_path, "r");
    if (f == NULL) {
        perror(ids_path);
        return 1;
    }
    size_t cap = 1024, n_ids = 0;
    char **ids = malloc(cap * sizeof *ids);
    char line[64];
    while (ids != NULL && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') {
            continue;
        }
        if (n_ids == cap) {
            cap *= 2;
            char **grown = realloc(ids, cap * sizeof *ids);
            if (grown == NULL) {
                break;
            }
            ids = grown;
        }
        ids[n_ids++] = strdup(line);
    }
    fclose(f);
    if (ids == NULL || n_ids == 0) {
        fprintf(stderr, "no ids in %s\n", ids_path);
        return 1;
    }

    const struct consent_ledger *ledger = NULL;
    consent_result rc = consent_ledger_open(argv[1], NULL, &ledger);
    if (rc != CONSENT_RESULT_OK) {
        char message[512];
        consent_last_error_message(message, sizeof message);
        fprintf(stderr, "open: %s: %s\n", consent_result_str(rc), message);
        return 1;
    }

    static const char *const statute[3] = {"name", "national_id", "education"};
    static const char *const consent[3] = {"name", "address", "family"};
    size_t permitted_statute = 0, permitted_consent = 0;
    double statute_mean = 0.0, consent_mean = 0.0;
    double statute_ns = time_kind(ledger, ids, n_ids, n, 42, "nir", "nir_registration", statute,
                                  DECIDE, &permitted_statute, &statute_mean);
    double consent_ns = time_kind(ledger, ids, n_ids, n, 43, "helsetjenesten",
                                  "health_coordination", consent, DECIDE, &permitted_consent,
                                  &consent_mean);
    size_t verdict_statute = 0, verdict_consent = 0;
    double statute_v_mean = 0.0, consent_v_mean = 0.0;
    double statute_v_ns = time_kind(ledger, ids, n_ids, n, 42, "nir", "nir_registration",
                                    statute, PERMITS, &verdict_statute, &statute_v_mean);
    double consent_v_ns = time_kind(ledger, ids, n_ids, n, 43, "helsetjenesten",
                                    "health_coordination", consent, PERMITS, &verdict_consent,
                                    &consent_v_mean);
    size_t prepared_statute = 0, prepared_consent = 0, prepared_v_statute = 0,
           prepared_v_consent = 0;
    double statute_p_mean = 0.0, consent_p_mean = 0.0, statute_pv_mean = 0.0,
           consent_pv_mean = 0.0;
    double statute_p_ns = time_kind(ledger, ids, n_ids, n, 42, "nir", "nir_registration",
                                    statute, PREPARED_DECIDE, &prepared_statute, &statute_p_mean);
    double consent_p_ns = time_kind(ledger, ids, n_ids, n, 43, "helsetjenesten",
                                    "health_coordination", consent, PREPARED_DECIDE,
                                    &prepared_consent, &consent_p_mean);
    double statute_pv_ns = time_kind(ledger, ids, n_ids, n, 42, "nir", "nir_registration",
                                     statute, PREPARED_PERMITS, &prepared_v_statute,
                                     &statute_pv_mean);
    double consent_pv_ns = time_kind(ledger, ids, n_ids, n, 43, "helsetjenesten",
                                     "health_coordination", consent, PREPARED_PERMITS,
                                     &prepared_v_consent, &consent_pv_mean);
    if (verdict_statute != permitted_statute || verdict_consent != permitted_consent) {
        fprintf(stderr, "consent_ledger_permits disagrees with consent_ledger_decide\n");
        return 1;
    }
    if (prepared_statute != permitted_statute || prepared_consent != permitted_consent ||
        prepared_v_statute != permitted_statute || prepared_v_consent != permitted_consent ||
        statute_p_ns < 0 || consent_p_ns < 0 || statute_pv_ns < 0 || consent_pv_ns < 0) {
        fprintf(stderr, "a prepared request disagrees with consent_ledger_decide\n");
        return 1;
    }
    printf("BENCH-RESULT c_statute_ns=%.1f c_statute_mean_ns=%.1f c_consent_ns=%.1f "
           "c_consent_mean_ns=%.1f c_statute_permits_ns=%.1f c_statute_permits_mean_ns=%.1f "
           "c_consent_permits_ns=%.1f c_consent_permits_mean_ns=%.1f permitted=%zu,%zu/%zu\n",
           statute_ns, statute_mean, consent_ns, consent_mean, statute_v_ns, statute_v_mean,
           consent_v_ns, consent_v_mean, permitted_statute, permitted_consent, n);
    printf("BENCH-RESULT c_statute_prepared_ns=%.1f c_statute_prepared_mean_ns=%.1f "
           "c_consent_prepared_ns=%.1f c_consent_prepared_mean_ns=%.1f "
           "c_statute_prepared_permits_ns=%.1f c_statute_prepared_permits_mean_ns=%.1f "
           "c_consent_prepared_permits_ns=%.1f c_consent_prepared_permits_mean_ns=%.1f\n",
           statute_p_ns, statute_p_mean, consent_p_ns, consent_p_mean, statute_pv_ns,
           statute_pv_mean, consent_pv_ns, consent_pv_mean);

    consent_ledger_free(ledger);
    for (size_t i = 0; i < n_ids; i++) {
        free(ids[i]);
    }
    free(ids);
    return 0;
}
