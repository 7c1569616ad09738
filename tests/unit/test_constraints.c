/* SPDX-License-Identifier: Apache-2.0 */
/* Scoped-grant constraints (§2.13) and the JSON Schema subset, driven by case tables. */
#include "check_main.h"

#include <apr_strings.h>

#include <string.h>

#include "aa_constraints.h"
#include "aa_schema.h"

#define ROWS(table) ((int)(sizeof(table) / sizeof((table)[0])))

static apr_pool_t *pool;

static void pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void pool_teardown(void)
{
    apr_pool_destroy(pool);
}

/*
 * "null" gives NULL, which every function under test reads as "none". The text is
 * wrapped in an array because aa_json_parse reports a bare top-level scalar ("5",
 * "null") as truncated JSON.
 */
static aa_json_t *parse(const char *text)
{
    const char *wrapped = apr_pstrcat(pool, "[", text, "]", NULL);
    aa_json_t *array = NULL;
    const char *errstr = NULL;

    ck_assert_msg(aa_json_parse(pool, wrapped, strlen(wrapped), 0, &array, &errstr)
                      == APR_SUCCESS && aa_json_len(array) == 1,
                  "bad test JSON %s: %s", text, errstr);
    return aa_json_at(array, 0);
}

/* Join the "field" members of a violations array with commas, in order. */
static const char *violation_fields(const aa_json_t *violations)
{
    const char *out = "", *field;
    apr_size_t i;

    for (i = 0; i < aa_json_len(violations); i++) {
        ck_assert_int_eq(aa_json_get_str(aa_json_at(violations, i), "field", &field),
                         APR_SUCCESS);
        out = apr_pstrcat(pool, out, i ? "," : "", field, NULL);
    }
    return out;
}

#define SPEC_GRANT                                                                         \
    "{\"destination_account\":\"acc_456\",\"amount\":{\"min\":0,\"max\":1000},"            \
    "\"currency\":{\"in\":[\"USD\",\"EUR\"]}}"

