/* SPDX-License-Identifier: Apache-2.0 */
/* test_caps: the operator's capabilities file. */
#include "check_main.h"

#include "aa_caps.h"

#include <apr_file_io.h>
#include <apr_strings.h>

#include <string.h>

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define CAP_WEATHER                                                                          \
    "{\"name\":\"weather.get\",\"description\":\"Current weather\",\"backend\":\"/b/weather\"," \
    "\"location\":\"https://api.example.test/weather\","                                      \
    "\"input\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}},"          \
    "\"output\":{\"type\":\"object\"},\"constraints\":{\"city\":{\"in\":[\"Oslo\"]}}}"
#define CAP_FILES                                                                            \
    "{\"name\":\"files:read\",\"description\":\"Read files\",\"backend\":\"/b/files\"}"

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static aa_caps_t *parse_ok(const char *text)
{
    aa_caps_t *caps = NULL;
    const char *err = NULL;

    ck_assert_msg(aa_caps_parse(pool, text, strlen(text), &caps, &err) == APR_SUCCESS,
                  "rejected: %s", err);
    ck_assert_ptr_nonnull(caps);
    return caps;
}

static const aa_cap_t *cap_at(const aa_caps_t *caps, int i)
{
    return APR_ARRAY_IDX(caps->list, i, const aa_cap_t *);
}

/* --- accepted forms ---------------------------------------------------------------------- */

static const char *const both_forms[] = {
    "[" CAP_WEATHER "," CAP_FILES "]",
    "{\"capabilities\":[" CAP_WEATHER "," CAP_FILES "]}",
    "{\"version\":1,\"capabilities\":[" CAP_WEATHER "," CAP_FILES "]}",
};

START_TEST(test_array_and_object_forms_give_the_same_capabilities)
{
    aa_caps_t *caps = parse_ok(both_forms[_i]);

    ck_assert_int_eq(caps->list->nelts, 2);
    ck_assert_str_eq(cap_at(caps, 0)->name, "weather.get");
    ck_assert_str_eq(cap_at(caps, 1)->name, "files:read");
    ck_assert_ptr_eq(aa_caps_find(caps, "weather.get"), cap_at(caps, 0));
    ck_assert_ptr_eq(aa_caps_find(caps, "files:read"), cap_at(caps, 1));
}
END_TEST

START_TEST(test_capability_members_are_kept)
{
    const aa_cap_t *c = cap_at(parse_ok("[" CAP_WEATHER "]"), 0);

    ck_assert_str_eq(c->description, "Current weather");
    ck_assert_str_eq(c->backend, "/b/weather");
    ck_assert_pstr_eq(c->location, "https://api.example.test/weather");
    ck_assert_pstr_eq(c->input,
                      "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");
    ck_assert_pstr_eq(c->output, "{\"type\":\"object\"}");
    ck_assert_pstr_eq(c->constraints, "{\"city\":{\"in\":[\"Oslo\"]}}");
}
END_TEST

START_TEST(test_optional_members_absent_are_null)
{
    const aa_cap_t *c = cap_at(parse_ok("[" CAP_FILES "]"), 0);

    ck_assert_ptr_null(c->location);
    ck_assert_ptr_null(c->input);
    ck_assert_ptr_null(c->output);
    ck_assert_ptr_null(c->constraints);
}
END_TEST

START_TEST(test_empty_list_is_accepted_and_finds_nothing)
{
    aa_caps_t *caps = parse_ok("{\"capabilities\":[]}");

    ck_assert_int_eq(caps->list->nelts, 0);
    ck_assert_ptr_null(aa_caps_find(caps, "weather.get"));
}
END_TEST

/* --- rejected files ---------------------------------------------------------------------- */

#define CAP(name, rest) "{\"name\":" name ",\"description\":\"d\",\"backend\":\"/b\"" rest "}"

