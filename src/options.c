/* Defaults of the option structs. Callers change only what differs. */
#include <string.h>

#include "internal.h"

void emb_model_options_init(emb_model_options *options)
{
    if (options == NULL)
        return;
    memset(options, 0, sizeof(*options));
    options->struct_size = (uint32_t)sizeof(*options);
    options->init = EMB_INIT_ZEROS;
    options->stddev = 0.02;
    options->storage_dtype = EMB_DTYPE_F32;
    options->position_kind = EMB_POSITION_LEARNED;
    options->sinusoid_base = 10000.0;
    options->sinusoid_layout = EMB_SINUSOID_INTERLEAVED;
    options->scale = 1.0f;
    options->kernel = EMB_KERNEL_AUTO;
}

void emb_load_options_init(emb_load_options *options)
{
    if (options == NULL)
        return;
    memset(options, 0, sizeof(*options));
    options->struct_size = (uint32_t)sizeof(*options);
    options->mode = EMB_LOAD_COPY;
    options->kernel = EMB_KERNEL_AUTO;
}
