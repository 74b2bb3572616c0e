#!/usr/bin/env bash
# Proves faxpeer (the spandsp fax line) with a third-party Class 1 host,
# Debian's efax, in both directions:
#   1. efax dials (ATD) and sends a 1-page TIFF; faxpeer's far end receives
#      it: RESULT must say OK, pages=1, and the TIFF must decode (tiffinfo -D).
#   2. faxpeer's far end calls (RING), efax answers on the 2nd ring
#      (-w -iS0=2) and receives 3 pages: efax must exit 0 and write 3 pages
#      that decode; RESULT must say OK, pages=3.
# Exits non-zero on any failure and prints the logs. Needs: cc, pkg-config,
# libspandsp-dev, libtiff-dev, efax, ghostscript, libtiff-tools
# (test/install-deps.sh installs them).
#   test/faxpeer/prove-efax.sh            keep nothing
#   KEEP=1 test/faxpeer/prove-efax.sh     keep the work folder and say where
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
for c in make cc pkg-config efax gs tiffinfo; do
  command -v "$c" >/dev/null || { echo "prove-efax: $c not found (run test/install-deps.sh)" >&2; exit 2; }
done
make -s -C "$here" faxpeer || { echo "prove-efax: cannot build faxpeer" >&2; exit 2; }
fp=$here/faxpeer

work=$(mktemp -d /tmp/faxpeer-prove.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  if [[ ${KEEP:-} == 1 ]]; then echo "prove-efax: work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

efax_id="+1 212 555 0199"
far_id="+86 10 1234"
fail=0

# n pages of PostScript -> one multi-page TIFF/G3 (204x196 dpi, 1728 wide,
# one strip per page, which efax needs)
make_tiff() {
  local n=$1 out=$2
  cat >"$work/p$n.ps" <<EOF
%!PS
/Helvetica findfont 36 scalefont setfont
1 1 $n { /p exch def
  72 700 moveto (switchboard faxpeer test) show
  72 650 moveto (page ) show p 3 string cvs show
  72 600 moveto (Hotel front office, room 1203) show
  4 setlinewidth 72 500 moveto 540 500 lineto stroke
  showpage } for
EOF
  gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg3 -dMaxStripSize=0 -sPAPERSIZE=a4 \
    -sOutputFile="$out" "$work/p$n.ps" </dev/null
}

# decodes every page; prints the page count, fails on any complaint
decode_pages() {
  local f=$1 err
  err=$(tiffinfo -D "$f" 2>&1 >/dev/null) || { echo "tiffinfo -D $f failed: $err" >&2; return 1; }
  [[ -z $err ]] || { echo "tiffinfo -D $f: $err" >&2; return 1; }
  tiffinfo -D "$f" 2>/dev/null | grep -c 'TIFF Directory at offset'
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

wait_link() {
  for _ in $(seq 200); do [[ -L $1 ]] && return 0; sleep 0.05; done
  echo "faxpeer did not create $1" >&2; return 1
}

show_logs() {
  echo "----- efax log ($1)"; cat "$2"
  echo "----- faxpeer stderr"; cat "$3.err"
  echo "----- faxpeer log (last 80 lines)"; tail -80 "$3.log"
}

make_tiff 1 "$work/one.tif" || exit 2
make_tiff 3 "$work/three.tif" || exit 2

# ---- 1. efax sends, faxpeer receives -------------------------------------
echo "== 1. efax -> faxpeer (receive mode), 1 page"
t0=$(date +%s%N)
"$fp" --mode receive --tiff "$work/rx.tif" --pty-link "$work/modem1" --ident "$far_id" \
  --timeout 150 --log "$work/fp1.log" >"$work/fp1.out" 2>"$work/fp1.err" &
fp1=$!; pids+=("$fp1")
wait_link "$work/modem1" || exit 1
efax -d "$work/modem1" -l "$efax_id" -v ewinchrt -t 5551234 "$work/one.tif" >"$work/efax1.log" 2>&1
erc=$?
wait "$fp1"; frc=$?
t1=$(date +%s%N)
res=$(grep '^RESULT ' "$work/fp1.out")
echo "efax rc=$erc; faxpeer rc=$frc; $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1e9}') s"
echo "$res"
ok=1
[[ $erc == 0 ]] || { echo "FAIL: efax exited $erc"; ok=0; }
[[ $res == *"status=0 (OK)"* ]] || { echo "FAIL: faxpeer status not OK"; ok=0; }
[[ $(field pages "$res") == 1 ]] || { echo "FAIL: pages != 1"; ok=0; }
[[ $res == *"remote=\"$efax_id\""* ]] || { echo "FAIL: far end did not see efax's TSI"; ok=0; }
grep -q -- "$far_id" "$work/efax1.log" || { echo "FAIL: efax did not see the far end's CSI"; ok=0; }
n=$(decode_pages "$work/rx.tif") || { echo "FAIL: received TIFF does not decode"; ok=0; }
[[ ${n:-0} == 1 ]] || { echo "FAIL: received TIFF has ${n:-0} pages"; ok=0; }
if ((ok)); then echo "PASS: efax sent 1 page; faxpeer received it ($(tiffinfo "$work/rx.tif" 2>/dev/null | grep -m1 'Image Width'))"
else fail=1; show_logs 1 "$work/efax1.log" "$work/fp1"; fi

# ---- 2. faxpeer sends, efax receives -------------------------------------
echo "== 2. faxpeer (send mode) -> efax, 3 pages, efax answers on ring 2"
t0=$(date +%s%N)
"$fp" --mode send --tiff "$work/three.tif" --pty-link "$work/modem2" --ident "$far_id" \
  --timeout 170 --log "$work/fp2.log" >"$work/fp2.out" 2>"$work/fp2.err" &
fp2=$!; pids+=("$fp2")
wait_link "$work/modem2" || exit 1
mkdir -p "$work/in"
efax -d "$work/modem2" -l "$efax_id" -v ewinchrt -w -iS0=2 -r "$work/in/fax" >"$work/efax2.log" 2>&1
erc=$?
wait "$fp2"; frc=$?
t1=$(date +%s%N)
res=$(grep '^RESULT ' "$work/fp2.out")
echo "efax rc=$erc; faxpeer rc=$frc; $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1e9}') s"
echo "$res"
ok=1
[[ $erc == 0 ]] || { echo "FAIL: efax exited $erc"; ok=0; }
[[ $res == *"status=0 (OK)"* ]] || { echo "FAIL: faxpeer status not OK"; ok=0; }
[[ $(field pages "$res") == 3 ]] || { echo "FAIL: pages != 3"; ok=0; }
[[ $res == *"remote=\"$efax_id\""* ]] || { echo "FAIL: far end did not see efax's CSI"; ok=0; }
grep -q 'RING 2' "$work/fp2.log" || { echo "FAIL: faxpeer did not ring twice"; ok=0; }
for i in 1 2 3; do
  f=$work/in/fax.00$i
  [[ -f $f ]] || { echo "FAIL: efax did not write page $i"; ok=0; continue; }
  n=$(decode_pages "$f") || { echo "FAIL: page $i does not decode"; ok=0; }
done
[[ ! -e $work/in/fax.004 ]] || { echo "FAIL: efax wrote a 4th page"; ok=0; }
if ((ok)); then echo "PASS: faxpeer sent 3 pages; efax received $(ls "$work/in" | wc -l) decodable pages"
else fail=1; show_logs 2 "$work/efax2.log" "$work/fp2"; fi

if ((fail)); then echo "prove-efax: FAILED"; exit 1; fi
echo "prove-efax: both directions OK"
