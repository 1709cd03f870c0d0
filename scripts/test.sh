#!/usr/bin/env bash
# The whole test suite: build, type-check, lint, unit tests, then the lab tests against real kernels in network
# namespaces (root only). Installs the lab's system packages first when it can (root on Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in ip:iproute2 iptables:iptables nft:nftables tcpdump:tcpdump traceroute:traceroute tcptraceroute:tcptraceroute mtr:mtr-tiny scamper:scamper setpriv:util-linux ping:iputils-ping setcap:libcap2-bin hping3:hping3 tmux:tmux dnsmasq:dnsmasq-base chromium:chromium promtool:prometheus prometheus:prometheus; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing lab packages: ${need[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "Missing lab tools (${need[*]}); the lab tests will fail without them." >&2
  fi
fi

[ -f build/Release/portpath.node ] || npm run install
npm run build --silent
npx --no-install eslint .
npm run lint:deps --silent
node --test dist/test/packet dist/test/probe dist/test/engine dist/test/analyze dist/test/report dist/test/cli dist/test/transport dist/test/lab-model dist/test/trace dist/test/exporter
# Lab tests: one at a time (each builds its own namespaces; routers' ICMP rate limits are per-namespace anyway).
node --test --test-concurrency=1 dist/test/lab
