# TEST DOUBLE for TorchTitan's entry point (`python3 -m torchtitan.train --job.config_file X`):
# records what the worker sees, as tests/doubles/torchneuron_worker.py does.
import sys

import torchneuron_worker

torchneuron_worker.record(["-m", "torchtitan.train"] + sys.argv[1:])
