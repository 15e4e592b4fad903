// model_sync.c — rank 0's BatchNorm statistics to every rank (see model_sync.h).
#include "nn/model_sync.h"

#include "common/util.h"
#include "dist/dist.h"

void model_sync_buffers(Model* m) {
    if (g_dist.world <= 1 || m->num_buffers == 0) return;
    UG_CHECK(m->num_buffers < 2147483647u, "model: BN buffers too large to broadcast (%zu floats)", (size_t)m->num_buffers);
    model_state_to_host(m);
    MPI_CHECK(MPI_Bcast(m->buffers, (int)m->num_buffers, MPI_FLOAT, 0, g_dist.comm));
    model_state_to_device(m);
}
