// gpu_model.c — the device mirror of a Model (see gpu_model.h).  The walk is model.c's, layer for layer, with the
// cuDNN / cuBLAS wrappers and our kernels in place of the CPU ops.  Builds without CUDA get the stubs at the end.
#include "gpu/gpu_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "nn/executor.h"
#include "nn/grad_buckets.h"
#include "nn/model_impl.h"

#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f

#ifdef UG_HAVE_CUDA
#include "ug_cuda.h"
#include "ug_kernels.h"
#include "ug_layers.h"
#include "ug_nccl.h"
#include "gpu/gpu_dims.h"

typedef struct {
    Model* m;
    GpuCtx* ctx;
    GpuComm* comm;
    cudaStream_t s;
    GpuConv** conv;          // [num_layers], per layer kind
    GpuBn** bn;
    GpuPool** pool;
    float *params, *grads, *buffers, *momentum, *saved, *stage;   // flat [P] (buffers [num_buffers])
    uint8_t* mask;
    const uint8_t* mask_src; // host mask uploaded last (pointer identity)
    size_t cap_batch;
    size_t* slot_off;        // byte offsets into acts / dacts
    char *acts, *dacts, *scratch;   // slots of their own type (slot_dt); scratch: one slot's worth, any type
    float* aux;
    unsigned char* written;
    float* dlogits;          // [cap, K]
    int32_t* labels;
    float *alpha, *weight, *loss;
    double *wloss, *total, *norm;
    double* kl_scratch;      // [2·cap] the distillation loss's per-row terms (gpu_kl_loss_backward)
    int32_t* pred;           // [cap] the student's predictions from the distillation loss
    float *host_logits, *host_features, *host_loss;   // pinned
    int last_n, last_train, want_dx;
    size_t max_slot;
    int cudnn_bn;            // 1: cuDNN's batch norm (UG_GPU_BN=cudnn); 0: ours (kernels/k_bn_nhwc.cu), the default
    double* bn_scratch;      // ours: slice partials, sized for cap_batch
    // bf16 mixed precision (GpuModelOptions.bf16): activations and their gradients in bf16 where slot_dt says so,
    // convolutions on a bf16 copy of the weights (wbf, refreshed from the fp32 master weights after each update),
    // the weight gradient cast back into the fp32 gradient buffer; everything else fp32.
    int bf16;
    UgDtype* slot_dt;        // [num_slots]
    uint16_t* wbf;           // [P] bf16 copy of params (only the convolution weights are read)
    uint16_t* dwbf;          // the largest convolution weight gradient, bf16
    int wbf_stale;           // params changed since wbf was made
    float* io_f32;           // fp32 staging for a bf16 slot going to or from the host (input, dx, features)
    // The all-reduce overlapped with backward (GpuModelOptions.overlap, with a communicator): when armed for a
    // backward (the trainer's plain step), bucket k is enqueued on comm_s as soon as the backward of layer
    // buckets[k].after_layer is done; gpu_model_allreduce_grads then only waits for what is left.
    GradBucket* buckets;
    int nbuckets;
    cudaStream_t comm_s;
    cudaEvent_t grads_ev;
    int armed;               // the next backward sends its buckets
    int in_flight;           // buckets enqueued and not yet waited for
    int reduced;             // the gradient now on the device was summed bucket by bucket (allreduce: nothing to do)
    int grads_on_device;     // the device gradients are newer than m->grads (grads_to_host fetches them)
    // the self-adaptive alpha (gpu_adaptive_alpha): the gathered retain rows, this rank's forget rows when they
    // are not on the device in fp32, the result
    float *alpha_retain, *alpha_forget, *alpha_out;
    size_t cap_alpha_retain, cap_alpha_forget, cap_alpha_out;
} GpuNet;

static GpuCtx* g_ctx;        // one per process (one rank per GPU)

// UG_GPU_PROFILE=1: synchronise after every layer and add its wall time to its kind (forward / backward), for
// gpu_model_profile_print; costs a few microseconds per layer.
static int g_profile = -1;
static double g_prof[2][8];
static double g_prof_t0;
static void prof_start(GpuNet* g) {
    if (g_profile < 0) { const char* e = getenv("UG_GPU_PROFILE"); g_profile = e && e[0] == '1'; }
    if (!g_profile) return;
    gpu_sync(g->ctx);
    g_prof_t0 = ug_now();
}
static void prof_stop(GpuNet* g, int bwd, int kind) {
    if (!g_profile) return;
    gpu_sync(g->ctx);
    double t = ug_now();
    g_prof[bwd][kind] += t - g_prof_t0;
    g_prof_t0 = t;
}

void gpu_model_profile_print(FILE* f) {
    static const char* const KIND[8] = {"conv", "bn", "relu", "maxpool", "avgpool", "linear", "add", "loss+sgd"};
    for (int k = 0; k < 8; k++)
        if (g_prof[0][k] + g_prof[1][k] > 0)
            fprintf(f, "profile %-8s forward %9.3f ms  backward %9.3f ms\n", KIND[k], 1e3 * g_prof[0][k],
                    1e3 * g_prof[1][k]);
    memset(g_prof, 0, sizeof g_prof);
}

int gpu_available(void) { return gpu_count() > 0; }
const char* gpu_unavailable_reason(void) { return gpu_absent_reason(); }

static GpuNet* G(const Model* m) { return (GpuNet*)m->exec_state; }
static const ModelExec GPU_EXEC;
static Net* N_(const Model* m) { return (Net*)m->impl; }

// ---- layout: OIHW on the host, OHWI on the device for convolution weights ----
// Each conv weight [K][C][R][S] at offset off becomes [K][R][S][C]; everything else is copied as is.
// src is a device copy of the host-layout buffer; dst receives the device layout (or the reverse).
static void convert_layout(GpuNet* g, float* dst, const float* src, int to_device) {
    Model* m = g->m;
    Net* n = N_(m);
    CUDA_CHECK(cudaMemcpyAsync(dst, src, m->num_params * sizeof(float), cudaMemcpyDeviceToDevice, g->s));
    for (int i = 0; i < n->num_layers; i++) {
        const Layer* l = &n->layers[i];
        if (l->kind != L_CONV || (l->cd.R == 1 && l->cd.S == 1) || l->cd.C == 1) continue;   // 1x1 / C=1: same order
        (to_device ? ug_oihw_to_ohwi : ug_ohwi_to_oihw)(dst + l->w, src + l->w, l->cd.K, l->cd.C, l->cd.R, l->cd.S, g->s);
    }
}

