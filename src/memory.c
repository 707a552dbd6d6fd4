/*
 * Aligned allocation for tables and output buffers, and checked size
 * arithmetic. Large blocks are 2 MiB aligned and advised for transparent
 * huge pages because the random row gather of a forward pass touches many
 * pages and is otherwise limited by TLB misses.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define CACHE_LINE_BYTES ((size_t)64)
#define HUGE_PAGE_BYTES ((size_t)2 << 20)
#define HUGE_PAGE_THRESHOLD ((size_t)4 << 20)

bool emb_mul_size(size_t a, size_t b, size_t *product)
{
    return !__builtin_mul_overflow(a, b, product);
}

bool emb_table_bytes(int64_t rows, int64_t dim, size_t *bytes)
{
    size_t elements;

    if (rows < 0 || dim < 0)
        return false;
    if ((uint64_t)rows > SIZE_MAX || (uint64_t)dim > SIZE_MAX)
        return false;
    if (!emb_mul_size((size_t)rows, (size_t)dim, &elements))
        return false;
    if (!emb_mul_size(elements, sizeof(float), bytes))
        return false;
    /* Keep every byte count addressable by ptrdiff_t and int64_t. */
    return *bytes <= (size_t)PTRDIFF_MAX;
}

void *emb_aligned_alloc(size_t bytes)
{
    size_t alignment = bytes >= HUGE_PAGE_THRESHOLD ? HUGE_PAGE_BYTES
                                                    : CACHE_LINE_BYTES;
    void *ptr = NULL;

    if (bytes == 0)
        bytes = CACHE_LINE_BYTES;
    if (posix_memalign(&ptr, alignment, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (alignment == HUGE_PAGE_BYTES) {
        /* Advice only: failure (e.g. THP disabled) leaves 4 KiB pages. */
        size_t advised = bytes - bytes % HUGE_PAGE_BYTES;
        if (advised > 0)
            (void)madvise(ptr, advised, MADV_HUGEPAGE);
    }
#endif
    return ptr;
}

void emb_aligned_free(void *ptr)
{
    free(ptr);
}

int32_t emb_online_cpus(void)
{
    long count = sysconf(_SC_NPROCESSORS_ONLN);

    if (count < 1)
        return 1;
    if (count > 1024)
        return 1024;
    return (int32_t)count;
}

emb_status emb_buffer_alloc(int64_t count, float **out_buffer, emb_error *err)
{
    size_t bytes;
    float *buffer;

    if (out_buffer == NULL)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "out_buffer is NULL");
    if (count <= 0)
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "buffer element count %lld must be positive",
                        (long long)count);
    if (!emb_table_bytes(count, 1, &bytes))
        return emb_fail(err, EMB_ERR_INVALID_ARGUMENT,
                        "buffer of %lld floats overflows the address space",
                        (long long)count);

    buffer = emb_aligned_alloc(bytes);
    if (buffer == NULL)
        return emb_fail(err, EMB_ERR_OUT_OF_MEMORY,
                        "cannot allocate %zu bytes for an output buffer",
                        bytes);
    *out_buffer = buffer;
    return emb_succeed(err);
}

void emb_buffer_free(float *buffer)
{
    emb_aligned_free(buffer);
}
