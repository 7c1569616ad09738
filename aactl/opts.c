/* SPDX-License-Identifier: Apache-2.0 */
/* opts.c: the one option parser every aactl command uses. */
#include "aactl.h"

#include <apr_strings.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        if ((!only_pos && strncmp(argv[i], "--", 2) == 0) || *npos >= maxpos) {
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
    apr_int64_t n, unit = 1;
    char *end = NULL;

    if (!text || !isdigit((unsigned char)*text))
        return -1;
    errno = 0;
    n = apr_strtoi64(text, &end, 10);
    if (errno == ERANGE)
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
    /* Checked before multiplying, so that no product can overflow. */
    if (n > AACTL_MAX_DURATION / unit)
        return -1;
    *secs = n * unit;
    return 0;
}

int aactl_opt_duration(aactl_ctx_t *ctx, const char *cmd, aactl_opt_t *opts, const char *name,
                       apr_int64_t *secs)
{
    aactl_opt_t *o = aactl_opt(opts, name);

    if (!o || !o->set || aactl_duration(o->value, secs) == 0)
        return AACTL_OK;
    ctx->errstr = apr_psprintf(ctx->pool, "%s: %s takes a duration such as 3600, 90m, 24h or "
                               "7d, at most 100 years (not \"%s\")", cmd, name, o->value);
    return AACTL_USAGE;
}

int aactl_opt_oneof(aactl_ctx_t *ctx, const char *cmd, aactl_opt_t *opts, const char *name,
                    const char *const *allowed)
{
    aactl_opt_t *o = aactl_opt(opts, name);
    const char *list = "";
    int i;

    if (!o || !o->set)
        return AACTL_OK;
    for (i = 0; allowed[i]; i++) {
        if (strcmp(o->value, allowed[i]) == 0)
            return AACTL_OK;
        list = apr_pstrcat(ctx->pool, list, i ? ", " : "", allowed[i], NULL);
    }
    ctx->errstr = apr_psprintf(ctx->pool, "%s: %s is one of %s (not \"%s\")", cmd, name, list,
                               o->value);
    return AACTL_USAGE;
}

apr_array_header_t *aactl_split_names(apr_pool_t *pool, const char *const *args, int n)
{
    apr_array_header_t *names = apr_array_make(pool, 4, sizeof(const char *));
    int i;

    for (i = 0; i < n; i++) {
        char *copy = apr_pstrdup(pool, args[i]), *state = NULL, *tok;

        tok = apr_strtok(copy, ", ", &state);
        if (!tok)
            return NULL;
        for (; tok; tok = apr_strtok(NULL, ", ", &state))
            if (!aa_caps_listed(names, tok))
                APR_ARRAY_PUSH(names, const char *) = tok;
    }
    return names;
}

const char *aactl_default_user(void)
{
    const char *who = getenv("SUDO_USER");

    if (!who || !*who)
        who = getenv("USER");
    if (!who || !*who)
        who = getlogin();
    return who && *who ? who : "admin";
}
