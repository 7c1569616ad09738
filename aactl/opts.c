/* SPDX-License-Identifier: Apache-2.0 */
/* opts.c: the one option parser every aactl command uses. */
#include "aactl.h"

#include <apr_strings.h>

#include <ctype.h>
#include <string.h>

aactl_opt_t *aactl_opt(aactl_opt_t *opts, const char *name)
{
    for (; opts && opts->name; opts++)
        if (strcmp(opts->name, name) == 0)
            return opts;
    return NULL;
}

int aactl_parse(aactl_ctx_t *ctx, const char *cmd, int argc, const char *const *argv,
                aactl_opt_t *opts, const char **pos, int maxpos, int *npos)
{
    int i, only_pos = 0;

    *npos = 0;
    for (i = 0; i < argc; i++) {
        aactl_opt_t *o = only_pos ? NULL : aactl_opt(opts, argv[i]);

        if (!only_pos && strcmp(argv[i], "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (o && o->takes_value) {
            if (i + 1 >= argc) {
                ctx->errstr = apr_psprintf(ctx->pool, "%s: %s needs a value", cmd, argv[i]);
                return AACTL_USAGE;
            }
            o->value = argv[++i];
            o->set = 1;
            continue;
        }
        if (o) {
            o->set = 1;
            continue;
        }
        /* Ids may start with "-" (base64url), but never with "--". */
        if (strncmp(argv[i], "--", 2) == 0 || *npos >= maxpos) {
            ctx->errstr = apr_psprintf(ctx->pool, "%s: unexpected argument %s (see aactl %s "
                                       "--help)", cmd, argv[i], cmd);
            return AACTL_USAGE;
        }
        pos[(*npos)++] = argv[i];
    }
    return AACTL_OK;
}

int aactl_duration(const char *text, apr_int64_t *secs)
{
    char *end = NULL;
    apr_int64_t n = apr_strtoi64(text, &end, 10);
    apr_int64_t unit = 1;

    if (!text || !*text || !isdigit((unsigned char)*text) || n < 0)
        return -1;
    switch (*end) {
    case '\0':
    case 's':
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return -1;
    }
    if (*end && end[1])
        return -1;
    *secs = n * unit;
    return 0;
}
