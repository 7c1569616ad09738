#include "check_main.h"
static Suite *make_suite(void) { Suite *s = suite_create("constraints"); return s; }
AA_CHECK_MAIN(make_suite)
