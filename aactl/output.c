/* SPDX-License-Identifier: Apache-2.0 */
/* output.c: tables for people, JSON for scripts. */
#include "aactl.h"

#include <apr_strings.h>

#include <stdio.h>
#include <string.h>

void aactl_print_json(aactl_ctx_t *ctx, aa_json_t *doc)
{
    printf("%s\n", aa_json_dump(ctx->pool, doc));
}

/*
 * Names and reasons come from clients: a control character (C0, DEL, or a
 * UTF-8 encoded C1 such as CSI) could drive the operator's terminal, so
 * each becomes '?' in a table.
 */
static const char *printable(apr_pool_t *pool, const char *text)
{
    char *out = apr_pstrdup(pool, text ? text : "");
    char *r, *w;

    for (r = w = out; *r; r++) {
        unsigned char ch = (unsigned char)*r;

        if (ch == 0xc2 && (unsigned char)r[1] >= 0x80 && (unsigned char)r[1] <= 0x9f) {
            r++;
            *w++ = '?';
        }
        else
            *w++ = ch < 0x20 || ch == 0x7f ? '?' : *r;
    }
    *w = '\0';
    return out;
}

/* rows: arrays of ncols strings; columns are padded to their widest cell. */
void aactl_print_table(aactl_ctx_t *ctx, const char *const *headers, int ncols,
                       apr_array_header_t *rows)
{
    int *width = apr_pcalloc(ctx->pool, sizeof(int) * ncols);
    int c, i;

    for (c = 0; c < ncols; c++)
        width[c] = (int)strlen(headers[c]);
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);

        for (c = 0; c < ncols; c++) {
            row[c] = printable(ctx->pool, row[c]);
            if ((int)strlen(row[c]) > width[c])
                width[c] = (int)strlen(row[c]);
        }
    }
    /* The last column is not padded: no trailing blanks. */
    for (c = 0; c + 1 < ncols; c++)
        printf("%-*s  ", width[c], headers[c]);
    printf("%s\n", headers[c]);
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);

        for (c = 0; c + 1 < ncols; c++)
            printf("%-*s  ", width[c], row[c]);
        printf("%s\n", row[c]);
    }
}

const char *aactl_age(apr_pool_t *pool, apr_int64_t since, apr_int64_t now)
{
    apr_int64_t d = now - since;

    if (since <= 0)
        return "-";
    if (d < 120)
        return apr_psprintf(pool, "%ds", (int)d);
    if (d < 7200)
        return apr_psprintf(pool, "%dm", (int)(d / 60));
    if (d < 172800)
        return apr_psprintf(pool, "%dh", (int)(d / 3600));
    return apr_psprintf(pool, "%dd", (int)(d / 86400));
}
