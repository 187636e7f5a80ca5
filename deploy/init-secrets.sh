#!/usr/bin/env bash
# Creates deploy/secrets/ for deploy/compose.yaml: the token-signing key pair, the database
# password and URLs, and the service tokens dispatch and assessment present to the other
# services. Existing files are kept, so running it again changes nothing. Needs the `wuguan`
# binary (cargo build --release) or Docker (the image built from deploy/Dockerfile).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p secrets
chmod 700 secrets
if command -v wuguan >/dev/null; then
  wuguan=(wuguan)
elif [ -x ../target/release/wuguan ]; then
  wuguan=(../target/release/wuguan)
else
  wuguan=(docker run --rm -u "$(id -u)" -v "$PWD/secrets:/secrets" wuguan:latest)
fi
keys=secrets
[ "${wuguan[0]}" = docker ] && keys=/secrets
"${wuguan[@]}" keygen --dir "$keys" >/dev/null
if [ ! -s secrets/postgres-password ]; then
  head -c 24 /dev/urandom | base64 | tr -d '/+=' > secrets/postgres-password
fi
password=$(cat secrets/postgres-password)
for db in registry dispatch assessment; do
  [ -s "secrets/$db-database-url" ] || printf 'postgres://wuguan:%s@postgres:5432/%s' "$password" "$db" > "secrets/$db-database-url"
done
# County-wide service identities; rotate them by deleting the files and running this again.
days=${WUGUAN_SERVICE_TOKEN_DAYS:-90}
for service in dispatch assessment; do
  [ -s "secrets/$service-token" ] || "${wuguan[@]}" token --role county --subject "wuguan-$service" \
    --county "${WUGUAN_COUNTY:-demo}" --days "$days" --jwt-private-key "$keys/jwt-private.pem" > "secrets/$service-token"
done
chmod 600 secrets/*
echo "secrets in deploy/secrets/ (keep them out of version control)"
