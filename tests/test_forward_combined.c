/* Every forward option at once on a left-padded batch: a padding id,
 * position ids from the attention mask, token types, a scale, and an
 * output large enough to be split over threads. Expected values follow the
 * header's formula in fp32, element by element. */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define VOCAB 120
#define DIM 392
#define CONTEXT 96
#define TYPES 2
#define BATCH 6
#define SEQ 128
#define PADDING_ID 0
#define SCALE 0.5f

typedef struct combined_data {
    float token[VOCAB * DIM];
    float position[CONTEXT * DIM];
    float types[TYPES * DIM];
    uint8_t mask[BATCH * SEQ];
    int64_t ids[BATCH * SEQ];
    int64_t type_ids[BATCH * SEQ];
    int64_t positions[BATCH * SEQ];
    int64_t padding[BATCH];  /* padding slots at the start of each row */
} combined_data;

static combined_data *make_data(void)
{
    combined_data *d = malloc(sizeof(*d));
    uint64_t state = 31337;
    /* Rows keep at most CONTEXT real tokens, so positions fit. */
    static const int64_t padding[BATCH] = {SEQ - CONTEXT, 40, 100, 127,
                                           SEQ - CONTEXT + 5, 64};

    assert_non_null(d);
    fill_random_floats(&state, d->token, VOCAB * DIM);
    fill_random_floats(&state, d->position, CONTEXT * DIM);
    fill_random_floats(&state, d->types, TYPES * DIM);
    for (int b = 0; b < BATCH; b++) {
        d->padding[b] = padding[b];
        for (int t = 0; t < SEQ; t++) {
            int i = b * SEQ + t;
            bool real = t >= padding[b];

            d->mask[i] = real ? 1 : 0;
            d->ids[i] = real ? 1 + test_random_below(&state, VOCAB - 1)
                             : PADDING_ID;
            d->type_ids[i] = real ? test_random_below(&state, TYPES) : 0;
        }
    }
    return d;
}

static emb_model *combined_model(const combined_data *d,
                                 const forward_config *config)
{
    emb_model_options options;

    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = VOCAB;
    options.dim = DIM;
    options.context_length = CONTEXT;
    options.token_data = d->token;
    options.position_data = d->position;
    options.token_type_count = TYPES;
    options.token_type_data = d->types;
    options.has_padding_id = 1;
    options.padding_id = PADDING_ID;
    options.has_scale = 1;
    options.scale = SCALE;
    options.kernel = config->kernel;
    options.num_threads = config->num_threads;
    return create_model(&options);
}

static void combined_matches_formula(void **state)
{
    const forward_config *config = *state;
    combined_data *d = make_data();
    emb_model *model = combined_model(d, config);
    size_t count = (size_t)BATCH * SEQ * DIM;
    float *out = malloc(count * sizeof(float));
    float *expected = malloc(count * sizeof(float));

    assert_non_null(out);
    assert_non_null(expected);
    assert_true(count * sizeof(float) > ((size_t)1 << 20));
    assert_int_equal(emb_positions_from_mask_i64(d->mask, BATCH, SEQ, 0,
                                                 d->positions,
                                                 BATCH * SEQ, NULL),
                     EMB_OK);
    for (int b = 0; b < BATCH; b++)
        for (int t = 0; t < SEQ; t++) {
            int i = b * SEQ + t;
            int64_t position = t < d->padding[b] ? 0 : t - d->padding[b];

            assert_int_equal(d->positions[i], position);
            for (int c = 0; c < DIM; c++) {
                float v = d->token[d->ids[i] * DIM + c] * SCALE;
                v = v + d->position[position * DIM + c];
                v = v + d->types[d->type_ids[i] * DIM + c];
                expected[(size_t)i * DIM + c] = v;
            }
        }

    fill_sentinel(out, count * sizeof(float));
    assert_int_equal(forward_with(config, model, d->ids, d->positions,
                                  d->type_ids, BATCH, SEQ, 0, out,
                                  (int64_t)count, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, count);
    free(out);
    free(expected);
    free(d);
    emb_model_destroy(model);
}

static void combined_rows_match_unpadded(void **state)
{
    const forward_config *config = *state;
    combined_data *d = make_data();
    emb_model *model = combined_model(d, config);
    size_t count = (size_t)BATCH * SEQ * DIM;
    float *out = malloc(count * sizeof(float));
    float *row = malloc((size_t)SEQ * DIM * sizeof(float));

    assert_non_null(out);
    assert_non_null(row);
    assert_int_equal(emb_positions_from_mask_i64(d->mask, BATCH, SEQ, 0,
                                                 d->positions,
                                                 BATCH * SEQ, NULL),
                     EMB_OK);
    assert_int_equal(forward_with(config, model, d->ids, d->positions,
                                  d->type_ids, BATCH, SEQ, 0, out,
                                  (int64_t)count, NULL),
                     EMB_OK);
    for (int b = 0; b < BATCH; b++) {
        int64_t first = b * SEQ + d->padding[b];
        int64_t real = SEQ - d->padding[b];

        /* The same tokens without padding, positions 0 .. real - 1. */
        assert_int_equal(forward_ex_with(config, model, d->ids + first, NULL,
                                         d->type_ids + first, 1, real, 0,
                                         row, real * DIM, NULL),
                         EMB_OK);
        assert_floats_identical(row, out + first * DIM, (size_t)(real * DIM));
    }
    free(out);
    free(row);
    free(d);
    emb_model_destroy(model);
}

static void combined_padding_slots_use_row(void **state)
{
    const forward_config *config = *state;
    combined_data *d = make_data();
    emb_model *model = combined_model(d, config);
    size_t count = (size_t)BATCH * SEQ * DIM;
    float *out = malloc(count * sizeof(float));

    assert_non_null(out);
    assert_int_equal(emb_positions_from_mask_i64(d->mask, BATCH, SEQ, 0,
                                                 d->positions,
                                                 BATCH * SEQ, NULL),
                     EMB_OK);
    assert_int_equal(forward_with(config, model, d->ids, d->positions,
                                  d->type_ids, BATCH, SEQ, 0, out,
                                  (int64_t)count, NULL),
                     EMB_OK);
    /* A copied padding row is used as given: padding slots hold
     * token[0] * scale + position[0] + type[0]. */
    for (int c = 0; c < DIM; c++) {
        float v = d->token[PADDING_ID * DIM + c] * SCALE;
        v = v + d->position[c];
        v = v + d->types[c];
        assert_true(memcmp(&out[c], &v, sizeof(float)) == 0);
    }
    free(out);
    free(d);
    emb_model_destroy(model);
}

int main(void)
{
    static const config_test matrix[] = {
        {"combined_matches_formula", combined_matches_formula},
        {"combined_rows_match_unpadded", combined_rows_match_unpadded},
        {"combined_padding_slots_use_row", combined_padding_slots_use_row},
    };

    return run_config_tests("combined", matrix,
                            sizeof(matrix) / sizeof(matrix[0]));
}
