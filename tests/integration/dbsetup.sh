# SPDX-License-Identifier: Apache-2.0
# dbsetup.sh: aa_db_prepare DRIVER DIR gives each test run an empty database
# and sets AA_DB_CONF to the DBDriver/DBDParams lines that reach it.
# PostgreSQL and MariaDB come from AA_TEST_PGSQL_PARAMS / AA_TEST_MYSQL_PARAMS
# (scripts/check starts both); without them those drivers are skipped.

AA_TABLES="aa_hosts aa_agents aa_grants aa_approvals aa_schema_version"

# param KEY PARAMS: the value of KEY in a "k=v k=v" string.
aa_param() {
    local kv
    for kv in $2; do
        case $kv in "$1="*) printf '%s' "${kv#*=}"; return 0 ;; esac
    done
    return 1
}

aa_db_prepare() {
    local driver=$1 dir=$2 t
    case $driver in
    sqlite3)
        mkdir -p "$dir/db"
        [ "$(id -u)" = 0 ] && chown daemon "$dir/db"
        AA_DB_CONF="DBDriver sqlite3
DBDParams \"$dir/db/agent-auth.sqlite\"
DBDInitSQL \"PRAGMA busy_timeout=5000\""
        ;;
    pgsql)
        [ -n "${AA_TEST_PGSQL_PARAMS:-}" ] || return 1
        for t in $AA_TABLES; do
            psql "$AA_TEST_PGSQL_PARAMS" -q -c "DROP TABLE IF EXISTS $t" >/dev/null 2>&1 ||
                return 1
        done
        AA_DB_CONF="DBDriver pgsql
DBDParams \"$AA_TEST_PGSQL_PARAMS\""
        ;;
    mysql)
        [ -n "${AA_TEST_MYSQL_PARAMS:-}" ] || return 1
        local p=$AA_TEST_MYSQL_PARAMS
        for t in $AA_TABLES; do
            MYSQL_PWD=$(aa_param pass "$p") mariadb --no-defaults \
                -h "$(aa_param host "$p")" -P "$(aa_param port "$p")" \
                -u "$(aa_param user "$p")" "$(aa_param dbname "$p")" \
                -e "DROP TABLE IF EXISTS $t" >/dev/null 2>&1 || return 1
        done
        AA_DB_CONF="DBDriver mysql
DBDParams \"$AA_TEST_MYSQL_PARAMS\""
        ;;
    *)
        return 1
        ;;
    esac
    export AA_DB_CONF
}
