#!/usr/bin/env bash
# Formatting (Prettier) and lints (ESLint) of the browser JavaScript, with
# the versions pinned in tests/js/package.json. Run from anywhere; CI runs
# it from .ci/run. To format: tests/js/node_modules/.bin/prettier --write
# with the same files.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm install --prefix tests/js --no-audit --no-fund --silent
files=(messenger-warp/assets/*.js examples/community-messenger/static/*.js)
tests/js/node_modules/.bin/prettier --check "${files[@]}"
tests/js/node_modules/.bin/eslint --config tests/js/eslint.config.js --max-warnings 0 "${files[@]}"
