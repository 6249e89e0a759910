"""``diffmm demo``: what the toolkit does, in minutes on a CPU, with the bundles it ships.

Vocodes held-out recordings, speaks fixed sentences, forecasts the held-out week of the
pedestrian counts and samples a grid of Fashion-MNIST images, then writes one self-contained
HTML report with the scores measured in the run::

    from diffmm.demo import run_demo

    report = run_demo("demo_out", parts=("vocode", "images"), dtype="fp32")
"""

from diffmm.demo.parts import PARTS
from diffmm.demo.run import run_demo

__all__ = ["PARTS", "run_demo"]
