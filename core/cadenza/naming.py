"""Readable random run names, like ``brave-otter``."""

from __future__ import annotations

import random

_ADJECTIVES = ["amber", "bold", "brave", "bright", "calm", "clever", "cobalt", "crimson", "daring", "eager", "fancy", "gentle", "golden", "happy", "jolly", "keen", "lively", "lucky", "mellow", "merry", "nimble", "noble", "olive", "proud", "quick", "quiet", "rapid", "rustic", "scarlet", "shiny", "silver", "smart", "solid", "spry", "steady", "sunny", "swift", "tidy", "vivid", "warm", "witty"]
_NOUNS = ["badger", "beaver", "bison", "crane", "dingo", "eagle", "falcon", "ferret", "finch", "gecko", "heron", "ibex", "jackal", "koala", "lemur", "lynx", "marmot", "mink", "moose", "newt", "ocelot", "orca", "osprey", "otter", "owl", "panda", "puffin", "quail", "raven", "robin", "salmon", "seal", "shrew", "sloth", "stoat", "swan", "tapir", "tern", "toad", "walrus", "wolf", "wombat", "yak", "zebra"]


def random_run_name() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}"
