/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa-demo-backend: the demo service's capabilities, as one CGI program.
 * mod_agent_auth runs it with the agent's arguments as a JSON POST body and
 * the capability's name in AGENT_AUTH_CAPABILITY; it answers with JSON.
 *
 * At PATH_INFO /ciba-notify it is also the demo's CIBA notification channel
 * (AgentAuthCIBANotify): each request is appended, as one line a person can
 * act on, to the file named by AA_DEMO_NOTIFY_LOG; AA_DEMO_AACTL is the
 * aactl command line that approves it.
 */
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (1024 * 1024)

static void reply(int status, json_object *body)
{
    printf("Status: %d\r\nContent-Type: application/json\r\n\r\n%s\n", status,
           json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
    json_object_put(body);
}

static void fail(int status, const char *error, const char *message)
{
    json_object *body = json_object_new_object();

    json_object_object_add(body, "error", json_object_new_string(error));
    json_object_object_add(body, "message", json_object_new_string(message));
    reply(status, body);
}

static json_object *read_arguments(void)
{
    const char *clen = getenv("CONTENT_LENGTH");
    long len = clen ? atol(clen) : 0;
    char *buf;
    json_object *args;

    if (len <= 0 || len > MAX_BODY)
        return json_object_new_object();
    buf = calloc(1, (size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, stdin) != (size_t)len) {
        free(buf);
        return NULL;
    }
    args = json_tokener_parse(buf);
    free(buf);
    return args;
}

static const char *string_arg(json_object *args, const char *name)
{
    json_object *v;

    if (!json_object_object_get_ex(args, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static void echo(json_object *args)
{
    json_object *out = json_object_new_object();
    const char *message = string_arg(args, "message");

    json_object_object_add(out, "echo", json_object_new_string(message ? message : ""));
    reply(200, out);
}

static void check_balance(json_object *args)
{
    const char *account = string_arg(args, "account_id");
    json_object *out;

    if (!account) {
        fail(400, "invalid_request", "account_id is required");
        return;
    }
    out = json_object_new_object();
    json_object_object_add(out, "account_id", json_object_new_string(account));
    json_object_object_add(out, "balance", json_object_new_double(100.5));
    json_object_object_add(out, "currency", json_object_new_string("USD"));
    reply(200, out);
}

static void transfer_funds(json_object *args)
{
    json_object *amount, *out;
    char id[64];

    if (!string_arg(args, "from") || !string_arg(args, "to")
        || !json_object_object_get_ex(args, "amount", &amount)
        || !(json_object_is_type(amount, json_type_int)
             || json_object_is_type(amount, json_type_double))) {
        fail(400, "invalid_request", "from, to and a numeric amount are required");
        return;
    }
    snprintf(id, sizeof(id), "tr_%ld_%d", (long)time(NULL), (int)(rand() % 100000));
    out = json_object_new_object();
    json_object_object_add(out, "transfer_id", json_object_new_string(id));
    json_object_object_add(out, "status", json_object_new_string("ok"));
    json_object_object_add(out, "amount", json_object_get(amount));
    reply(200, out);
}

/* Where a real service would send a push notification or an e-mail. */
static void ciba_notify(json_object *request)
{
    const char *path = getenv("AA_DEMO_NOTIFY_LOG");
    json_object *caps = NULL, *message = NULL;
    FILE *log;

    if (!path || !(log = fopen(path, "a"))) {
        fail(500, "server_error", "AA_DEMO_NOTIFY_LOG is not a writable file");
        return;
    }
    json_object_object_get_ex(request, "capabilities", &caps);
    json_object_object_get_ex(request, "binding_message", &message);
    /* The command comes first: the client-chosen message, quoted as JSON,
     * cannot push it out of sight or pose as another one. */
    fprintf(log, "%s approve %s  # %ld: %s asks %s: %s %s\n",
            getenv("AA_DEMO_AACTL") ? getenv("AA_DEMO_AACTL") : "aactl",
            string_arg(request, "approval_id") ? string_arg(request, "approval_id") : "?",
            (long)time(NULL),
            string_arg(request, "agent_id") ? string_arg(request, "agent_id") : "?",
            string_arg(request, "user_id") ? string_arg(request, "user_id") : "?",
            message ? json_object_to_json_string_ext(message, JSON_C_TO_STRING_PLAIN) : "\"\"",
            caps ? json_object_to_json_string_ext(caps, JSON_C_TO_STRING_PLAIN) : "[]");
    fclose(log);
    reply(200, json_object_new_object());
}

int main(void)
{
    const char *capability = getenv("AGENT_AUTH_CAPABILITY");
    const char *path = getenv("PATH_INFO");
    json_object *args;

    if (path && strcmp(path, "/ciba-notify") == 0) {
        args = read_arguments();
        if (!args || !json_object_is_type(args, json_type_object))
            fail(400, "invalid_request", "expected a JSON object");
        else
            ciba_notify(args);
        json_object_put(args);
        return 0;
    }

    if (!capability || !getenv("AGENT_AUTH_AGENT_ID")) {
        fail(403, "unauthorized", "only reachable through mod_agent_auth");
        return 0;
    }
    args = read_arguments();
    if (!args || !json_object_is_type(args, json_type_object)) {
        fail(400, "invalid_request", "arguments must be a JSON object");
        return 0;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    if (strcmp(capability, "echo") == 0)
        echo(args);
    else if (strcmp(capability, "check_balance") == 0)
        check_balance(args);
    else if (strcmp(capability, "transfer_funds") == 0)
        transfer_funds(args);
    else
        fail(404, "capability_not_found", "this backend does not implement it");
    json_object_put(args);
    return 0;
}