static const struct {
    const char *what;
    const char *text;
    const char *why; /* expected in *errstr */
} rejects[] = {
    { "name missing", "[{\"description\":\"d\",\"backend\":\"/b\"}]", "name" },
    { "name empty", "[" CAP("\"\"", "") "]", "name" },
    { "name with a space", "[" CAP("\"weather get\"", "") "]", "name" },
    { "name with a slash", "[" CAP("\"weather/get\"", "") "]", "name" },
    { "name with a non-ASCII letter", "[" CAP("\"caf\\u00e9\"", "") "]", "name" },
    { "name a number", "[" CAP("7", "") "]", "name" },
    { "description missing", "[{\"name\":\"a\",\"backend\":\"/b\"}]", "description" },
    { "description not a string", "[{\"name\":\"a\",\"description\":1,\"backend\":\"/b\"}]",
      "description" },
    { "backend missing", "[{\"name\":\"a\",\"description\":\"d\"}]", "backend" },
    { "backend an ftp URL", "[{\"name\":\"a\",\"description\":\"d\",\"backend\":"
                            "\"ftp://127.0.0.1/b\"}]",
      "backend" },

    { "backend relative", "[{\"name\":\"a\",\"description\":\"d\",\"backend\":\"b/c\"}]",
      "backend" },
    { "backend empty", "[{\"name\":\"a\",\"description\":\"d\",\"backend\":\"\"}]", "backend" },
    { "input not an object", "[" CAP("\"a\"", ",\"input\":\"string\"") "]", "input" },
    { "output an array", "[" CAP("\"a\"", ",\"output\":[]") "]", "output" },
    { "constraints a string", "[" CAP("\"a\"", ",\"constraints\":\"x\"") "]", "constraints" },
    { "location a number", "[" CAP("\"a\"", ",\"location\":1") "]", "location" },
    { "capability not an object", "[\"weather.get\"]", "object" },
    { "duplicate names", "[" CAP("\"a\"", "") "," CAP("\"b\"", "") "," CAP("\"a\"", "") "]",
      "twice" },
    { "top-level string", "\"weather.get\"", "array" },
    { "top-level number", "42", "array" },
    { "object without capabilities", "{\"caps\":[]}", "capabilities" },
    { "capabilities not an array", "{\"capabilities\":{}}", "capabilities" },
    { "capabilities twice", "{\"capabilities\":[],\"capabilities\":[" CAP("\"a\"", "") "]}",
      "duplicate" },
    { "not JSON", "name: weather.get", "" },
};

START_TEST(test_backend_may_be_an_http_url)
{
    static const char text[] = "[{\"name\":\"a\",\"description\":\"d\","
                               "\"backend\":\"http://127.0.0.1:9000/a\"},"
                               "{\"name\":\"b\",\"description\":\"d\","
                               "\"backend\":\"HTTPS://svc.internal/b\"}]";
    aa_caps_t *caps = NULL;
    const char *err = NULL;

    ck_assert_int_eq(aa_caps_parse(pool, text, strlen(text), &caps, &err), APR_SUCCESS);
    ck_assert_str_eq(aa_caps_find(caps, "a")->backend, "http://127.0.0.1:9000/a");
    ck_assert_str_eq(aa_caps_find(caps, "b")->backend, "HTTPS://svc.internal/b");
}
END_TEST

START_TEST(test_invalid_capabilities_file_is_rejected)
{
    aa_caps_t *caps = NULL;
    const char *err = NULL;
    apr_status_t rv = aa_caps_parse(pool, rejects[_i].text, strlen(rejects[_i].text), &caps,
                                    &err);

    ck_assert_msg(rv == APR_EINVAL, "%s: got %d", rejects[_i].what, rv);
    ck_assert_ptr_null(caps);
    ck_assert_msg(err && strstr(err, rejects[_i].why), "%s: reason \"%s\", want \"%s\"",
                  rejects[_i].what, err ? err : "(null)", rejects[_i].why);
}
END_TEST

/* --- lookup ------------------------------------------------------------------------------ */

static const char *const not_found[] = {
    "Weather.get", "weather", "weather.get ", " weather.get", "weather.ge", "weather.get.x", "",
};

START_TEST(test_find_matches_the_exact_name_only)
{
    aa_caps_t *caps = parse_ok("[" CAP_WEATHER "," CAP_FILES "]");

    ck_assert_ptr_nonnull(aa_caps_find(caps, "weather.get"));
    ck_assert_msg(aa_caps_find(caps, not_found[_i]) == NULL, "\"%s\" was found",
                  not_found[_i]);
}
END_TEST