static const struct {
    const char *constraints, *arguments;
    apr_status_t status;
    const char *fields;
} eval_cases[] = {
    { "{\"amount\":{\"max\":1000}}", "{\"amount\":500}", APR_SUCCESS, "" },
    { "{\"amount\":{\"max\":1000}}", "{\"amount\":1000}", APR_SUCCESS, "" },
    { "{\"amount\":{\"max\":1000}}", "{\"amount\":1000.5}", APR_EGENERAL, "amount" },
    { "{\"amount\":{\"min\":0,\"max\":1000}}", "{\"amount\":-1}", APR_EGENERAL, "amount" },
    { "{\"amount\":{\"min\":5}}", "{\"amount\":5.0}", APR_SUCCESS, "" },
    { "{\"amount\":{\"min\":10}}", "{\"amount\":\"ten\"}", APR_EGENERAL, "amount" },
    { "{\"amount\":{\"max\":10}}", "{\"amount\":true}", APR_EGENERAL, "amount" },
    { "{\"currency\":\"USD\"}", "{\"currency\":\"USD\"}", APR_SUCCESS, "" },
    { "{\"currency\":\"USD\"}", "{\"currency\":\"usd\"}", APR_EGENERAL, "currency" },
    { "{\"count\":5}", "{\"count\":5.0}", APR_SUCCESS, "" },
    /* Above 2^53 a double cannot tell neighbours apart; integers must not blur. */
    { "{\"acct\":9007199254740992}", "{\"acct\":9007199254740993}", APR_EGENERAL, "acct" },
    { "{\"acct\":{\"in\":[9007199254740992]}}", "{\"acct\":9007199254740993}", APR_EGENERAL,
      "acct" },
    { "{\"acct\":9007199254740993}", "{\"acct\":9007199254740993}", APR_SUCCESS, "" },
    { "{\"count\":5}", "{\"count\":\"5\"}", APR_EGENERAL, "count" },
    { "{\"flag\":true}", "{\"flag\":true}", APR_SUCCESS, "" },
    { "{\"flag\":true}", "{\"flag\":1}", APR_EGENERAL, "flag" },
    { "{\"currency\":{\"in\":[\"USD\",\"EUR\"]}}", "{\"currency\":\"EUR\"}", APR_SUCCESS, "" },
    { "{\"currency\":{\"in\":[\"USD\",\"EUR\"]}}", "{\"currency\":\"GBP\"}", APR_EGENERAL,
      "currency" },
    { "{\"n\":{\"in\":[1,2,3]}}", "{\"n\":2.0}", APR_SUCCESS, "" },
    { "{\"currency\":{\"not_in\":[\"GBP\"]}}", "{\"currency\":\"GBP\"}", APR_EGENERAL,
      "currency" },
    { "{\"currency\":{\"not_in\":[\"GBP\"]}}", "{\"currency\":\"USD\"}", APR_SUCCESS, "" },
    { "{\"a\":{\"not_in\":[\"x\"]}}", "{\"a\":{\"b\":1}}", APR_EGENERAL, "a" },
    { "{\"a\":{\"not_in\":[\"x\"]}}", "{\"a\":null}", APR_EGENERAL, "a" },
    { "{\"a\":{\"not_in\":[\"x\"]}}", "{\"a\":[\"y\"]}", APR_EGENERAL, "a" },
    { "{\"amount\":{\"max\":10}}", "{}", APR_EGENERAL, "amount" },
    { "{\"a\":1,\"b\":\"x\"}", "null", APR_EGENERAL, "a,b" },
    { "{\"a\":1}", "[1]", APR_EGENERAL, "a" },
    { "{\"a\":1}", "{\"a\":1,\"unconstrained\":\"anything\"}", APR_SUCCESS, "" },
    { "{\"a\":{\"in\":[]}}", "{\"a\":\"x\"}", APR_EGENERAL, "a" },
    { "{\"a\":{\"min\":1,\"max\":0}}", "{\"a\":0.5}", APR_EGENERAL, "a" },
    { "{\"a\":{}}", "{\"a\":\"present\"}", APR_SUCCESS, "" },
    { "{\"a\":{}}", "{}", APR_EGENERAL, "a" },
    /* Both sides of each pair round to the same double: only integer compares tell. */
    { "{\"id\":{\"max\":9007199254740992}}", "{\"id\":9007199254740993}", APR_EGENERAL, "id" },
    { "{\"id\":{\"min\":9007199254740993}}", "{\"id\":9007199254740992}", APR_EGENERAL, "id" },
    { "{\"id\":{\"min\":9007199254740993}}", "{\"id\":9007199254740993}", APR_SUCCESS, "" },
    { SPEC_GRANT, "{\"destination_account\":\"acc_456\",\"amount\":999.99,\"currency\":\"EUR\"}",
      APR_SUCCESS, "" },
    { SPEC_GRANT, "{\"destination_account\":\"acc_9\",\"amount\":5000,\"currency\":\"GBP\"}",
      APR_EGENERAL, "destination_account,amount,currency" },
    { "null", "{\"anything\":1}", APR_SUCCESS, "" },
    { "{}", "null", APR_SUCCESS, "" },
    { "{\"amount\":{\"max\":10,\"regex\":\"x\"}}", "{\"amount\":1}", APR_ENOTIMPL, "" },
    { "{\"amount\":{\"max\":\"10\"}}", "{\"amount\":1}", APR_EINVAL, "" },
};

START_TEST(test_evaluate_table)
{
    aa_json_t *violations = NULL, *unknown = NULL;
    apr_status_t rv;

    rv = aa_constraints_evaluate(pool, parse(eval_cases[_i].constraints),
                                 parse(eval_cases[_i].arguments), &violations, &unknown);

    ck_assert_msg(rv == eval_cases[_i].status, "row %d: status %d, want %d", _i, rv,
                  eval_cases[_i].status);
    ck_assert_str_eq(violation_fields(violations), eval_cases[_i].fields);
    ck_assert_int_eq(violations != NULL, rv == APR_EGENERAL);
    ck_assert_int_eq(unknown != NULL, rv == APR_ENOTIMPL);
}
END_TEST

