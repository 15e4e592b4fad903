#!/usr/bin/env python3
"""scaling_model.py — step time and RTE of data-parallel training at N nodes, from one node's measurement.

Model (docs/SCALING.md):
    step(N) = compute(N) + allreduce(N) · (1 - overlap)
    allreduce(N) = 2(N-1)/N · S / B + 2(N-1) · latency        (ring all-reduce over N nodes)
    compute(N)   = measured single-node compute time of one step (weak scaling: the same per-GPU batch),
                   or that time / N (strong scaling: the same global batch split over N nodes)
S = gradient bytes, B = the per-node interconnect bandwidth (an input), latency = per ring hop.
The single-node time already contains the intra-node reduction (NVLink/shared memory), so the ring term
counts only what crosses nodes.

Subcommands (python3, standard library only; the PNG needs /usr/bin/python3 with matplotlib):
    project   projected ImageNet ResNet-18 Retrain RTE and scaling efficiency at 1..64 nodes
    check     measure 1, 2, 3-rank steps here (mpirun; a small MPI benchmark compiled in a temp dir),
              fit bandwidth/latency at 2 ranks, and compare the model with every measurement
    check --sweep DIR   the same model against the runs of a jobs/sweep-nodes.sh sweep (several nodes):
              calibrated on its 1- and 2-node runs, it predicts every larger node count
    collect   gather a jobs/sweep-nodes.sh sweep (metrics.json files) into a CSV and a PNG
"""
import argparse
import csv
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

RESNET18_PARAMS = 11_689_512          # torchvision resnet18 (1000 classes)
IMAGENET_TRAIN = 1_281_167
IMAGENET_CLASSES = 1000

# Interconnects: nominal per-node bandwidth (GB/s = 1e9 bytes/s) and a typical per-hop latency (seconds).
# The model uses nominal × --link-efficiency (default 0.8: what ring all-reduce benchmarks usually reach).
INTERCONNECTS = {
    "10GbE":        (1.25, 30e-6),
    "25GbE":        (3.125, 20e-6),
    "100GbE":       (12.5, 10e-6),
    "HDR100-IB":    (12.5, 3e-6),
    "HDR-IB":       (25.0, 3e-6),
    "NDR-IB":       (50.0, 3e-6),
    "8xNDR-IB":     (400.0, 3e-6),      # one 400 Gb/s rail per GPU (DGX H100 class nodes)
}


def ring_allreduce_s(nodes, size_bytes, bandwidth_Bps, latency_s):
    if nodes <= 1:
        return 0.0
    return 2.0 * (nodes - 1) / nodes * size_bytes / bandwidth_Bps + 2.0 * (nodes - 1) * latency_s


def step_s(nodes, compute1_s, size_bytes, bandwidth_Bps, latency_s, mode="weak", overlap=0.0):
    compute = compute1_s if mode == "weak" else compute1_s / nodes
    return compute + (1.0 - overlap) * ring_allreduce_s(nodes, size_bytes, bandwidth_Bps, latency_s)


# ----------------------------------------------------------------------------------------------- project