static void upload_flat(GpuNet* g, float* dev, const float* host) {
    gpu_upload(g->stage, host, g->m->num_params * sizeof(float), g->s);
    convert_layout(g, dev, g->stage, 1);
}

static void download_flat(GpuNet* g, float* host, const float* dev) {
    convert_layout(g, g->stage, dev, 0);
    gpu_download(host, g->stage, g->m->num_params * sizeof(float), g->s);
}

// ---- activations (device), sized for cap samples ----
static void ensure_batch(GpuNet* g, size_t N) {
    if (N <= g->cap_batch) return;
    Net* n = N_(g->m);
    size_t K = (size_t)g->m->cfg.num_classes, off = 0;
    for (int i = 0; i < n->num_slots; i++) {
        g->slot_off[i] = off;
        off += (N * n->slots[i].per * ug_dtype_size(g->slot_dt[i]) + 255) & ~(size_t)255;   // 256-byte aligned slots
    }
    gpu_free(g->acts); gpu_free(g->dacts); gpu_free(g->scratch);
    gpu_free(g->dlogits); gpu_free(g->labels); gpu_free(g->alpha); gpu_free(g->weight); gpu_free(g->loss);
    gpu_free(g->wloss); gpu_free(g->bn_scratch); gpu_free(g->io_f32); gpu_free(g->kl_scratch); gpu_free(g->pred);
    size_t bn_bytes = 8;
    for (int i = 0; i < n->num_layers; i++)
        if (n->layers[i].kind == L_BN) {
            size_t b = ug_bn_nhwc_scratch_bytes(N * n->layers[i].HW, n->layers[i].C);
            if (b > bn_bytes) bn_bytes = b;
        }
    g->bn_scratch = gpu_malloc(bn_bytes, "batch-norm scratch");
    CUDA_CHECK(cudaFreeHost(g->host_logits)); CUDA_CHECK(cudaFreeHost(g->host_features));
    CUDA_CHECK(cudaFreeHost(g->host_loss));
    char what[96];
    snprintf(what, sizeof what, "activations of a batch of %zu samples", N);
    g->acts = gpu_malloc(off, what);
    g->dacts = gpu_malloc(off, what);
    g->scratch = gpu_malloc(N * g->max_slot * sizeof(float), what);
    size_t io = n->slots[0].per > (size_t)g->m->feature_dim ? n->slots[0].per : (size_t)g->m->feature_dim;
    g->io_f32 = g->bf16 ? gpu_malloc(N * io * sizeof(float), "bf16 input / output staging") : NULL;
    g->dlogits = gpu_malloc(N * K * sizeof(float), "logit gradients");
    g->labels = gpu_malloc(N * sizeof(int32_t), "labels");
    g->alpha = gpu_malloc(N * sizeof(float), "smooth rates");
    g->weight = gpu_malloc(N * sizeof(float), "sample weights");
    g->loss = gpu_malloc(N * sizeof(float), "sample losses");
    g->wloss = gpu_malloc(N * sizeof(double), "loss scratch");
    g->kl_scratch = gpu_malloc(2 * N * sizeof(double), "distillation loss scratch");
    g->pred = gpu_malloc(N * sizeof(int32_t), "predictions");
    CUDA_CHECK(cudaMallocHost((void**)&g->host_logits, N * K * sizeof(float)));
    CUDA_CHECK(cudaMallocHost((void**)&g->host_features, N * (size_t)g->m->feature_dim * sizeof(float)));
    CUDA_CHECK(cudaMallocHost((void**)&g->host_loss, N * sizeof(float)));
    g->cap_batch = N;
}

static void* act(GpuNet* g, int s) { return g->acts + g->slot_off[s]; }
static void* dact(GpuNet* g, int s) { return g->dacts + g->slot_off[s]; }
static UgDtype DT(const GpuNet* g, int s) { return g->slot_dt[s]; }
static size_t slot_bytes(const GpuNet* g, int s, size_t N) {
    return N * N_(g->m)->slots[s].per * ug_dtype_size(g->slot_dt[s]);
}
// fp32 slots only (the logits: the loss and the classifier run in fp32 in every mode)
static float* actf(GpuNet* g, int s) { UG_CHECK(DT(g, s) == UG_F32, "gpu_model: slot %d is not fp32", s); return act(g, s); }
static float* dactf(GpuNet* g, int s) { UG_CHECK(DT(g, s) == UG_F32, "gpu_model: slot %d is not fp32", s); return dact(g, s); }

// Waits for the overlapped all-reduce (polling NCCL's errors with a deadline), before anything reads or writes
// the gradient.
static void settle(GpuNet* g) {
    if (!g->in_flight) return;
    gpu_comm_wait(g->comm, g->comm_s, "all-reduce (overlapped with backward)");
    g->in_flight = 0;
}

static void send_bucket(GpuNet* g, const GradBucket* b) {
    CUDA_CHECK(cudaEventRecord(g->grads_ev, g->s));
    CUDA_CHECK(cudaStreamWaitEvent(g->comm_s, g->grads_ev, 0));
    gpu_allreduce_sum_f32_enqueue(g->comm, g->grads + b->lo, b->hi - b->lo, g->comm_s);
}

// Which slots hold bf16 in the mixed-precision mode: model_bf16_slots (model_bf16.c, the rule the CPU
// reference's bf16 emulation shares).
static void choose_slot_types(GpuNet* g) {
    Net* n = N_(g->m);
    uint8_t* low = ug_malloc((size_t)n->num_slots);
    model_bf16_slots(g->m, low);
    for (int s = 0; s < n->num_slots; s++) g->slot_dt[s] = g->bf16 && low[s] ? UG_BF16 : UG_F32;
    free(low);
}

