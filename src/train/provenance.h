// provenance.h — the identities a checkpoint records about where its model comes from (checkpoint.h, Provenance):
// a hash of a split's index sets and a text that names a dataset by its content rather than its path.
#pragma once
#include <stddef.h>

#include "common/opts.h"
#include "data/dataset.h"
#include "data/split.h"

enum { PROVENANCE_HASH_CHARS = 17 };   // 16 hex digits + NUL

// FNV-1a 64 of the split's forget, retain, val, val_keep and test_keep index sets (with their sizes), as hex.
void provenance_split_hash(const Split* sp, char out[PROVENANCE_HASH_CHARS]);

// "source=<source>; classes=K; image=HxWxC[; train_labels_hash=<hex>]": the labels hash is the split's (split_load
// checked that it is the dataset's train labels); without a split it is left out.
void provenance_dataset_id(const Dataset* ds, const Split* sp, char* out, size_t cap);

// The effective values of an option table as INI text under [section] (malloc'd): a run's full config.
char* provenance_options_text(const char* section, const OptSpec* specs);

// The value of `key = value` in INI text (any section), malloc'd; NULL when absent.
char* provenance_ini_value(const char* text, const char* key);

// Compares the values of `keys` in two run configs (INI text as provenance_options_text writes it; an absent key
// is ""); keys listed in path_keys compare by the file they name (realpath) when both exist.  Writes
// "key (checkpoint: A, now: B), ..." into out and returns the number of differences.
int provenance_config_diff(const char* before, const char* now, const char* const* keys,
                           const char* const* path_keys, char* out, size_t cap);
