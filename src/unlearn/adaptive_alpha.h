// Forwarding header: the self-adaptive alpha moved to src/nn/adaptive_alpha.h (the model executor runs it).
#pragma once
#include "nn/adaptive_alpha.h"