// The weights a convolution reads: the fp32 master weights, or their bf16 copy (made again when stale).
static const void* conv_weights(GpuNet* g, const Layer* l) {
    if (DT(g, l->in) != UG_BF16) return g->params + l->w;
    if (g->wbf_stale) {
        ug_cast(UG_BF16, g->wbf, UG_F32, g->params, g->m->num_params, g->s);
        g->wbf_stale = 0;
    }
    return g->wbf + l->w;
}

// A slot of either type to or from fp32 host memory (count elements; bf16 goes through io_f32).
static void slot_from_host(GpuNet* g, void* dst, UgDtype t, const float* host, size_t count) {
    if (t == UG_F32) { gpu_upload(dst, host, count * sizeof(float), g->s); return; }
    gpu_upload(g->io_f32, host, count * sizeof(float), g->s);
    ug_cast(t, dst, UG_F32, g->io_f32, count, g->s);
}
static void slot_to_host(GpuNet* g, float* host, UgDtype t, const void* src, size_t count) {
    if (t == UG_F32) { gpu_download(host, src, count * sizeof(float), g->s); return; }
    ug_cast(UG_F32, g->io_f32, t, src, count, g->s);
    gpu_download(host, g->io_f32, count * sizeof(float), g->s);
}

void gpu_model_attach(Model* m, const GpuModelOptions* o, void* comm) {
    UG_CHECK(!model_on_device(m), "gpu_model_attach: the model is already on a GPU");
    if (gpu_count() == 0) ug_die("--device cuda: no usable GPU (%s); run with --device cpu", gpu_absent_reason());
    UG_CHECK(o->device >= 0 && o->device < gpu_count(), "--device cuda: GPU %d asked for but %d visible (one rank per GPU)",
             o->device, gpu_count());
    if (!g_ctx) g_ctx = gpu_ctx_create(o->device, o->tf32, o->deterministic, 0);
    UG_CHECK(g_ctx->device == o->device, "gpu_model_attach: one GPU per process (have %d, asked %d)", g_ctx->device,
             o->device);
    GpuNet* g = ug_calloc(1, sizeof *g);
    Net* n = N_(m);
    g->m = m;
    g->ctx = g_ctx;
    g->comm = comm;
    g->s = g_ctx->stream;
    const char* bn_kind = getenv("UG_GPU_BN");
    UG_CHECK(!bn_kind || !strcmp(bn_kind, "ours") || !strcmp(bn_kind, "cudnn"), "UG_GPU_BN must be ours or cudnn (got '%s')",
             bn_kind);
    g->cudnn_bn = bn_kind && !strcmp(bn_kind, "cudnn");
    g->bf16 = o->bf16;
    UG_CHECK(!(g->bf16 && g->cudnn_bn), "--precision bf16 runs our batch norm only (unset UG_GPU_BN=cudnn)");
    g->slot_dt = ug_calloc((size_t)n->num_slots, sizeof(UgDtype));
    choose_slot_types(g);
    size_t max_conv_w = 0;
    g->conv = ug_calloc((size_t)n->num_layers, sizeof(GpuConv*));
    g->bn = ug_calloc((size_t)n->num_layers, sizeof(GpuBn*));
    g->pool = ug_calloc((size_t)n->num_layers, sizeof(GpuPool*));
    for (int i = 0; i < n->num_layers; i++) {
        const Layer* l = &n->layers[i];
        if (l->kind == L_CONV) {
            g->conv[i] = gpu_conv_create_t(g_ctx, gpu_conv_dims(l->cd), l->b != SIZE_MAX, 1, DT(g, l->in));
            size_t wn = (size_t)l->cd.K * l->cd.C * l->cd.R * l->cd.S;
            if (DT(g, l->in) == UG_BF16 && wn > max_conv_w) max_conv_w = wn;
        }
        if (l->kind == L_BN && g->cudnn_bn) g->bn[i] = gpu_bn_create(g_ctx, l->HW, l->C);
        if (l->kind == L_MAXPOOL) g->pool[i] = gpu_maxpool_create_t(g_ctx, gpu_pool_dims(l->pd), DT(g, l->in));
    }
    for (int i = 0; i < n->num_slots; i++)
        if (n->slots[i].per > g->max_slot) g->max_slot = n->slots[i].per;
    g->slot_off = ug_calloc((size_t)n->num_slots, sizeof(size_t));
    g->written = ug_calloc((size_t)n->num_slots, 1);
    size_t P = m->num_params;
    g->params = gpu_malloc(P * sizeof(float), "parameters");
    g->grads = gpu_malloc(P * sizeof(float), "gradients");
    g->stage = gpu_malloc(P * sizeof(float), "layout staging");
    g->buffers = gpu_malloc((m->num_buffers ? m->num_buffers : 1) * sizeof(float), "batch-norm buffers");
    g->aux = gpu_malloc((n->aux_size ? n->aux_size : 1) * sizeof(float), "batch-norm saved statistics");
    g->total = gpu_malloc(sizeof(double), "loss total");
    g->norm = gpu_malloc(ug_sumsq_scratch_doubles() * sizeof(double), "norm scratch");
    CUDA_CHECK(cudaMemsetAsync(g->grads, 0, P * sizeof(float), g->s));
    if (o->overlap && comm) {
        double mb = o->bucket_mb > 0 ? o->bucket_mb : 25.0;
        size_t target = (size_t)(mb * 1048576.0 / sizeof(float));
        int nb = grad_buckets_plan(m, target, NULL, 0);
        if (nb > 0) {
            g->buckets = ug_calloc((size_t)nb, sizeof(GradBucket));
            g->nbuckets = grad_buckets_plan(m, target, g->buckets, nb);
            CUDA_CHECK(cudaStreamCreateWithFlags(&g->comm_s, cudaStreamNonBlocking));
            CUDA_CHECK(cudaEventCreateWithFlags(&g->grads_ev, cudaEventDisableTiming));
        }
    }
    if (g->bf16) {
        g->wbf = gpu_malloc(P * sizeof(uint16_t), "bf16 copy of the weights");
        g->dwbf = gpu_malloc((max_conv_w ? max_conv_w : 1) * sizeof(uint16_t), "bf16 weight gradient");
    }
    m->exec_state = g;
    m->exec = &GPU_EXEC;
    GPU_EXEC.state_to_device(m);
    g->grads_on_device = 0;
    gpu_sync(g_ctx);
}

