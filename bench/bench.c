/*
 * embedding-bench: times emb_forward_i32 on three transformer shapes and
 * compares each timing with memcpy of the same byte count, measured in the
 * same process. Dimension letters: V = vocab, D = dim, C = context length,
 * B = batch, T = seq_len.
 *
 *   gpt2_batch   V 50257  D 768    C 1024  B 8   T 1024  start 0
 *   gpt3_width   V 50257  D 12288  C 2048  B 1   T 2048  start 0
 *   decode_step  V 50257  D 768    C 1024  B 32  T 1     start 100
 *
 * Each case runs at 1 thread and at every online CPU, with the fused, BLAS
 * and reference kernels: warm-up calls, then repeated calls into the same
 * output buffer. A batch-size sweep of the GPT-2 shape at every online CPU
 * feeds the bandwidth plot. --quick shrinks every shape so that a run takes
 * seconds (the CTest smoke test uses it); its numbers mean nothing.
 *
 * Bytes per call = output written + token rows read + position rows read
 * = 3 * B * T * D * 4. The memcpy baseline copies half that many bytes
 * between two pre-touched buffers, so it too reads and writes that many
 * bytes in all, split over the same number of threads (STREAM "copy").
 *
 * Only the public API is used. Tables are borrowed from buffers of
 * emb_buffer_alloc (the allocator the library uses for owned tables) filled
 * with a cheap integer pattern: the seeded normal init of the 2.5 GB GPT-3
 * table would take longer than the whole benchmark. Token ids come from a
 * SplitMix64 stream with a fixed seed, so every run uses the same ids, and
 * bench/compare.py derives the same ids for NumPy and PyTorch.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>
#include <sched.h>

#include "embedding/embedding.h"

/* Seed of the token-id stream; bench/compare.py uses the same value. */
#define IDS_SEED UINT64_C(0x5eed0001)
#define MAX_RESULTS 64
#define MAX_SWEEP 16
#define IDLE_SLEEP_NS 100000000L

/* ------------------------------------------------------------------------ */
/* Heap allocation counter                                                  */
/* ------------------------------------------------------------------------ */

/* The program defines malloc and friends, so the library's calls land here
 * as well (ELF symbol interposition) and are counted before glibc serves
 * them. Sanitizer builds keep their own allocator and count nothing. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define COUNT_ALLOCATIONS 0
#endif
#endif
#if !defined(COUNT_ALLOCATIONS) && defined(__GLIBC__)
#define COUNT_ALLOCATIONS 1
#endif
#ifndef COUNT_ALLOCATIONS
#define COUNT_ALLOCATIONS 0
#endif

static atomic_long allocation_count;

#if COUNT_ALLOCATIONS
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

void *malloc(size_t size)
{
    atomic_fetch_add_explicit(&allocation_count, 1, memory_order_relaxed);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    atomic_fetch_add_explicit(&allocation_count, 1, memory_order_relaxed);
    return __libc_calloc(count, size);
}

void *realloc(void *ptr, size_t size)
{
    atomic_fetch_add_explicit(&allocation_count, 1, memory_order_relaxed);
    return __libc_realloc(ptr, size);
}

int posix_memalign(void **ptr, size_t alignment, size_t size)
{
    void *block;

    atomic_fetch_add_explicit(&allocation_count, 1, memory_order_relaxed);
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    block = __libc_memalign(alignment, size);
    if (block == NULL)
        return ENOMEM;
    *ptr = block;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    atomic_fetch_add_explicit(&allocation_count, 1, memory_order_relaxed);
    return __libc_memalign(alignment, size);
}
#endif

static long allocations_now(void)
{
    return atomic_load_explicit(&allocation_count, memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* Options, timing and small helpers                                        */
/* ------------------------------------------------------------------------ */

typedef struct bench_options {
    bool quick;
    const char *json_path;
    const char *cases[8];      /* names to run; none listed = all */
    int case_count;
    const char *kernels[4];    /* kernel names to run; none = all */
    int kernel_count;
    int32_t max_threads;       /* the "all threads" count */
    int reps;                  /* 0 = the per-case default */
} bench_options;

typedef struct kernel_choice {
    const char *name;
    int32_t kernel;
} kernel_choice;

