#!/usr/bin/env bash
# The system packages the tests need: bubblewrap (the sandbox) and chromium
# (the report's browser tests). Shared by `make test` and .ci/run.
# Missing ones are installed with apt when running as root; otherwise this
# stops at once with one line saying what to install.
set -euo pipefail

need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "${EUID}" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
else
    echo "error: the tests need ${need[*]}; install with: sudo apt-get install ${need[*]}" >&2
    exit 1
fi
