/* Shared test helpers; see helpers.h. */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

void fixture_tables(float token[FIXTURE_VOCAB * FIXTURE_DIM],
                    float position[FIXTURE_CONTEXT * FIXTURE_DIM])
{
    for (int v = 0; v < FIXTURE_VOCAB; v++)
        for (int c = 0; c < FIXTURE_DIM; c++)
            token[v * FIXTURE_DIM + c] = (float)(10 * v + c);
    for (int p = 0; p < FIXTURE_CONTEXT; p++)
        for (int c = 0; c < FIXTURE_DIM; c++)
            position[p * FIXTURE_DIM + c] = (float)(100 * p);
}

emb_model *fixture_model(int32_t kernel, int32_t num_threads)
{
    float token[FIXTURE_VOCAB * FIXTURE_DIM];
    float position[FIXTURE_CONTEXT * FIXTURE_DIM];
    emb_model_options options;
    emb_model *model = NULL;
    emb_error err;

    fixture_tables(token, position);
    emb_model_options_init(&options);
    emb_error_init(&err);
    options.init = EMB_INIT_COPY;
    options.vocab_size = FIXTURE_VOCAB;
    options.dim = FIXTURE_DIM;
    options.context_length = FIXTURE_CONTEXT;
    options.token_data = token;
    options.position_data = position;
    options.kernel = kernel;
    options.num_threads = num_threads;
    if (emb_model_create(&options, &model, &err) != EMB_OK)
        fail_msg("fixture creation failed: %s", err.message);
    return model;
}

void fill_sentinel(void *buffer, size_t bytes)
{
    memset(buffer, SENTINEL_BYTE, bytes);
}

void assert_sentinel(const void *buffer, size_t bytes)
{
    const unsigned char *p = buffer;

    for (size_t i = 0; i < bytes; i++) {
        if (p[i] != SENTINEL_BYTE)
            fail_msg("output byte %zu was written (0x%02x)", i, p[i]);
    }
}

void assert_floats_identical(const float *expected, const float *actual,
                             size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (memcmp(&expected[i], &actual[i], sizeof(float)) != 0)
            fail_msg("element %zu differs: expected %.9g, got %.9g", i,
                     (double)expected[i], (double)actual[i]);
    }
}
