#!/usr/bin/env bash
# What the MPI build and its tests need: Debian's OpenMPI (the library, its headers and mpirun)
# and libclang for the `mpi` crate's bindgen step. Idempotent: does nothing when all are present.
set -euo pipefail

packages=(libopenmpi-dev openmpi-bin libclang-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-mpi: missing ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
