#!/usr/bin/env bash
# Quick checks of the Ansible code: ansible-lint (production profile, from ansible/.ansible-lint)
# and ansible-playbook --syntax-check against the example inventory.
set -euo pipefail
cd "$(dirname "$0")/../../ansible"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_LOCAL_TEMP="${TMPDIR:-/tmp}/zrm-ansible-lint-$$"
trap 'rm -rf "$ANSIBLE_LOCAL_TEMP"' EXIT
ansible-playbook --syntax-check -i inventory/example site.yml
ansible-lint --nocolor --offline -f pep8
echo "fleet lint: ok"
