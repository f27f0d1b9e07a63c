#!/usr/bin/env bash
# Create benchmarks/.prefect-venv with Prefect 3, for the side-by-side figures in run.py.
# Separate from the project venv so Prefect's dependencies never mix with cadenza's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.prefect-venv"
if [ ! -x "$venv/bin/python" ]; then
  uv venv "$venv" -p python3.11
fi
# prefect-dask: Prefect's Dask task runner, for dask_map_1k (it brings dask[distributed]).
uv pip install -p "$venv/bin/python" "prefect>=3,<4" prefect-dask
"$venv/bin/python" -c "import prefect, prefect_dask; print('prefect', prefect.__version__, 'in', '$venv')"
