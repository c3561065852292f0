# spank_neuron.so exports only the SPANK symbols, carries the running Slurm's
# version, and needs no C++ runtime from the host.
source "$(dirname "$0")/lib.sh"
so=$TRN_BUILD/lib/spank_neuron.so
[ -f "$so" ] || fail "$so not built"
exports=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
bad=$(grep -Ev '^(plugin_name|plugin_type|plugin_version|spank_plugin_version|slurm_spank_.*)$' <<< "$exports" || true)
[ -z "$bad" ] || fail "unexpected exported symbols: $bad"
for s in plugin_name plugin_type plugin_version spank_plugin_version slurm_spank_init slurm_spank_user_init slurm_spank_task_init; do
  grep -qx "$s" <<< "$exports" || fail "$s is not exported"
done
ldd "$so" | grep -q libstdc++ && fail "links libstdc++ dynamically (must be static)"
ldd "$so" | grep -q libfabric && fail "links libfabric at load time (must be dlopen()ed)"
# The loader accepted it: the cluster's plugstack has it as 'required' and jobs run.
srun -N1 true || fail "srun with the plugin loaded failed"
