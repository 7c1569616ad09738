# SPDX-License-Identifier: Apache-2.0
# deps.sh: install the Debian packages that building and testing need.
# Sourced. aa_install_deps (build and test tools) and aa_install_db_servers
# (PostgreSQL, MariaDB) call apt only when a package is missing, so a
# prepared machine pays one dpkg-query and nothing else.

AA_BUILD_PKGS="apache2 apache2-dev libapr1-dev libaprutil1-dev
libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql libaprutil1-dbd-mysql
libsodium-dev libjson-c-dev check libcurl4-openssl-dev autoconf automake
libtool pkg-config sqlite3 curl jq make gcc openssl ca-certificates"
AA_DB_PKGS="postgresql mariadb-server mariadb-client"

# aa_missing_pkgs PKG...: prints the packages that are not fully installed.
aa_missing_pkgs() {
    local installed pkg
    # One dpkg-query for all. It fails when a name is unknown, but still
    # lists the known ones.
    installed=$(dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' \
        "$@" 2>/dev/null | sed -n 's/^\([^ ]*\) ii *$/\1/p') || true
    for pkg in "$@"; do
        grep -qxF "$pkg" <<<"$installed" || printf '%s\n' "$pkg"
    done
}

# aa_apt_install PKG...: installs what is missing; returns 1 on failure.
aa_apt_install() {
    local missing=()
    mapfile -t missing < <(aa_missing_pkgs "$@")
    [ "${#missing[@]}" -gt 0 ] || return 0

    if [ "$(id -u)" != 0 ]; then
        echo "deps: missing packages: ${missing[*]}" >&2
        echo "deps: run as root, or: apt-get install ${missing[*]}" >&2
        return 1
    fi

    echo "deps: installing ${missing[*]}"
    if ! apt-get update -q >/dev/null; then
        echo "deps: apt-get update failed" >&2
        return 1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}"; then
        echo "deps: apt-get install failed for: ${missing[*]}" >&2
        return 1
    fi
}

aa_install_deps() {
    # shellcheck disable=SC2086
    aa_apt_install $AA_BUILD_PKGS
}

# The system services stay unused (policy-rc.d may keep them stopped);
# tests start private servers from scripts/lib/dbservers.sh.
aa_install_db_servers() {
    # shellcheck disable=SC2086
    aa_apt_install $AA_DB_PKGS
}
