"""Time fitting a practice's own expected-trajectory model (the mixed growth model behind
`alliance fit-trajectories`) on synthetic episodes drawn from the default curve.

    .venv/bin/python benchmarks/bench_fit_trajectories.py [--episodes 500] [--sessions 12]

The episodes are the ones tests/instruments/test_trajectories.py checks the fit against
(same generator, same seed). Progress goes to stderr; results to stdout; the last line is
the seconds for the fit alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' episode generator

from tests.instruments.test_trajectories import synthetic_episodes

from alliance.instruments.trajectories.fitting import fit_practice_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"[bench] {args.episodes} episodes x {args.sessions} sessions", file=sys.stderr)
    episodes = synthetic_episodes(args.episodes, seed=args.seed, sessions=args.sessions)
    start = time.perf_counter()
    import statsmodels.api  # noqa: F401  (counted apart: the first fit pays for it)

    imported = time.perf_counter() - start
    start = time.perf_counter()
    model = fit_practice_model(episodes, instrument="phq-9")
    fit = time.perf_counter() - start
    assert model is not None
    print(f"statsmodels import: {imported:.2f} s")
    print(f"observations: {model.n_observations:,}")
    print(f"fit: {fit:.2f} s")


if __name__ == "__main__":
    main()
