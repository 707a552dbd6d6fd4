/*
 * Cosine-similarity demo on the embedded demo sentences.
 *
 * A token row is the token table's row for an id. An input row is what the
 * forward pass returns at one position: the token row (times the scale, if
 * any) plus the position row. Two findings are printed:
 * - A token that recurs in a sentence has one token row, but its input rows
 *   at the two positions differ.
 * - Two sentences made of the same ids in another order have the same bag
 *   of token rows. Self-attention is permutation-equivariant, so without
 *   positions it cannot tell them apart. Their input rows differ.
 */
#include "demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Lines printed per sentence pair for tokens that moved. */
#define MAX_MOVED_LINES 4
/* Input-row cosines at or above this count as equal in the printed note. */
#define SAME_COSINE 0.9999995

/* Returns the cosine similarity of a and b, or NaN when either is zero. */
static double cosine(const float *a, const float *b, int64_t dim)
{
    double dot = 0.0, norm_a = 0.0, norm_b = 0.0;

    for (int64_t i = 0; i < dim; i++) {
        dot += (double)a[i] * b[i];
        norm_a += (double)a[i] * a[i];
        norm_b += (double)b[i] * b[i];
    }
    if (norm_a == 0.0 || norm_b == 0.0)
        return NAN;
    return dot / (sqrt(norm_a) * sqrt(norm_b));
}

static void print_cosine(double value)
{
    if (isnan(value))
        printf("undefined (zero vector)");
    else
        printf("%.6f", value);
}

static void print_label(const id_sequences *sentences, int64_t index)
{
    if (sentences->labels != NULL && sentences->labels[index] != NULL)
        printf("\"%s\"", sentences->labels[index]);
    else
        printf("%s:%ld", sentences->source, sentences->lines[index]);
}

static void print_library_error(const char *what, emb_status status,
                                const emb_error *err)
{
    cli_error("%s: %s: %s", what, emb_status_message(status), err->message);
}