START_TEST(test_evaluate_reports_constraint_and_actual_as_the_spec_shows)
{
    aa_json_t *violations, *unknown;
    const char *want = "[{\"field\":\"amount\",\"constraint\":{\"max\":1000},\"actual\":5000},"
                       "{\"field\":\"currency\",\"constraint\":{\"in\":[\"USD\"]},"
                       "\"actual\":\"GBP\"},"
                       "{\"field\":\"to\",\"constraint\":\"acc_456\"}]";

    ck_assert_int_eq(aa_constraints_evaluate(
                         pool,
                         parse("{\"amount\":{\"max\":1000},\"currency\":{\"in\":[\"USD\"]},"
                               "\"to\":\"acc_456\"}"),
                         parse("{\"amount\":5000,\"currency\":\"GBP\"}"), &violations,
                         &unknown),
                     APR_EGENERAL);

    ck_assert_msg(aa_json_equal(violations, parse(want)), "got %s",
                  aa_json_dump(pool, violations));
}
END_TEST

START_TEST(test_evaluate_lists_unknown_operators)
{
    aa_json_t *violations, *unknown;

    ck_assert_int_eq(aa_constraints_evaluate(pool, parse("{\"a\":{\"regex\":\"^x\"}}"),
                                             parse("{\"a\":\"x\"}"), &violations, &unknown),
                     APR_ENOTIMPL);

    ck_assert_str_eq(aa_json_dump(pool, unknown), "[\"regex\"]");
    ck_assert_ptr_null(violations);
}
END_TEST

static const struct {
    const char *constraints;
    apr_status_t status;
    const char *unknown;    /* JSON array text when APR_ENOTIMPL */
    const char *errsub;     /* part of *errstr when APR_EINVAL */
} check_cases[] = {
    { "null", APR_SUCCESS, NULL, NULL },
    { "{}", APR_SUCCESS, NULL, NULL },
    { SPEC_GRANT, APR_SUCCESS, NULL, NULL },
    { "{\"a\":{\"in\":[]}}", APR_SUCCESS, NULL, NULL },
    { "{\"a\":{\"min\":-1.5,\"max\":2e3}}", APR_SUCCESS, NULL, NULL },
    { "{\"a\":false,\"b\":0,\"c\":\"\"}", APR_SUCCESS, NULL, NULL },
    { "{\"a\":{\"in\":[1,\"x\",true],\"not_in\":[2]}}", APR_SUCCESS, NULL, NULL },
    { "{\"a\":{\"regex\":\"^x\",\"max\":3}}", APR_ENOTIMPL, "[\"regex\"]", NULL },
    { "{\"a\":{\"regex\":\"x\"},\"b\":{\"regex\":\"y\",\"like\":\"z\"}}", APR_ENOTIMPL,
      "[\"regex\",\"like\"]", NULL },
    { "[]", APR_EINVAL, NULL, "JSON object" },
    { "\"amount\"", APR_EINVAL, NULL, "JSON object" },
    { "{\"a\":null}", APR_EINVAL, NULL, "constraint on a" },
    { "{\"a\":[1,2]}", APR_EINVAL, NULL, "constraint on a" },
    { "{\"amount\":{\"min\":\"1\"}}", APR_EINVAL, NULL, "amount: min must be a number" },
    { "{\"amount\":{\"max\":null}}", APR_EINVAL, NULL, "amount: max must be a number" },
    { "{\"c\":{\"in\":\"USD\"}}", APR_EINVAL, NULL, "c: in must be an array" },
    { "{\"c\":{\"in\":[{\"x\":1}]}}", APR_EINVAL, NULL, "c: in must be an array" },
    { "{\"c\":{\"not_in\":[null]}}", APR_EINVAL, NULL, "c: not_in must be an array" },
    { "{\"a\":{\"max\":1},\"b\":{\"foo\":1,\"min\":\"x\"}}", APR_EINVAL, NULL, "b: min" },
};