void gpu_model_detach(Model* m) {
    GpuNet* g = G(m);
    if (!g) return;
    settle(g);
    gpu_sync(g->ctx);
    if (g->nbuckets) {
        CUDA_CHECK(cudaStreamDestroy(g->comm_s));
        CUDA_CHECK(cudaEventDestroy(g->grads_ev));
    }
    free(g->buckets);
    Net* n = N_(m);
    for (int i = 0; i < n->num_layers; i++) {
        if (g->conv[i]) gpu_conv_destroy(g->conv[i]);
        if (g->bn[i]) gpu_bn_destroy(g->bn[i]);
        if (g->pool[i]) gpu_maxpool_destroy(g->pool[i]);
    }
    free(g->conv); free(g->bn); free(g->pool); free(g->slot_off); free(g->written); free(g->slot_dt);
    void* dev[] = {g->alpha_retain, g->alpha_forget, g->alpha_out, g->wbf, g->dwbf, g->io_f32, g->params, g->grads, g->buffers, g->momentum, g->saved, g->stage, g->mask, g->acts, g->dacts,
                   g->scratch, g->aux, g->dlogits, g->labels, g->alpha, g->weight, g->loss, g->wloss, g->total,
                   g->norm, g->bn_scratch, g->kl_scratch, g->pred};
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) gpu_free(dev[i]);
    CUDA_CHECK(cudaFreeHost(g->host_logits)); CUDA_CHECK(cudaFreeHost(g->host_features));
    CUDA_CHECK(cudaFreeHost(g->host_loss));
    free(g);
    m->exec_state = NULL;
    m->exec = &model_exec_cpu;
}

int gpu_model_is_bf16(const Model* m) { return G(m) && G(m)->bf16; }

const char* gpu_model_device_name(const Model* m) {
    static char name[256];
    struct cudaDeviceProp p;
    CUDA_CHECK(cudaGetDeviceProperties(&p, G(m) ? G(m)->ctx->device : 0));
    snprintf(name, sizeof name, "%s", p.name);
    return name;
}

static void gpu_state_to_device(Model* m) {
    GpuNet* g = G(m);
    upload_flat(g, g->params, m->params);
    if (m->num_buffers) gpu_upload(g->buffers, m->buffers, m->num_buffers * sizeof(float), g->s);
    g->wbf_stale = 1;
    gpu_sync(g->ctx);
}

static void gpu_state_to_host(Model* m) {
    GpuNet* g = G(m);
    download_flat(g, m->params, g->params);
    if (m->num_buffers) gpu_download(m->buffers, g->buffers, m->num_buffers * sizeof(float), g->s);
}

static void gpu_grads_to_host(Model* m) {
    if (!G(m)->grads_on_device) return;
    settle(G(m));
    download_flat(G(m), m->grads, G(m)->grads);
    G(m)->grads_on_device = 0;
}

static void gpu_grads_to_device(Model* m) {
    settle(G(m));
    G(m)->reduced = 0;   // new content from the host
    upload_flat(G(m), G(m)->grads, m->grads);
    G(m)->grads_on_device = 1;
}

// ---- forward / backward on device pointers ----
static float* forward_dev(GpuNet* g, int N, int train) {
    Model* m = g->m;
    Net* n = N_(m);
    float* p = g->params;
    prof_start(g);
    for (int i = 0; i < n->num_layers; i++) {
        Layer* l = &n->layers[i];
        void* in = act(g, l->in);
        void* out = act(g, l->out);
        UgDtype t = DT(g, l->out);
        size_t cnt_out = (size_t)N * n->slots[l->out].per;
        switch (l->kind) {
        case L_CONV:
            gpu_conv_forward(g->conv[i], N, out, in, conv_weights(g, l), l->b != SIZE_MAX ? p + l->b : NULL);
            break;
        case L_BN:
            if (!g->cudnn_bn) {   // ours: the ReLU that follows is applied in the same pass
                size_t rows = (size_t)N * l->HW;
                if (train) {
                    ug_bn_nhwc_forward_train_t(t, rows, l->C, out, g->aux + l->save, g->aux + l->save + l->C, in,
                                               p + l->w, p + l->b, g->buffers + l->rmean, g->buffers + l->rvar,
                                               BN_MOMENTUM, BN_EPS, l->fuse_relu, g->bn_scratch, g->s);
                    ug_add_scalar(g->buffers + l->nbt, 1.0f, g->s);
                } else {
                    ug_bn_nhwc_forward_eval_t(t, rows, l->C, out, in, p + l->w, p + l->b, g->buffers + l->rmean,
                                              g->buffers + l->rvar, BN_EPS, l->fuse_relu, g->s);
                }
                break;
            }
            if (train) {
                gpu_bn_forward_train(g->bn[i], N, out, g->aux + l->save, g->aux + l->save + l->C, in, p + l->w, p + l->b,
                                     g->buffers + l->rmean, g->buffers + l->rvar, BN_MOMENTUM, BN_EPS);
                ug_add_scalar(g->buffers + l->nbt, 1.0f, g->s);
            } else {
                gpu_bn_forward_eval(g->bn[i], N, out, in, p + l->w, p + l->b, g->buffers + l->rmean,
                                    g->buffers + l->rvar, BN_EPS);
            }
            if (l->fuse_relu) ug_relu_forward_t(t, out, out, cnt_out, g->s);
            break;
        case L_RELU:
            if (!l->fused) ug_relu_forward_t(t, out, in, cnt_out, g->s);
            break;
        case L_MAXPOOL: gpu_maxpool_forward(g->pool[i], N, out, in); break;
        case L_GAP: ug_avgpool_global_forward_t(DT(g, l->in), N, l->HW, l->C, out, in, g->s); break;
        case L_LINEAR: gpu_linear_forward(g->ctx, N, l->C, l->O, out, in, p + l->w, p + l->b); break;
        case L_ADD:
            ug_add_forward_t(t, out, in, act(g, l->in2), cnt_out, g->s);
            if (l->fuse_relu) ug_relu_forward_t(t, out, out, cnt_out, g->s);
            break;
        }
        prof_stop(g, 0, l->kind);
    }
    g->last_n = N;
    g->last_train = train;
    return actf(g, n->logits_slot);
}

