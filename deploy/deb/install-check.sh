#!/usr/bin/env bash
# install-check.sh: install, upgrade, downgrade and purge an egate package in
# a throwaway Debian bookworm chroot, and check what the maintainer scripts
# and dpkg did: the egate user, directory owners and modes, the daemon's
# access to its configuration, an edited configuration surviving upgrade and
# rollback, the state directory surviving purge.
#
#   deploy/deb/install-check.sh DEB [PRISTINE [WORK]]
#
# DEB must be for this machine's architecture (the check runs its binaries).
# PRISTINE (default .cache/chroot-bookworm-ARCH) is made once with
# debootstrap and reused, with the .debs apt fetched into it kept in
# PRISTINE-archives; WORK (default bin/deb-build/install-check) is a
# fresh copy for each run. The "upgrade" is DEB repacked as VERSION+next
# (same files, so its binaries still report VERSION).
# Needs root (chroot) and debootstrap. systemd is not running in a chroot,
# so the unit is not started: that part of postinst is not exercised here.
set -euo pipefail
deb=$(realpath "$1")
arch=$(dpkg --print-architecture)
pristine=$(realpath -m "${2:-.cache/chroot-bookworm-$arch}")
work=$(realpath -m "${3:-bin/deb-build/install-check}")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

[ "$(id -u)" -eq 0 ] || { echo "install-check: needs root (chroot)" >&2; exit 1; }
[ "$(dpkg-deb --field "$deb" Architecture)" = "$arch" ] || { echo "install-check: $deb is not $arch" >&2; exit 1; }
t0=$(date +%s)

if [ ! -x "$pristine/usr/bin/apt-get" ]; then
	command -v debootstrap >/dev/null || { echo "install-check: apt-get install debootstrap" >&2; exit 1; }
	rm -rf "$pristine.tmp"
	debootstrap --variant=minbase --include=adduser bookworm "$pristine.tmp" "$mirror" >/dev/null
	mv "$pristine.tmp" "$pristine"
fi
rm -rf "$work"
mkdir -p "$work"
cp -a "$pristine" "$work/root"
root=$work/root
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# The upgrade: the same files, a higher version.
old=$(dpkg-deb --field "$deb" Version)
new=$old+next
dpkg-deb -R "$deb" "$work/next"
sed -i "s/^Version: .*/Version: $new/" "$work/next/DEBIAN/control"
dpkg-deb --root-owner-group -Znone -b "$work/next" "$root/tmp/egate-next.deb" >/dev/null
cp "$deb" "$root/tmp/egate-old.deb"

in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
fail() { echo "install-check: FAIL: $*" >&2; exit 1; }
expect_stat() { # PATH "owner:group mode"
	local got
	got=$(in_root stat -c '%U:%G %a' "$1") || fail "$1 missing"
	[ "$got" = "$2" ] || fail "$1 is $got, want $2"
}
apt_install() { in_root apt-get install -y -qq -o Dpkg::Options::=--force-confold "$@" >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get install $*"; }; }
version_is() { # the installed package's version; the binary's own for DEB
	local v
	v=$(in_root dpkg-query -W -f='${Version}' egate) || fail "egate not installed"
	[ "$v" = "$1" ] || fail "installed version $v, want $1"
	if [ "$1" = "$old" ]; then
		v=$(in_root egated --version) || fail "egated --version"
		case $v in *" $1 "*) ;; *) fail "egated --version: $v, want $1" ;; esac
	fi
}

# Package lists, for the libraries DEB depends on (none but libc6 while
# egated does not link OpenCV).
in_root apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get update"; }

echo "install-check: install $old"
# The libraries DEB depends on (OpenCV's closure, ~100 MiB) are kept
# between runs in ARCHIVES.
archives=$pristine-archives
mkdir -p "$archives"
find "$archives" -name '*.deb' -exec cp -t "$root/var/cache/apt/archives/" {} +
apt_install /tmp/egate-old.deb
find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -n -t "$archives/" {} +
in_root getent passwd egate >/dev/null || fail "no egate user"
in_root getent group gpio >/dev/null || fail "no gpio group"
[ "$(in_root getent passwd egate | cut -d: -f7)" = /usr/sbin/nologin ] || fail "egate has a login shell"
expect_stat /etc/egate "root:egate 750"
expect_stat /etc/egate/mqtt "root:egate 750"
expect_stat /etc/egate/egate.yaml "root:egate 640"
expect_stat /var/lib/egate "egate:egate 700"
expect_stat /var/lib/egate-rollback "root:root 750"
expect_stat /lib/systemd/system/egated.service "root:root 644"
expect_stat /lib/systemd/system/egate-purge.timer "root:root 644"
version_is "$old"
# What ExecStartPre runs, as the unit's user.
in_root runuser -u egate -- egated --check-config /etc/egate/egate.yaml >/dev/null || fail "egate cannot check its configuration"
in_root sh -c '! runuser -u nobody -- cat /etc/egate/egate.yaml 2>/dev/null' || fail "others can read /etc/egate/egate.yaml"

echo "install-check: edit the configuration, upgrade to $new"
in_root sed -i 's/^\(  id: \)[^ ]*/\1lane-42/' /etc/egate/egate.yaml
echo "# edited on site" | in_root tee -a /etc/egate/egate.yaml >/dev/null
apt_install /tmp/egate-next.deb
version_is "$new"
in_root grep -q "# edited on site" /etc/egate/egate.yaml || fail "upgrade replaced the edited configuration"
in_root grep -q "id: lane-42" /etc/egate/egate.yaml || fail "upgrade lost the lane id"
expect_stat /etc/egate/egate.yaml "root:egate 640"

echo "install-check: roll back to $old"
apt_install --allow-downgrades /tmp/egate-old.deb
version_is "$old"
in_root grep -q "# edited on site" /etc/egate/egate.yaml || fail "rollback replaced the edited configuration"

echo "install-check: purge"
echo records | in_root tee /var/lib/egate/egate.db >/dev/null
in_root apt-get purge -y -qq egate >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "purge"; }
in_root test ! -e /etc/egate || fail "/etc/egate left after purge"
in_root test ! -e /usr/bin/egated || fail "/usr/bin/egated left after purge"
in_root test -s /var/lib/egate/egate.db || fail "purge removed the records in /var/lib/egate"

rm -rf "$work"
echo "install-check: ok in $(($(date +%s) - t0))s"