START_TEST(test_check_table)
{
    aa_json_t *unknown = NULL;
    const char *errstr = NULL;
    apr_status_t rv;

    rv = aa_constraints_check(pool, parse(check_cases[_i].constraints), &unknown, &errstr);

    ck_assert_msg(rv == check_cases[_i].status, "row %d: status %d", _i, rv);
    if (check_cases[_i].unknown)
        ck_assert_str_eq(aa_json_dump(pool, unknown), check_cases[_i].unknown);
    else
        ck_assert_ptr_null(unknown);
    if (check_cases[_i].errsub)
        ck_assert_msg(errstr && strstr(errstr, check_cases[_i].errsub), "row %d: errstr %s",
                      _i, errstr);
}
END_TEST

#define UNSAT "{\"in\":[]}"

static const struct {
    const char *proposed, *imposed, *expected;
} intersect_cases[] = {
    { "{\"amount\":{\"max\":500}}", "{\"amount\":{\"max\":1000}}", "{\"amount\":{\"max\":500}}" },
    { "{\"amount\":{\"max\":1000}}", "{\"amount\":{\"max\":500}}", "{\"amount\":{\"max\":500}}" },
    { "null", "{\"a\":1}", "{\"a\":1}" },
    { "{\"a\":1}", "null", "{\"a\":1}" },
    { "{\"currency\":\"GBP\"}", "{\"currency\":{\"in\":[\"USD\",\"EUR\"]}}",
      "{\"currency\":" UNSAT "}" },
    { "{\"amount\":200}", "{\"amount\":{\"max\":100}}", "{\"amount\":" UNSAT "}" },
    { "{\"currency\":\"USD\"}", "{\"currency\":{\"in\":[\"USD\",\"EUR\"]}}",
      "{\"currency\":\"USD\"}" },
    { "{\"amount\":{\"max\":100}}", "{\"amount\":50}", "{\"amount\":50}" },
    { "{\"a\":{\"min\":1}}", "{\"a\":{\"min\":5}}", "{\"a\":{\"min\":5}}" },
    { "{\"a\":{\"min\":1,\"max\":9}}", "{\"a\":{\"min\":5}}", "{\"a\":{\"min\":5,\"max\":9}}" },
    { "{\"c\":{\"in\":[\"EUR\",\"USD\",\"GBP\"]}}", "{\"c\":{\"in\":[\"GBP\",\"USD\"]}}",
      "{\"c\":{\"in\":[\"USD\",\"GBP\"]}}" },
    { "{\"c\":{\"not_in\":[\"A\"]}}", "{\"c\":{\"not_in\":[\"B\",\"A\"]}}",
      "{\"c\":{\"not_in\":[\"A\",\"B\"]}}" },
    { "{\"a\":1}", "{\"b\":2}", "{\"a\":1,\"b\":2}" },
    { "{\"a\":{\"min\":10}}", "{\"a\":{\"max\":5}}", "{\"a\":" UNSAT "}" },
    { "{\"a\":{\"in\":[1,50,100]}}", "{\"a\":{\"max\":60}}", "{\"a\":{\"in\":[1,50],\"max\":60}}" },
    { "{\"a\":{\"in\":[\"x\",\"y\"]}}", "{\"a\":{\"not_in\":[\"x\"]}}",
      "{\"a\":{\"in\":[\"y\"],\"not_in\":[\"x\"]}}" },
    { "{\"a\":\"x\"}", "{\"a\":\"x\"}", "{\"a\":\"x\"}" },
    { "{\"a\":5}", "{\"a\":5.0}", "{\"a\":5}" },
    { "{\"a\":\"x\"}", "{\"a\":\"y\"}", "{\"a\":" UNSAT "}" },
    { "{\"a\":{\"in\":[\"x\"]}}", "{\"a\":{\"in\":[\"y\"]}}", "{\"a\":" UNSAT "}" },
    { "{\"a\":{\"max\":100}}", "{\"a\":{\"not_in\":[50]}}",
      "{\"a\":{\"max\":100,\"not_in\":[50]}}" },
    { "{\"a\":{\"min\":0,\"max\":1000},\"b\":\"acc\"}", "{\"a\":{\"max\":10000}}",
      "{\"a\":{\"min\":0,\"max\":1000},\"b\":\"acc\"}" },
    { "{\"a\":{\"regex\":\"x\"}}", "{\"a\":{\"max\":1}}", "{\"a\":" UNSAT "}" },
    { "{\"a\":{\"max\":1}}", "{\"a\":[1]}", "{\"a\":" UNSAT "}" },
};