static const kernel_choice KERNELS[] = {
    {"fused", EMB_KERNEL_FUSED},
    {"blas", EMB_KERNEL_BLAS},
    {"reference", EMB_KERNEL_REFERENCE},
};
#define KERNEL_COUNT ((int)(sizeof(KERNELS) / sizeof(KERNELS[0])))

static void die(const char *format, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *format, ...)
{
    va_list args;

    fprintf(stderr, "embedding-bench: ");
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\n");
    exit(1);
}

static void check(emb_status status, const emb_error *err, const char *what)
{
    if (status != EMB_OK)
        die("%s failed: %s (%s)", what, emb_status_message(status),
            err != NULL ? err->message : "no details");
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_idle(void)
{
    struct timespec ts = {0, IDLE_SLEEP_NS};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct stats {
    double median;
    double min;
    double max;
} stats;

/* Sorts samples[0, count) in place and summarises them. */
static stats summarise(double *samples, int count)
{
    stats s;

    qsort(samples, (size_t)count, sizeof(double), compare_doubles);
    s.min = samples[0];
    s.max = samples[count - 1];
    if (count % 2 == 1)
        s.median = samples[count / 2];
    else
        s.median = 0.5 * (samples[count / 2 - 1] + samples[count / 2]);
    return s;
}

static float *buffer_alloc(int64_t count)
{
    float *buffer = NULL;
    emb_error err;

    emb_error_init(&err);
    check(emb_buffer_alloc(count, &buffer, &err), &err, "emb_buffer_alloc");
    return buffer;
}

static uint64_t splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Fills ids[0, count) with values in [0, vocab): the top 32 bits of each
 * SplitMix64 output scaled by vocab (bench/compare.py repeats this). */
static void fill_ids(int32_t *ids, int64_t count, int64_t vocab)
{
    uint64_t state = IDS_SEED;

    for (int64_t i = 0; i < count; i++)
        ids[i] = (int32_t)(((splitmix64_next(&state) >> 32) *
                            (uint64_t)vocab) >> 32);
}

/* Writes a cheap non-constant pattern, touching every page. */
static void fill_pattern(float *data, int64_t count, uint32_t salt)
{
    for (int64_t i = 0; i < count; i++) {
        uint32_t h = ((uint32_t)i ^ salt) * UINT32_C(2654435761);
        data[i] = (float)(h >> 16) * (1.0f / 65536.0f) - 0.5f;
    }
}

/* Resident set size of this process in bytes, from /proc/self/statm. */
static int64_t resident_bytes(void)
{
    FILE *file = fopen("/proc/self/statm", "r");
    long long size_pages = 0;
    long long resident_pages = 0;

    if (file == NULL)
        return -1;
    if (fscanf(file, "%lld %lld", &size_pages, &resident_pages) != 2)
        resident_pages = -1;
    fclose(file);
    return resident_pages < 0 ? -1
                              : resident_pages * sysconf(_SC_PAGESIZE);
}

/* Anonymous memory of this process backed by transparent huge pages, in
 * bytes, from /proc/self/smaps_rollup (-1 when unavailable). */
static int64_t anon_huge_bytes(void)
{
    FILE *file = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    long long kib = -1;

    if (file == NULL)
        return -1;
    while (fgets(line, sizeof(line), file) != NULL) {
        if (sscanf(line, "AnonHugePages: %lld kB", &kib) == 1)
            break;
    }
    fclose(file);
    return kib < 0 ? -1 : kib * 1024;
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct shape {
    const char *name;
    int64_t vocab;
    int64_t dim;
    int64_t context;
    int64_t batch;
    int64_t seq_len;
    int64_t start;
    int reps;          /* timed calls */
    int idle_trials;   /* calls timed after IDLE_SLEEP_NS of sleep */
} shape;

static const shape FULL_CASES[] = {
    {"gpt2_batch", 50257, 768, 1024, 8, 1024, 0, 50, 3},
    {"gpt3_width", 50257, 12288, 2048, 1, 2048, 0, 30, 3},
    {"decode_step", 50257, 768, 1024, 32, 1, 100, 2000, 5},
};
static const shape QUICK_CASES[] = {
    {"gpt2_batch", 4096, 768, 256, 2, 256, 0, 5, 1},
    {"gpt3_width", 512, 12288, 128, 1, 128, 0, 5, 1},
    {"decode_step", 4096, 768, 1024, 32, 1, 100, 50, 1},
};
#define CASE_COUNT 3

static const int64_t FULL_SWEEP_BATCHES[] = {1, 2, 4, 8, 16, 32};
static const int64_t QUICK_SWEEP_BATCHES[] = {1, 2};

typedef struct memory_result {
    const char *case_name;
    int64_t table_bytes;       /* V * D * 4 + C * D * 4 */
    int64_t resident_growth;   /* RSS growth from creating the model */
    int64_t huge_growth;       /* AnonHugePages growth */
} memory_result;

typedef struct result {
    const shape *shape;
    int32_t threads;
    const char *kernel;
    int reps;
    double bytes;
    stats time;
    stats memcpy_time;
    stats idle_time;
    double allocations_per_call;
    bool identical;            /* output equals the reference kernel's */
} result;

typedef struct sweep_point {
    int64_t batch;
    int64_t seq_len;
    int64_t dim;
    int32_t threads;
    double bytes;
    stats time;
    stats memcpy_time;
} sweep_point;

typedef struct report {
    memory_result memory[CASE_COUNT];
    int memory_count;
    result results[MAX_RESULTS];
    int result_count;
    sweep_point sweep[MAX_SWEEP];
    int sweep_count;
} report;

/* Tables, ids and buffers of one shape. */
typedef struct workspace {
    const shape *shape;
    float *token;
    float *position;
    int32_t *ids;
    int64_t out_count;
    float *out;
    float *expected;           /* reference kernel output */
    float *copy_src;           /* memcpy baseline buffers */
    float *copy_dst;
    size_t copy_bytes;
} workspace;

static bool is_selected(const char *const *names, int count, const char *name)
{
    if (count == 0)
        return true;
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

static emb_model *create_model(const workspace *ws, int32_t threads,
                               int32_t kernel)
{
    emb_model_options options;
    emb_model *model = NULL;
    emb_error err;

    emb_model_options_init(&options);
    emb_error_init(&err);
    options.init = EMB_INIT_BORROW;
    options.vocab_size = ws->shape->vocab;
    options.dim = ws->shape->dim;
    options.context_length = ws->shape->context;
    options.token_data = ws->token;
    options.position_data = ws->position;
    options.num_threads = threads;
    options.kernel = kernel;
    check(emb_model_create(&options, &model, &err), &err, "emb_model_create");
    return model;
}

static void forward(const emb_model *model, const workspace *ws, float *out)
{
    const shape *s = ws->shape;
    emb_error err;
    emb_status status;

    emb_error_init(&err);
    status = emb_forward_i32(model, ws->ids, s->batch, s->seq_len, s->start,
                             out, ws->out_count, &err);
    check(status, &err, "emb_forward_i32");
}

/* Measures what owned tables cost: the RSS and THP growth from creating an
 * EMB_INIT_ZEROS model (which writes every page) of each shape. All models
 * stay alive until every one is measured, because a freed block would raise
 * glibc's dynamic mmap threshold and let the next model reuse heap pages
 * that are already resident. */
static void measure_memory(report *rep, const shape *cases,
                           const bench_options *opt)
{
    emb_model *models[CASE_COUNT] = {NULL};

    for (int i = 0; i < CASE_COUNT; i++) {
        const shape *s = &cases[i];
        memory_result *m;
        emb_model_options options;
        emb_error err;
        int64_t rss_before;
        int64_t huge_before;

        if (!is_selected(opt->cases, opt->case_count, s->name))
            continue;
        m = &rep->memory[rep->memory_count++];
        emb_model_options_init(&options);
        emb_error_init(&err);
        options.init = EMB_INIT_ZEROS;
        options.vocab_size = s->vocab;
        options.dim = s->dim;
        options.context_length = s->context;

        rss_before = resident_bytes();
        huge_before = anon_huge_bytes();
        check(emb_model_create(&options, &models[i], &err), &err,
              "emb_model_create");
        m->case_name = s->name;
        m->table_bytes =
            (s->vocab + s->context) * s->dim * (int64_t)sizeof(float);
        m->resident_growth = resident_bytes() - rss_before;
        m->huge_growth = anon_huge_bytes() - huge_before;
    }
    for (int i = 0; i < CASE_COUNT; i++)
        emb_model_destroy(models[i]);
}

static void workspace_open(workspace *ws, const shape *s)
{
    int64_t rows = s->batch * s->seq_len;
    int64_t copy_floats;

    memset(ws, 0, sizeof(*ws));
    ws->shape = s;
    ws->token = buffer_alloc(s->vocab * s->dim);
    ws->position = buffer_alloc(s->context * s->dim);
    fill_pattern(ws->token, s->vocab * s->dim, 0x1234u);
    fill_pattern(ws->position, s->context * s->dim, 0xabcdu);

    ws->ids = malloc((size_t)rows * sizeof(int32_t));
    if (ws->ids == NULL)
        die("cannot allocate %lld token ids", (long long)rows);
    fill_ids(ws->ids, rows, s->vocab);

    ws->out_count = rows * s->dim;
    ws->out = buffer_alloc(ws->out_count);
    ws->expected = buffer_alloc(ws->out_count);
    memset(ws->out, 0, (size_t)ws->out_count * sizeof(float));

    /* Half of the forward's byte count, rounded up to whole floats. */
    copy_floats = (3 * ws->out_count + 1) / 2;
    ws->copy_bytes = (size_t)copy_floats * sizeof(float);
    ws->copy_src = buffer_alloc(copy_floats);
    ws->copy_dst = buffer_alloc(copy_floats);
    fill_pattern(ws->copy_src, copy_floats, 0x5555u);
    memset(ws->copy_dst, 0, ws->copy_bytes);

    emb_model *reference = create_model(ws, 1, EMB_KERNEL_REFERENCE);
    forward(reference, ws, ws->expected);
    emb_model_destroy(reference);
}

static void workspace_close(workspace *ws)
{
    emb_buffer_free(ws->token);
    emb_buffer_free(ws->position);
    emb_buffer_free(ws->out);
    emb_buffer_free(ws->expected);
    emb_buffer_free(ws->copy_src);
    emb_buffer_free(ws->copy_dst);
    free(ws->ids);
    memset(ws, 0, sizeof(*ws));
}

/* Multi-threaded memcpy baseline. Like the library's forward, the calling
 * thread and helper threads claim 64 KiB chunks from a shared counter, and
 * the caller waits only for chunks that a helper has claimed. A barrier-based
 * split (an OpenMP parallel region) would instead wait for every helper to
 * be scheduled, which on a busy 2-vCPU VM took up to a 4 ms scheduler tick
 * and measured the scheduler rather than memory. Each timed copy gets its
 * own copy_job, so a helper that wakes late only finds a finished counter. */
#define COPY_CHUNK_BYTES ((size_t)64 << 10)
#define MAX_COPY_JOBS 4096
#define MAX_HELPERS 64

typedef struct copy_job {
    _Alignas(64) _Atomic uint32_t next;   /* next unclaimed chunk */
    _Alignas(64) _Atomic uint32_t done;   /* chunks copied */
    char *dst;
    const char *src;
    size_t bytes;
    uint32_t chunks;
} copy_job;

typedef struct copy_team {
    copy_job *jobs;                       /* MAX_COPY_JOBS, used in order */
    _Atomic int32_t current;              /* index of the last published job */
    atomic_bool stop;
    pthread_t helpers[MAX_HELPERS];
    int32_t helper_count;
} copy_team;

static void copy_chunks(copy_job *job)
{
    for (;;) {
        uint32_t chunk = atomic_fetch_add(&job->next, 1);
        size_t begin;
        size_t end;

        if (chunk >= job->chunks)
            return;
        begin = (size_t)chunk * COPY_CHUNK_BYTES;
        end = begin + COPY_CHUNK_BYTES < job->bytes ? begin + COPY_CHUNK_BYTES
                                                   : job->bytes;
        memcpy(job->dst + begin, job->src + begin, end - begin);
        atomic_fetch_add_explicit(&job->done, 1, memory_order_release);
    }
}

static void *copy_helper_main(void *argument)
{
    copy_team *team = argument;
    int32_t seen = -1;

    while (!atomic_load(&team->stop)) {
        int32_t current = atomic_load(&team->current);

        if (current != seen) {
            copy_chunks(&team->jobs[current]);
            seen = current;
        } else {
            sched_yield();
        }
    }
    return NULL;
}

/* Starts threads - 1 helpers that poll for jobs until copy_team_stop. */
static void copy_team_start(copy_team *team, int32_t threads)
{
    memset(team, 0, sizeof(*team));
    team->jobs = calloc(MAX_COPY_JOBS, sizeof(copy_job));
    if (team->jobs == NULL)
        die("cannot allocate %d memcpy jobs", MAX_COPY_JOBS);
    atomic_init(&team->current, -1);
    atomic_init(&team->stop, false);
    for (int32_t i = 0; i + 1 < threads && i < MAX_HELPERS; i++) {
        if (pthread_create(&team->helpers[i], NULL, copy_helper_main, team) !=
            0)
            die("cannot start memcpy helper thread %d", (int)i);
        team->helper_count++;
    }
}

static void copy_team_stop(copy_team *team)
{
    atomic_store(&team->stop, true);
    for (int32_t i = 0; i < team->helper_count; i++)
        pthread_join(team->helpers[i], NULL);
    free(team->jobs);
}

/* Copies `bytes` from src to dst with the caller and the team's helpers. */
static void copy_with_team(copy_team *team, int32_t index, char *dst,
                           const char *src, size_t bytes)
{
    copy_job *job = &team->jobs[index];

    job->dst = dst;
    job->src = src;
    job->bytes = bytes;
    job->chunks = (uint32_t)((bytes + COPY_CHUNK_BYTES - 1) /
                             COPY_CHUNK_BYTES);
    atomic_init(&job->next, 0);
    atomic_init(&job->done, 0);
    atomic_store(&team->current, index);
    copy_chunks(job);
    while (atomic_load_explicit(&job->done, memory_order_acquire) <
           job->chunks)
        sched_yield();
}

static stats time_memcpy(const workspace *ws, size_t bytes, int32_t threads,
                         int reps, double *samples)
{
    copy_team team;
    int32_t index = 0;

    if (reps + 3 > MAX_COPY_JOBS)
        reps = MAX_COPY_JOBS - 3;
    copy_team_start(&team, threads);
    for (int i = 0; i < 3; i++)
        copy_with_team(&team, index++, (char *)ws->copy_dst,
                       (const char *)ws->copy_src, bytes);
    for (int i = 0; i < reps; i++) {
        double t0 = now_seconds();
        copy_with_team(&team, index++, (char *)ws->copy_dst,
                       (const char *)ws->copy_src, bytes);
        samples[i] = now_seconds() - t0;
    }
    copy_team_stop(&team);
    return summarise(samples, reps);
}

static stats time_forward(const emb_model *model, const workspace *ws,
                          int reps, double *samples, long *allocations)
{
    long before;

    for (int i = 0; i < 3; i++)
        forward(model, ws, ws->out);
    before = allocations_now();
    for (int i = 0; i < reps; i++) {
        double t0 = now_seconds();
        forward(model, ws, ws->out);
        samples[i] = now_seconds() - t0;
    }
    *allocations = allocations_now() - before;
    return summarise(samples, reps);
}

/* Times single calls that follow IDLE_SLEEP_NS of sleep, so worker threads
 * and caches have gone cold as between two requests of a server. */
static stats time_after_idle(const emb_model *model, const workspace *ws,
                             int trials, double *samples)
{
    for (int i = 0; i < trials; i++) {
        sleep_idle();
        double t0 = now_seconds();
        forward(model, ws, ws->out);
        samples[i] = now_seconds() - t0;
    }
    return summarise(samples, trials);
}

static void run_case(report *rep, const shape *s, const bench_options *opt,
                     const int32_t *thread_counts, int thread_count_count)
{
    workspace ws;
    int reps = opt->reps > 0 ? opt->reps : s->reps;
    double *samples;
    double bytes = 3.0 * (double)(s->batch * s->seq_len * s->dim) *
                   (double)sizeof(float);

    workspace_open(&ws, s);
    samples = malloc((size_t)(reps > s->idle_trials ? reps : s->idle_trials) *
                     sizeof(double));
    if (samples == NULL)
        die("cannot allocate %d timing samples", reps);

    for (int t = 0; t < thread_count_count; t++) {
        int32_t threads = thread_counts[t];
        stats copy = time_memcpy(&ws, ws.copy_bytes, threads, reps, samples);

        for (int k = 0; k < KERNEL_COUNT; k++) {
            const kernel_choice *kc = &KERNELS[k];
            result *r;
            emb_model *model;
            long allocations;

            if (!is_selected(opt->kernels, opt->kernel_count, kc->name))
                continue;
            if (rep->result_count == MAX_RESULTS)
                die("more than %d results", MAX_RESULTS);
            r = &rep->results[rep->result_count++];
            model = create_model(&ws, threads, kc->kernel);
            memset(ws.out, 0, (size_t)ws.out_count * sizeof(float));

            r->shape = s;
            r->threads = threads;
            r->kernel = kc->name;
            r->reps = reps;
            r->bytes = bytes;
            r->memcpy_time = copy;
            r->time = time_forward(model, &ws, reps, samples, &allocations);
            r->allocations_per_call = (double)allocations / reps;
            r->identical = memcmp(ws.out, ws.expected,
                                  (size_t)ws.out_count * sizeof(float)) == 0;
            r->idle_time = time_after_idle(model, &ws, s->idle_trials,
                                           samples);
            emb_model_destroy(model);
        }
    }
    free(samples);
    workspace_close(&ws);
}

static void run_sweep(report *rep, const bench_options *opt, int32_t threads)
{
    const shape *base = opt->quick ? &QUICK_CASES[0] : &FULL_CASES[0];
    const int64_t *batches = opt->quick ? QUICK_SWEEP_BATCHES
                                        : FULL_SWEEP_BATCHES;
    int count = opt->quick ? 2 : 6;
    int64_t max_batch = batches[count - 1];
    int reps = opt->reps > 0 ? opt->reps : (opt->quick ? 3 : 20);
    double samples[1024];
    shape big = *base;
    workspace ws;
    emb_model *model;

    if (reps > 1024)
        reps = 1024;
    big.name = "sweep";
    big.batch = max_batch;
    workspace_open(&ws, &big);
    model = create_model(&ws, threads, EMB_KERNEL_FUSED);

    for (int i = 0; i < count; i++) {
        shape point_shape = big;
        workspace view = ws;
        sweep_point *p = &rep->sweep[rep->sweep_count++];
        long allocations;

        point_shape.batch = batches[i];
        view.shape = &point_shape;
        view.out_count = point_shape.batch * point_shape.seq_len *
                         point_shape.dim;
        p->batch = point_shape.batch;
        p->seq_len = point_shape.seq_len;
        p->dim = point_shape.dim;
        p->threads = threads;
        p->bytes = 3.0 * (double)view.out_count * (double)sizeof(float);
        p->memcpy_time = time_memcpy(&view, (size_t)(p->bytes / 2), threads,
                                     reps, samples);
        p->time = time_forward(model, &view, reps, samples, &allocations);
    }
    emb_model_destroy(model);
    workspace_close(&ws);
}

/* ------------------------------------------------------------------------ */
/* Output                                                                   */
/* ------------------------------------------------------------------------ */

static double gigabytes_per_second(double bytes, double seconds)
{
    return bytes / seconds * 1e-9;
}

static void print_report(const report *rep, FILE *out)
{
    fprintf(out, "\nTable memory (owned, EMB_INIT_ZEROS):\n");
    fprintf(out, "%-12s %14s %14s %8s %14s\n", "case", "V*D*4+C*D*4",
            "RSS growth", "ratio", "THP growth");
    for (int i = 0; i < rep->memory_count; i++) {
        const memory_result *m = &rep->memory[i];
        fprintf(out, "%-12s %14" PRId64 " %14" PRId64 " %8.4f %14" PRId64
                     "\n",
                m->case_name, m->table_bytes, m->resident_growth,
                (double)m->resident_growth / (double)m->table_bytes,
                m->huge_growth);
    }

    fprintf(out, "\nForward (times in microseconds; GB/s = 3*B*T*D*4 bytes "
                 "/ median):\n");
    fprintf(out, "%-12s %3s %-9s %10s %10s %10s %8s %10s %7s %10s %6s %4s\n",
            "case", "thr", "kernel", "median", "min", "max", "GB/s",
            "memcpy", "vs_cpy", "idle_1st", "alloc", "same");
    for (int i = 0; i < rep->result_count; i++) {
        const result *r = &rep->results[i];
        fprintf(out,
                "%-12s %3d %-9s %10.1f %10.1f %10.1f %8.2f %10.1f %7.3f "
                "%10.1f %6.2f %4s\n",
                r->shape->name, (int)r->threads, r->kernel,
                r->time.median * 1e6, r->time.min * 1e6, r->time.max * 1e6,
                gigabytes_per_second(r->bytes, r->time.median),
                r->memcpy_time.median * 1e6,
                r->memcpy_time.median / r->time.median,
                r->idle_time.median * 1e6, r->allocations_per_call,
                r->identical ? "yes" : "NO");
    }

    if (rep->sweep_count > 0) {
        fprintf(out, "\nBatch sweep (fused kernel, T %" PRId64 ", D %" PRId64
                     "):\n",
                rep->sweep[0].seq_len, rep->sweep[0].dim);
        fprintf(out, "%6s %3s %10s %8s %10s %8s\n", "batch", "thr",
                "median_us", "GB/s", "memcpy_us", "cpy_GB/s");
        for (int i = 0; i < rep->sweep_count; i++) {
            const sweep_point *p = &rep->sweep[i];
            fprintf(out, "%6" PRId64 " %3d %10.1f %8.2f %10.1f %8.2f\n",
                    p->batch, (int)p->threads, p->time.median * 1e6,
                    gigabytes_per_second(p->bytes, p->time.median),
                    p->memcpy_time.median * 1e6,
                    gigabytes_per_second(p->bytes, p->memcpy_time.median));
        }
    }
}

static void json_stats(FILE *f, const char *name, stats s)
{
    fprintf(f, "\"%s\": {\"median_s\": %.9g, \"min_s\": %.9g, "
               "\"max_s\": %.9g}",
            name, s.median, s.min, s.max);
}

static void write_json(const report *rep, const bench_options *opt,
                       const char *path)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        die("cannot open %s for writing: %s", path, strerror(errno));
    fprintf(f, "{\n  \"library_version\": \"%s\",\n", emb_version_string());
    fprintf(f, "  \"online_cpus\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(f, "  \"quick\": %s,\n", opt->quick ? "true" : "false");
    fprintf(f, "  \"ids_seed\": %" PRIu64 ",\n", IDS_SEED);
    fprintf(f, "  \"idle_sleep_s\": %.3f,\n", IDLE_SLEEP_NS * 1e-9);

    fprintf(f, "  \"memory\": [");
    for (int i = 0; i < rep->memory_count; i++) {
        const memory_result *m = &rep->memory[i];
        fprintf(f, "%s\n    {\"case\": \"%s\", \"table_bytes\": %" PRId64
                   ", \"resident_growth_bytes\": %" PRId64
                   ", \"anon_huge_growth_bytes\": %" PRId64 "}",
                i == 0 ? "" : ",", m->case_name, m->table_bytes,
                m->resident_growth, m->huge_growth);
    }
    fprintf(f, "\n  ],\n  \"results\": [");
    for (int i = 0; i < rep->result_count; i++) {
        const result *r = &rep->results[i];
        const shape *s = r->shape;
        fprintf(f, "%s\n    {\"case\": \"%s\", \"vocab\": %" PRId64
                   ", \"dim\": %" PRId64 ", \"context\": %" PRId64
                   ", \"batch\": %" PRId64 ", \"seq_len\": %" PRId64
                   ", \"start\": %" PRId64 ", \"threads\": %d, "
                   "\"kernel\": \"%s\", \"reps\": %d, \"bytes\": %.0f, ",
                i == 0 ? "" : ",", s->name, s->vocab, s->dim, s->context,
                s->batch, s->seq_len, s->start, (int)r->threads, r->kernel,
                r->reps, r->bytes);
        json_stats(f, "time", r->time);
        fprintf(f, ", ");
        json_stats(f, "memcpy_time", r->memcpy_time);
        fprintf(f, ", ");
        json_stats(f, "idle_first_call", r->idle_time);
        fprintf(f, ", \"idle_trials\": %d, \"allocations_per_call\": %.3f, "
                   "\"identical_to_reference\": %s}",
                s->idle_trials, r->allocations_per_call,
                r->identical ? "true" : "false");
    }
    fprintf(f, "\n  ],\n  \"sweep\": [");
    for (int i = 0; i < rep->sweep_count; i++) {
        const sweep_point *p = &rep->sweep[i];
        fprintf(f, "%s\n    {\"batch\": %" PRId64 ", \"seq_len\": %" PRId64
                   ", \"dim\": %" PRId64 ", \"threads\": %d, "
                   "\"kernel\": \"fused\", \"bytes\": %.0f, ",
                i == 0 ? "" : ",", p->batch, p->seq_len, p->dim,
                (int)p->threads, p->bytes);
        json_stats(f, "time", p->time);
        fprintf(f, ", ");
        json_stats(f, "memcpy_time", p->memcpy_time);
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]\n}\n");
    if (fclose(f) != 0)
        die("cannot write %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------------ */
/* Main                                                                     */
/* ------------------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: embedding-bench [--quick] [--json FILE] [--case NAME]... "
            "[--kernel NAME]...\n"
            "                       [--threads N] [--reps N]\n"
            "  --quick        small shapes and few calls (a smoke test; the "
            "numbers mean nothing)\n"
            "  --json FILE    also write every result to FILE as JSON\n"
            "  --case NAME    run only this case: gpt2_batch, gpt3_width, "
            "decode_step or sweep\n"
            "                 (repeatable; default all)\n"
            "  --kernel NAME  run only this kernel: fused, blas or reference "
            "(repeatable)\n"
            "  --threads N    the multi-threaded runs use N threads (default: "
            "online CPUs)\n"
            "  --reps N       timed calls per measurement (default: per "
            "case)\n");
}

static int parse_positive(const char *text, const char *flag)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < 1 || value > 1000000)
        die("%s expects an integer in [1, 1000000], got \"%s\"", flag, text);
    return (int)value;
}

static void parse_options(int argc, char **argv, bench_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes_value = strcmp(arg, "--json") == 0 ||
                           strcmp(arg, "--case") == 0 ||
                           strcmp(arg, "--kernel") == 0 ||
                           strcmp(arg, "--threads") == 0 ||
                           strcmp(arg, "--reps") == 0;

        if (takes_value && value == NULL)
            die("%s needs a value (see --help)", arg);
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(arg, "--quick") == 0) {
            opt->quick = true;
        } else if (strcmp(arg, "--json") == 0) {
            opt->json_path = value;
        } else if (strcmp(arg, "--case") == 0) {
            if (!is_selected((const char *[]){"gpt2_batch", "gpt3_width",
                                         "decode_step", "sweep"},
                        4, value) ||
                opt->case_count == 8)
                die("unknown or repeated too often: --case %s", value);
            opt->cases[opt->case_count++] = value;
        } else if (strcmp(arg, "--kernel") == 0) {
            if (!is_selected((const char *[]){"fused", "blas", "reference"}, 3,
                        value) ||
                opt->kernel_count == 4)
                die("unknown or repeated too often: --kernel %s", value);
            opt->kernels[opt->kernel_count++] = value;
        } else if (strcmp(arg, "--threads") == 0) {
            opt->max_threads = parse_positive(value, arg);
        } else if (strcmp(arg, "--reps") == 0) {
            opt->reps = parse_positive(value, arg);
        } else {
            usage(stderr);
            die("unknown option %s", arg);
        }
        if (takes_value)
            i++;
    }
    if (opt->max_threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        opt->max_threads = cpus > 0 ? (int32_t)cpus : 1;
    }
}

int main(int argc, char **argv)
{
    static report rep;
    bench_options opt;
    int32_t thread_counts[2] = {1, 0};
    int thread_count_count = 1;
    const shape *cases;

    parse_options(argc, argv, &opt);
    if (opt.max_threads > 1)
        thread_counts[thread_count_count++] = opt.max_threads;
    cases = opt.quick ? QUICK_CASES : FULL_CASES;

    printf("embedding-bench: libembedding %s, %ld online CPUs, threads 1 "
           "and %d%s\n",
           emb_version_string(), sysconf(_SC_NPROCESSORS_ONLN),
           (int)opt.max_threads, opt.quick ? ", quick mode" : "");
    if (!COUNT_ALLOCATIONS)
        printf("heap allocations are not counted in this build\n");
    fflush(stdout);

    measure_memory(&rep, cases, &opt);
    for (int c = 0; c < CASE_COUNT; c++) {
        if (!is_selected(opt.cases, opt.case_count, cases[c].name))
            continue;
        run_case(&rep, &cases[c], &opt, thread_counts, thread_count_count);
    }
    if (is_selected(opt.cases, opt.case_count, "sweep"))
        run_sweep(&rep, &opt, opt.max_threads);

    print_report(&rep, stdout);
    if (opt.json_path != NULL)
        write_json(&rep, &opt, opt.json_path);

    for (int i = 0; i < rep.result_count; i++)
        if (!rep.results[i].identical)
            die("%s with the %s kernel at %d threads differs from the "
                "reference kernel",
                rep.results[i].shape->name, rep.results[i].kernel,
                (int)rep.results[i].threads);
    return 0;
}
