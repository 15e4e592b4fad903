// model_sync.h — make every rank's model state equal to rank 0's.
// (Provisional home: the model owner adds model_sync_buffers to nn/model.h; this file merges into it.)
#pragma once
#include "nn/model.h"

// Broadcasts rank 0's BatchNorm running statistics (m->buffers) to every rank: they drift apart during
// data-parallel training because each rank normalises its own shard.  Collective; a model on a GPU is brought to
// the host and back around the broadcast.  Nothing to do with one rank or a model without buffers.
void model_sync_buffers(Model* m);
