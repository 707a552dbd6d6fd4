/*
 * The demo part of embedding-cli's default run: embeds each demo sentence on
 * its own and prints cosine similarities that show what the position rows
 * add (a recurring token, and two sentences with the same ids in another
 * order).
 */
#ifndef EMB_CLI_DEMO_H
#define EMB_CLI_DEMO_H

#include "embedding/embedding.h"
#include "ids.h"

/* Embeds every sentence at positions 0 .. T - 1 and prints the analysis on
 * stdout. Every id must already be checked against the vocabulary. Returns
 * CLI_CONTINUE, or CLI_EXIT_DATA after printing a library error. */
int demo_report(const emb_model *model, const id_sequences *sentences);

#endif /* EMB_CLI_DEMO_H */
