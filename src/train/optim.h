// Forwarding header: SGD, gradient norm and clipping moved to src/nn/optim.h (the executor applies them).
#pragma once
#include "nn/optim.h"