// As model.c: the first gradient to reach a slot is written there, a second one goes to scratch and is added.
static void* grad_target(GpuNet* g, int s) {
    if (s == 0 && !g->want_dx) return NULL;
    return g->written[s] ? (void*)g->scratch : dact(g, s);
}

static void finish_grad(GpuNet* g, int s, void* target) {
    if (s == 0 && !g->want_dx) return;
    if (g->written[s]) {
        void* d = dact(g, s);
        ug_add_forward_t(DT(g, s), d, d, target, (size_t)g->last_n * N_(g->m)->slots[s].per, g->s);
    }
    g->written[s] = 1;
}

// dlogits: device [N,K], already in the logits slot's gradient or elsewhere.
static void backward_dev(GpuNet* g, const float* dlogits) {
    Model* m = g->m;
    Net* n = N_(m);
    int N = g->last_n;
    float* p = g->params;
    float* gr = g->grads;
    settle(g);
    int bucketed = g->armed && g->nbuckets > 0, next = 0;
    g->armed = 0;
    g->reduced = 0;
    if (N == 0) {   // a rank with no samples in this step contributes zero gradients
        CUDA_CHECK(cudaMemsetAsync(gr, 0, m->num_params * sizeof(float), g->s));
        G(m)->grads_on_device = 1;
        if (bucketed) {   // the other ranks send their buckets: NCCL needs the same calls here, in the same order
            for (; next < g->nbuckets; next++) send_bucket(g, &g->buckets[next]);
            g->in_flight = g->reduced = 1;
        }
        return;
    }
    memset(g->written, 0, (size_t)n->num_slots);
    float* dl = dactf(g, n->logits_slot);
    if (dlogits != dl)
        CUDA_CHECK(cudaMemcpyAsync(dl, dlogits, (size_t)N * m->cfg.num_classes * sizeof(float),
                                   cudaMemcpyDeviceToDevice, g->s));
    g->written[n->logits_slot] = 1;
    prof_start(g);
    for (int i = n->num_layers - 1; i >= 0; i--) {
        Layer* l = &n->layers[i];
        void* in = act(g, l->in);
        void* dout = dact(g, l->out);
        UgDtype t = DT(g, l->out);
        size_t cnt_out = (size_t)N * n->slots[l->out].per;
        if (l->kind == L_RELU) {   // in place (also when fused into the BN / add before it in the forward)
            // after our training-mode BN the mask is applied inside its backward (one pass less)
            int in_bn = l->fused && i > 0 && n->layers[i - 1].kind == L_BN && g->last_train && !g->cudnn_bn;
            if (!in_bn) ug_relu_backward_t(t, dout, dout, act(g, l->out), cnt_out, g->s);
            prof_stop(g, 1, l->kind);
            continue;
        }
        if (l->kind == L_ADD) {
            int srcs[2] = {l->in, l->in2};
            for (int k = 0; k < 2; k++) {
                void* tg = grad_target(g, srcs[k]);
                if (!tg) continue;
                CUDA_CHECK(cudaMemcpyAsync(tg, dout, slot_bytes(g, l->out, (size_t)N), cudaMemcpyDeviceToDevice, g->s));
                finish_grad(g, srcs[k], tg);
            }
            prof_stop(g, 1, l->kind);
            continue;
        }
        void* din = grad_target(g, l->in);
        switch (l->kind) {
        case L_CONV: {
            int low = DT(g, l->in) == UG_BF16;   // the bf16 weight gradient, then cast into the fp32 one
            gpu_conv_backward(g->conv[i], N, din, low ? (void*)g->dwbf : gr + l->w, l->b != SIZE_MAX ? gr + l->b : NULL,
                              dout, in, din ? conv_weights(g, l) : NULL);
            if (low)
                ug_cast(UG_F32, gr + l->w, UG_BF16, g->dwbf, (size_t)l->cd.K * l->cd.C * l->cd.R * l->cd.S, g->s);
            break;
        }
        case L_BN:
            if (g->last_train && !g->cudnn_bn)
                ug_bn_nhwc_backward_t(t, (size_t)N * l->HW, l->C, din, gr + l->w, gr + l->b, dout, in, p + l->w,
                                      g->aux + l->save, g->aux + l->save + l->C, l->fuse_relu ? act(g, l->out) : NULL,
                                      g->bn_scratch, g->s);
            else if (g->last_train)
                gpu_bn_backward(g->bn[i], N, din ? din : (void*)g->scratch, gr + l->w, gr + l->b, dout, in, p + l->w,
                                g->aux + l->save, g->aux + l->save + l->C);
            else
                ug_bn_backward_eval_t(t, N, l->HW, l->C, din, gr + l->w, gr + l->b, dout, in, p + l->w,
                                      g->buffers + l->rmean, g->buffers + l->rvar, BN_EPS, g->s);
            break;
        case L_MAXPOOL:
            if (din) gpu_maxpool_backward(g->pool[i], N, din, dout, act(g, l->out), in);
            break;
        case L_GAP:
            if (din) ug_avgpool_global_backward_t(DT(g, l->in), N, l->HW, l->C, din, dout, g->s);
            break;
        case L_LINEAR:
            gpu_linear_backward(g->ctx, N, l->C, l->O, din, gr + l->w, gr + l->b, dout, in, p + l->w);
            break;
        default: break;
        }
        if (din) finish_grad(g, l->in, din);
        while (bucketed && next < g->nbuckets && g->buckets[next].after_layer == i) send_bucket(g, &g->buckets[next++]);
        prof_stop(g, 1, l->kind);
    }
    if (bucketed) {
        UG_CHECK(next == g->nbuckets, "gpu_model: %d of %d gradient buckets sent by the end of backward", next,
                 g->nbuckets);
        g->in_flight = g->reduced = 1;
    }
    G(m)->grads_on_device = 1;
}

static void upload_input(GpuNet* g, int N, const float* x) {
    ensure_batch(g, N > 0 ? (size_t)N : 1);
    if (N > 0) slot_from_host(g, act(g, 0), DT(g, 0), x, (size_t)N * N_(g->m)->slots[0].per);
}

