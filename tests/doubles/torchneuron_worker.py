# TEST DOUBLE for one TorchNeuron training worker (a user's script, or TorchTitan through
# torchtitan/train.py here), which needs Trainium and the Neuron SDK. The torchrun double
# starts it (with this folder on PYTHONPATH) after `trn-train worker` chose its core. It
# records what the worker finally sees -- its argv and the variables TorchNeuron and
# torch.distributed read -- in $TRN_DOUBLE_OUT/worker.<GROUP_RANK>.<LOCAL_RANK>, and exits 0.
import os
import sys

VARS = ("NEURON_RT_VISIBLE_CORES", "NEURON_LOGICAL_NC_CONFIG", "NEURON_RT_ROOT_COMM_ID", "NEURON_CC_FLAGS",
        "RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT",
        "TORCHELASTIC_RUN_ID", "COMPILE")


def record(argv):
    out = os.path.join(os.environ.get("TRN_DOUBLE_OUT", "."),
                       "worker.%s.%s" % (os.environ.get("GROUP_RANK", "0"), os.environ.get("LOCAL_RANK", "0")))
    with open(out, "w") as f:
        f.write("argv: %s\n" % " ".join(argv))
        for k in VARS:
            if k in os.environ:
                f.write("%s=%s\n" % (k, os.environ[k]))


if __name__ == "__main__":
    record(sys.argv)
