#!/usr/bin/env bash
# Installs the Debian packages ugradsl needs (idempotent).  Run as root or with sudo available.
set -euo pipefail
PKGS=(build-essential pkg-config libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools libdnnl-dev
      libopenblas-dev libsvm-dev libturbojpeg0-dev libjpeg-dev libpng-dev libmatio-dev libcmocka-dev python3-sklearn
      python3-numpy python3-h5py python3-matplotlib slurm-wlm lmod clang libomp-dev)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "deps: all ${#PKGS[@]} packages present"; exit 0; fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
