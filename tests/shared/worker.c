/*
 * One of the processes of tests/shared/four_kinds.py: two threads on one shared ledger file,
 * each writing (a grant, then its withdrawal, in turn) and deciding, through the C ABI.
 *
 *   worker DB SUBJECTS_FILE TAG WRITES_PER_THREAD DECISIONS_PER_THREAD
 *
 * Prints `ready` once open and starts on a `go` line; then `ack grant|withdraw ID UNIX_MS` after each acknowledged write, `done W D` when both
 * threads are through, then for each `report AT_MS` line on standard input `view AS_OF BITS`:
 * the decision for every subject at AT_MS (1 permitted, 0 denied) and the ledger position it
 * was made at. Exits 1 on any error or when a thread's decisions went back in the log.
 */
#include "consent.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SUBJECTS 256

static const consent_ledger *ledger;
static char subjects[MAX_SUBJECTS][16];
static size_t n_subjects;
static const char *tag;
static long writes_per_thread;
static long decisions_per_thread;
static pthread_mutex_t out = PTHREAD_MUTEX_INITIALIZER;
static const char *ACTOR = "{\"id\": \"c-worker\", \"role\": \"case_worker\"}";
static const char *CATEGORIES[] = {"finances"};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fail(const char *what, consent_result rc) {
    char message[512];
    consent_last_error_message(message, sizeof message);
    fprintf(stderr, "c worker: %s: %s (%s)\n", what, consent_result_str(rc), message);
    exit(1);
}

static void ack(const char *kind, const char *id) {
    pthread_mutex_lock(&out);
    printf("ack %s %s %lld\n", kind, id, (long long)now_ms());
    fflush(stdout);
    pthread_mutex_unlock(&out);
}

/* A decision for `subject` now; fails the worker on an error or a position behind `*last`. */
static void decide(const char *subject, uint64_t *last) {
    consent_decision *decision = NULL;
    consent_result rc = consent_ledger_decide(ledger, subject, "nav", "employment_followup",
                                              CATEGORIES, 1, now_ms(), &decision);
    if (rc != CONSENT_RESULT_OK) {
        fail("decide", rc);
    }
    uint64_t seq = consent_decision_as_of_seq(decision);
    consent_decision_free(decision);
    if (seq < *last) {
        fprintf(stderr, "c worker: a decision at seq %llu after one at %llu\n",
                (unsigned long long)seq, (unsigned long long)*last);
        exit(1);
    }
    *last = seq;
}

struct thread_arg {
    unsigned seed;
    int index;
};

