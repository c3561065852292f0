# make install DESTDIR=... puts the launcher, the plugin, its plugstack snippet (under
# share/, not enabled), the configs, the site file, the man pages and the docs where
# the configured paths say; no empty folder; make uninstall takes them away again
# (all but the admin's site file).
source "$(dirname "$0")/lib.sh"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make -s -C "$TRN_TOP" BUILD="$TRN_BUILD" install DESTDIR="$dest" >/dev/null || fail "make install failed"
val() { make -s -C "$TRN_TOP" --no-print-directory "print-$1"; }
bindir=$(val bindir) plugindir=$(val SLURM_PLUGINDIR) slurmetc=$(val SLURM_SYSCONFDIR)
datadir=$(val datadir) sysconfdir=$(val sysconfdir) mandir=$(val mandir) snippet=$(val SNIPPET_DIR)/neuron.conf
for f in "$bindir/trn-train" "$plugindir/spank_neuron.so" "$snippet" "$sysconfdir/trn-train/site.yaml" \
         "$mandir/man1/trn-train.1" "$mandir/man5/trn-train.yaml.5" "$mandir/man8/spank_neuron.8" \
         "$(val DOC_DIR)/README.md" "$(val DOC_DIR)/README.packaging.md"; do
  [ -f "$dest$f" ] || fail "make install did not install $f (DESTDIR=$dest): $(cd "$dest" && find . -type f)"
done
ls "$dest$datadir/trn-train/conf/"*.yaml >/dev/null 2>&1 || fail "no configs under $datadir/trn-train/conf"
grep -q "^required $plugindir/spank_neuron.so" "$dest$snippet" || fail "plugstack snippet does not name the installed plugin"
# Installing never enables the plugin: that is the admin's link (packaging/README.md).
[ ! -e "$dest$slurmetc/plugstack.conf.d" ] || fail "make install wrote into $slurmetc/plugstack.conf.d"
empty=$(cd "$dest" && find . -type d -empty)
[ -z "$empty" ] || fail "make install left empty folders: $empty"
make -s -C "$TRN_TOP" BUILD="$TRN_BUILD" uninstall DESTDIR="$dest" >/dev/null || fail "make uninstall failed"
left=$(cd "$dest" && find . -type f ! -path "*$sysconfdir/trn-train/site.yaml")
[ -z "$left" ] || fail "make uninstall left: $left"
