# The .deb packages as an admin uses them (issue 11; CI runs it after `make deb`):
# install both; a 4-node job with the plugin loaded from the packaged snippet and
# trn-train from PATH (the installed example: compile, then train, the native
# engine); enable the plugin
# the README's way (a link in /etc/slurm/plugstack.conf.d); remove the packages;
# srun must still work on the node's own plugstack.conf, also after a slurmd restart.
# Needs root and TRN_INSTALLED_DEBS=<folder of the .debs>; skipped without it.
source "$(dirname "$0")/lib.sh"
debs=${TRN_INSTALLED_DEBS:-}
if [ -z "$debs" ]; then echo "SKIP: set TRN_INSTALLED_DEBS to the folder make deb wrote (CI does)"; exit 77; fi
[ "$(id -u)" = 0 ] || fail "installs packages: run as root"
plugin_deb=$(ls "$debs"/slurm-spank-neuron_*.deb) || fail "no slurm-spank-neuron .deb in $debs"
tools_deb=$(ls "$debs"/trn-train_*.deb) || fail "no trn-train .deb in $debs"
for p in slurm-spank-neuron trn-train; do
  ! dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.i' || fail "$p is already installed here: remove it first"
done
ls=$TRN_TOP/tests/cluster/localslurm
export LOCALSLURM_DIR=$LOCALSLURM_DIR-installed
link=/etc/slurm/plugstack.conf.d/neuron.conf
snippet=/usr/share/slurm-spank-neuron/neuron.conf
work=$(mktemp -d)
cleanup() {
  "$ls" down >/dev/null 2>&1
  dpkg -r slurm-spank-neuron trn-train >/dev/null 2>&1
  [ ! -L "$link" ] || rm -f "$link"
  rm -rf "$work"
}
trap cleanup EXIT

dpkg -i "$plugin_deb" "$tools_deb" > "$work/dpkg.log" 2>&1 || fail "dpkg -i failed: $(cat "$work/dpkg.log")"
so=$(awk '$1 == "required" {print $2}' "$snippet")
[ -f "$so" ] || fail "the packaged snippet names $so, which is not installed"
[ ! -e "$link" ] || fail "installing enabled the plugin ($link): that is the admin's step"
expect_eq "$(command -v trn-train)" /usr/bin/trn-train "trn-train on PATH"
expect_contains "$(trn-train --version)" "trn-train 0.1.0" "installed trn-train --version"

# 1. The 4-node smoke against the installed files.
"$ls" up --nodes 4 --plugstack "$snippet" --path-prefix /usr/bin > "$work/up.log" 2>&1 || fail "localslurm up: $(cat "$work/up.log")"
(
  eval "$("$ls" env)"
  grep -q "^required $so root=" "$LOCALSLURM_DIR/plugstack.conf" || fail "cluster plugstack is not the packaged line: $(cat "$LOCALSLURM_DIR/plugstack.conf")"
  out=$(srun -N4 -n4 bash -c 'echo $(command -v trn-train) ${NEURON_RT_VISIBLE_CORES:-none}' | sort -u)
  expect_eq "$out" "/usr/bin/trn-train 0-31" "tasks see the installed trn-train and the installed plugin's placement"
  cd "$work"
  { cat "$TRN_TRAIN_SITE_CONF"; echo "cache_root: $work/cache"; } > site.yaml
  export TRN_TRAIN_SITE_CONF=$work/site.yaml
  # The installed example job: compile, then train, the native engine on 4 nodes.
  example=/usr/share/doc/trn-train/examples/tiny_llama_native.sbatch
  sbatch --wait -o "$work/job.out" "$example" >/dev/null || fail "$example failed: $(cat "$work/job.out")"
  out=$(cat "$work/job.out")
  expect_contains "$out" "Total successful compilations: 1" "the example's compile step"
  expect_contains "$out" "loaded from the compile cache" "the example's train step used the compiled graph"
) || exit 1
"$ls" down >/dev/null

# 2. Enabled the README's way, on the node's own plugstack.conf (which includes plugstack.conf.d).
mkdir -p "$(dirname "$link")" && ln -s "$snippet" "$link"
"$ls" up --nodes 4 --plugstack /etc/slurm/plugstack.conf > "$work/up.log" 2>&1 || fail "localslurm up: $(cat "$work/up.log")"
eval "$("$ls" env)"
expect_contains "$(srun --help 2>&1)" "--neuron-" "srun --help with the plugin enabled through $link"

# 3. Remove: plugin, snippet and the admin's link go; srun works, before and after a restart.
dpkg -r slurm-spank-neuron trn-train > "$work/dpkg.log" 2>&1 || fail "dpkg -r failed: $(cat "$work/dpkg.log")"
for f in "$so" "$snippet" "$link" /usr/bin/trn-train; do
  [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is still there after dpkg -r"
done
out=$(srun -N4 hostname 2>&1) || fail "srun after dpkg -r: $out"
expect_eq "$(wc -l <<< "$out")" 4 "srun -N4 hostname after dpkg -r"
"$ls" down >/dev/null
"$ls" up --nodes 4 --plugstack /etc/slurm/plugstack.conf > "$work/up.log" 2>&1 || fail "slurmd after dpkg -r: $(cat "$work/up.log")"
out=$(srun -N4 hostname 2>&1) || fail "srun after dpkg -r and a restart: $out"
expect_eq "$(wc -l <<< "$out")" 4 "srun -N4 hostname after dpkg -r and a restart"
