#!/usr/bin/env bash
# version.sh: print a Debian package version for the current checkout.
#
# A tag vX.Y.Z on HEAD gives X.Y.Z; later commits give X.Y.Z+N.gHASH; with
# no tag, 0.0.0+N.gHASH where N counts the commits, so every later build
# sorts higher and `dpkg -i` of an older file is a visible downgrade. A
# dirty tree appends .dirty. Outside git: 0.0.0+unknown.
set -euo pipefail
if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo "0.0.0+unknown"
	exit 0
fi
hash=$(git rev-parse --short=12 HEAD)
dirty=""
git diff --quiet HEAD 2>/dev/null || dirty=".dirty"
if tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null); then
	n=$(git rev-list --count "$tag"..HEAD)
	base=${tag#v}
	base=${base//-/\~}
	if [ "$n" -eq 0 ]; then
		echo "${base}${dirty:++dirty}"
	else
		echo "${base}+${n}.g${hash}${dirty}"
	fi
else
	echo "0.0.0+$(git rev-list --count HEAD).g${hash}${dirty}"
fi
