#!/usr/bin/env python3
# TEST DOUBLE for NxDT's examples/training_orchestrator.py, which needs Trainium and the
# Neuron SDK. In the one-task-per-worker layout trn-train starts `python3 <script>` per
# Slurm task; the cluster test puts this file where the script is looked for. It records,
# in $TRN_DOUBLE_OUT/orchestrator.<SLURM_PROCID>, the world this process would join as
# torch-xla's Neuron plugin decides it at import (pytorch/xla
# torch_xla/_internal/neuron.py configure_pjrt_environment): only under torch-elastic
# (TORCHELASTIC_RUN_ID set) the PJRT world is WORLD_SIZE, the process index RANK and the
# core the LOCAL_RANK-th of NEURON_RT_VISIBLE_CORES (or LOCAL_RANK when unset), which
# must hold LOCAL_WORLD_SIZE cores; otherwise every process is a world of one.
import os
import sys


def cores(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


env = os.environ
if "TORCHELASTIC_RUN_ID" in env:
    local, local_world = int(env.get("LOCAL_RANK", "0")), int(env.get("LOCAL_WORLD_SIZE", "1"))
    visible = env.get("NEURON_RT_VISIBLE_CORES", "")
    if not visible:
        core = env.get("LOCAL_RANK", "0")
    elif len(cores(visible)) == local_world:
        core = str(cores(visible)[local])
    elif len(cores(visible)) <= 1 and local_world == 1:
        core = visible
    else:
        sys.exit("LOCAL_WORLD_SIZE %d is not the count of NEURON_RT_VISIBLE_CORES %s" % (local_world, visible))
    world, rank = env.get("WORLD_SIZE", "1"), env.get("RANK", "0")
else:
    world, rank, local, core = "1", "0", 0, env.get("NEURON_RT_VISIBLE_CORES", "")
out = os.path.join(env.get("TRN_DOUBLE_OUT", "."), "orchestrator." + env.get("SLURM_PROCID", "0"))
with open(out, "w") as f:
    f.write("world %s rank %s node %s local %s core %s script %s\n"
            % (world, rank, env.get("SLURM_NODEID", "0"), local, core, os.path.abspath(sys.argv[0])))
print("training_orchestrator.py (double): rank %s of %s on core %s" % (rank, world, core))
