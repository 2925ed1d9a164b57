#!/usr/bin/env bash
# Builds tools/chart-render (the chart tests' stand-in for `helm template`) in GOPATH mode against
# Debian's packaged Go sources: golang-go, golang-github-masterminds-sprig-dev,
# golang-k8s-sigs-yaml-dev, golang-github-xeipuuv-gojsonschema-dev. Nothing is downloaded.
#   tools/chart-render/build.sh OUTPUT
set -euo pipefail
out="${1:?usage: build.sh OUTPUT}"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v go >/dev/null; then
  echo "chart-render: go is not installed (apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev golang-github-xeipuuv-gojsonschema-dev)" >&2
  exit 1
fi
cache="$(dirname "$out")/chart-render-gocache"
mkdir -p "$cache"
cd "$src"
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$cache" GOFLAGS= CGO_ENABLED=0 \
  go build -o "$out" main.go
