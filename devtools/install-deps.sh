#!/usr/bin/env bash
# Installs everything SkillMatch needs on a fresh Debian 12 machine, as root; fast when done.
# Debian packages: MediaWiki + PHP (local test wikis), MariaDB (ToolsDB stand-in), Chromium
# (browser tests), Node's npm (axe-core for the accessibility test). Python: .venv from requirements-dev.txt; .venv-ob for the Open Badges validator.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(mediawiki php-cli php-sqlite3 php-intl php-mbstring php-xml
      mariadb-server mariadb-client chromium chromium-driver curl ca-certificates python3-venv)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Debian starts mariadb.service on install; the tests run their own private server instead.

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements-stamp
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
if [ -x devtools/setup-ob-validator.sh ] || [ -f devtools/setup-ob-validator.sh ]; then
  bash devtools/setup-ob-validator.sh
fi
# axe-core (the accessibility engine tests/test_webtool_axe.py injects), pinned, outside git.
AXE_VERSION=4.10.3
axe_pkg=build/axe/node_modules/axe-core/package.json
if [ ! -f "$axe_pkg" ] || ! grep -q "\"version\": \"$AXE_VERSION\"" "$axe_pkg"; then
  npm install --no-save --no-audit --no-fund --prefix build/axe "axe-core@$AXE_VERSION"
fi
