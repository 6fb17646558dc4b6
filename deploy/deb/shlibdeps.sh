#!/usr/bin/env bash
# shlibdeps.sh: print the Depends for the shared libraries ELF files need,
# as a comma-separated list of package names.
#
#   deploy/deb/shlibdeps.sh amd64 FILE...               packages from the host's dpkg database
#   deploy/deb/shlibdeps.sh arm64 --index SOINDEX FILE... packages from the sysroot's index
#
# SOINDEX is SYSROOT/.soindex written by deploy/cross/sysroot-arm64.sh
# ("soname package" per line). dpkg-shlibdeps is not used: it needs the
# target architecture's packages in the host's dpkg database. Versions are
# not constrained: the packages target Debian/Raspberry Pi OS bookworm,
# whose libraries are the ones the binaries were linked against.
set -euo pipefail
arch=$1
shift
index=""
if [ "${1:-}" = --index ]; then
	index=$2
	shift 2
fi
declare -A multiarch=([amd64]=x86_64-linux-gnu [arm64]=aarch64-linux-gnu [armhf]=arm-linux-gnueabihf)
triplet=${multiarch[$arch]:?shlibdeps: unknown architecture $arch}

pkgs=()
for so in $(readelf -d "$@" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
	pkg=""
	if [ -n "$index" ]; then
		# Prefer the runtime package over a -dev one shipping a link.
		pkg=$(awk -v s="$so" '$1 == s {print $2}' "$index" | grep -v -- '-dev$' | head -n1 || true)
	else
		for dir in /usr/lib/$triplet /lib/$triplet; do
			pkg=$(dpkg -S "$dir/$so" 2>/dev/null | head -n1 | cut -d: -f1 || true)
			[ -n "$pkg" ] && break
		done
	fi
	[ -n "$pkg" ] || { echo "shlibdeps: no package ships $so for $arch" >&2; exit 1; }
	pkgs+=("$pkg")
done
printf '%s\n' "${pkgs[@]}" | sort -u | paste -sd, - | sed 's/,/, /g'