START_TEST(test_intersect_table)
{
    aa_json_t *got, *unknown;
    const char *errstr;

    got = aa_constraints_intersect(pool, parse(intersect_cases[_i].proposed),
                                   parse(intersect_cases[_i].imposed));

    ck_assert_msg(aa_json_equal(got, parse(intersect_cases[_i].expected)), "row %d: got %s", _i,
                  aa_json_dump(pool, got));
    ck_assert_int_eq(aa_constraints_check(pool, got, &unknown, &errstr), APR_SUCCESS);
}
END_TEST

START_TEST(test_intersect_of_nothing_is_nothing)
{
    ck_assert_ptr_null(aa_constraints_intersect(pool, NULL, NULL));
}
END_TEST

START_TEST(test_intersect_unsatisfiable_rejects_every_value)
{
    static const char *const tries[] = { "{\"c\":\"GBP\"}", "{\"c\":\"USD\"}", "{\"c\":0}",
                                         "{\"c\":true}", "{}" };
    aa_json_t *c, *violations, *unknown;
    size_t k;

    c = aa_constraints_intersect(pool, parse("{\"c\":\"GBP\"}"),
                                 parse("{\"c\":{\"in\":[\"USD\",\"EUR\"]}}"));

    for (k = 0; k < sizeof(tries) / sizeof(tries[0]); k++)
        ck_assert_int_eq(aa_constraints_evaluate(pool, c, parse(tries[k]), &violations,
                                                 &unknown),
                         APR_EGENERAL);
}
END_TEST

/* Rows with a broken side are skipped: cover() refuses to reason about those at all. */
START_TEST(test_intersect_is_never_wider_than_either_side)
{
    aa_json_t *p, *i, *got, *unknown;
    const char *errstr;

    p = parse(intersect_cases[_i].proposed);
    i = parse(intersect_cases[_i].imposed);
    if (aa_constraints_check(pool, p, &unknown, &errstr) != APR_SUCCESS
        || aa_constraints_check(pool, i, &unknown, &errstr) != APR_SUCCESS)
        return;
    got = aa_constraints_intersect(pool, p, i);

    ck_assert_msg(aa_constraints_cover(p, got), "row %d: wider than proposed", _i);
    ck_assert_msg(aa_constraints_cover(i, got), "row %d: wider than imposed", _i);
}
END_TEST

