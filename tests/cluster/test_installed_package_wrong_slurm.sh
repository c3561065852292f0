# The plugin package refuses a node whose Slurm is another major.minor than the one it
# was built against, naming both, and installs nothing (issue 11). The package under
# test is the built .deb with its Slurm version faked to the next major.minor, exactly
# what configure would have written for other headers: the dependency and the
# pre-install script's version (packaging/scripts/preinst.in).
# Needs root and TRN_INSTALLED_DEBS=<folder of the .debs>; skipped without it.
source "$(dirname "$0")/lib.sh"
debs=${TRN_INSTALLED_DEBS:-}
if [ -z "$debs" ]; then echo "SKIP: set TRN_INSTALLED_DEBS to the folder make deb wrote (CI does)"; exit 77; fi
[ "$(id -u)" = 0 ] || fail "installs packages: run as root"
plugin_deb=$(ls "$debs"/slurm-spank-neuron_*.deb) || fail "no slurm-spank-neuron .deb in $debs"
! dpkg-query -W -f='${db:Status-Abbrev}' slurm-spank-neuron 2>/dev/null | grep -q '^.i' \
  || fail "slurm-spank-neuron is already installed here: remove it first"
work=$(mktemp -d)
trap 'dpkg -r slurm-spank-neuron >/dev/null 2>&1; rm -rf "$work"' EXIT

node=$(dpkg-query -W -f='${Version}' slurm-wlm-basic-plugins)
built=$(sed -n 's/^built=//p' <(dpkg-deb --ctrl-tarfile "$plugin_deb" | tar -xO ./preinst))
[[ $node == "$built".* ]] || fail "the .deb is not built for this node's Slurm ($built vs $node): cannot fake the next one"
major=${built%.*} minor=$((10#${built#*.}))
fake=$(printf '%d.%02d' "$major" $((minor + 1))) fake_next=$(printf '%d.%02d' "$major" $((minor + 2)))

dpkg-deb -R "$plugin_deb" "$work/pkg"
sed -i "s/^built=.*/built=$fake/" "$work/pkg/DEBIAN/preinst"
sed -i -E "s/slurm-wlm-basic-plugins \(>= [0-9.]+\), slurm-wlm-basic-plugins \(<< [0-9.]+\)/slurm-wlm-basic-plugins (>= $fake), slurm-wlm-basic-plugins (<< $fake_next)/" \
  "$work/pkg/DEBIAN/control"
grep -q "(>= $fake)" "$work/pkg/DEBIAN/control" || fail "the .deb's Depends does not pin Slurm: $(grep Depends "$work/pkg/DEBIAN/control")"
dpkg-deb -b "$work/pkg" "$work/faked.deb" >/dev/null

if out=$(dpkg -i "$work/faked.deb" 2>&1); then fail "a plugin built for Slurm $fake installed on Slurm $node: $out"; fi
expect_contains "$out" "built for Slurm $fake, but this node runs Slurm $node" "refusal names both versions"
so=$(awk '$1 == "required" {print $2}' "$work/pkg/usr/share/slurm-spank-neuron/neuron.conf")
[ ! -e "$so" ] || fail "the refused package left $so behind"
! dpkg-query -W -f='${db:Status-Abbrev}' slurm-spank-neuron 2>/dev/null | grep -q '^.i' || fail "refused package is recorded as installed"

# apt refuses it too, through the dependency, before any script runs.
if out=$(apt-get install -s "$work/faked.deb" 2>&1); then fail "apt would install the faked package: $out"; fi
expect_contains "$out" "slurm-wlm-basic-plugins (>= $fake)" "apt names the required Slurm"