def cmd_project(a):
    size = a.params * a.grad_bytes
    gpus = a.gpus_per_node
    retain = a.images - a.images // a.classes * a.forget_classes
    per_gpu_batch = a.batch_per_gpu
    # One GPU's compute time per step from its throughput; one node = gpus GPUs + the intra-node reduction.
    t_gpu = per_gpu_batch / a.images_per_s_gpu
    t_intra = ring_allreduce_s(gpus, size, a.nvlink_GBps * 1e9 * a.link_efficiency, a.nvlink_latency_us * 1e-6)
    t_node = t_gpu + t_intra
    global_batch_1 = per_gpu_batch * gpus
    print(f"ImageNet ResNet-18 Retrain (class-wise: {a.forget_classes} of {a.classes} classes forgotten, "
          f"D_r = {retain} images, {a.epochs} epochs)")
    print(f"inputs: {a.images_per_s_gpu:g} images/s per GPU at batch {per_gpu_batch} -> compute {t_gpu*1e3:.1f} ms/step; "
          f"{gpus} GPUs/node, intra-node ring {t_intra*1e3:.2f} ms at {a.nvlink_GBps:g} GB/s; "
          f"gradient {size/1e6:.1f} MB; link efficiency {a.link_efficiency:g}; overlap {a.overlap:g}; mode {a.mode}")
    nets = a.interconnects.split(",") if a.interconnects else list(INTERCONNECTS)
    for n in nets:
        if n not in INTERCONNECTS:
            sys.exit(f"scaling_model: unknown interconnect '{n}' (known: {', '.join(INTERCONNECTS)})")
    node_counts = [int(x) for x in a.nodes.split(",")]
    rows = []
    for net in nets:
        bw, lat = INTERCONNECTS[net]
        bwe = bw * 1e9 * a.link_efficiency
        print(f"\n{net}: {bw:g} GB/s nominal, {lat*1e6:g} us per hop")
        print(f"{'nodes':>5} {'GPUs':>5} {'step_ms':>8} {'allred_ms':>9} {'share':>6} {'RTE_h':>8} {'speedup':>8} {'eff':>6}")
        rte1 = None
        for N in node_counts:
            if a.mode == "weak":
                global_batch = global_batch_1 * N
                t_step = t_node + (1 - a.overlap) * ring_allreduce_s(N, size, bwe, lat)
            else:
                global_batch = global_batch_1
                t_step = t_gpu / N + t_intra + (1 - a.overlap) * ring_allreduce_s(N, size, bwe, lat)
            steps = a.epochs * math.ceil(retain / global_batch)
            rte_h = steps * t_step / 3600
            if rte1 is None:
                rte1 = rte_h
            speedup = rte1 / rte_h
            eff = speedup / N
            ar = t_step - (t_gpu if a.mode == "weak" else t_gpu / N)
            print(f"{N:>5} {N*gpus:>5} {t_step*1e3:>8.2f} {ar*1e3:>9.2f} {ar/t_step:>6.1%} {rte_h:>8.3f} {speedup:>8.2f} {eff:>6.1%}")
            rows.append({"interconnect": net, "nodes": N, "gpus": N * gpus, "step_ms": t_step * 1e3,
                         "allreduce_ms": ar * 1e3, "rte_h": rte_h, "speedup": speedup, "efficiency": eff})
    if a.csv:
        with open(a.csv + ".tmp", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        os.replace(a.csv + ".tmp", a.csv)
        print(f"\nwrote {a.csv}")


# ------------------------------------------------------------------------------------------------- check

BENCH_C = r"""
// Step benchmark: compute (a fixed amount of float work) then MPI_Allreduce of a gradient-sized buffer.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static float work[65536];
static void compute(long iters) {
    for (long it = 0; it < iters; it++)
        for (int i = 0; i < 65536; i++) work[i] = work[i] * 0.999f + 0.001f;
}
int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank, world; MPI_Comm_rank(MPI_COMM_WORLD, &rank); MPI_Comm_size(MPI_COMM_WORLD, &world);
    if (argc < 2) { if (!rank) fprintf(stderr, "usage: bench sizes FLOATS... | step ITERS FLOATS STEPS\n"); MPI_Abort(MPI_COMM_WORLD, 2); }
    if (!strcmp(argv[1], "sizes")) {            // all-reduce time per size (min of 15 after 3 warm-ups)
        for (int k = 2; k < argc; k++) {
            long n = atol(argv[k]); float* g = calloc(n, sizeof *g); double t[15];
            if (!g) MPI_Abort(MPI_COMM_WORLD, 1);
            for (int r = 0; r < 18; r++) {
                MPI_Barrier(MPI_COMM_WORLD); double t0 = MPI_Wtime();
                MPI_Allreduce(MPI_IN_PLACE, g, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
                double dt = MPI_Wtime() - t0, mx; MPI_Allreduce(&dt, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
                if (r >= 3) t[r - 3] = mx;
            }
            for (int i = 0; i < 15; i++) for (int j = i + 1; j < 15; j++) if (t[j] < t[i]) { double s = t[i]; t[i] = t[j]; t[j] = s; }
            if (!rank) printf("size %ld %.9f\n", n * 4, t[0]);   // the least disturbed repetition
            free(g);
        }
    } else {                                     // steps: compute then all-reduce, timed apart
        long iters = atol(argv[2]), n = atol(argv[3]); int steps = atoi(argv[4]);
        float* g = calloc(n, sizeof *g); if (!g) MPI_Abort(MPI_COMM_WORLD, 1);
        double tc = 0, ta = 0, t_all;
        compute(iters); MPI_Allreduce(MPI_IN_PLACE, g, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Barrier(MPI_COMM_WORLD); t_all = MPI_Wtime();
        for (int s = 0; s < steps; s++) {
            double t0 = MPI_Wtime(); compute(iters); double t1 = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, g, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            tc += t1 - t0; ta += MPI_Wtime() - t1;
        }
        t_all = MPI_Wtime() - t_all;
        double v[3] = {tc / steps, ta / steps, t_all / steps}, mx[3];
        MPI_Allreduce(v, mx, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (!rank) printf("step compute %.9f allreduce %.9f total %.9f checksum %g\n", mx[0], mx[1], mx[2], (double)work[7]);
        free(g);
    }
    MPI_Finalize();
    return 0;
}
"""


def _mpirun(np_, args, env):
    cmd = ["mpirun", "-np", str(np_), "--oversubscribe", "--bind-to", "none"] + args
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        sys.exit(f"scaling_model: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()[-400:]}")
    return r.stdout


def _fit_line(xs, ys):
    """Least squares y = a + b x; returns (a, b)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return my - b * mx, b


def cmd_check(a):
    if not shutil.which("mpicc") or not shutil.which("mpirun"):
        sys.exit("scaling_model: check needs mpicc and mpirun (Open MPI)")
    env = dict(os.environ, OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cores = a.cores or os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="ug-scaling-") as tmp:
        src, exe = os.path.join(tmp, "bench.c"), os.path.join(tmp, "bench")
        with open(src, "w") as f:
            f.write(BENCH_C)
        r = subprocess.run(["mpicc", "-O2", "-o", exe, src], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"scaling_model: mpicc failed: {r.stderr.strip()[-400:]}")
        # 1. Latency from small all-reduces at 2 ranks (min of 15; the first size is a warm-up).  The
        #    sizes around the gradient's are printed for information: here they are bimodal (see docs).
        grad_floats = a.grad_floats
        size = grad_floats * 4
        sizes = [4, 4, 64, 256, 1024, size // 2, size, size * 2]
        out = _mpirun(2, [exe, "sizes"] + [str(max(1, s // 4)) for s in sizes], env)
        meas = [(int(m.group(1)), float(m.group(2))) for m in re.finditer(r"size (\d+) ([0-9.e-]+)", out)][1:]
        latency = min(t for s, t in meas if s <= 1024) / 2.0

        def steps_at(n, iters):   # the least disturbed of --repeats runs (min of each time: the machine is shared)
            runs = []
            for _ in range(a.repeats):
                o = _mpirun(n, [exe, "step", str(iters), str(grad_floats), str(a.steps)], env)
                m = re.search(r"compute ([0-9.e-]+) allreduce ([0-9.e-]+) total ([0-9.e-]+)", o)
                runs.append(tuple(float(x) for x in m.groups()))
            return tuple(min(r[i] for r in runs) for i in range(3))

        # 2. Calibration: one rank's compute time, and the bandwidth in place, from the 2-rank weak step
        #    (t_allreduce = 2·latency + S/B at N = 2).  Every other point is a prediction.
        c1 = steps_at(1, a.iters)[0]
        cal = steps_at(2, a.iters)
        bw = size / max(cal[1] - 2 * latency, 1e-9)
        print(f"machine: {os.cpu_count()} cores ({cores} used in the model), Open MPI over shared memory; "
              f"OMP_NUM_THREADS=1 per rank")
        print(f"calibrated: latency {latency*1e6:.2f} us per hop (small all-reduces), bandwidth {bw/1e9:.2f} GB/s "
              f"(2-rank step all-reduce of {size/1e6:.2f} MB), one rank's compute {c1*1e3:.2f} ms")
        for s_, t in meas:
            print(f"  allreduce {s_:>9} B at 2 ranks (least disturbed of 15): {t*1e6:9.1f} us, model {ring_allreduce_s(2, s_, bw, latency)*1e6:9.1f} us")
        print(f"compute time scaled by max(1, ranks/{cores}) for oversubscription")
        print(f"{'mode':>6} {'ranks':>5} {'meas_ms':>8} {'model_ms':>8} {'err':>7} {'meas_allred_ms':>14} {'model_allred_ms':>15}")
        worst = 0.0
        for mode in ("weak", "strong"):
            for n in (1, 2, 3):
                iters = a.iters if mode == "weak" else max(1, a.iters // n)
                tc, ta, tt = cal if (mode, n) == ("weak", 2) else steps_at(n, iters)
                contention = max(1.0, n / cores)
                model_ar = ring_allreduce_s(n, size, bw, latency)
                model = step_s(n, c1 * contention, size, bw, latency, mode)
                err = (model - tt) / tt
                note = "  (calibration point)" if (mode, n) == ("weak", 2) else ""
                if not note:
                    worst = max(worst, abs(err))
                print(f"{mode:>6} {n:>5} {tt*1e3:>8.2f} {model*1e3:>8.2f} {err:>+7.1%} {ta*1e3:>14.2f} {model_ar*1e3:>15.2f}{note}")
        print(f"\nworst relative error of the model: {worst:.1%} (tolerance {a.tolerance:.0%})")
        if worst > a.tolerance:
            print("model check: FAILED (see docs/SCALING.md for what the model leaves out)")
            return 1
        print("model check: OK")
        return 0


def cmd_check_real(a):
    """Real `ugradsl train` runs at 1, 2, 3 ranks, strong scaling (same global batch), one thread per rank."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exe = a.bin or os.path.join(root, "bin", "ugradsl")
    if not os.access(exe, os.X_OK):
        sys.exit(f"scaling_model: {exe} not built (make)")
    env = dict(os.environ, OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cores = a.cores or os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="ug-scaling-") as tmp:
        data = os.path.join(tmp, "digits.h5")
        r = subprocess.run([exe, "pack", "--from", "digits-csv", "--output", data], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            sys.exit(f"scaling_model: pack failed: {r.stderr.strip()[-300:]}")

        def run(n):   # the least disturbed of --repeats runs: (s per step, compute s per step, allreduce s per step)
            best = None
            for k in range(a.repeats):
                out = os.path.join(tmp, f"np{n}-{k}")
                _mpirun(n, [exe, "train", "--data", data, "--output", out, "--arch", "resnet18", "--width", str(a.width),
                            "--epochs", str(a.epochs), "--batch", str(a.batch), "--threads", "1", "--eval-every", "0",
                            "--checkpoint-every", "0", "--augment", "none"], env)
                with open(os.path.join(out, "train.json")) as f:
                    d = json.load(f)
                v = (d["train_s"] / d["steps"], d["compute_s"] / d["steps"], d["allreduce_s"] / d["steps"], d["num_params"])
                best = v if best is None or v[0] < best[0] else best
            return best

        r1, r2 = run(1), run(2)
        size = r1[3] * 4
        c1 = r1[0]                                   # one rank's whole step (compute + data), no all-reduce
        latency = 0.0                                # negligible next to these sizes (the synthetic check fits it)
        compute2 = c1 / 2
        bw = size / max(r2[0] - compute2, 1e-9)      # calibration: the 2-rank step's remaining time is the all-reduce
        print(f"real training: ugradsl train, ResNet-18 width {a.width} ({r1[3]} parameters, gradient {size/1e6:.2f} MB), "
              f"UCI digits, global batch {a.batch}, {a.epochs} epochs, 1 thread per rank, {cores} cores")
        print(f"calibrated: one rank's step {c1*1e3:.2f} ms; bandwidth {bw/1e9:.3f} GB/s from the 2-rank step")
        print(f"{'ranks':>5} {'meas_ms':>8} {'model_ms':>8} {'err':>7} {'meas_allred_ms':>14} {'model_allred_ms':>15}")
        worst = 0.0
        for n, r in ((1, r1), (2, r2), (3, run(3))):
            model = c1 / n * max(1.0, n / cores) + ring_allreduce_s(n, size, bw, latency)
            err = (model - r[0]) / r[0]
            note = "  (calibration point)" if n == 2 else ""
            if n != 2:
                worst = max(worst, abs(err))
            print(f"{n:>5} {r[0]*1e3:>8.2f} {model*1e3:>8.2f} {err:>+7.1%} {r[2]*1e3:>14.2f} "
                  f"{ring_allreduce_s(n, size, bw, latency)*1e3:>15.2f}{note}")
        print(f"\nworst relative error of the model: {worst:.1%} (tolerance {a.tolerance:.0%})")
        print("model check:", "OK" if worst <= a.tolerance else "FAILED (see docs/SCALING.md)")
        return 0 if worst <= a.tolerance else 1


def cmd_check_sweep(a):
    """The model against a node-count sweep (jobs/sweep-nodes.sh, strong scaling: the same global batch).

    Per run: step = train_s / steps of its train.json, gradient S = num_params x 4 bytes.  Calibration: one
    node's step c1 (compute + data: no all-reduce), the bandwidth B from the 2-node step
    (step2 - c1/2 x contention = S/B, latency neglected next to S/B: small all-reduces are not measured
    here).  Every other node count is a prediction: c1/N x max(1, ranks/cores) + 2(N-1)/N x S/B."""
    pat = re.compile(r"strong/nodes-(\d+)/([^/]+)/seed-(\d+)/train\.json$")
    runs = {}
    for dirpath, _, files in os.walk(a.sweep):
        if "train.json" not in files:
            continue
        path = os.path.join(dirpath, "train.json")
        m = pat.search(path.replace(os.sep, "/"))
        if not m:
            continue
        with open(path) as f:
            t = json.load(f)
        if not t.get("steps") or not t.get("train_s"):
            continue
        runs.setdefault(m.group(2), {}).setdefault(int(m.group(1)), []).append(t)
    if not runs:
        sys.exit(f"scaling_model: no strong/nodes-N/METHOD/seed-S/train.json under {a.sweep} (a jobs/sweep-nodes.sh "
                 f"sweep with --modes strong; Retrain and train runs leave train.json)")
    cores = a.cores or os.cpu_count()
    worst = 0.0
    predicted = 0
    for method, by_n in sorted(runs.items()):
        if 1 not in by_n or 2 not in by_n:
            print(f"{method}: needs the 1- and 2-node runs to calibrate (has {sorted(by_n)}): skipped")
            continue
        def step(n):   # the least disturbed seed (the machine is shared)
            return min(t["train_s"] / t["steps"] for t in by_n[n])
        t1 = by_n[1][0]
        size = t1["num_params"] * 4
        tpn = max(1, int(t1.get("ranks", 1)))     # ranks per node, from the 1-node run
        c1 = step(1)
        # Nodes that share cores (this machine): compute slows down by ranks / cores once the ranks outnumber the
        # cores (on a real cluster this factor is 1).  The all-reduce is left as it is: over a slow link it waits
        # on the wire, not on a core; over a fast one the shared cores also slow its progress, which the model
        # leaves out (docs/SCALING.md: the fast-fabric 4-node point).
        contention = lambda n: max(1.0, n * tpn / cores) / max(1.0, tpn / cores)
        bw = size / max(step(2) - c1 / 2 * contention(2), 1e-9)
        print(f"{method}: gradient {size/1e3:.1f} kB, {tpn} rank(s) per node, {cores} cores shared by all nodes; "
              f"calibrated: 1-node step {c1*1e3:.2f} ms, bandwidth {bw/1e6:.2f} MB/s (from the 2-node step)")
        print(f"{'nodes':>5} {'meas_ms':>8} {'model_ms':>8} {'err':>7} {'meas_allred_ms':>14} {'model_allred_ms':>15}")
        for n in sorted(by_n):
            meas = step(n)
            model_ar = ring_allreduce_s(n, size, bw, 0.0)
            model = c1 / n * contention(n) + model_ar
            err = (model - meas) / meas
            t = min(by_n[n], key=lambda t: t["train_s"] / t["steps"])
            ar = t.get("allreduce_s")
            ar_ms = f"{ar / t['steps'] * 1e3:.2f}" if isinstance(ar, (int, float)) else "-"
            note = "  (calibration point)" if n <= 2 else ""
            if n > 2:
                worst = max(worst, abs(err))
                predicted += 1
            print(f"{n:>5} {meas*1e3:>8.2f} {model*1e3:>8.2f} {err:>+7.1%} {ar_ms:>14} {model_ar*1e3:>15.2f}{note}")
    if not predicted:
        print("model check: nothing to predict (want a node count above 2 besides 1 and 2)")
        return 1
    print(f"\nworst relative error of the model: {worst:.1%} (tolerance {a.tolerance:.0%})")
    print("model check:", "OK" if worst <= a.tolerance else "FAILED (see docs/SCALING.md)")
    return 0 if worst <= a.tolerance else 1


# ----------------------------------------------------------------------------------------------- collect

def _find(d, *keys):
    for k in keys:
        cur = d
        for part in k.split("."):
            if not isinstance(cur, dict) or part not in cur:
                cur = None
                break
            cur = cur[part]
        if isinstance(cur, (int, float)) and not isinstance(cur, bool):
            return float(cur)
    return None


def cmd_collect(a):
    """Sweep layout (jobs/sweep-nodes.sh): ROOT/<mode>/nodes-<N>/<method>/seed-<S>/metrics.json."""
    pat = re.compile(r"(weak|strong)/nodes-(\d+)/([^/]+)/seed-(\d+)/metrics\.json$")
    rows = []
    for dirpath, _, files in os.walk(a.root):
        if "metrics.json" not in files:
            continue
        path = os.path.join(dirpath, "metrics.json")
        m = pat.search(path.replace(os.sep, "/"))
        if not m:
            continue
        with open(path) as f:
            d = json.load(f)
        # Retrain runs also leave train.json (wall time, images/s, all-reduce time of the training itself).
        t = {}
        if os.path.exists(os.path.join(dirpath, "train.json")):
            with open(os.path.join(dirpath, "train.json")) as f:
                t = json.load(f)
        def pick(*keys):
            v = _find(d, *keys)
            return v if v is not None else _find(t, *keys)
        rte = pick("timing.rte_s", "rte_s", "train_s")
        startup = pick("timing.startup_s", "startup_s", "setup_s")
        allreduce = pick("timing.allreduce_s", "allreduce_s")
        images = pick("timing.images", "images", "timing.samples")
        ips = pick("timing.images_per_s", "images_per_s", "img_per_s")
        if ips is None and images is not None and rte:
            ips = images / rte
        rows.append({"mode": m.group(1), "nodes": int(m.group(2)), "method": m.group(3), "seed": int(m.group(4)),
                     "ranks": pick("world_size", "ranks"), "rte_s": rte, "startup_s": startup, "images_per_s": ips,
                     "allreduce_share": (allreduce / rte) if (allreduce is not None and rte) else None})
    if not rows:
        sys.exit(f"scaling_model: no sweep metrics.json under {a.root} (want <mode>/nodes-<N>/<method>/seed-<S>/)")
    rows.sort(key=lambda r: (r["mode"], r["method"], r["nodes"], r["seed"]))
    # efficiency against the smallest node count of the same mode and method (mean over seeds)
    groups = {}
    for r in rows:
        groups.setdefault((r["mode"], r["method"], r["nodes"]), []).append(r["rte_s"])
    summary = []
    for (mode, method, nodes), rtes in sorted(groups.items()):
        rtes = [x for x in rtes if x is not None]
        mean = statistics.fmean(rtes) if rtes else None
        summary.append({"mode": mode, "method": method, "nodes": nodes, "rte_s": mean})
    for s in summary:
        base = min((t for t in summary if t["mode"] == s["mode"] and t["method"] == s["method"] and t["rte_s"]),
                   key=lambda t: t["nodes"], default=None)
        if base and s["rte_s"]:
            k = s["nodes"] / base["nodes"]
            s["efficiency"] = (base["rte_s"] / s["rte_s"]) / k if s["mode"] == "strong" else base["rte_s"] / s["rte_s"]
        else:
            s["efficiency"] = None
    eff = {(s["mode"], s["method"], s["nodes"]): s["efficiency"] for s in summary}
    for r in rows:
        r["efficiency"] = eff.get((r["mode"], r["method"], r["nodes"]))
    out_csv = a.csv or os.path.join(a.root, "sweep.csv")
    with open(out_csv + ".tmp", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    os.replace(out_csv + ".tmp", out_csv)
    print(f"wrote {out_csv} ({len(rows)} runs)")
    for s in summary:
        e = f"{s['efficiency']:.1%}" if s["efficiency"] is not None else "-"
        r = f"{s['rte_s']:.2f}" if s["rte_s"] is not None else "-"
        print(f"  {s['mode']:>6} {s['method']:>10} nodes {s['nodes']:>3}: RTE {r} s, efficiency {e}")
    if a.no_plot:
        return 0
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("scaling_model: matplotlib not importable here: no PNG (run with /usr/bin/python3)", file=sys.stderr)
        return 0
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for (mode, method) in sorted({(s["mode"], s["method"]) for s in summary}):
        pts = [s for s in summary if s["mode"] == mode and s["method"] == method and s["rte_s"]]
        xs = [p["nodes"] for p in pts]
        ax1.plot(xs, [p["rte_s"] for p in pts], marker="o", label=f"{method} ({mode})")
        ax2.plot(xs, [p["efficiency"] for p in pts], marker="o", label=f"{method} ({mode})")
    ax1.set_xlabel("nodes"); ax1.set_ylabel("RTE (s)"); ax1.set_xscale("log", base=2); ax1.legend(fontsize=7)
    ax2.set_xlabel("nodes"); ax2.set_ylabel("scaling efficiency"); ax2.set_xscale("log", base=2); ax2.set_ylim(0, 1.1)
    fig.tight_layout()
    png = a.png or os.path.join(a.root, "sweep.png")
    fig.savefig(png + ".tmp.png", dpi=120)
    os.replace(png + ".tmp.png", png)
    print(f"wrote {png}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("project", help="ImageNet ResNet-18 Retrain RTE and efficiency at 1..64 nodes")
    q.add_argument("--images-per-s-gpu", type=float, default=1200.0,
                   help="training images/s of ONE GPU at --batch-per-gpu (measure it: make bench-gpu) [1200]")
    q.add_argument("--batch-per-gpu", type=int, default=256)
    q.add_argument("--gpus-per-node", type=int, default=8)
    q.add_argument("--nvlink-GBps", type=float, default=300.0, help="intra-node bandwidth per GPU [300]")
    q.add_argument("--nvlink-latency-us", type=float, default=2.0)
    q.add_argument("--params", type=int, default=RESNET18_PARAMS)
    q.add_argument("--grad-bytes", type=int, default=4, help="bytes per gradient value (4 fp32, 2 bf16)")
    q.add_argument("--images", type=int, default=IMAGENET_TRAIN)
    q.add_argument("--classes", type=int, default=IMAGENET_CLASSES)
    q.add_argument("--forget-classes", type=int, default=1)
    q.add_argument("--epochs", type=int, default=90)
    q.add_argument("--mode", choices=["weak", "strong"], default="weak")
    q.add_argument("--overlap", type=float, default=0.0, help="fraction of the all-reduce hidden behind backward")
    q.add_argument("--link-efficiency", type=float, default=0.8)
    q.add_argument("--interconnects", default="", help=f"comma list of {', '.join(INTERCONNECTS)} [all]")
    q.add_argument("--nodes", default="1,2,4,8,16,32,64")
    q.add_argument("--csv", default="")
    c = sub.add_parser("check", help="the model against measured 1, 2, 3-rank steps on this machine")
    c.add_argument("--iters", type=int, default=2000, help="compute work per step (x 64K float updates)")
    c.add_argument("--grad-floats", type=int, default=2_800_000, help="gradient size in floats [2.8M ~ ResNet-18 w16]")
    c.add_argument("--steps", type=int, default=20)
    c.add_argument("--repeats", type=int, default=3, help="runs per point (the minimum is taken)")
    c.add_argument("--cores", type=int, default=0, help="cores the ranks share [all]")
    c.add_argument("--tolerance", type=float, default=0.25)
    c.add_argument("--real", action="store_true", help="time real `ugradsl train` runs instead of the synthetic steps")
    c.add_argument("--bin", default="", help="ugradsl binary [bin/ugradsl]")
    c.add_argument("--width", type=int, default=16, help="--real: ResNet-18 width [16]")
    c.add_argument("--batch", type=int, default=96, help="--real: global batch (divisible by 1, 2, 3) [96]")
    c.add_argument("--epochs", type=int, default=2, help="--real: epochs of the digits set [2]")
    c.add_argument("--sweep", default="", help="check against a jobs/sweep-nodes.sh sweep directory instead")
    k = sub.add_parser("collect", help="a sweep's metrics.json files -> CSV + PNG")
    k.add_argument("root")
    k.add_argument("--csv", default="")
    k.add_argument("--png", default="")
    k.add_argument("--no-plot", action="store_true")
    a = p.parse_args()
    if a.cmd == "check" and a.sweep:
        return cmd_check_sweep(a)
    if a.cmd == "check" and a.real:
        return cmd_check_real(a)
    return {"project": cmd_project, "check": cmd_check, "collect": cmd_collect}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