static const struct {
    const char *granted, *wanted;
    int covered;
} cover_cases[] = {
    { "null", "{\"a\":1}", 1 },
    { "null", "null", 1 },
    { "{}", "null", 1 },
    { "{\"a\":{\"max\":1000}}", "null", 0 },
    { "{\"a\":{\"max\":1000}}", "{\"a\":{\"max\":500}}", 1 },
    { "{\"a\":{\"max\":500}}", "{\"a\":{\"max\":1000}}", 0 },
    { "{\"a\":{\"max\":1000}}", "{\"a\":700}", 1 },
    { "{\"a\":{\"max\":1000}}", "{\"a\":7000}", 0 },
    { "{\"a\":{\"max\":1000}}", "{\"a\":\"700\"}", 0 },
    { "{\"a\":{\"max\":1000}}", "{\"a\":{\"min\":0}}", 0 },
    { "{\"a\":{\"min\":0,\"max\":1000}}", "{\"a\":{\"min\":10,\"max\":20}}", 1 },
    { "{\"a\":{\"min\":0,\"max\":1000}}", "{\"a\":{\"min\":-1,\"max\":20}}", 0 },
    { "{\"c\":{\"in\":[\"USD\",\"EUR\"]}}", "{\"c\":{\"in\":[\"USD\"]}}", 1 },
    { "{\"c\":{\"in\":[\"USD\"]}}", "{\"c\":{\"in\":[\"USD\",\"EUR\"]}}", 0 },
    { "{\"c\":{\"in\":[\"USD\"]}}", "{\"c\":{\"in\":[\"USD\",\"EUR\"],\"not_in\":[\"EUR\"]}}",
      1 },
    { "{\"c\":{\"in\":[1,2]}}", "{\"c\":{\"min\":1,\"max\":2}}", 0 },
    { "{\"c\":{\"not_in\":[\"GBP\"]}}", "{\"c\":{\"not_in\":[\"GBP\",\"JPY\"]}}", 1 },
    { "{\"c\":{\"not_in\":[\"GBP\",\"JPY\"]}}", "{\"c\":{\"not_in\":[\"GBP\"]}}", 0 },
    { "{\"c\":{\"not_in\":[\"GBP\"]}}", "{\"c\":{\"min\":0}}", 1 },
    { "{\"c\":{\"not_in\":[5]}}", "{\"c\":{\"min\":0}}", 0 },
    { "{\"a\":\"x\"}", "{\"a\":\"x\"}", 1 },
    { "{\"a\":\"x\"}", "{\"a\":{\"in\":[\"x\"]}}", 1 },
    { "{\"a\":\"x\"}", "{\"a\":{\"in\":[\"x\",\"y\"]}}", 0 },
    { "{\"a\":\"x\"}", "{\"a\":{\"not_in\":[\"y\"]}}", 0 },
    { "{\"a\":5}", "{\"a\":{\"min\":5,\"max\":5}}", 1 },
    { "{\"a\":5}", "{\"a\":{\"min\":5,\"max\":6}}", 0 },
    { "{\"a\":1}", "{}", 0 },
    { "{}", "{\"a\":1}", 1 },
    { "{\"a\":{\"max\":10}}", "{\"a\":{\"in\":[]}}", 1 },
    { "{\"a\":{\"min\":1}}", "{\"a\":{\"min\":1},\"b\":2}", 1 },
    { "{\"a\":{\"regex\":\"x\"}}", "{\"a\":1}", 0 },
    { "{\"a\":1}", "{\"a\":{\"regex\":\"x\"}}", 0 },
    { "{\"a\":{\"min\":\"1\"}}", "{\"a\":1}", 0 },
    { "[]", "{}", 0 },
};

START_TEST(test_cover_table)
{
    ck_assert_msg(aa_constraints_cover(parse(cover_cases[_i].granted),
                                       parse(cover_cases[_i].wanted))
                      == cover_cases[_i].covered,
                  "row %d: %s over %s", _i, cover_cases[_i].granted, cover_cases[_i].wanted);
}
END_TEST

#define TRANSFER_SCHEMA                                                                    \
    "{\"type\":\"object\",\"required\":[\"amount\",\"currency\"],\"properties\":{"         \
    "\"amount\":{\"type\":\"number\",\"minimum\":0},"                                      \
    "\"currency\":{\"type\":\"string\",\"enum\":[\"USD\",\"EUR\"]}}}"

