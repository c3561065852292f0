# make install DESTDIR=... puts the launcher, the plugin, the configs, the plugstack
# snippet, the site file and the man pages where the configured paths say.
source "$(dirname "$0")/lib.sh"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make -s -C "$TRN_TOP" BUILD="$TRN_BUILD" install DESTDIR="$dest" >/dev/null || fail "make install failed"
val() { make -s -C "$TRN_TOP" --no-print-directory "print-$1"; }
bindir=$(val bindir) plugindir=$(val SLURM_PLUGINDIR) slurmetc=$(val SLURM_SYSCONFDIR)
datadir=$(val datadir) sysconfdir=$(val sysconfdir) mandir=$(val mandir)
for f in "$bindir/trn-train" "$plugindir/spank_neuron.so" "$slurmetc/plugstack.conf.d/neuron.conf" \
         "$sysconfdir/trn-train/site.yaml" "$mandir/man1/trn-train.1" "$mandir/man8/spank_neuron.8"; do
  [ -f "$dest$f" ] || fail "make install did not install $f (DESTDIR=$dest): $(cd "$dest" && find . -type f)"
done
ls "$dest$datadir/trn-train/conf/"*.yaml >/dev/null 2>&1 || fail "no configs under $datadir/trn-train/conf"
grep -q "^required $plugindir/spank_neuron.so" "$dest$slurmetc/plugstack.conf.d/neuron.conf" || fail "plugstack snippet does not name the installed plugin"
