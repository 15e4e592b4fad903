// synth_dataset.h — a small decoded dataset for tests, and a temporary folder shared by the ranks of an MPI test.
// The dataset: k classes (k <= 10) of img x img x 1 images whose pixels depend on the class, with noise, so a
// random model's outputs vary with class and sample; train sample i has label i % k, test sample i (i + 1) % k.
#pragma once
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"

static uint8_t synth_pixel(int64_t i, int j, int32_t y) {
    return (uint8_t)((y * 60 + ((j * 7 + y * 13) % 17) * 5 + (i * 31 + j * 3) % 23) & 0xff);
}

static void synth_dataset_write(const char* path, int n_train, int n_test, int img, int k, const char* source) {
    static char* names[10] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
    DatasetInfo info;
    memset(&info, 0, sizeof info);
    info.mode = DS_DECODED;
    info.num_classes = k;
    info.class_names = names;
    info.height = img; info.width = img; info.channels = 1;
    info.mean[0] = 0.5f; info.std[0] = 0.25f;
    snprintf(info.source, sizeof info.source, "%s", source);
    size_t px = (size_t)img * img;
    uint8_t* train = malloc((size_t)n_train * px);
    uint8_t* test = malloc((size_t)n_test * px);
    int32_t* ytr = malloc(sizeof(int32_t) * (size_t)n_train);
    int32_t* yte = malloc(sizeof(int32_t) * (size_t)n_test);
    for (int i = 0; i < n_train; i++) {
        ytr[i] = i % k;
        for (size_t j = 0; j < px; j++) train[i * px + j] = synth_pixel(i, (int)j, ytr[i]);
    }
    for (int i = 0; i < n_test; i++) {
        yte[i] = (i + 1) % k;
        for (size_t j = 0; j < px; j++) test[i * px + j] = synth_pixel(i + 1000, (int)j, yte[i]);
    }
    DatasetWriter w;
    dataset_write_begin(&w, path, &info);
    dataset_write_split_decoded(&w, "train", n_train, train, ytr, NULL, NULL);
    dataset_write_split_decoded(&w, "test", n_test, test, yte, NULL, NULL);
    dataset_write_finish(&w);
    free(train);
    free(test);
    free(ytr);
    free(yte);
}

// Rank 0 makes /tmp/<name>.XXXXXX; every rank gets its path.  MPI must be initialised.
__attribute__((unused)) static void synth_tmpdir_mpi(char* dir, size_t cap, const char* name) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
        snprintf(dir, cap, "/tmp/%s.XXXXXX", name);
        if (!mkdtemp(dir)) { perror("mkdtemp"); MPI_Abort(MPI_COMM_WORLD, 1); }
    }
    MPI_Bcast(dir, (int)cap, MPI_CHAR, 0, MPI_COMM_WORLD);
}

// After every rank is done with it: rank 0 removes the folder.
__attribute__((unused)) static void synth_rmdir_mpi(const char* dir) {
    int rank = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    }
}
