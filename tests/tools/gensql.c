/* SPDX-License-Identifier: Apache-2.0 */
/* gensql: print the schema aactl creates, for the guard that keeps sql/ in step. */
#include <stdio.h>
#include "aa_sql.h"
int main(int argc, char **argv) {
    const char *const *ddl = aa_sql_schema(argv[1]);
    printf("-- SPDX-License-Identifier: Apache-2.0\n-- mod_agent_auth schema for %s (version %d).\n-- aactl schema create runs the same statements.\n\n", argv[1], AA_SCHEMA_VERSION);
    for (; *ddl; ddl++) printf("%s;\n\n", *ddl);
    printf("INSERT INTO aa_schema_version (version) VALUES (%d);\n", AA_SCHEMA_VERSION);
    return 0;
}
