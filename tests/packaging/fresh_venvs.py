"""Fresh virtual environments for the packaging tests: made with ``uv venv --seed``, seeing
nothing of the checkout (no editable install, no PYTHONPATH, a working directory and a
CADENZA_HOME of their own), and what an install leaves in them (`measure`)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from built_dists import UV, lock_constraints

# what `pip install` puts in a venv made with --seed before anything is installed
SEED = frozenset({"pip", "setuptools", "wheel"})


def run(
    *args: str | Path, env: dict[str, str], cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; its output is in the assertion message when it fails."""
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )
    assert proc.returncode == 0, (
        f"{[str(a) for a in args]} exited {proc.returncode}:\n"
        f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )
    return proc


@dataclass
class Venv:
    """A fresh virtual environment and the environment variables to run its commands with."""

    path: Path
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        return self.path / ("Scripts" if os.name == "nt" else "bin")

    @property
    def python(self) -> Path:
        return self.bin / ("python.exe" if os.name == "nt" else "python")

    def site_packages(self) -> Path:
        out = run(self.python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                  env=self.env)  # fmt: skip
        return Path(out.stdout.strip())

    def distributions(self) -> set[str]:
        """The names of the distributions installed, seed tools (pip) included."""
        code = (
            "import importlib.metadata as m;"
            "print('\\n'.join(sorted({d.metadata['Name'].lower() for d in m.distributions()})))"
        )
        return set(run(self.python, "-c", code, env=self.env).stdout.split())

    def install(self, *requirements: str | Path) -> None:
        # --compile-bytecode: as pip does, so the measured size is what `pip install` leaves
        run(UV, "pip", "install", "-q", "--compile-bytecode", "-p", self.python, *requirements,
            env=self.env)  # fmt: skip

    def cadenza(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run(self.bin / "cadenza", *args, env=self.env, cwd=cwd or self.home)


@dataclass(frozen=True)
class Footprint:
    """What an install leaves in a fresh venv: site-packages' disk usage (as ``du``), with and
    without the seed tools (pip, setuptools, wheel) every ``--seed`` venv holds anyway, and the
    distributions installed."""

    megabytes: float  # du of site-packages, seed tools included
    seed_megabytes: float
    distributions: frozenset[str]

    @property
    def own_megabytes(self) -> float:
        return self.megabytes - self.seed_megabytes

    @property
    def packages(self) -> int:
        return len(self.distributions - SEED)

    def describe(self) -> str:
        return (
            f"{self.own_megabytes:.1f} MB in site-packages ({self.megabytes:.1f} MB with pip, "
            f"setuptools and wheel), {self.packages} packages"
        )


def _disk_usage(paths: list[Path], seen: set[tuple[int, int]]) -> int:
    """Bytes the files take on disk, as ``du`` counts them (a hard link once)."""
    total = 0
    for path in paths:
        stat = path.lstat()
        if (stat.st_dev, stat.st_ino) in seen:
            continue
        seen.add((stat.st_dev, stat.st_ino))
        total += stat.st_blocks * 512 if hasattr(stat, "st_blocks") else stat.st_size
    return total


def measure(venv: Venv) -> Footprint:
    site = venv.site_packages()
    seen: set[tuple[int, int]] = set()
    seed_files = [
        path
        for dist in site.glob("*.dist-info")
        if dist.name.split("-")[0].lower() in SEED
        for tree in [site / dist.name.split("-")[0], dist]
        if tree.exists()
        for path in [tree, *tree.rglob("*")]
    ]
    seed = _disk_usage(seed_files, seen)
    rest = _disk_usage([site, *site.rglob("*")], seen)
    return Footprint((seed + rest) / 1e6, seed / 1e6, frozenset(venv.distributions()))


def _clean_env(venv: Path, home: Path) -> dict[str, str]:
    drop = ("CADENZA_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["CADENZA_HOME"] = str(home / ".cadenza")
    env["CADENZA_LOGGING_CONSOLE"] = "false"
    return env


def make_venv(base: Path) -> Venv:
    """A fresh venv under `base`; what is installed into it is held to requirements-dev.lock's
    versions, so the suite is as reproducible here as in the development venv."""
    path, home = base / "venv", base / "home"
    home.mkdir(parents=True)
    venv = Venv(path, home, _clean_env(path, home))
    venv.env["UV_CONSTRAINT"] = str(lock_constraints(base / "constraints.txt"))
    run(UV, "venv", "-q", "--seed", "--python", sys.executable, path, env=venv.env)
    return venv


@dataclass
class ServerInstall:
    venv: Venv
    footprint: Footprint  # measured before anything but cadenza[server] was installed