// ---- the executor's operations (nn/executor.h) ----
static const float* gpu_forward(Model* m, int N, const float* x, int train, int logits_to_host) {
    GpuNet* g = G(m);
    upload_input(g, N, x);
    if (N == 0) { g->last_n = 0; g->last_train = train; return logits_to_host ? g->host_logits : NULL; }
    const float* z = forward_dev(g, N, train);
    if (!logits_to_host) return NULL;
    gpu_download(g->host_logits, z, (size_t)N * m->cfg.num_classes * sizeof(float), g->s);
    return g->host_logits;
}

static const float* gpu_features(Model* m) {
    GpuNet* g = G(m);
    int fs = N_(m)->features_slot;
    slot_to_host(g, g->host_features, DT(g, fs), act(g, fs), (size_t)g->last_n * m->feature_dim);
    return g->host_features;
}

static void gpu_backward(Model* m, const float* dlogits, float* dx) {
    GpuNet* g = G(m);
    int N = g->last_n;
    if (N > 0) gpu_upload(g->dlogits, dlogits, (size_t)N * m->cfg.num_classes * sizeof(float), g->s);
    g->want_dx = dx != NULL;
    backward_dev(g, g->dlogits);
    g->want_dx = 0;
    if (dx && N > 0) slot_to_host(g, dx, DT(g, 0), dact(g, 0), (size_t)N * N_(m)->slots[0].per);
}

static void upload_loss_inputs(GpuNet* g, int n, const int32_t* y, const float* alpha, const float* weight) {
    gpu_upload(g->labels, y, (size_t)n * sizeof(int32_t), g->s);
    if (alpha) gpu_upload(g->alpha, alpha, (size_t)n * sizeof(float), g->s);
    if (weight) gpu_upload(g->weight, weight, (size_t)n * sizeof(float), g->s);
}

// Fused GLS loss on the device-resident logits of the last forward, written straight where backward reads the
// logit gradient; then backward.  Only the per-sample losses, Σ w·loss and (when asked) the logits and the input
// gradient dx come back.
static double loss_backward_dev(GpuNet* g, int have_inputs, const int32_t* y, const float* alpha, const float* weight,
                                float scale, float* sample_loss, float* logits, float* dx) {
    Model* m = g->m;
    int n = g->last_n, K = m->cfg.num_classes;
    if (n == 0) {
        backward_dev(g, NULL);
        return 0.0;
    }
    if (!have_inputs) upload_loss_inputs(g, n, y, alpha, weight);
    float* z = actf(g, N_(m)->logits_slot);
    float* dl = dactf(g, N_(m)->logits_slot);
    ug_gls_xent(n, K, g->loss, dl, g->total, g->wloss, z, g->labels, alpha ? g->alpha : NULL,
                weight ? g->weight : NULL, scale, g->s);
    if (logits) CUDA_CHECK(cudaMemcpyAsync(g->host_logits, z, (size_t)n * K * sizeof(float), cudaMemcpyDeviceToHost, g->s));
    g->want_dx = dx != NULL;
    backward_dev(g, dl);
    g->want_dx = 0;
    if (dx) slot_to_host(g, dx, DT(g, 0), dact(g, 0), (size_t)n * N_(m)->slots[0].per);
    double total = 0;
    CUDA_CHECK(cudaMemcpyAsync(g->host_loss, g->loss, (size_t)n * sizeof(float), cudaMemcpyDeviceToHost, g->s));
    gpu_download(&total, g->total, sizeof(double), g->s);
    if (sample_loss) memcpy(sample_loss, g->host_loss, (size_t)n * sizeof(float));
    if (logits) memcpy(logits, g->host_logits, (size_t)n * K * sizeof(float));
    return total;
}

static double gpu_loss_backward(Model* m, const int32_t* y, const float* alpha, const float* weight, float scale,
                                float* sample_loss, float* logits, float* dx) {
    return loss_backward_dev(G(m), 0, y, alpha, weight, scale, sample_loss, logits, dx);
}

// The training step's compute: the loss inputs go up before the forward, so that nothing waits between the
// forward and the loss.
static double gpu_compute(Model* m, int n, const float* x, const int32_t* y, const float* alpha, const float* weight,
                          float scale, float* sample_loss, float* logits) {
    GpuNet* g = G(m);
    upload_input(g, n, x);
    if (n == 0) {
        g->last_n = 0;
        g->last_train = 1;
        return loss_backward_dev(g, 1, y, alpha, weight, scale, sample_loss, logits, NULL);
    }
    upload_loss_inputs(g, n, y, alpha, weight);
    forward_dev(g, n, 1);
    return loss_backward_dev(g, 1, y, alpha, weight, scale, sample_loss, logits, NULL);
}

// SCRUB's fused distillation loss on the device-resident logits of the student's and the teacher's last forwards
// (one stream: the teacher's forward is done before the kernel reads it), written where backward reads the logit
// gradient; then backward.  Only the loss and the N predictions come back.
static double gpu_kl_loss_backward(Model* m, const Model* teacher, const DistillLoss* l, int32_t* argmax) {
    GpuNet* g = G(m);
    int n = g->last_n, K = m->cfg.num_classes;
    if (n == 0) {
        backward_dev(g, NULL);
        return 0.0;
    }
    GpuNet* gt = G(teacher);
    UG_CHECK(gt->last_n == n, "kl loss: the teacher's last forward had %d rows, the student's %d", gt->last_n, n);
    UG_CHECK(gt->s == g->s, "kl loss: the teacher and the student must share the GPU's stream");
    UG_CHECK(l->n_global > 0, "kl loss: the global batch must be > 0 (got %lld)", (long long)l->n_global);
    if (l->labels) gpu_upload(g->labels, l->labels, (size_t)n * sizeof(int32_t), g->s);
    float* z = actf(g, N_(m)->logits_slot);
    float* dl = dactf(g, N_(m)->logits_slot);
    ug_kl_distill(n, K, dl, g->total, g->kl_scratch, argmax ? g->pred : NULL, z, actf(gt, N_(teacher)->logits_slot),
                  l->labels ? g->labels : NULL, l->temperature, l->kl_weight, l->ce_weight, (long long)l->n_global,
                  g->s);
    backward_dev(g, dl);
    double total = 0;
    if (argmax) gpu_download(argmax, g->pred, (size_t)n * sizeof(int32_t), g->s);
    gpu_download(&total, g->total, sizeof(double), g->s);
    return total;
}