static const struct {
    const char *schema, *value;
    int valid;
    const char *errsub;
} schema_cases[] = {
    { "{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1}", 1, NULL },
    { "{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1,\"b\":2}", 0,
      "b: is not allowed" },
    { "{\"additionalProperties\":false}", "{\"b\":2}", 0, "b: is not allowed" },
    { "{\"properties\":{\"a\":{}},\"additionalProperties\":true}", "{\"b\":2}", 1, NULL },
    { "{\"properties\":{\"a\":{}},\"additionalProperties\":{\"type\":\"string\"}}",
      "{\"b\":2}", 1, NULL },
    { "null", "{\"anything\":[1]}", 1, NULL },
    { "{}", "\"anything\"", 1, NULL },
    { "true", "3", 1, NULL },
    { "false", "3", 0, "value: not allowed" },
    { "{\"type\":\"number\"}", "5", 1, NULL },
    { "{\"type\":\"number\"}", "\"5\"", 0, "value: expected number" },
    { "{\"type\":\"integer\"}", "5.0", 1, NULL },
    { "{\"type\":\"integer\"}", "5.5", 0, "value: expected integer" },
    { "{\"type\":\"boolean\"}", "false", 1, NULL },
    { "{\"type\":\"null\"}", "0", 0, "expected null" },
    { "{\"type\":[\"string\",\"null\"]}", "null", 1, NULL },
    { "{\"type\":[\"string\",\"null\"]}", "3", 0, "value: expected string or null" },
    { "{\"type\":\"float\"}", "1.5", 0, "expected float" },
    { "{\"type\":7}", "1", 0, "invalid schema" },
    { TRANSFER_SCHEMA, "{\"amount\":10,\"currency\":\"EUR\"}", 1, NULL },
    { TRANSFER_SCHEMA, "{\"currency\":\"EUR\"}", 0, "amount: is required" },
    { TRANSFER_SCHEMA, "{\"amount\":\"10\",\"currency\":\"EUR\"}", 0,
      "amount: expected number" },
    { TRANSFER_SCHEMA, "{\"amount\":-1,\"currency\":\"EUR\"}", 0, "amount: must be >= 0" },
    { TRANSFER_SCHEMA, "{\"amount\":1,\"currency\":\"GBP\"}", 0,
      "currency: not one of the allowed values" },
    { TRANSFER_SCHEMA, "[]", 0, "value: expected object" },
    { "{\"enum\":[1,2]}", "2.0", 1, NULL },
    { "{\"minimum\":0,\"maximum\":10}", "10", 1, NULL },
    { "{\"minimum\":0,\"maximum\":10}", "10.01", 0, "value: must be <= 10" },
    { "{\"minimum\":0,\"maximum\":10}", "\"abc\"", 1, NULL },
    { "{\"minimum\":\"zero\"}", "5", 0, "invalid schema" },
    { "{\"minLength\":2}", "\"\xc3\xa9\"", 0, "at least 2 characters" },
    { "{\"maxLength\":2}", "\"\xc3\xa9\xc3\xa9\"", 1, NULL },
    { "{\"maxLength\":2}", "\"abc\"", 0, "value: must be at most 2 characters" },
    { "{\"maxLength\":-1}", "\"abc\"", 0, "invalid schema" },
    { "{\"properties\":{\"items\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}",
      "{\"items\":[\"a\",\"b\",3]}", 0, "items[2]: expected string" },
    { "{\"items\":{\"type\":\"integer\"}}", "[1,2,\"x\"]", 0, "[2]: expected integer" },
    { "{\"items\":[{\"type\":\"integer\"}]}", "[\"tuple form is not enforced\"]", 1, NULL },
    { "{\"properties\":{\"address\":{\"properties\":{\"country\":{\"minLength\":2}}}}}",
      "{\"address\":{\"country\":\"U\"}}", 0, "address.country: must be at least" },
    { "{\"properties\":{\"rows\":{\"items\":{\"required\":[\"id\"]}}}}",
      "{\"rows\":[{\"id\":1},{}]}", 0, "rows[1].id: is required" },
    { "{\"type\":\"object\",\"properties\":{\"a\":{}},\"additionalProperties\":false}",
      "{\"a\":1,\"b\":2}", 0, "b: is not allowed" },
    { "{\"pattern\":\"^x$\",\"format\":\"email\"}", "\"y\"", 1, NULL },
    { "{\"required\":\"amount\"}", "{}", 0, "invalid schema" },
    { "{\"properties\":{\"a\":3}}", "{\"a\":1}", 0, "a: invalid schema" },
};

START_TEST(test_schema_table)
{
    const char *errstr = NULL;
    apr_status_t rv;

    rv = aa_schema_validate(pool, parse(schema_cases[_i].schema), parse(schema_cases[_i].value),
                            &errstr);

    ck_assert_msg((rv == APR_SUCCESS) == schema_cases[_i].valid, "row %d: status %d (%s)", _i,
                  rv, errstr ? errstr : "");
    if (!schema_cases[_i].valid)
        ck_assert_msg(rv == APR_EINVAL && errstr && strstr(errstr, schema_cases[_i].errsub),
                      "row %d: errstr %s", _i, errstr);
}
END_TEST

