#!/usr/bin/env bash
# issue-lane-cert.sh: a small certificate authority for the egate broker.
#
#   issue-lane-cert.sh init    CADIR                  create the CA (key, cert, database, empty CRL)
#   issue-lane-cert.sh lane    CADIR SITE LANE [OUT]  issue a lane certificate, CN "SITE/LANE"
#   issue-lane-cert.sh lane    CADIR SITE LANE OUT --csr FILE
#                                                     sign a request made on the lane (key stays there)
#   issue-lane-cert.sh client  CADIR NAME [OUT]       a control-room client, CN NAME (no "/")
#   issue-lane-cert.sh broker  CADIR HOST [OUT]       the broker's server certificate (SAN HOST)
#   issue-lane-cert.sh revoke  CADIR CERTFILE         revoke a certificate and rewrite crl.pem
#   issue-lane-cert.sh crl     CADIR                  rewrite crl.pem (it is valid for CRL_DAYS)
#
# OUT defaults to CADIR/issued/<name>; it receives <name>.key (mode 0600,
# unless --csr), <name>.crt and ca.crt. For a lane, copy those three to
# /etc/egate/mqtt/ on the Pi (owner root, group egate, key mode 0640).
# Copy CADIR/crl.pem to the broker after every revoke and restart mosquitto.
#
# Names: SITE and LANE are 1-32 of [a-z0-9-] and start with a letter or
# digit; they become the MQTT username and topic levels (egate/v1/SITE/LANE),
# so "/", "+" and "#" can never appear in them. Keys are ECDSA P-256.
#
# Environment: CERT_DAYS (default 825), CA_DAYS (default 3650), CRL_DAYS
# (default 3650: an expired CRL makes mosquitto refuse every client, so it is
# long-lived; renew it with `crl` all the same).
set -euo pipefail
umask 077

CERT_DAYS=${CERT_DAYS:-825}
CA_DAYS=${CA_DAYS:-3650}
CRL_DAYS=${CRL_DAYS:-3650}
# The server extension section reads the SAN from the environment; OpenSSL
# resolves it whenever it loads the config, so it always needs a value.
export EGATE_SAN=DNS:unused

die() { echo "issue-lane-cert: $*" >&2; exit 2; }
usage() { sed -n '2,14p' "$0" >&2; exit 2; }
check_name() { [[ $2 =~ ^[a-z0-9][a-z0-9-]{0,31}$ ]] || die "$1 \"$2\": use 1-32 of a-z 0-9 -, starting with a letter or digit"; }
command -v openssl >/dev/null || die "openssl is required"

cnf() { echo "$cadir/openssl.cnf"; }

write_cnf() {
	cat >"$(cnf)" <<EOF
# Written by issue-lane-cert.sh init.
[ ca ]
default_ca = egate_ca

[ egate_ca ]
dir              = $cadir
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
certificate      = \$dir/ca.crt
private_key      = \$dir/private/ca.key
serial           = \$dir/serial
crlnumber        = \$dir/crlnumber
default_md       = sha256
default_days     = $CERT_DAYS
default_crl_days = $CRL_DAYS
policy           = policy_cn
unique_subject   = no
copy_extensions  = none
email_in_dn      = no

[ policy_cn ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = egate CA

[ v3_ca ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_client ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ v3_server ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = \${ENV::EGATE_SAN}
EOF
}

need_ca() { [ -f "$(cnf)" ] && [ -f "$cadir/private/ca.key" ] || die "$cadir is not a CA: run init first"; }

gencrl() {
	openssl ca -batch -config "$(cnf)" -gencrl -out "$cadir/crl.pem" 2>/dev/null
	chmod 0644 "$cadir/crl.pem"
}

# issue NAME CN EXT OUT [CSR]: sign CN's request (a new key unless CSR).
issue() {
	local name=$1 cn=$2 ext=$3 out=$4 csr=${5:-}
	local subj="/CN=${cn//\//\\/}" # "/" inside a -subj value is escaped
	mkdir -p "$out"
	if [ -z "$csr" ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$name.key"
		csr=$out/$name.csr
		openssl req -new -key "$out/$name.key" -subj "$subj" -out "$csr"
	else
		[ -f "$csr" ] || die "no request $csr"
		local got
		got=$(openssl req -in "$csr" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')
		[ "$got" = "$cn" ] || die "request's CN is \"$got\", expected \"$cn\""
	fi
	# -subj overrides whatever else the request carries: the CN is all we sign.
	openssl ca -batch -notext -config "$(cnf)" -extensions "$ext" \
		-subj "$subj" -in "$csr" -out "$out/$name.crt" 2>/dev/null
	rm -f "$out/$name.csr"
	cp "$cadir/ca.crt" "$out/ca.crt"
	chmod 0644 "$out/$name.crt" "$out/ca.crt"
	echo "issued $out/$name.crt (CN $cn, serial $(openssl x509 -in "$out/$name.crt" -noout -serial | cut -d= -f2))"
}

[ $# -ge 2 ] || usage
cmd=$1
cadir=$(realpath -m "$2")
shift 2
case $cmd in
init)
	[ ! -e "$cadir/private/ca.key" ] || die "$cadir already holds a CA"
	mkdir -p "$cadir/private" "$cadir/newcerts" "$cadir/issued"
	: >"$cadir/index.txt"
	openssl rand -hex 16 >"$cadir/serial"
	echo 1000 >"$cadir/crlnumber"
	write_cnf
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$cadir/private/ca.key"
	openssl req -new -x509 -config "$(cnf)" -extensions v3_ca -key "$cadir/private/ca.key" \
		-days "$CA_DAYS" -sha256 -out "$cadir/ca.crt"
	chmod 0644 "$cadir/ca.crt"
	gencrl
	echo "CA in $cadir: ca.crt (give to broker and lanes), private/ca.key (keep offline), crl.pem"
	;;
lane)
	[ $# -ge 2 ] || usage
	check_name site "$1"
	check_name lane "$2"
	need_ca
	name=$1-$2
	out=${3:-$cadir/issued/$name}
	csr=""
	if [ "${4:-}" = --csr ]; then
		csr=${5:?--csr needs a file}
	fi
	issue "$name" "$1/$2" v3_client "$out" "$csr"
	;;
client)
	[ $# -ge 1 ] || usage
	check_name client "$1"
	need_ca
	issue "$1" "$1" v3_client "${2:-$cadir/issued/$1}"
	;;
broker)
	[ $# -ge 1 ] || usage
	need_ca
	host=$1
	[[ $host =~ ^[A-Za-z0-9.-]+$ ]] || die "host \"$host\": not a host name"
	san="DNS:$host"
	[ "$host" != localhost ] || san="$san,IP:127.0.0.1,IP:::1"
	EGATE_SAN=$san issue broker "$host" v3_server "${2:-$cadir/issued/broker}"
	;;
revoke)
	[ $# -ge 1 ] || usage
	need_ca
	openssl ca -batch -config "$(cnf)" -revoke "$1" 2>/dev/null
	gencrl
	echo "revoked $(openssl x509 -in "$1" -noout -subject); copy $cadir/crl.pem to the broker and restart mosquitto"
	;;
crl)
	need_ca
	gencrl
	echo "wrote $cadir/crl.pem (valid $CRL_DAYS days)"
	;;
*)
	usage
	;;
esac
