"""What the two GPU benchmarks against PyTorch share (tools/bench_gpu_r18.py, tools/bench_gpu_torch.py)."""
import os
import sys


def ours_env():
    """Environment for our benchmark binary: tools/gpu-check.sh puts our library path in UG_OURS_LD_LIBRARY_PATH
    (PyTorch keeps the machine's own, as it refuses a second, older cuDNN found first)."""
    env = os.environ.copy()
    if os.environ.get("UG_OURS_LD_LIBRARY_PATH"):
        env["LD_LIBRARY_PATH"] = os.environ["UG_OURS_LD_LIBRARY_PATH"]
    return env


def torch_with_cuda(tag):
    """PyTorch with a usable GPU, or None after printing the SKIP line that says why."""
    try:
        import torch
    except ImportError:
        print("SKIP %s: PyTorch is not installed for %s" % (tag, sys.executable))
        return None
    if not torch.cuda.is_available():
        print("SKIP %s: torch.cuda.is_available() is False (no GPU, or a CPU-only PyTorch)" % tag)
        return None
    return torch
