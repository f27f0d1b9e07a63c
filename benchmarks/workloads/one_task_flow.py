"""The smallest useful script: one flow calling one task. Timed from spawn to exit.

usage: python one_task_flow.py {cadenza|prefect}
"""

import sys
from importlib import import_module

fw = import_module(sys.argv[1])


@fw.task
def add_one(x: int) -> int:
    return x + 1


@fw.flow
def one_task_flow() -> int:
    return add_one(1)


if __name__ == "__main__":
    if one_task_flow() != 2:
        sys.exit("wrong result")