static void *run(void *p) {
    struct thread_arg *arg = p;
    uint64_t last = 0;
    char *granted = NULL;
    long per_write = writes_per_thread > 0 ? decisions_per_thread / writes_per_thread : 0;
    long decided = 0;
    for (long i = 0; i < writes_per_thread; i++) {
        const char *subject = subjects[(size_t)rand_r(&arg->seed) % n_subjects];
        if (granted == NULL) {
            char json[1024];
            time_t from = time(NULL) - 60;
            struct tm tm;
            char valid_from[32];
            gmtime_r(&from, &tm);
            strftime(valid_from, sizeof valid_from, "%Y-%m-%dT%H:%M:%SZ", &tm);
            snprintf(json, sizeof json,
                     "{\"subject\": \"%s\", \"grantor\": {\"role\": \"self\"},"
                     " \"purposes\": [\"employment_followup\"], \"recipients\": [\"nav\"],"
                     " \"categories\": [\"finances\"], \"explicit\": false,"
                     " \"valid_from\": \"%s\", \"evidence\": {\"method\": \"signed_paper\","
                     " \"reference\": \"%s-%d-%ld\", \"language\": \"ar\", \"interpreter\": true},"
                     " \"notice\": {\"id\": \"bosetting-personvern\", \"version\": \"2024-10-16\"}}",
                     subject, valid_from, tag, arg->index, i);
            consent_result rc = consent_ledger_grant(ledger, json, ACTOR, &granted);
            if (rc != CONSENT_RESULT_OK) {
                fail("grant", rc);
            }
            ack("grant", granted);
        } else {
            consent_result rc = consent_ledger_withdraw(ledger, granted, now_ms(), ACTOR, NULL);
            if (rc != CONSENT_RESULT_OK) {
                fail("withdraw", rc);
            }
            ack("withdraw", granted);
            consent_string_free(granted);
            granted = NULL;
        }
        for (long d = 0; d < per_write; d++, decided++) {
            decide(subjects[(size_t)rand_r(&arg->seed) % n_subjects], &last);
        }
    }
    for (; decided < decisions_per_thread; decided++) {
        decide(subjects[(size_t)rand_r(&arg->seed) % n_subjects], &last);
    }
    consent_string_free(granted);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: worker DB SUBJECTS_FILE TAG WRITES DECISIONS\n");
        return 2;
    }
    tag = argv[3];
    writes_per_thread = atol(argv[4]);
    decisions_per_thread = atol(argv[5]);
    FILE *file = fopen(argv[2], "r");
    if (file == NULL) {
        perror("subjects file");
        return 2;
    }
    while (n_subjects < MAX_SUBJECTS && fgets(subjects[n_subjects], 16, file) != NULL) {
        subjects[n_subjects][strcspn(subjects[n_subjects], "\r\n")] = '\0';
        if (subjects[n_subjects][0] != '\0') {
            n_subjects++;
        }
    }
    fclose(file);
    if (n_subjects == 0) {
        fprintf(stderr, "c worker: no subjects\n");
        return 2;
    }
    /* A PostgreSQL ledger's key comes from the host: a key file named in the environment. */
    char options[1024];
    const char *key_file = getenv("CONSENT_WORKER_KEY_FILE");
    if (key_file != NULL &&
        (strpbrk(key_file, "\"\\") != NULL ||
         snprintf(options, sizeof options, "{\"key_file\": \"%s\"}", key_file) >= (int)sizeof options)) {
        fprintf(stderr, "c worker: CONSENT_WORKER_KEY_FILE cannot be put in JSON as it is\n");
        return 2;
    }
    consent_result rc = consent_ledger_open(argv[1], key_file != NULL ? options : NULL, &ledger);
    if (rc != CONSENT_RESULT_OK) {
        fail("open", rc);
    }
    /* Opened: wait for the driver's `go`, which every worker gets at once. */
    printf("ready\n");
    fflush(stdout);
    char go[16];
    if (fgets(go, sizeof go, stdin) == NULL || strncmp(go, "go", 2) != 0) {
        fprintf(stderr, "c worker: no go\n");
        return 1;
    }
    pthread_t threads[2];
    struct thread_arg args[2] = {{.seed = 7, .index = 0}, {.seed = 11, .index = 1}};
    for (int t = 0; t < 2; t++) {
        pthread_create(&threads[t], NULL, run, &args[t]);
    }
    for (int t = 0; t < 2; t++) {
        pthread_join(threads[t], NULL);
    }
    printf("done %ld %ld\n", 2 * writes_per_thread, 2 * decisions_per_thread);
    fflush(stdout);

    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
        long long at = 0;
        if (sscanf(line, "report %lld", &at) != 1) {
            continue;
        }
        char bits[MAX_SUBJECTS + 1];
        uint64_t as_of = 0;
        for (size_t s = 0; s < n_subjects; s++) {
            consent_decision *decision = NULL;
            rc = consent_ledger_decide(ledger, subjects[s], "nav", "employment_followup",
                                       CATEGORIES, 1, (int64_t)at, &decision);
            if (rc != CONSENT_RESULT_OK) {
                fail("report", rc);
            }
            bits[s] = consent_decision_permitted(decision) ? '1' : '0';
            uint64_t seq = consent_decision_as_of_seq(decision);
            as_of = seq > as_of ? seq : as_of;
            consent_decision_free(decision);
        }
        bits[n_subjects] = '\0';
        printf("view %llu %s\n", (unsigned long long)as_of, bits);
        fflush(stdout);
    }
    consent_ledger_free(ledger);
    return 0;
}