// A twin on the same GPU with m's precision; no communicator (a teacher never all-reduces).
static void gpu_place_like(Model* twin, const Model* m) {
    GpuNet* g = G(m);
    GpuModelOptions o = {.device = g->ctx->device, .tf32 = g->ctx->tf32, .deterministic = g->ctx->deterministic,
                         .bf16 = g->bf16};
    gpu_model_attach(twin, &o, NULL);
}

static float* grow_dev(float* p, size_t* cap, size_t need, const char* what) {
    if (need <= *cap && p) return p;
    gpu_free(p);
    *cap = need ? need : 1;
    return gpu_malloc(*cap * sizeof(float), what);
}

// The self-adaptive alpha with the ug_adaptive_alpha kernel: the forget rows are the device-resident features
// (or input) of the last forward; only the gathered retain rows go up and the n_forget alphas come back.
static void gpu_adaptive_alpha(Model* m, float* alpha, const AlphaQuery* q) {
    GpuNet* g = G(m);
    if (q->n_forget == 0) return;
    UG_CHECK(q->n_forget == g->last_n, "adaptive alpha: %d forget rows but the last forward had %d", q->n_forget,
             g->last_n);
    size_t nf = (size_t)q->n_forget, d = (size_t)q->dim;
    int slot = q->from_features ? N_(m)->features_slot : 0;
    UG_CHECK(d == (q->from_features ? (size_t)m->feature_dim : N_(m)->slots[0].per),
             "adaptive alpha: rows of %zu values, the model's are not", d);
    const float* forget;
    if (DT(g, slot) == UG_F32) {
        forget = actf(g, slot);
    } else if (q->from_features) {   // a bf16 slot: cast to fp32 (the features as the CPU would read them back)
        g->alpha_forget = grow_dev(g->alpha_forget, &g->cap_alpha_forget, nf * d, "adaptive alpha forget rows");
        ug_cast(UG_F32, g->alpha_forget, DT(g, slot), act(g, slot), nf * d, g->s);
        forget = g->alpha_forget;
    } else {   // the input in bf16: the fp32 images the CPU compares, from the host
        g->alpha_forget = grow_dev(g->alpha_forget, &g->cap_alpha_forget, nf * d, "adaptive alpha forget rows");
        gpu_upload(g->alpha_forget, q->forget_host, nf * d * sizeof(float), g->s);
        forget = g->alpha_forget;
    }
    g->alpha_retain = grow_dev(g->alpha_retain, &g->cap_alpha_retain, (size_t)q->n_retain * d, "adaptive alpha retain rows");
    g->alpha_out = grow_dev(g->alpha_out, &g->cap_alpha_out, nf, "adaptive alpha");
    if (q->n_retain > 0) gpu_upload(g->alpha_retain, q->retain, (size_t)q->n_retain * d * sizeof(float), g->s);
    ug_adaptive_alpha(g->alpha_out, NULL, forget, q->n_forget, g->alpha_retain, q->n_retain, q->dim, q->n_forget_global,
                      q->kind == DIST_COSINE ? 0 : 1, q->beta, q->sign == ALPHA_LITERAL ? 0 : 1, q->scale, g->s);
    gpu_download(alpha, g->alpha_out, nf * sizeof(float), g->s);
}

static void gpu_overlap_next_backward(Model* m) {
    GpuNet* g = G(m);
    g->armed = g->nbuckets > 0;
}

int gpu_model_overlap_buckets(const Model* m) { return G(m) ? G(m)->nbuckets : 0; }

static void gpu_allreduce_grads(Model* m) {
    GpuNet* g = G(m);
    if (g->reduced) {   // summed bucket by bucket during backward (and not replaced since): wait for the rest
        settle(g);
        g->reduced = 0;
        return;
    }
    if (!G(m)->grads_on_device) gpu_grads_to_device(m);
    if (g->comm) gpu_allreduce_sum_f32(g->comm, g->grads, m->num_params, g->s);
}

static double gpu_grad_norm(Model* m) {
    GpuNet* g = G(m);
    settle(G(m));
    if (!G(m)->grads_on_device) gpu_grads_to_device(m);
    ug_sumsq(m->num_params, g->grads, g->norm, g->s);
    double ss = 0;
    gpu_download(&ss, g->norm, sizeof(double), g->s);
    return sqrt(ss);
}

static void gpu_scale_grads(Model* m, float a) {
    settle(G(m));
    ug_scale(G(m)->grads, a, m->num_params, G(m)->s);
}

static void permute_mask_to_device(GpuNet* g, const uint8_t* mask) {
    Model* m = g->m;
    Net* n = N_(m);
    uint8_t* h = ug_malloc(m->num_params);
    memcpy(h, mask, m->num_params);
    for (int i = 0; i < n->num_layers; i++) {
        const Layer* l = &n->layers[i];
        if (l->kind != L_CONV) continue;
        int K = l->cd.K, C = l->cd.C, RS = l->cd.R * l->cd.S;
        for (int k = 0; k < K; k++)
            for (int c = 0; c < C; c++)
                for (int rs = 0; rs < RS; rs++)
                    h[l->w + ((size_t)k * RS + rs) * C + c] = mask[l->w + ((size_t)k * C + c) * RS + rs];
    }
    if (!g->mask) g->mask = gpu_malloc(m->num_params, "update mask");
    gpu_upload(g->mask, h, m->num_params, g->s);
    gpu_sync(g->ctx);
    free(h);
    g->mask_src = mask;
}

static void gpu_sgd(Model* m, Sgd* s, const uint8_t* mask, float lr) {
    GpuNet* g = G(m);
    settle(G(m));
    if (s->cfg.momentum != 0 && !g->momentum) {
        g->momentum = gpu_malloc(m->num_params * sizeof(float), "momentum");
        CUDA_CHECK(cudaMemsetAsync(g->momentum, 0, m->num_params * sizeof(float), g->s));
    }
    if (mask && mask != g->mask_src) permute_mask_to_device(g, mask);
    ug_sgd_step(m->num_params, g->params, g->momentum, g->grads, mask ? g->mask : NULL, lr, (float)s->cfg.momentum,
                (float)s->cfg.weight_decay, s->cfg.nesterov, g->s);
    g->wbf_stale = 1;
}