/* Finds the first id of `ids` that occurs again and stores both positions. */
static bool find_recurrence(const int64_t *ids, int64_t length,
                            int64_t *first, int64_t *second)
{
    for (int64_t j = 1; j < length; j++) {
        for (int64_t i = 0; i < j; i++) {
            if (ids[i] == ids[j]) {
                *first = i;
                *second = j;
                return true;
            }
        }
    }
    return false;
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Whether b is a reordering of a (same multiset of ids, other order). */
static bool is_reordering(const int64_t *a, const int64_t *b, int64_t length)
{
    int64_t *sorted_a, *sorted_b;
    bool same_bag;

    if (memcmp(a, b, (size_t)length * sizeof(int64_t)) == 0)
        return false;
    sorted_a = malloc((size_t)length * sizeof(int64_t));
    sorted_b = malloc((size_t)length * sizeof(int64_t));
    if (sorted_a == NULL || sorted_b == NULL) {
        free(sorted_a);
        free(sorted_b);
        return false;
    }
    memcpy(sorted_a, a, (size_t)length * sizeof(int64_t));
    memcpy(sorted_b, b, (size_t)length * sizeof(int64_t));
    qsort(sorted_a, (size_t)length, sizeof(int64_t), compare_ids);
    qsort(sorted_b, (size_t)length, sizeof(int64_t), compare_ids);
    same_bag = memcmp(sorted_a, sorted_b, (size_t)length * sizeof(int64_t)) == 0;
    free(sorted_a);
    free(sorted_b);
    return same_bag;
}

/* Position in b of the occurrence of a[t] that has the same rank among equal
 * ids as a[t] has in a. */
static int64_t matching_position(const int64_t *a, const int64_t *b,
                                 int64_t length, int64_t t)
{
    int64_t rank = 0;

    for (int64_t i = 0; i < t; i++)
        rank += a[i] == a[t];
    for (int64_t u = 0; u < length; u++) {
        if (b[u] == a[t] && rank-- == 0)
            return u;
    }
    return -1;
}

/* Stores in mean[0, dim) the mean of `rows` rows of `dim` floats. */
static void mean_rows(const float *rows, int64_t count, int64_t dim,
                      float *mean)
{
    for (int64_t d = 0; d < dim; d++) {
        double sum = 0.0;

        for (int64_t r = 0; r < count; r++)
            sum += rows[r * dim + d];
        mean[d] = (float)(sum / (double)count);
    }
}

static int report_recurrence(const emb_model *model,
                             const id_sequences *sentences, int64_t index,
                             const float *output, float *scratch)
{
    const int64_t *ids = sentences->ids + sentences->offsets[index];
    int64_t dim = emb_model_dim(model);
    int64_t first, second;
    double token_cosine, input_cosine;
    emb_error err;
    emb_status status;

    if (!find_recurrence(ids, ids_length(sentences, index), &first, &second))
        return CLI_CONTINUE;

    emb_error_init(&err);
    status = emb_model_read_row(model, EMB_TABLE_TOKEN, ids[first], scratch,
                                dim, &err);
    if (status != EMB_OK) {
        print_library_error("cannot read a token row", status, &err);
        return CLI_EXIT_DATA;
    }
    /* Both occurrences read the same token row. */
    token_cosine = cosine(scratch, scratch, dim);
    input_cosine = cosine(output + first * dim, output + second * dim, dim);

    printf("  ");
    print_label(sentences, index);
    printf(": token %lld at positions %lld and %lld\n", (long long)ids[first],
           (long long)first, (long long)second);
    printf("      token rows   cosine ");
    print_cosine(token_cosine);
    printf("  (one table row, used twice)\n");
    printf("      input rows   cosine ");
    print_cosine(input_cosine);
    printf("  (%s)\n", input_cosine < SAME_COSINE
                           ? "the position rows tell the two apart"
                           : "no position information");
    return CLI_CONTINUE;
}

static void report_reordering(const emb_model *model,
                              const id_sequences *sentences, int64_t a_index,
                              int64_t b_index, const float *a_output,
                              const float *b_output, float *scratch)
{
    int64_t dim = emb_model_dim(model);
    const int64_t *a = sentences->ids + sentences->offsets[a_index];
    const int64_t *b = sentences->ids + sentences->offsets[b_index];
    int64_t length = ids_length(sentences, a_index);
    int moved_lines = 0;
    double mean_cosine;

    printf("  ");
    print_label(sentences, a_index);
    printf(" vs ");
    print_label(sentences, b_index);
    printf(": the same %lld token ids in another order\n", (long long)length);
    printf("      token rows   the same bag of %lld rows: all that a model "
           "without positions sees\n",
           (long long)length);

    for (int64_t t = 0; t < length && moved_lines < MAX_MOVED_LINES; t++) {
        int64_t u = matching_position(a, b, length, t);

        if (u < 0 || u == t)
            continue;
        printf("      input rows   cosine ");
        print_cosine(cosine(a_output + t * dim, b_output + u * dim, dim));
        printf(" for token %lld at position %lld vs %lld\n", (long long)a[t],
               (long long)t, (long long)u);
        moved_lines++;
    }

    /* Means add the same position rows 0 .. length - 1 to both sentences,
     * so mean pooling alone cannot see the order. */
    mean_rows(a_output, length, dim, scratch);
    mean_rows(b_output, length, dim, scratch + dim);
    mean_cosine = cosine(scratch, scratch + dim, dim);
    printf("      input mean   cosine ");
    print_cosine(mean_cosine);
    if (emb_model_position_kind(model) == EMB_POSITION_NONE)
        printf("  (no position rows)\n");
    else
        printf("  (both add positions 0-%lld: a plain mean loses the order)\n",
               (long long)(length - 1));
}

/* Embeds every sentence into output, one after the other. */
static int embed_sentences(const emb_model *model,
                           const id_sequences *sentences, float *output)
{
    int64_t dim = emb_model_dim(model);

    for (int64_t s = 0; s < sentences->count; s++) {
        int64_t length = ids_length(sentences, s);
        int64_t first = sentences->offsets[s];
        emb_error err;
        emb_status status;

        emb_error_init(&err);
        status = emb_forward_i64(model, sentences->ids + first, 1, length, 0,
                                 output + first * dim, length * dim, &err);
        if (status != EMB_OK) {
            char what[256];

            snprintf(what, sizeof(what), "%s:%ld: forward failed",
                     sentences->source, sentences->lines[s]);
            print_library_error(what, status, &err);
            return CLI_EXIT_DATA;
        }
    }
    return CLI_CONTINUE;
}

int demo_report(const emb_model *model, const id_sequences *sentences)
{
    int64_t dim = emb_model_dim(model);
    int64_t total = sentences->offsets[sentences->count];
    float *output = malloc((size_t)(total * dim) * sizeof(float));
    float *scratch = malloc((size_t)(2 * dim) * sizeof(float));
    int status = CLI_CONTINUE;

    if (output == NULL || scratch == NULL) {
        cli_error("out of memory for the demo sentences");
        status = CLI_EXIT_DATA;
        goto done;
    }
    status = embed_sentences(model, sentences, output);
    if (status != CLI_CONTINUE)
        goto done;

    printf("\nDemo: %lld sentences from %s, each at positions 0, 1, ...\n"
           "  token row: the token table's row of an id; input row: token row "
           "+ position row\n",
           (long long)sentences->count, sentences->source);
    for (int64_t s = 0; s < sentences->count && status == CLI_CONTINUE; s++)
        status = report_recurrence(model, sentences, s,
                                   output + sentences->offsets[s] * dim,
                                   scratch);
    for (int64_t a = 0; a < sentences->count && status == CLI_CONTINUE; a++) {
        for (int64_t b = a + 1; b < sentences->count; b++) {
            const int64_t *a_ids = sentences->ids + sentences->offsets[a];
            const int64_t *b_ids = sentences->ids + sentences->offsets[b];
            int64_t length = ids_length(sentences, a);

            if (ids_length(sentences, b) != length ||
                !is_reordering(a_ids, b_ids, length))
                continue;
            report_reordering(model, sentences, a, b,
                              output + sentences->offsets[a] * dim,
                              output + sentences->offsets[b] * dim, scratch);
        }
    }

done:
    free(output);
    free(scratch);
    return status;
}
