#!/usr/bin/env bash
# Installs the two peer simulators into their own virtual environments under target/peers/:
#   target/peers/nest    nest-simulator 3.10.0 (PyPI wheel)
#   target/peers/brian2  brian2 with numpy<2.4 (Brian2 does not import with numpy 2.4); the newest
#                        Brian2 release for this Python (2.9.0 on Python 3.11: 2.10 needs 3.12)
# Idempotent: an environment whose simulator already imports (NEST at 3.10.0, Brian2 with
# numpy < 2.4) is left alone.
# Needs python3 (or $PYTHON) with the venv module and PyPI access; Brian2's C++ standalone mode also needs a
# C++ compiler (g++) and make at run time.
set -euo pipefail
cd "$(dirname "$0")/../.."

PEERS=target/peers
NEST_VERSION=3.10.0
PYTHON=${PYTHON:-python3}
mkdir -p "$PEERS"

# make_venv DIR CHECK PACKAGES...: (re)creates DIR and installs PACKAGES unless CHECK succeeds.
make_venv() {
    local dir=$1 check=$2
    shift 2
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" >/dev/null 2>&1; then
        echo "setup: $dir is up to date"
        return
    fi
    echo "setup: installing $* into $dir"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --upgrade pip
    "$dir/bin/python" -m pip install --quiet "$@"
    "$dir/bin/python" -c "$check" || {
        echo "setup: $dir does not pass its check after installing: $check" >&2
        exit 1
    }
}

make_venv "$PEERS/nest" \
    "import nest, sys; sys.exit(nest.__version__ != '$NEST_VERSION')" \
    "nest-simulator==$NEST_VERSION" numpy

make_venv "$PEERS/brian2" \
    "import brian2, numpy, sys; sys.exit(tuple(map(int, numpy.__version__.split('.')[:2])) >= (2, 4))" \
    "brian2>=2.9" "numpy<2.4"

for tool in g++ make; do
    command -v "$tool" >/dev/null || echo "setup: warning: $tool not found; Brian2's C++ standalone mode needs it" >&2
done
"$PEERS/nest/bin/python" -c "import nest; print('setup: NEST', nest.__version__)" 2>/dev/null | grep '^setup:'
"$PEERS/brian2/bin/python" -c "import brian2, numpy; print('setup: Brian2', brian2.__version__, 'numpy', numpy.__version__)"