static void gpu_momentum_to_host(Model* m, Sgd* s) {
    GpuNet* g = G(m);
    if (!s->momentum_buf) return;
    if (!g->momentum) { memset(s->momentum_buf, 0, m->num_params * sizeof(float)); return; }
    download_flat(g, s->momentum_buf, g->momentum);
}

static void gpu_momentum_to_device(Model* m, const Sgd* s) {
    GpuNet* g = G(m);
    if (!s->momentum_buf || s->cfg.momentum == 0) return;
    if (!g->momentum) g->momentum = gpu_malloc(m->num_params * sizeof(float), "momentum");
    upload_flat(g, g->momentum, s->momentum_buf);
    gpu_sync(g->ctx);
}

static void gpu_grad_save(Model* m) {
    GpuNet* g = G(m);
    settle(G(m));
    if (!G(m)->grads_on_device) gpu_grads_to_device(m);
    if (!g->saved) g->saved = gpu_malloc(m->num_params * sizeof(float), "saved gradients");
    CUDA_CHECK(cudaMemcpyAsync(g->saved, g->grads, m->num_params * sizeof(float), cudaMemcpyDeviceToDevice, g->s));
}

static void gpu_grad_add_saved(Model* m) {
    GpuNet* g = G(m);
    settle(G(m));
    if (!G(m)->grads_on_device) gpu_grads_to_device(m);
    ug_add_forward(g->grads, g->grads, g->saved, m->num_params, g->s);
}

static void gpu_grad_zero(Model* m) {
    settle(G(m));
    G(m)->reduced = 0;
    CUDA_CHECK(cudaMemsetAsync(G(m)->grads, 0, m->num_params * sizeof(float), G(m)->s));
    G(m)->grads_on_device = 1;
}

float* gpu_model_dev_params(Model* m) { return G(m)->params; }
float* gpu_model_dev_grads(Model* m) { return G(m)->grads; }

void gpu_model_train_step_device(Model* m, int n, const float* x_dev, const int32_t* y_dev, float lr, float momentum,
                                 float weight_decay) {
    GpuNet* g = G(m);
    ensure_batch(g, (size_t)n);
    Net* net = N_(m);
    ug_cast(DT(g, 0), act(g, 0), UG_F32, x_dev, (size_t)n * net->slots[0].per, g->s);
    float* z = forward_dev(g, n, 1);
    float* dl = dactf(g, net->logits_slot);
    prof_start(g);
    ug_gls_xent(n, m->cfg.num_classes, NULL, dl, NULL, NULL, z, y_dev, NULL, NULL, 1.0f / (float)n, g->s);
    prof_stop(g, 0, 7);
    backward_dev(g, dl);
    prof_start(g);
    gpu_allreduce_grads(m);
    Sgd sgd = {.cfg = {.momentum = momentum, .weight_decay = weight_decay, .nesterov = 0}};
    gpu_sgd(m, &sgd, NULL, lr);
    prof_stop(g, 1, 7);
}

void gpu_model_print_algos(Model* m, FILE* f) {
    GpuNet* g = G(m);
    Net* n = N_(m);
    for (int i = 0; i < n->num_layers; i++) {
        const Layer* l = &n->layers[i];
        if (l->kind != L_CONV) continue;
        int a, b, c;
        gpu_conv_algos(g->conv[i], g->last_n, &a, &b, &c);
        fprintf(f, "algos conv %dx%d C%d K%d R%d s%d: fwd %d bwd-data %d bwd-filter %d\n", l->cd.H, l->cd.W, l->cd.C,
                l->cd.K, l->cd.R, l->cd.stride, a, b, c);
    }
}

void gpu_model_sync(Model* m) { gpu_sync(G(m)->ctx); }

static void gpu_detach_exec(Model* m) { gpu_model_detach(m); }

static const ModelExec GPU_EXEC = {
    .name = "cuda",
    .detach = gpu_detach_exec,
    .forward = gpu_forward,
    .features = gpu_features,
    .backward = gpu_backward,
    .loss_backward = gpu_loss_backward,
    .compute = gpu_compute,
    .kl_loss_backward = gpu_kl_loss_backward,
    .place_like = gpu_place_like,
    .grad_save = gpu_grad_save,
    .grad_add_saved = gpu_grad_add_saved,
    .grad_zero = gpu_grad_zero,
    .allreduce_grads = gpu_allreduce_grads,
    .grad_norm = gpu_grad_norm,
    .scale_grads = gpu_scale_grads,
    .sgd = gpu_sgd,
    .state_to_host = gpu_state_to_host,
    .state_to_device = gpu_state_to_device,
    .grads_to_host = gpu_grads_to_host,
    .grads_to_device = gpu_grads_to_device,
    .momentum_to_host = gpu_momentum_to_host,
    .momentum_to_device = gpu_momentum_to_device,
    .overlap_next_backward = gpu_overlap_next_backward,
    .adaptive_alpha = gpu_adaptive_alpha,
};

#else   // ---- builds without CUDA ----

int gpu_available(void) { return 0; }
const char* gpu_unavailable_reason(void) { return "this build has no CUDA (rebuild with GPU=1 where nvcc, cuDNN and NCCL exist)"; }
#define NO_CUDA() ug_die("--device cuda: %s", gpu_unavailable_reason())
void gpu_model_attach(Model* m, const GpuModelOptions* o, void* comm) { NO_CUDA(); }
void gpu_model_detach(Model* m) {}
const char* gpu_model_device_name(const Model* m) { return "none"; }
int gpu_model_is_bf16(const Model* m) { return 0; }
int gpu_model_overlap_buckets(const Model* m) { return 0; }
float* gpu_model_dev_params(Model* m) { return NULL; }
float* gpu_model_dev_grads(Model* m) { return NULL; }
void gpu_model_train_step_device(Model* m, int n, const float* x_dev, const int32_t* y_dev, float lr, float momentum,
                                 float weight_decay) { NO_CUDA(); }
void gpu_model_sync(Model* m) {}
void gpu_model_profile_print(FILE* f) {}
void gpu_model_print_algos(Model* m, FILE* f) {}
#endif
