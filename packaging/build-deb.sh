#!/usr/bin/env bash
# Builds the switchboard Debian package from a built binary with dpkg-deb
# (docs/operations.md, "Install and service"). A shell script, not a Go
# program or a packaging library: the package is a folder tree plus a control
# file, dpkg-deb (in every Debian system, package dpkg) writes the archive,
# and each step below is one an admin can read and redo by hand.
#
#   packaging/build-deb.sh [--no-cli-docs] BINARY OUTDIR
#   packaging/build-deb.sh --print-version
#
# BINARY must be a static build (CGO_ENABLED=0: `make deb` builds one); its
# GOARCH (read from the binary's build information with `go version -m`)
# gives the Debian architecture. The version is `git describe` made into a
# Debian version ($DEB_VERSION overrides). The bash completion and the man
# pages come from the binary itself (`switchboard completion bash`,
# `switchboard man --dir DIR`); --no-cli-docs leaves both out, for the tests
# of a binary that has not got those commands yet. Prints the .deb's path.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

die() {
	echo "build-deb: $*" >&2
	exit 1
}

# git describe to a Debian version (Debian Policy §5.6.12: starts with a
# digit; no hyphen, the package being native): tag v1.2.0 is 1.2.0, 14
# commits later 1.2.0+14.gabc1234; a hyphen in a tag is a pre-release,
# v1.3.0-rc1 is 1.3.0~rc1 (before 1.3.0); with no tag, 0~git<commits>.g<hash>,
# which sorts below any tagged release and rises with each commit;
# uncommitted changes add +dirty.
debian_version() {
	local d tag="" extra="" dirty=""
	if [[ -n $(git -C "$repo" status --porcelain 2>/dev/null) ]]; then
		dirty=+dirty
	fi
	# Without --always, describe fails when no tag is reachable: a bare hash
	# can start with a digit and pass for a version.
	if d=$(git -C "$repo" describe --tags 2>/dev/null); then
		if [[ $d =~ ^(.+)-([0-9]+)-g([0-9a-f]+)$ ]]; then
			tag=${BASH_REMATCH[1]} extra="+${BASH_REMATCH[2]}.g${BASH_REMATCH[3]}"
		else
			tag=$d
		fi
		tag=${tag#v}
		tag=${tag//-/\~}
		[[ $tag =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "git describe --tags gave \"$d\": the tag is not a version (vX.Y.Z or vX.Y.Z-rcN): set DEB_VERSION"
		echo "$tag$extra$dirty"
		return
	fi
	local h n
	h=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null) || die "not a git checkout ($repo): set DEB_VERSION"
	n=$(git -C "$repo" rev-list --count HEAD)
	echo "0~git$n.g$h$dirty"
}
if [[ -n ${DEB_VERSION:-} ]]; then
	version=$DEB_VERSION
else
	version=$(debian_version) || exit 1
fi
[[ $version =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "version \"$version\" is not a Debian version (digits first, then letters, digits, . + ~)"
if [[ ${1:-} == --print-version ]]; then
	echo "$version"
	exit 0
fi

cli_docs=1
if [[ ${1:-} == --no-cli-docs ]]; then
	cli_docs=0
	shift
fi
(($# == 2)) || die "usage: packaging/build-deb.sh [--no-cli-docs] BINARY OUTDIR"
bin=$1 out=$2
[[ -f $bin && -x $bin ]] || die "$bin: not an executable file (build it first: make deb builds bin/deb/switchboard)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: install the Debian package dpkg"
command -v go >/dev/null || die "go not found on PATH: it reads the binary's build information (go version -m)"

# The binary's own build settings: GOARCH, GOARM and CGO_ENABLED.
buildinfo=$(go version -m "$bin") || die "$bin: no Go build information (go version -m failed)"
setting() { awk -v k="$1" '$1 == "build" { split($2, kv, "="); if (kv[1] == k) { print substr($2, length(k) + 2) } }' <<<"$buildinfo"; }
goarch=$(setting GOARCH)
goarm=$(setting GOARM)
cgo=$(setting CGO_ENABLED)
[[ -n $goarch ]] || goarch=$(go env GOARCH)
[[ $cgo == 0 ]] || die "$bin was built with cgo (CGO_ENABLED=${cgo:-unset}); the package declares no libc dependency: build with CGO_ENABLED=0, as make deb does"

# Go's GOARCH names to Debian's (dpkg-architecture -L lists Debian's).
case $goarch in
amd64 | arm64 | riscv64 | s390x | loong64) arch=$goarch ;;
386) arch=i386 ;;
ppc64le) arch=ppc64el ;;
mips64le) arch=mips64el ;;
mipsle) arch=mipsel ;;
arm) case ${goarm%%,*} in 5 | 6) arch=armel ;; *) arch=armhf ;; esac ;;
*) die "GOARCH $goarch has no Debian architecture this script knows" ;;
esac


stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root/DEBIAN"

install -D -m 0755 "$bin" "$root/usr/bin/switchboard"
install -D -m 0644 "$here/switchboard.service" "$root/lib/systemd/system/switchboard.service"
install -D -m 0644 "$here/sysusers.conf" "$root/usr/lib/sysusers.d/switchboard.conf"
install -D -m 0644 "$here/tmpfiles.conf" "$root/usr/lib/tmpfiles.d/switchboard.conf"
install -d -m 0750 "$root/var/lib/switchboard" "$root/etc/switchboard"
install -D -m 0644 "$repo/docs/operations.md" "$root/usr/share/doc/switchboard/operations.md"
install -D -m 0644 "$repo/README.md" "$root/usr/share/doc/switchboard/README.md"

# The repository's commented example, with the store where the package
# makes room for it: the example's ./var/switchboard.db is relative to the
# working directory, which the unit sets to /var/lib/switchboard.
conf=$root/etc/switchboard/switchboard.yaml
sed 's|^store: {path: ./var/switchboard.db}|store: {path: /var/lib/switchboard/switchboard.db}|' \
	"$repo/switchboard.example.yaml" >"$conf"
grep -q '^store: {path: /var/lib/switchboard/switchboard.db}' "$conf" ||
	die "switchboard.example.yaml no longer has the line 'store: {path: ./var/switchboard.db}' that this script points at /var/lib/switchboard: update the sed in $0"
chmod 0640 "$conf"

if ((cli_docs)); then
	comp=$root/usr/share/bash-completion/completions/switchboard
	mkdir -p "$(dirname "$comp")" "$root/usr/share/man/man1"
	if ! "$bin" completion bash >"$comp" 2>"$stage/completion.err" || [[ ! -s $comp ]]; then
		die "$bin has no working 'switchboard completion bash' (the cobra CLI adds it; $(head -n 1 "$stage/completion.err")): build from a tree that has it, or pass --no-cli-docs to package without the completion and man pages"
	fi
	if ! "$bin" man --dir "$root/usr/share/man/man1" >"$stage/man.out" 2>&1 ||
		! compgen -G "$root/usr/share/man/man1/*.1" >/dev/null; then
		die "$bin has no working 'switchboard man --dir DIR' (the cobra CLI adds it; $(head -n 1 "$stage/man.out")): build from a tree that has it, or pass --no-cli-docs"
	fi
	chmod 0644 "$comp" "$root"/usr/share/man/man1/*.1
	# Debian Policy §12.1: man pages compressed with gzip -9n (no name or
	# time stamp, so the build is reproducible).
	gzip -9n "$root"/usr/share/man/man1/*.1
fi

install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
echo /etc/switchboard/switchboard.yaml >"$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
# Debian Policy §5.3 fields. Depends: passwd for useradd, postinst's
# fallback where systemd-sysusers is missing (priority required, so always
# there in practice); the binary is static, so no libc6. Recommends (apt
# installs them unless told not to): systemd runs the service; Ghostscript
# renders PDF faxes (internal/faxdesk) and PostScript print jobs
# (drivers/ipp), and the gateway says it is missing when asked for either;
# fonts-droid-fallback is the CJK font of text fax pages
# (internal/fax/textpage.DefaultFont).
cat >"$root/DEBIAN/control" <<CONTROL
Package: switchboard
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-switchboard developers <switchboard@localhost>}
Installed-Size: $size
Depends: passwd
Recommends: systemd, ghostscript, fonts-droid-fallback
Section: net
Priority: optional
Description: hotel front-office edge gateway
 switchboard connects a hotel's PBX (call records, hotel link), fax modems
 and printers to the front office: it rates and posts calls, runs wake-ups,
 sends and receives faxes, prints and bills, and publishes every event to
 MQTT from a local SQLite ledger. Runs as the systemd service switchboard.
CONTROL
chmod 0644 "$root/DEBIAN/control"

mkdir -p "$out"
deb=$out/switchboard_${version}_${arch}.deb
# --root-owner-group: every file root:root in the archive whoever builds it;
# postinst gives /var/lib/switchboard to the service user. gzip -6, not
# dpkg-deb's default xz: on the two shared cores here xz takes 20-40 s over
# the 34 MB binary, gzip 3 s, for a package 15% larger (18 MB against
# 15.7 MB), and every dpkg reads gzip.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)} \
	dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$deb" >/dev/null
echo "$deb"
