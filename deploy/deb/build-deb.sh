#!/usr/bin/env bash
# build-deb.sh: assemble and build the egate .deb for one architecture.
#
#   deploy/deb/build-deb.sh ARCH VERSION BINDIR MODELDIR OUTDIR [SOINDEX]
#
# BINDIR holds egated and egatectl built for ARCH; MODELDIR the converted
# .onnx face models (may be empty or missing: the package then has none and
# says so); SOINDEX the sysroot's soname index for a cross build (see
# deploy/deb/shlibdeps.sh). Run from the repository root. Writes
# OUTDIR/egate_VERSION_ARCH.deb and prints its path.
#
# Layout (bookworm conventions, as debhelper would install them):
#   /usr/bin/egated, /usr/bin/egatectl
#   /usr/share/egate/models/*.onnx + SHA256SUMS
#   /etc/egate/egate.yaml                      conffile: an edited copy is kept
#   /usr/share/doc/egate/examples/             example and simulation configs, broker side
#   /lib/systemd/system/egated.service
#   /lib/udev/rules.d/60-egate.rules
#   /usr/share/doc/egate/FIELD-GUIDE.md
set -euo pipefail
[ $# -ge 5 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
arch=$1 version=$2 bindir=$3 modeldir=$4 outdir=$5 soindex=${6:-}
here=$(dirname "$0")

for f in "$bindir/egated" "$bindir/egatectl"; do
	[ -x "$f" ] || { echo "build-deb: $f missing" >&2; exit 1; }
done
mkdir -p "$outdir"
stage=$(mktemp -d "$outdir/.stage-$arch.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root

install -D -m 0755 "$bindir/egated" "$root/usr/bin/egated"
install -D -m 0755 "$bindir/egatectl" "$root/usr/bin/egatectl"

install -d -m 0755 "$root/usr/share/egate/models"
nmodels=0
if [ -d "$modeldir" ]; then
	for m in "$modeldir"/*.onnx; do
		[ -e "$m" ] || continue
		install -m 0644 "$m" "$root/usr/share/egate/models/"
		nmodels=$((nmodels + 1))
	done
fi
if [ "$nmodels" -gt 0 ]; then
	(cd "$root/usr/share/egate/models" && sha256sum -- *.onnx >SHA256SUMS)
else
	echo "build-deb: warning: no models in $modeldir; the package has no face models" >&2
fi

install -D -m 0644 deploy/config/egate.yaml "$root/etc/egate/egate.yaml"
docs=$root/usr/share/doc/egate
install -D -m 0644 deploy/config/egate.yaml "$docs/examples/egate.yaml"
for f in deploy/sim/*.yaml; do
	[ -e "$f" ] && install -D -m 0644 "$f" "$docs/examples/sim/$(basename "$f")"
done
for f in deploy/broker/mosquitto.conf deploy/broker/acl deploy/broker/issue-lane-cert.sh; do
	[ -e "$f" ] && install -D -m 0644 "$f" "$docs/examples/broker/$(basename "$f")"
done
install -D -m 0644 deploy/FIELD-GUIDE.md "$docs/FIELD-GUIDE.md"
install -D -m 0644 deploy/systemd/egated.service "$root/lib/systemd/system/egated.service"
install -D -m 0644 deploy/systemd/egate-purge.service "$root/lib/systemd/system/egate-purge.service"
install -D -m 0644 deploy/systemd/egate-purge.timer "$root/lib/systemd/system/egate-purge.timer"
install -D -m 0644 deploy/udev/60-egate.rules "$root/lib/udev/rules.d/60-egate.rules"
cat >"$docs/copyright" <<COPY
egate: open firmware for self-service border e-gates.
Face models: converted from the weights of @vladmandic/face-api (MIT).
See the source repository for the full licence texts.
COPY

if [ -n "$soindex" ]; then
	depends=$("$here/shlibdeps.sh" "$arch" --index "$soindex" "$root/usr/bin/egated" "$root/usr/bin/egatectl")
else
	depends=$("$here/shlibdeps.sh" "$arch" "$root/usr/bin/egated" "$root/usr/bin/egatectl")
fi

install -d -m 0755 "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
	"$here/control.in" >"$root/DEBIAN/control"
# Every file under /etc is a conffile: dpkg keeps a locally edited copy and
# asks (or, with --force-confold, keeps it silently).
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"

out=$outdir/egate_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
