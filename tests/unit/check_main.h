/* SPDX-License-Identifier: Apache-2.0 */
/* check_main.h: the shared main() of every Check program, with a summary line. */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <apr_general.h>
#include <check.h>

#include <stdio.h>
#include <stdlib.h>

#include "aa_crypto.h"

/* Prints "aa-tests: N run, F failed" for scripts/check to add up. */
#define AA_CHECK_MAIN(make_suite_fn)                                               \
    int main(void)                                                                 \
    {                                                                              \
        SRunner *sr;                                                               \
        int run, failed;                                                           \
                                                                                   \
        apr_initialize();                                                          \
        if (aa_crypto_init() != APR_SUCCESS)                                       \
            return 99;                                                             \
        sr = srunner_create(make_suite_fn());                                      \
        srunner_run_all(sr, CK_NORMAL);                                            \
        run = srunner_ntests_run(sr);                                              \
        failed = srunner_ntests_failed(sr);                                        \
        srunner_free(sr);                                                          \
        printf("aa-tests: %d run, %d failed\n", run, failed);                      \
        apr_terminate();                                                           \
        return failed == 0 && run > 0 ? EXIT_SUCCESS : EXIT_FAILURE;               \
    }

#endif
