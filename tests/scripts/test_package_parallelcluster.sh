# examples/parallelcluster/: the cluster config has the structure ParallelCluster 3
# documents (HeadNode, Scheduling.SlurmQueues[].ComputeResources[].Instances[],
# Efa.Enabled, Networking.PlacementGroup.Enabled, CustomSlurmSettings as a list of
# one-key mappings, CustomActions.OnNodeConfigured.Script/Args, SharedStorage FsxLustre),
# with a trn1 and a trn2 queue running the OnNodeConfigured script; the script is valid
# bash and does what the kit promises.
source "$(dirname "$0")/lib.sh"
kit=$TRN_TOP/examples/parallelcluster
python3 - "$kit/cluster-config.yaml" <<'PY' || fail "cluster-config.yaml: structure (above)"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
errors = []
def need(cond, what):
    if not cond: errors.append(what)
def action_ok(node, where):
    a = (node.get("CustomActions") or {}).get("OnNodeConfigured") or {}
    need(str(a.get("Script", "")).endswith("on-node-configured.sh"), where + ": CustomActions.OnNodeConfigured.Script is not on-node-configured.sh")
    need(isinstance(a.get("Args"), list), where + ": OnNodeConfigured.Args must be a list")
need(set(c) >= {"Region", "Image", "HeadNode", "Scheduling", "SharedStorage"}, "top-level keys: %s" % sorted(c))
head = c["HeadNode"]
need(head.get("InstanceType") and head.get("Networking", {}).get("SubnetId"), "HeadNode needs InstanceType and Networking.SubnetId")
action_ok(head, "HeadNode")
s = c["Scheduling"]
need(s.get("Scheduler") == "slurm", "Scheduling.Scheduler must be slurm")
custom = s.get("SlurmSettings", {}).get("CustomSlurmSettings")
need(isinstance(custom, list) and all(isinstance(x, dict) and len(x) == 1 for x in custom), "CustomSlurmSettings must be a list of one-key mappings")
flat = {k: v for x in custom or [] for k, v in x.items()}
need(flat.get("MpiDefault") == "pmix", "CustomSlurmSettings: MpiDefault: pmix")
need(str(flat.get("PlugStackConfig", "")).endswith("plugstack.conf"), "CustomSlurmSettings: PlugStackConfig")
types = set()
for q in s.get("SlurmQueues", []):
    where = "queue " + str(q.get("Name"))
    need(q.get("Name") and q.get("ComputeResources"), where + ": Name and ComputeResources")
    need(q.get("Networking", {}).get("PlacementGroup", {}).get("Enabled") is True, where + ": Networking.PlacementGroup.Enabled: true")
    need(isinstance(q.get("Networking", {}).get("SubnetIds"), list), where + ": Networking.SubnetIds list")
    action_ok(q, where)
    for r in q.get("ComputeResources", []):
        need(r.get("Efa", {}).get("Enabled") is True, where + ": Efa.Enabled: true")
        need(isinstance(r.get("MinCount"), int) and isinstance(r.get("MaxCount"), int) and r["MinCount"] <= r["MaxCount"], where + ": MinCount <= MaxCount")
        for i in r.get("Instances", []):
            types.add(i.get("InstanceType"))
need({"trn1.32xlarge", "trn2.48xlarge"} <= types, "a trn1 and a trn2 queue; instance types: %s" % sorted(types))
fsx = [x for x in c["SharedStorage"] if x.get("StorageType") == "FsxLustre"]
need(fsx and fsx[0].get("MountDir") and "FsxLustreSettings" in fsx[0], "SharedStorage: an FsxLustre with MountDir and FsxLustreSettings")
for e in errors: print("  " + e)
sys.exit(1 if errors else 0)
PY
script=$kit/on-node-configured.sh
[ -x "$script" ] || fail "$script is not executable"
bash -n "$script" || fail "$script: not valid bash"
for want in "slurm-spank-neuron/neuron.conf" "plugstack.conf.d" "ip_local_reserved_ports" "max_dirty_mb" "nofile"; do
  grep -q -- "$want" "$script" || fail "$script does not handle $want"
done
