// method.h — the unlearning methods of issue 4 and the loop that runs them (METHOD.md §2, §5): everything a
// command needs, in one include.  The pieces: config.h (kinds, UnlearnConfig, UnlearnResult), registry.h (one
// row per method: its stream, loss signs, hooks, runner, validator, options), loop.h (the loop and the step).
//
// Every method is one kind of data-parallel SGD step over a batch made of a retain part B_r and a forget part
// B_f, built on the one fused loss (gls_xent) with per-sample smooth rate alpha_i and weight w_i:
//   ugradsl / ugradsl+   L = p·mean_{B_r} CE  -  (1-p)·mean_{B_f} GLS(alpha_i)      (Eq. 8, |B_f| = |B_r|)
//                        ugradsl: an epoch is a pass over D_f (D_r cycled); ugradsl+: a pass over D_r (D_f cycled)
//   ga                   L = -mean_{B_f} CE                                           (forget set only)
//   ft                   L =  mean_{B_r} CE                                           (retain set only)
//   rl                   CE on D_r ∪ D_f where every forget sample carries a fixed uniformly random label
//                        (it may equal the true one), as the public code: one shuffled stream over the union
//   retrain              not a step: `ugradsl train --on retain` with the original recipe
// The other baselines of the paper (docs/BASELINES.md; src/unlearn/baselines.h) are rows of the same registry.
// B_r and B_f go through separate forward passes (step.c).  A part whose weight is zero (p = 1 or p = 0) is left
// out of the batch, so p = 1 is exactly an FT step and p = 0 with alpha = 0 exactly a GA step, BatchNorm included.
#pragma once
#include "unlearn/config.h"
#include "unlearn/loop.h"
#include "unlearn/registry.h"
