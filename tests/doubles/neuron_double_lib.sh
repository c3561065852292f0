# TEST DOUBLE helpers (sourced by the neuron_parallel_compile, neuronx-cc and torchrun
# doubles in this folder; not installed, never on a production PATH). They follow the
# Neuron persistent cache's documented layout (aws-neuron-sdk neuron-caching.rst;
# research/neuron-anchor.md §3.2):
#   <cache>/neuronxcc-<compiler version>/MODULE_<graph hash>+<flags hash>/
#       model.hlo_module.pb   the extracted graph      model.neff, model.done   compiled
#       model.log             a failed compile         *.lock                   being compiled
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
