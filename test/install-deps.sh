#!/usr/bin/env bash
# Installs the Debian packages the tests' real peers need (Mosquitto, and the
# printer, fax and SNMP peers as their issues land). Safe to run again: it
# installs only what is missing. As root it uses apt-get; otherwise it says
# what to install.
set -euo pipefail

# command-or-file the package provides, then the package
need=(
  "mosquitto:mosquitto"
  "mosquitto_pub:mosquitto-clients"
  "ippeveprinter:cups-ipp-utils"
  "ipptool:cups-ipp-utils"
  "dbus-daemon:dbus"
  "avahi-daemon:avahi-daemon"
  "snmpd:snmpd"
  "snmpget:snmp"
  "gs:ghostscript"
  "pdfinfo:poppler-utils"
  "tiffinfo:libtiff-tools"
  "pdftoppm:poppler-utils"
  # test/faxpeer (the spandsp fax line) and its proof with efax;
  # libspandsp-dev depends on libtiff-dev, which the build also needs
  "make:make"
  "cc:gcc"
  "pkg-config:pkg-config"
  "/usr/include/spandsp/t31.h:libspandsp-dev"
  "efax:efax"
  # fax pages from UTF-8 text (Chinese): a TrueType font with CJK ideographs
  "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf:fonts-droid-fallback"
  # the console's browser tests (chromedp drives it headless)
  "chromium:chromium"
  # test/deb: building the Debian package, its service user (sysusers.d,
  # and postinst's useradd fallback) and checking its unit
  "dpkg-deb:dpkg"
  "systemd-analyze:systemd"
  "systemd-sysusers:systemd"
  "useradd:passwd"
)

missing=()
for pair in "${need[@]}"; do
  cmd=${pair%%:*} pkg=${pair#*:}
  if [[ $cmd == /* ]]; then
    [[ -e $cmd ]] || missing+=("$pkg")
  else
    command -v "$cmd" >/dev/null 2>&1 || [[ -x /usr/sbin/$cmd ]] || missing+=("$pkg")
  fi
done
((${#missing[@]} == 0)) && exit 0

# de-duplicate
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [[ $(id -u) -ne 0 ]]; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/switchboard-apt.log 2>&1; then
  apt-get update -qq >>/tmp/switchboard-apt.log 2>&1
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/switchboard-apt.log 2>&1 || {
    echo "apt-get install failed; see /tmp/switchboard-apt.log" >&2; tail -20 /tmp/switchboard-apt.log >&2; exit 1; }
fi
# The Debian package starts a system broker on 1883; the tests start their
# own on free ports, and the embedded broker of `make run` wants 1883.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
pkill -x mosquitto 2>/dev/null || true
