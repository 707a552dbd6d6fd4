/*
 * Per-handle worker pool (see pool.h for the contract).
 *
 * Protocol. One 64-bit claim word contains the job generation (24 bits), the
 * job's chunk count (20 bits) and the next unclaimed chunk (20 bits). The
 * owner of the pool (the caller that set `busy`) writes the job fields, then
 * publishes a new generation with next = 0. Every participant, owner
 * included, claims chunk `next` by a compare-and-swap that also checks the
 * generation and next < count, so a worker that wakes late can never claim
 * a chunk of a finished job. The job fields cannot change between a
 * successful claim and the `done` increment that reports its chunk, because
 * the owner rewrites them only after `done` reaches the chunk count.
 *
 * Workers poll for SPIN_NS after their last chunk, then sleep on a futex
 * (Linux) that the owner bumps and wakes when a worker sleeps. The owner
 * never waits for a worker to start: it runs every chunk that no thread has
 * claimed, then waits only for chunks in flight.
 *
 * Every polling loop calls sched_yield() every POLL_BATCH pauses. The
 * scheduler may put a worker on the caller's CPU (some VM kernels pack
 * threads onto few vCPUs on purpose), and a loop that only paused would
 * then keep the thread it waits for off that CPU until the next tick.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#include "pool.h"

#define CHUNK_BITS 20
#define CHUNK_MASK ((UINT64_C(1) << CHUNK_BITS) - 1)
#define GENERATION_SHIFT (2 * CHUNK_BITS)
#define GENERATION_MASK ((UINT64_C(1) << (64 - GENERATION_SHIFT)) - 1)
#define MAX_CHUNKS ((int64_t)CHUNK_MASK)

/* How long an idle worker polls for the next job before it sleeps. Calls
 * that come back to back (a prefill loop) then find the worker awake. */
#define SPIN_NS 100000
/* Pauses between two sched_yield() calls (and clock reads) when polling:
 * about 1 to 4 microseconds. */
#define POLL_BATCH 64
#define WORKER_STACK_BYTES ((size_t)256 << 10)

struct emb_pool {
    _Alignas(64) _Atomic uint64_t claim;
    _Alignas(64) _Atomic uint32_t done;   /* chunks finished, this job */
    _Alignas(64) _Atomic uint32_t wake;   /* futex word: bumped per job */
    _Atomic int32_t sleepers;             /* workers in (or near) sleep */
    atomic_bool stop;
    _Alignas(64) atomic_bool busy;        /* a caller owns the pool */
    uint64_t generation;                  /* owner only */
    /* Job fields, written by the owner before it publishes the claim. */
    _Atomic(emb_pool_task) task;
    _Atomic(const void *) context;
    _Atomic int64_t rows;
    _Atomic int64_t chunk_rows;
    pid_t owner_pid;                      /* process that started the threads */
    int32_t thread_count;
    pthread_t threads[];
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t generation_of(uint64_t word)
{
    return word >> GENERATION_SHIFT;
}

/* Sleeps while *word == expected (or for a short time without futexes). */
static void sleep_on(_Atomic uint32_t *word, uint32_t expected)
{
#ifdef __linux__
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL,
            NULL, 0);
#else
    struct timespec pause = {0, 100000};
    (void)word;
    (void)expected;
    nanosleep(&pause, NULL);
#endif
}

static void wake_all(_Atomic uint32_t *word)
{
#ifdef __linux__
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
            NULL, 0);
#else
    (void)word;
#endif
}

/* Claims and runs chunks of job `generation` until none is left. */
static void run_chunks(emb_pool *pool, uint64_t generation)
{
    uint64_t word = atomic_load_explicit(&pool->claim, memory_order_acquire);

    for (;;) {
        uint64_t next = word & CHUNK_MASK;
        uint64_t count = (word >> CHUNK_BITS) & CHUNK_MASK;

        if (generation_of(word) != generation || next >= count)
            return;
        if (!atomic_compare_exchange_weak_explicit(
                &pool->claim, &word, word + 1, memory_order_acq_rel,
                memory_order_acquire))
            continue;

        /* Chunk `next` is ours; the job stays as published until we report
         * the chunk done. */
        emb_pool_task task =
            atomic_load_explicit(&pool->task, memory_order_relaxed);
        const void *context =
            atomic_load_explicit(&pool->context, memory_order_relaxed);
        int64_t rows = atomic_load_explicit(&pool->rows, memory_order_relaxed);
        int64_t chunk_rows =
            atomic_load_explicit(&pool->chunk_rows, memory_order_relaxed);
        int64_t begin = (int64_t)next * chunk_rows;
        int64_t end = rows - begin < chunk_rows ? rows : begin + chunk_rows;

        task(context, begin, end);
        atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
        word = atomic_load_explicit(&pool->claim, memory_order_acquire);
    }
}

/* Returns when a job newer than `seen` is published or the pool stops. */
static void wait_for_job(emb_pool *pool, uint64_t seen)
{
    int64_t deadline = now_ns() + SPIN_NS;
    uint32_t ticket;

    for (uint32_t i = 1;; i++) {
        uint64_t word =
            atomic_load_explicit(&pool->claim, memory_order_acquire);
        if (generation_of(word) != seen ||
            atomic_load_explicit(&pool->stop, memory_order_relaxed))
            return;
        cpu_relax();
        if (i % POLL_BATCH == 0) {
            if (now_ns() > deadline)
                break;
            sched_yield();
        }
    }

    /* Announce the sleep before the last check: the owner stores the claim
     * and then reads `sleepers`, so one of the two observes the other's
     * store. */
    ticket = atomic_load(&pool->wake);
    atomic_fetch_add(&pool->sleepers, 1);
    if (generation_of(atomic_load(&pool->claim)) == seen &&
        !atomic_load(&pool->stop))
        sleep_on(&pool->wake, ticket);
    atomic_fetch_sub(&pool->sleepers, 1);
}