START_TEST(test_schema_named_root_prefixes_paths)
{
    const char *errstr = NULL;

    ck_assert_int_eq(aa_schema_validate_named(pool, parse(TRANSFER_SCHEMA),
                                              parse("{\"amount\":\"x\",\"currency\":\"USD\"}"),
                                              "arguments", &errstr),
                     APR_EINVAL);
    ck_assert_str_eq(errstr, "arguments.amount: expected number");

    ck_assert_int_eq(aa_schema_validate_named(pool, parse(TRANSFER_SCHEMA), parse("1"),
                                              "arguments", &errstr),
                     APR_EINVAL);
    ck_assert_str_eq(errstr, "arguments: expected object");
}
END_TEST

/* Built with the constructors: aa_json_parse would refuse this depth on its own. */
static void nest_items(int levels, aa_json_t **schema, aa_json_t **value)
{
    aa_json_t *s = aa_json_object(pool), *v = aa_json_int(pool, 1), *outer;
    int k;

    for (k = 0; k < levels; k++) {
        outer = aa_json_object(pool);
        aa_json_set(outer, "items", s);
        s = outer;
        outer = aa_json_array(pool);
        aa_json_append(outer, v);
        v = outer;
    }
    *schema = s;
    *value = v;
}

START_TEST(test_schema_refuses_pathological_nesting)
{
    aa_json_t *schema, *value;
    const char *errstr = NULL;

    nest_items(AA_SCHEMA_MAX_DEPTH, &schema, &value);
    ck_assert_int_eq(aa_schema_validate(pool, schema, value, &errstr), APR_SUCCESS);

    nest_items(AA_SCHEMA_MAX_DEPTH + 8, &schema, &value);
    ck_assert_int_eq(aa_schema_validate(pool, schema, value, &errstr), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(errstr, "nested too deeply"));
}
END_TEST

/* Integers json-c would clamp must not reach a comparison or a backend. */
static const struct {
    const char *text;
    int ok;
} int_range_cases[] = {
    { "{\"amount\":9223372036854775807}", 1 },
    { "{\"amount\":-9223372036854775808}", 1 },
    { "{\"amount\":9223372036854775808}", 0 },
    { "{\"amount\":-9223372036854775809}", 0 },
    { "{\"amount\":18446744073709551615}", 0 },
    { "{\"amount\":99999999999999999999999}", 0 },
    { "[1,{\"a\":[18446744073709551616]}]", 0 },
    { "{\"amount\":1e30}", 1 },
    { "{\"amount\":12345678901234567890.5}", 1 },
    { "{\"id\":\"99999999999999999999999\"}", 1 },
    { "{\"id\":\"a\\\"99999999999999999999999\"}", 1 },
};

START_TEST(test_json_integer_range_table)
{
    const char *text = int_range_cases[_i].text, *errstr = NULL;
    aa_json_t *doc = NULL;
    apr_status_t rv = aa_json_parse(pool, text, strlen(text), 1, &doc, &errstr);

    ck_assert_msg((rv == APR_SUCCESS) == int_range_cases[_i].ok, "%s: %s", text,
                  errstr ? errstr : "accepted");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("constraints");
    TCase *tc;

    tc = tcase_create("evaluate");
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_evaluate_table, 0, ROWS(eval_cases));
    tcase_add_test(tc, test_evaluate_reports_constraint_and_actual_as_the_spec_shows);
    tcase_add_test(tc, test_evaluate_lists_unknown_operators);
    tcase_add_loop_test(tc, test_json_integer_range_table, 0, ROWS(int_range_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("check");
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_check_table, 0, ROWS(check_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("intersect");
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_intersect_table, 0, ROWS(intersect_cases));
    tcase_add_loop_test(tc, test_intersect_is_never_wider_than_either_side, 0,
                        ROWS(intersect_cases));
    tcase_add_test(tc, test_intersect_of_nothing_is_nothing);
    tcase_add_test(tc, test_intersect_unsatisfiable_rejects_every_value);
    suite_add_tcase(s, tc);

    tc = tcase_create("cover");
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_cover_table, 0, ROWS(cover_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("schema");
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, test_schema_table, 0, ROWS(schema_cases));
    tcase_add_test(tc, test_schema_named_root_prefixes_paths);
    tcase_add_test(tc, test_schema_refuses_pathological_nesting);
    suite_add_tcase(s, tc);
    return s;
}

AA_CHECK_MAIN(make_suite)
