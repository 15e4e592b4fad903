// pack_writer.c — parallel (collective MPI-IO) appends to a dataset file; see pack_writer.h.
#include "data/pack_writer.h"

#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/util.h"

// ---------------------------------------------------------------- collective helpers

int64_t par_exscan_i64(MPI_Comm comm, int64_t v) {
    if (comm == MPI_COMM_NULL) return 0;
    int64_t below = 0;
    int rank = 0;
    MPI_CHECK(MPI_Comm_rank(comm, &rank));
    MPI_CHECK(MPI_Exscan(&v, &below, 1, MPI_INT64_T, MPI_SUM, comm));
    return rank == 0 ? 0 : below;   // MPI leaves rank 0's result undefined
}

int64_t par_sum_i64(MPI_Comm comm, int64_t v) {
    if (comm == MPI_COMM_NULL) return v;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_SUM, comm));
    return v;
}

int64_t par_max_i64(MPI_Comm comm, int64_t v) {
    if (comm == MPI_COMM_NULL) return v;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_MAX, comm));
    return v;
}

void par_bcast(MPI_Comm comm, void* buf, int64_t bytes, int root) {
    if (comm == MPI_COMM_NULL) return;
    const int64_t chunk = (int64_t)1 << 30;   // MPI counts are int
    for (int64_t off = 0; off < bytes; off += chunk) {
        int64_t len = bytes - off < chunk ? bytes - off : chunk;
        MPI_CHECK(MPI_Bcast((char*)buf + off, (int)len, MPI_BYTE, root, comm));
    }
}

void par_barrier(MPI_Comm comm) {
    if (comm != MPI_COMM_NULL) MPI_CHECK(MPI_Barrier(comm));
}

// ---------------------------------------------------------------- writer

void parw_begin(ParWriter* w, const char* path, MPI_Comm comm) {
    memset(w, 0, sizeof *w);
    w->comm = comm;
    w->world = 1;
    if (comm != MPI_COMM_NULL) {
        MPI_CHECK(MPI_Comm_rank(comm, &w->rank));
        MPI_CHECK(MPI_Comm_size(comm, &w->world));
    }
    snprintf(w->path, sizeof w->path, "%s", path);
    if (w->rank == 0) atomic_tmp_name(path, w->tmp, sizeof w->tmp);   // rank 0's pid names the temp file
    par_bcast(comm, w->tmp, sizeof w->tmp, 0);
    if (w->rank != 0) atomic_tmp_track(w->tmp);   // whichever rank dies first removes the shared temp file
    hid_t fapl = dataset_fapl(comm);
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (w->file < 0) ug_die("cannot create '%s' (is the directory there and writable on every rank?)", w->tmp);
    H5_CHECK(H5Pclose(fapl));
    w->dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5_CHECK(w->dxpl);
    if (comm != MPI_COMM_NULL) H5_CHECK(H5Pset_dxpl_mpio(w->dxpl, H5FD_MPIO_COLLECTIVE));
}

static hid_t create_growing(hid_t group, const char* name, hid_t type, int rank, const hsize_t* inner, hsize_t chunk_rows) {
    hsize_t dims[4] = {0}, maxdims[4] = {H5S_UNLIMITED}, chunk[4] = {chunk_rows};
    for (int k = 1; k < rank; k++) dims[k] = maxdims[k] = chunk[k] = inner[k - 1];
    hid_t space = H5Screate_simple(rank, dims, maxdims);
    H5_CHECK(space);
    hid_t dcpl = dataset_column_dcpl(rank, chunk);   // checksummed chunks (parallel: collective writes, HDF5 >= 1.10.2)
    H5_CHECK(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER));   // every row is written: no fill pass
    hid_t d = H5Dcreate2(group, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    H5_CHECK(H5Pclose(dcpl));
    H5_CHECK(H5Sclose(space));
    return d;
}

