# TEST DOUBLE helpers (sourced by the neuron_parallel_compile, neuronx-cc and torchrun
# doubles in this folder; not installed, never on a production PATH). They write the
# Neuron persistent cache's entries as the SDK does (tests/fixtures/neuron_cache/README.md
# has the format and its sources):
#   <cache>/neuronxcc-<compiler version>/MODULE_<graph hash>+<flags hash>/
#       model.hlo_module.pb, compile_flags.json   collected: the graph and its flags, a JSON list
#       model.neff, model.done (empty)            compiled
#       model.log                                 a failed compile
#       model.hlo_module.pb.lock                  being compiled (the file's presence is the lock)
# and its location rules: --cache_dir= in NEURON_CC_FLAGS beats NEURON_COMPILE_CACHE_URL,
# default /var/tmp/neuron-compile-cache.

npc_double_version=2.15.128.0+56dc5a86

# The cache folder this process would use.
npc_double_cache() {
  local f
  for f in ${NEURON_CC_FLAGS:-}; do
    case $f in --cache_dir=*) echo "${f#--cache_dir=}"; return ;; esac
  done
  echo "${NEURON_COMPILE_CACHE_URL:-/var/tmp/neuron-compile-cache}"
}

# NEURON_CC_FLAGS without the wrapper's own options (they are not compiler flags and
# so not part of the key), as the compiler would get them.
npc_double_compiler_flags() {
  local f out=()
  for f in ${NEURON_CC_FLAGS:-}; do
    case $f in --cache_dir=*|--no_cache|--retry_failed_compilation|--log_level=*) ;; *) out+=("$f") ;; esac
  done
  echo "${out[*]}"
}

# hex digest of stdin, cut to $1 characters
npc_double_hash() { md5sum | cut -c1-"$1"; }

# MODULE folder name for graph "$1" under the current compiler flags.
npc_double_module() {
  echo "MODULE_$(printf '%s' "$1" | npc_double_hash 20)+$(npc_double_compiler_flags | npc_double_hash 8)"
}

# Writes file $2 with the content $1 by temp file + rename (several nodes write the same entries).
npc_double_publish() {
  local tmp="$2.tmp.$$.$RANDOM"
  printf '%s\n' "$1" > "$tmp" && mv -f "$tmp" "$2"
}

# The compiler flags as compile_flags.json holds them: a JSON list of words, as Python's
# json.dumps writes a list (words with a quote or backslash are escaped).
npc_double_flags_json() {
  local w out="" sep=""
  for w in $(npc_double_compiler_flags); do
    w=${w//\\/\\\\}; w=${w//\"/\\\"}
    out+="$sep\"$w\""; sep=", "
  done
  printf '[%s]' "$out"
}

# Collects graph "$2" into entry folder "$1" as the SDK's collect does: the graph, then
# its flags (both by temp file + rename; several nodes collect the same graphs).
npc_double_collect() {
  mkdir -p "$1" && npc_double_publish "$2" "$1/model.hlo_module.pb" || return 1
  local tmp="$1/compile_flags.json.tmp.$$.$RANDOM"
  npc_double_flags_json > "$tmp" && mv -f "$tmp" "$1/compile_flags.json"
}

# Marks entry "$1" compiled: an empty model.done, last, as the SDK writes it.
npc_double_done() {
  local tmp="$1/model.done.tmp.$$.$RANDOM"
  : > "$tmp" && mv -f "$tmp" "$1/model.done"
}
