/*
 * A minimal program built against an installed libembedding, used by the
 * install test to check the pkg-config file and the CMake package. It
 * creates a 4 x 3 model from caller tables, where token row v is
 * [10v, 10v + 1, 10v + 2] and position row p is [100p, 100p, 100p]. It then
 * runs one forward of ids [1, 2, 3] and prints the version line and one
 * output row per line. Exits 1 on any failure, with the library's message
 * on stderr.
 */
#include <stdio.h>

#include <embedding/embedding.h>

#define VOCAB 4
#define DIM 3
#define CONTEXT 4
#define SEQ 3

int main(void)
{
    float token[VOCAB * DIM];
    float position[CONTEXT * DIM];
    const int32_t ids[SEQ] = {1, 2, 3};
    float out[SEQ * DIM];
    emb_model_options options;
    emb_model *model = NULL;
    emb_error err;
    emb_status status;

    if (emb_abi_version() != EMB_ABI_VERSION) {
        fprintf(stderr, "consumer: built for ABI %d but loaded ABI %u\n",
                EMB_ABI_VERSION, (unsigned)emb_abi_version());
        return 1;
    }
    for (int v = 0; v < VOCAB; v++)
        for (int c = 0; c < DIM; c++)
            token[v * DIM + c] = (float)(10 * v + c);
    for (int p = 0; p < CONTEXT; p++)
        for (int c = 0; c < DIM; c++)
            position[p * DIM + c] = (float)(100 * p);

    emb_error_init(&err);
    emb_model_options_init(&options);
    options.init = EMB_INIT_COPY;
    options.vocab_size = VOCAB;
    options.dim = DIM;
    options.context_length = CONTEXT;
    options.token_data = token;
    options.position_data = position;
    options.num_threads = 1;
    status = emb_model_create(&options, &model, &err);
    if (status != EMB_OK) {
        fprintf(stderr, "consumer: model creation failed: %s (%s)\n",
                emb_status_message(status), err.message);
        return 1;
    }

    status = emb_forward_i32(model, ids, 1, SEQ, 0, out, SEQ * DIM, &err);
    emb_model_destroy(model);
    if (status != EMB_OK) {
        fprintf(stderr, "consumer: forward failed: %s (%s)\n",
                emb_status_message(status), err.message);
        return 1;
    }

    printf("embedding %s\n", emb_version_string());
    for (int t = 0; t < SEQ; t++)
        printf("%g %g %g\n", (double)out[t * DIM], (double)out[t * DIM + 1],
               (double)out[t * DIM + 2]);
    return 0;
}