static void *worker_main(void *arg)
{
    emb_pool *pool = arg;
    uint64_t seen = generation_of(
        atomic_load_explicit(&pool->claim, memory_order_acquire));

    for (;;) {
        uint64_t generation = generation_of(
            atomic_load_explicit(&pool->claim, memory_order_acquire));

        if (generation != seen) {
            run_chunks(pool, generation);
            seen = generation;
            continue;
        }
        if (atomic_load(&pool->stop))
            return NULL;
        wait_for_job(pool, seen);
    }
}

emb_pool *emb_pool_create(int32_t workers)
{
    emb_pool *pool;
    pthread_attr_t attr;
    sigset_t all_signals;
    sigset_t old_signals;
    size_t bytes;

    if (workers < 1)
        return NULL;
    bytes = sizeof(emb_pool) + (size_t)workers * sizeof(pthread_t);
    pool = emb_aligned_alloc(bytes);
    if (pool == NULL)
        return NULL;
    memset(pool, 0, bytes);
    atomic_init(&pool->claim, 0);
    atomic_init(&pool->done, 0);
    atomic_init(&pool->wake, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->stop, false);
    atomic_init(&pool->busy, false);
    atomic_init(&pool->task, NULL);
    atomic_init(&pool->context, NULL);
    atomic_init(&pool->rows, 0);
    atomic_init(&pool->chunk_rows, 1);

    pool->owner_pid = getpid();
    if (pthread_attr_init(&attr) != 0) {
        emb_aligned_free(pool);
        return NULL;
    }
    (void)pthread_attr_setstacksize(&attr, WORKER_STACK_BYTES);
    /* Workers take no signals: the application's threads handle them. */
    sigfillset(&all_signals);
    /* Faults raised by the worker itself (SIGBUS from a truncated mapped
     * file, for one) must reach the application's handlers: a blocked
     * synchronous fault signal kills the process on Linux. */
    sigdelset(&all_signals, SIGBUS);
    sigdelset(&all_signals, SIGSEGV);
    sigdelset(&all_signals, SIGFPE);
    sigdelset(&all_signals, SIGILL);
    pthread_sigmask(SIG_SETMASK, &all_signals, &old_signals);
    for (int32_t i = 0; i < workers; i++) {
        if (pthread_create(&pool->threads[pool->thread_count], &attr,
                           worker_main, pool) != 0)
            break;
        pool->thread_count++;
    }
    pthread_sigmask(SIG_SETMASK, &old_signals, NULL);
    pthread_attr_destroy(&attr);

    if (pool->thread_count == 0) {
        emb_aligned_free(pool);
        return NULL;
    }
    return pool;
}

int32_t emb_pool_thread_count(const emb_pool *pool)
{
    return pool == NULL ? 0 : pool->thread_count;
}

void emb_pool_destroy(emb_pool *pool)
{
    if (pool == NULL)
        return;
    /* A forked child inherits the pool's memory but not its threads: there
     * is nothing to stop or join there. */
    if (getpid() != pool->owner_pid) {
        emb_aligned_free(pool);
        return;
    }
    atomic_store(&pool->stop, true);
    atomic_fetch_add(&pool->wake, 1);
    wake_all(&pool->wake);
    for (int32_t i = 0; i < pool->thread_count; i++)
        pthread_join(pool->threads[i], NULL);
    emb_aligned_free(pool);
}

void emb_pool_run(emb_pool *pool, emb_pool_task task, const void *context,
                  int64_t rows, int64_t chunk_rows)
{
    int64_t chunks;

    if (rows <= 0)
        return;
    if (chunk_rows < 1)
        chunk_rows = 1;
    if ((rows + chunk_rows - 1) / chunk_rows > MAX_CHUNKS)
        chunk_rows = (rows + MAX_CHUNKS - 1) / MAX_CHUNKS;
    chunks = (rows + chunk_rows - 1) / chunk_rows;
    if (pool == NULL || chunks == 1 ||
        atomic_exchange_explicit(&pool->busy, true, memory_order_acquire)) {
        task(context, 0, rows);
        return;
    }

    /* Publish: job fields first, then the claim word that points to them. */
    pool->generation = (pool->generation + 1) & GENERATION_MASK;
    atomic_store_explicit(&pool->task, task, memory_order_relaxed);
    atomic_store_explicit(&pool->context, context, memory_order_relaxed);
    atomic_store_explicit(&pool->rows, rows, memory_order_relaxed);
    atomic_store_explicit(&pool->chunk_rows, chunk_rows, memory_order_relaxed);
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    atomic_store(&pool->claim, (pool->generation << GENERATION_SHIFT) |
                                   ((uint64_t)chunks << CHUNK_BITS));
    atomic_fetch_add(&pool->wake, 1);
    if (atomic_load(&pool->sleepers) > 0)
        wake_all(&pool->wake);

    run_chunks(pool, pool->generation);

    /* Every chunk is claimed; wait for those that workers still run. */
    for (uint32_t i = 1; atomic_load_explicit(&pool->done,
                                              memory_order_acquire) <
                         (uint32_t)chunks;
         i++) {
        cpu_relax();
        if (i % POLL_BATCH == 0)
            sched_yield();
    }
    atomic_store_explicit(&pool->busy, false, memory_order_release);
}
