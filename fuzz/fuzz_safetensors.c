/*
 * libFuzzer harness for the safetensors reader. Each input is used twice:
 *
 * 1. as a whole file image, loaded in copy mode and in mmap mode (F32
 *    tensors used in place from a 64-byte aligned copy of the input), with
 *    the default tensor names and with no position tensor. A model that
 *    loads is read, saved to an in-memory image with the writer's own
 *    layout, loaded back, and must come back bit for bit;
 * 2. as the JSON header text alone, parsed when it is valid UTF-8.
 *
 * Any sanitizer report or abort() is a finding. Built by tools/fuzz against
 * the library sources (it calls internal functions from safetensors.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops the fuzzer with a message: a broken invariant is a finding. */
static void finding(const char *broken_rule, const emb_error *err)
{
    fprintf(stderr, "fuzz_safetensors: %s (status %d: %s)\n", broken_rule,
            (int)err->status, err->message);
    abort();
}

/* Reads the first and last row of every table, so that ASan reports any
 * table pointer that does not cover its rows. */
static void touch_tables(const emb_model *model)
{
    int64_t dim = emb_model_dim(model);
    float *row = malloc((size_t)dim * sizeof(float));

    if (row == NULL)
        return;
    for (int32_t table = EMB_TABLE_TOKEN; table <= EMB_TABLE_TOKEN_TYPE;
         table++) {
        int64_t rows = emb_model_table_rows(model, table);

        if (rows == 0)
            continue;
        if (emb_model_read_row(model, table, 0, row, dim, NULL) != EMB_OK ||
            emb_model_read_row(model, table, rows - 1, row, dim, NULL) !=
                EMB_OK) {
            emb_error none;
            emb_error_init(&none);
            finding("a row of a loaded table cannot be read", &none);
        }
    }
    free(row);
}

/* Saves `model` into an in-memory file image, loads it back and compares
 * every table byte for byte. */
static void check_save_roundtrip(const emb_model *model)
{
    st_save_plan plan;
    emb_load_options options;
    emb_model *reloaded = NULL;
    emb_error err;
    unsigned char *image;
    size_t size;
    st_source source;

    emb_error_init(&err);
    if (emb_st_plan_save(model, NULL, NULL, 0, &plan, &err) != EMB_OK) {
        if (err.status == EMB_ERR_OUT_OF_MEMORY)
            return;
        finding("the writer rejected a loaded model", &err);
    }
    size = 8 + plan.header_length + (size_t)plan.data_length;
    image = malloc(size);
    if (image == NULL) {
        emb_st_plan_free(&plan);
        return;
    }
    for (int i = 0; i < 8; i++)
        image[i] = (unsigned char)((uint64_t)plan.header_length >> (8 * i));
    memcpy(image + 8, plan.header, plan.header_length);
    for (size_t i = 0; i < plan.tensor_count; i++)
        memcpy(image + 8 + plan.header_length + plan.tensors[i].begin,
               plan.tensors[i].data,
               (size_t)(plan.tensors[i].end - plan.tensors[i].begin));

    source.path = "<saved image>";
    source.fd = -1;
    source.image = image;
    source.size = size;
    emb_load_options_init(&options);
    options.num_threads = 1;
    options.no_position_tensor =
        emb_model_position_kind(model) == EMB_POSITION_NONE;
    if (emb_st_load(&source, &options, false, &reloaded, &err) != EMB_OK)
        finding("a file written by the writer does not load", &err);

    for (int32_t table = EMB_TABLE_TOKEN; table <= EMB_TABLE_TOKEN_TYPE;
         table++) {
        int64_t rows = emb_model_table_rows(model, table);
        size_t bytes = (size_t)rows * (size_t)emb_model_dim(model) *
                       sizeof(float);

        if (emb_model_table_rows(reloaded, table) != rows ||
            (rows > 0 && memcmp(emb_model_table_data(model, table),
                                emb_model_table_data(reloaded, table),
                                bytes) != 0))
            finding("a saved table does not load back bit for bit", &err);
    }
    emb_model_destroy(reloaded);
    free(image);
    emb_st_plan_free(&plan);
}

static void load_image(const unsigned char *image, size_t size,
                       bool map_in_place, bool no_position)
{
    st_source source = {"<fuzz input>", -1, image, size};
    emb_load_options options;
    emb_model *model = NULL;
    emb_error err;
    emb_status status;

    emb_load_options_init(&options);
    options.num_threads = 1;
    options.no_position_tensor = no_position;
    emb_error_init(&err);
    status = emb_st_load(&source, &options, map_in_place, &model, &err);

    if (status != EMB_OK) {
        if (model != NULL)
            finding("a failed load returned a model", &err);
        if (err.status != status || err.message[0] == '\0')
            finding("a failed load left no error message", &err);
        if (status != EMB_ERR_FORMAT && status != EMB_ERR_NOT_FOUND &&
            status != EMB_ERR_SHAPE_MISMATCH &&
            status != EMB_ERR_UNSUPPORTED &&
            status != EMB_ERR_OUT_OF_MEMORY &&
            status != EMB_ERR_INVALID_ARGUMENT)
            finding("a load failed with an unexpected status", &err);
        return;
    }
    touch_tables(model);
    check_save_roundtrip(model);
    emb_model_destroy(model);
}

/* Parses the input as header text on its own. */
static void parse_header_text(const uint8_t *data, size_t size)
{
    st_json_document doc;
    emb_error err;
    size_t bad_offset;
    char *text;

    if (!emb_st_utf8_valid(data, size, &bad_offset))
        return;
    text = malloc(size + 1);
    if (text == NULL)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    emb_error_init(&err);
    if (emb_st_json_parse(text, size, 8, "<fuzz header>", &doc, &err) ==
        EMB_OK) {
        /* Every subtree must end inside the node array. */
        for (uint32_t i = 0; i < doc.node_count; i++) {
            if (doc.nodes[i].end <= i || doc.nodes[i].end > doc.node_count)
                finding("a JSON node has a bad subtree end", &err);
        }
        emb_st_json_free(&doc);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *aligned = NULL;

    /* A 64-byte aligned copy, so that mmap mode can use tensors in place
     * as it does with a page-aligned file mapping. */
    if (posix_memalign((void **)&aligned, 64, size > 0 ? size : 1) != 0)
        return 0;
    if (size > 0)
        memcpy(aligned, data, size);

    load_image(aligned, size, false, false);
    load_image(aligned, size, true, false);
    load_image(aligned, size, true, true);
    free(aligned);

    parse_header_text(data, size);
    return 0;
}
