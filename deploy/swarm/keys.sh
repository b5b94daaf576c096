#!/bin/sh
#  keys.sh - the node's CURVE keys as the Docker secrets and configs stack.yaml expects
#
#  Usage: deploy/swarm/keys.sh DIR          (on a manager, or with DOCKER_HOST set)
#  Makes every role's keypair in DIR with `zchain keys init DIR` (keys
#  already there are kept), then creates, for each role, the secret
#  zchain_ROLE_secret from DIR/ROLE.key_secret and the config zchain_ROLE_key
#  from DIR/ROLE.key. Ones that exist are left as they are: Docker cannot
#  change a secret in place (docs/operations.md, Several machines, says how
#  to replace keys). DIR then holds the operator's secret: keep it private.
#  ZCHAIN: the zchain program (default: zchain on PATH, else build/bin/zchain);
#  DOCKER: the client command (default /usr/bin/docker).
set -eu
case "${1:-}" in
    ""|-h|--help) sed -n '2,12p' "$0" | sed 's/^#  \{0,1\}//'; [ -n "${1:-}" ]; exit ;;
esac
dir=$1
DOCKER=${DOCKER:-/usr/bin/docker}
if [ -z "${ZCHAIN:-}" ]; then
    ZCHAIN=$(command -v zchain 2>/dev/null || echo "$(dirname "$0")/../../build/bin/zchain")
fi
"$ZCHAIN" keys init "$dir" >/dev/null
for role in storage mempool validator miner gateway metrics operator; do
    [ -f "$dir/$role.key_secret" ] && [ -f "$dir/$role.key" ] \
        || { echo "keys: $dir lacks the $role keys" >&2; exit 1; }
    $DOCKER secret inspect "zchain_${role}_secret" >/dev/null 2>&1 \
        || $DOCKER secret create --label zchain.role="$role" "zchain_${role}_secret" "$dir/$role.key_secret" >/dev/null
    $DOCKER config inspect "zchain_${role}_key" >/dev/null 2>&1 \
        || $DOCKER config create --label zchain.role="$role" "zchain_${role}_key" "$dir/$role.key" >/dev/null
done
echo "keys: secrets zchain_ROLE_secret and configs zchain_ROLE_key for storage mempool validator miner gateway metrics operator"
