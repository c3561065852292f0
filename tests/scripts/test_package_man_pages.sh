# Every man page renders with man -l and groff reports no warning (a broken macro,
# an unknown escape), and each names itself in its .TH line.
source "$(dirname "$0")/lib.sh"
command -v man >/dev/null || fail "man not installed (Debian: man-db)"
pages=("$TRN_TOP"/man/*.[1-8])
[ ${#pages[@]} -ge 5 ] || fail "expected at least 5 man pages, found ${#pages[@]}: ${pages[*]}"
for page in "${pages[@]}"; do
  name=$(basename "$page")
  text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>"$TRN_BUILD/man-warnings.txt") \
    || fail "man -l $name failed: $(cat "$TRN_BUILD/man-warnings.txt")"
  [ ! -s "$TRN_BUILD/man-warnings.txt" ] || fail "man -l $name warns: $(cat "$TRN_BUILD/man-warnings.txt")"
  expect_contains "$text" "NAME" "$name renders a NAME section"
  section=${name##*.} title=${name%.*}
  grep -qi "^\.TH \"\?${title}\"\? ${section} " "$page" || fail "$name: its .TH line does not name ${title}(${section})"
done
rm -f "$TRN_BUILD/man-warnings.txt"
