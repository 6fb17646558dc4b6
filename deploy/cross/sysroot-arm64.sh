#!/usr/bin/env bash
# sysroot-arm64.sh: unpack Debian bookworm's arm64 OpenCV (libopencv-dev and
# everything apt would install with it) into a sysroot for cross-compiling
# egated with cgo, and for running the result under qemu-aarch64-static.
#
#   deploy/cross/sysroot-arm64.sh [SYSROOT] [APTDIR]
#
# SYSROOT defaults to .cache/sysroot-arm64, APTDIR (a private, arm64-only apt
# state: lists and downloaded .debs) to .cache/apt-arm64. The host's apt
# configuration is not touched: no `dpkg --add-architecture`, no root needed.
# The package set is what `apt-get install --no-install-recommends
# libopencv-dev` would install on an empty arm64 system; it is written to
# SYSROOT/.packages. Re-running reuses the downloaded .debs.
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# DEBIAN_SECURITY (default http://deb.debian.org/debian-security),
# SYSROOT_PKGS (default "libopencv-dev libc6-dev libstdc++-12-dev").
#
# Besides the files, SYSROOT/.packages lists the packages and
# SYSROOT/.soindex maps each shared library name to its package.
set -euo pipefail

sysroot=$(realpath -m "${1:-.cache/sysroot-arm64}")
aptdir=$(realpath -m "${2:-.cache/apt-arm64}")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
pkgs=${SYSROOT_PKGS:-libopencv-dev libc6-dev libstdc++-12-dev}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

for tool in apt-get dpkg-deb; do
	command -v "$tool" >/dev/null || { echo "sysroot-arm64: $tool is required (Debian or Raspberry Pi OS)" >&2; exit 1; }
done
[ -r "$keyring" ] || { echo "sysroot-arm64: $keyring missing: apt-get install debian-archive-keyring" >&2; exit 1; }

mkdir -p "$aptdir"/etc/apt/sources.list.d "$aptdir"/etc/apt/apt.conf.d "$aptdir"/etc/apt/preferences.d \
	"$aptdir"/lists/partial "$aptdir"/archives/partial "$aptdir"/cache
: >"$aptdir"/status
cat >"$aptdir"/etc/apt/sources.list.d/debian.sources <<SRC
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: $keyring

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: $keyring
SRC
cat >"$aptdir"/apt.conf <<CONF
Dir::Etc "$aptdir/etc/apt/";
Dir::Etc::SourceList "/dev/null";
Dir::Etc::TrustedParts "/etc/apt/trusted.gpg.d/";
Dir::State "$aptdir/";
Dir::State::Lists "$aptdir/lists/";
Dir::State::status "$aptdir/status";
Dir::Cache "$aptdir/cache/";
Dir::Cache::Archives "$aptdir/archives/";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Get::Download-Only "true";
Acquire::Languages "none";
Debug::NoLocking "true";
CONF
# As root, apt drops to _apt for downloads, which cannot write into a
# build tree; the files are checked against the signed index either way.
[ "$(id -u)" -ne 0 ] || echo 'APT::Sandbox::User "root";' >>"$aptdir"/apt.conf
export APT_CONFIG=$aptdir/apt.conf

t0=$(date +%s)
echo "sysroot-arm64: apt-get update (arm64 only, private state in $aptdir)"
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -s --no-install-recommends $pkgs | awk '/^Inst /{print $2}' | sort -u >"$aptdir"/packages
n=$(wc -l <"$aptdir"/packages)
[ "$n" -gt 0 ] || { echo "sysroot-arm64: apt resolved no packages" >&2; exit 1; }
bytes=$(cd "$aptdir"/archives && apt-get download --print-uris $(cat "$aptdir"/packages) | awk '{s+=$3} END {print s}')
echo "sysroot-arm64: $n packages, $((bytes / 1048576)) MiB to download"
t1=$(date +%s)
# apt-get download writes into the current directory and skips files that
# are already there with the right name.
(cd "$aptdir"/archives && apt-get download -qq $(cat "$aptdir"/packages))
t2=$(date +%s)

rm -rf "$sysroot.tmp"
mkdir -p "$sysroot.tmp"
for p in $(cat "$aptdir"/packages); do
	deb=""
	for f in "$aptdir"/archives/"${p}"_*_arm64.deb "$aptdir"/archives/"${p}"_*_all.deb; do
		[ -e "$f" ] && deb=$f
	done
	[ -n "$deb" ] || { echo "sysroot-arm64: no .deb downloaded for $p" >&2; exit 1; }
	# -X lists what it extracts: keep soname -> package, for the package's
	# Depends (deploy/deb/shlibdeps.sh).
	dpkg-deb -X "$deb" "$sysroot.tmp" | awk -v p="$p" \
		'$0 ~ /\/lib[^\/]*\.so\.[0-9][0-9.]*$/ {n = split($0, a, "/"); print a[n], p}'
done >"$sysroot.tmp"/.soindex
# Absolute symlinks (/usr/lib/.../libfoo.so -> /lib/...) would point into the
# host; make them relative to the sysroot.
find "$sysroot.tmp" -type l -lname '/*' | while read -r l; do
	target=$(readlink "$l")
	ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$sysroot.tmp$target")" "$l"
done
# dpkg -x runs no maintainer scripts, so the alternatives that choose a
# BLAS/LAPACK (libopencv_core needs both) are missing: link the reference
# implementations, which is what a fresh install chooses.
multi=$sysroot.tmp/usr/lib/aarch64-linux-gnu
for lib in blas/libblas.so.3 lapack/liblapack.so.3; do
	if [ -e "$multi/$lib" ] && [ ! -e "$multi/${lib#*/}" ]; then
		ln -s "$lib" "$multi/${lib#*/}"
	fi
done
cp "$aptdir"/packages "$sysroot.tmp"/.packages
rm -rf "$sysroot"
mv "$sysroot.tmp" "$sysroot"
t3=$(date +%s)
echo "sysroot-arm64: done in $sysroot ($(du -sm "$sysroot" | cut -f1) MiB): resolve $((t1 - t0))s, download $((t2 - t1))s, unpack $((t3 - t2))s"