void parw_split_create(ParWriter* w, ParSplit* s, const char* name, DatasetMode mode, int h, int w_, int c,
                       int64_t chunk_rows, int with_groups) {
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->h = h;
    s->w = w_;
    s->c = c;
    s->group = H5Gcreate2(w->file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(s->group);
    if (mode == DS_DECODED) {
        hsize_t inner[3] = {(hsize_t)h, (hsize_t)w_, (hsize_t)c};
        s->data = create_growing(s->group, "images", H5T_STD_U8LE, 4, inner, (hsize_t)(chunk_rows > 0 ? chunk_rows : 1));
    } else {
        s->data = create_growing(s->group, "jpeg", H5T_STD_U8LE, 1, NULL, DATASET_JPEG_CHUNK_BYTES);
        s->offsets = create_growing(s->group, "offsets", H5T_STD_I64LE, 1, NULL, DATASET_COLUMN_CHUNK_ROWS);
    }
    s->labels = create_growing(s->group, "labels", H5T_STD_I32LE, 1, NULL, DATASET_COLUMN_CHUNK_ROWS);
    if (with_groups) s->groups = create_growing(s->group, "groups", H5T_STD_I32LE, 1, NULL, DATASET_COLUMN_CHUNK_ROWS);
}

// Grows d to `new_len` rows and writes n_local rows at `start` from buf (mem_type elements of row_elems each).
// Collective: every rank calls it, a rank with n_local == 0 selects nothing.
static void write_rows(ParWriter* w, hid_t d, int rank, int64_t new_len, int64_t start, int64_t n_local,
                       hid_t mem_type, const void* buf) {
    hsize_t dims[4];
    hid_t space = H5Dget_space(d);
    H5_CHECK(space);
    H5_CHECK(H5Sget_simple_extent_dims(space, dims, NULL));
    H5_CHECK(H5Sclose(space));
    if ((int64_t)dims[0] != new_len) {
        dims[0] = (hsize_t)new_len;
        H5_CHECK(H5Dset_extent(d, dims));
    }
    hid_t fspace = H5Dget_space(d);
    H5_CHECK(fspace);
    // the memory space has the file selection's shape: HDF5 then copies whole rows instead of mapping
    // element by element (which made 4-D writes ~10x slower)
    hsize_t mdims[4] = {n_local > 0 ? (hsize_t)n_local : 1, 1, 1, 1};
    for (int k = 1; k < rank; k++) mdims[k] = dims[k];
    hid_t mspace = H5Screate_simple(rank, mdims, NULL);
    H5_CHECK(mspace);
    if (n_local > 0) {
        hsize_t off[4] = {(hsize_t)start, 0, 0, 0}, cnt[4] = {(hsize_t)n_local};
        for (int k = 1; k < rank; k++) cnt[k] = dims[k];
        H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL));
    } else {
        H5_CHECK(H5Sselect_none(fspace));
        H5_CHECK(H5Sselect_none(mspace));
    }
    static const uint8_t dummy[8];
    H5_CHECK(H5Dwrite(d, mem_type, mspace, fspace, w->dxpl, n_local > 0 ? buf : dummy));
    H5_CHECK(H5Sclose(mspace));
    H5_CHECK(H5Sclose(fspace));
}

void parw_append_decoded(ParWriter* w, ParSplit* s, int64_t n_local, const uint8_t* images, const int32_t* labels,
                         const int32_t* groups) {
    UG_CHECK(s->mode == DS_DECODED, "parw_append_decoded on a JPEG split");
    int64_t below = par_exscan_i64(w->comm, n_local), total = par_sum_i64(w->comm, n_local);
    if (total == 0) return;
    int64_t start = s->rows + below, new_len = s->rows + total;
    write_rows(w, s->data, 4, new_len, start, n_local, H5T_NATIVE_UINT8, images);
    write_rows(w, s->labels, 1, new_len, start, n_local, H5T_NATIVE_INT32, labels);
    if (s->groups > 0) write_rows(w, s->groups, 1, new_len, start, n_local, H5T_NATIVE_INT32, groups);
    s->rows = new_len;
}

