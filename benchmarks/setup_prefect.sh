#!/usr/bin/env bash
# Create benchmarks/.prefect-venv with Prefect 3, for the side-by-side figures in run.py.
# Separate from the project venv so Prefect's dependencies never mix with cadenza's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.prefect-venv"
if [ ! -x "$venv/bin/python" ]; then
  uv venv "$venv" -p python3.11
fi
# prefect-dask and prefect-ray: Prefect's Dask and Ray task runners, for dask_map_1k and ray_map
# (they bring dask[distributed] and ray).
uv pip install -p "$venv/bin/python" "prefect>=3,<4" prefect-dask prefect-ray
"$venv/bin/python" -c "import prefect, prefect_dask, prefect_ray; print('prefect', prefect.__version__, 'in', '$venv')"