START_TEST(test_find_with_null_arguments_finds_nothing)
{
    aa_caps_t *caps = parse_ok("[" CAP_WEATHER "]");

    ck_assert_ptr_null(aa_caps_find(caps, NULL));
    ck_assert_ptr_null(aa_caps_find(NULL, "weather.get"));
}
END_TEST

/* --- names ------------------------------------------------------------------------------- */

static const char name_128[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
static const char name_129[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy";

static const struct {
    const char *name;
    int valid;
} names[] = {
    { "a", 1 },
    { "weather.get", 1 },
    { "files:read", 1 },
    { "A-b_c.d:e9", 1 },
    { "0", 1 },
    { name_128, 1 },
    { name_129, 0 },
    { "", 0 },
    { NULL, 0 },
    { "has space", 0 },
    { "a/b", 0 },
    { "a@b", 0 },
    { "a,b", 0 },
    { "tab\t", 0 },
    { "caf\xc3\xa9", 0 },
    { "a\"b", 0 },
};

START_TEST(test_name_valid_table)
{
    ck_assert_msg(aa_caps_name_valid(names[_i].name) == names[_i].valid, "\"%s\" want %d",
                  names[_i].name ? names[_i].name : "(null)", names[_i].valid);
}
END_TEST

/* --- files ------------------------------------------------------------------------------- */

static const char *write_temp(const char *text)
{
    char *path = apr_pstrdup(pool, "/tmp/aa-test-caps-XXXXXX");
    apr_file_t *f;
    apr_size_t len = strlen(text);

    ck_assert_int_eq(
        apr_file_mktemp(&f, path, APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL, pool),
        APR_SUCCESS);
    ck_assert_int_eq(apr_file_write_full(f, text, len, NULL), APR_SUCCESS);
    apr_file_close(f);
    return path;
}

START_TEST(test_load_reads_a_file)
{
    const char *path = write_temp("{\"capabilities\":[" CAP_WEATHER "]}\n");
    aa_caps_t *caps = NULL;
    const char *err = NULL;
    apr_status_t rv = aa_caps_load(pool, path, &caps, &err);

    apr_file_remove(path, pool);
    ck_assert_msg(rv == APR_SUCCESS, "%s", err);
    ck_assert_int_eq(caps->list->nelts, 1);
    ck_assert_ptr_nonnull(aa_caps_find(caps, "weather.get"));
}
END_TEST

START_TEST(test_load_names_the_file_in_its_error)
{
    const char *path = write_temp("[" CAP("\"a\"", "") "," CAP("\"a\"", "") "]");
    aa_caps_t *caps = NULL;
    const char *err = NULL;
    apr_status_t rv = aa_caps_load(pool, path, &caps, &err);

    apr_file_remove(path, pool);
    ck_assert_int_eq(rv, APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "twice"));
}
END_TEST

START_TEST(test_load_of_a_missing_file_fails)
{
    aa_caps_t *caps = NULL;
    const char *err = NULL;

    ck_assert_int_ne(aa_caps_load(pool, "/nonexistent/aa-caps.json", &caps, &err), APR_SUCCESS);
    ck_assert_ptr_null(caps);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/aa-caps.json"));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("caps");
    TCase *tc = tcase_create("caps");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_array_and_object_forms_give_the_same_capabilities, 0,
                        NROWS(both_forms));
    tcase_add_test(tc, test_capability_members_are_kept);
    tcase_add_test(tc, test_optional_members_absent_are_null);
    tcase_add_test(tc, test_empty_list_is_accepted_and_finds_nothing);
    tcase_add_test(tc, test_backend_may_be_an_http_url);
    tcase_add_loop_test(tc, test_invalid_capabilities_file_is_rejected, 0, NROWS(rejects));
    tcase_add_loop_test(tc, test_find_matches_the_exact_name_only, 0, NROWS(not_found));
    tcase_add_test(tc, test_find_with_null_arguments_finds_nothing);
    tcase_add_loop_test(tc, test_name_valid_table, 0, NROWS(names));
    tcase_add_test(tc, test_load_reads_a_file);
    tcase_add_test(tc, test_load_names_the_file_in_its_error);
    tcase_add_test(tc, test_load_of_a_missing_file_fails);
    suite_add_tcase(s, tc);
    return s;
}

AA_CHECK_MAIN(make_suite)