void parw_append_jpeg(ParWriter* w, ParSplit* s, int64_t n_local, const uint8_t* bytes, const int64_t* sizes,
                      const int32_t* labels, const int32_t* groups) {
    UG_CHECK(s->mode == DS_JPEG, "parw_append_jpeg on a decoded split");
    int64_t local_bytes = 0;
    for (int64_t k = 0; k < n_local; k++) local_bytes += sizes[k];
    int64_t below = par_exscan_i64(w->comm, n_local), total = par_sum_i64(w->comm, n_local);
    int64_t bytes_below = par_exscan_i64(w->comm, local_bytes), bytes_total = par_sum_i64(w->comm, local_bytes);
    if (total == 0) return;
    int64_t start = s->rows + below, new_len = s->rows + total;
    int64_t* offsets = ug_malloc((size_t)(n_local > 0 ? n_local : 1) * sizeof(int64_t));
    int64_t at = s->bytes + bytes_below;
    for (int64_t k = 0; k < n_local; k++) { offsets[k] = at; at += sizes[k]; }
    write_rows(w, s->data, 1, s->bytes + bytes_total, s->bytes + bytes_below, local_bytes, H5T_NATIVE_UINT8, bytes);
    write_rows(w, s->offsets, 1, new_len, start, n_local, H5T_NATIVE_INT64, offsets);
    write_rows(w, s->labels, 1, new_len, start, n_local, H5T_NATIVE_INT32, labels);
    if (s->groups > 0) write_rows(w, s->groups, 1, new_len, start, n_local, H5T_NATIVE_INT32, groups);
    free(offsets);
    s->rows = new_len;
    s->bytes += bytes_total;
}

void parw_split_close(ParWriter* w, ParSplit* s) {
    if (s->mode == DS_JPEG) {
        int64_t last = s->bytes;   // offsets has N+1 entries: the last is the total byte count
        write_rows(w, s->offsets, 1, s->rows + 1, s->rows, w->rank == 0 ? 1 : 0, H5T_NATIVE_INT64, &last);
        H5_CHECK(H5Dclose(s->offsets));
    }
    H5_CHECK(H5Dclose(s->data));
    H5_CHECK(H5Dclose(s->labels));
    if (s->groups > 0) H5_CHECK(H5Dclose(s->groups));
    H5_CHECK(H5Gclose(s->group));
    memset(s, 0, sizeof *s);
}

void parw_write_strings_attr(ParWriter* w, const char* name, char* const* strs, int n) {
    size_t len = 1;   // one fixed-length string array (longest + NUL), like class_names
    for (int k = 0; k < n; k++) if (strlen(strs[k]) + 1 > len) len = strlen(strs[k]) + 1;
    char* buf = ug_calloc((size_t)(n > 0 ? n : 1), len);
    for (int k = 0; k < n; k++) memcpy(buf + (size_t)k * len, strs[k], strlen(strs[k]));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5_CHECK(t);
    H5_CHECK(H5Tset_size(t, len));
    H5_CHECK(H5Tset_strpad(t, H5T_STR_NULLTERM));
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    H5_CHECK(space);
    hid_t a = H5Acreate2(w->file, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(a);
    H5_CHECK(H5Awrite(a, t, buf));
    H5_CHECK(H5Aclose(a));
    H5_CHECK(H5Sclose(space));
    H5_CHECK(H5Tclose(t));
    free(buf);
}

void parw_finish(ParWriter* w, const DatasetInfo* info) {
    dataset_write_root_attrs(w->file, info);
    H5_CHECK(H5Pclose(w->dxpl));
    H5_CHECK(H5Fclose(w->file));
    if (w->rank == 0) atomic_rename(w->tmp, w->path);
    par_barrier(w->comm);
    if (w->rank != 0) atomic_tmp_untrack(w->tmp);   // after the barrier: rank 0 has renamed it
}
