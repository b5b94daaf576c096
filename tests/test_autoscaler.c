/*  test_autoscaler.c - zchain-autoscaler: its parsers and update body, and
 *  the real program refusing engines it cannot use
 *
 *  What needs a Docker engine (a swarm service scaled for real) is not
 *  here: ctest must not need dockerd. deploy/autoscaler-test.sh runs the
 *  loop against a private dockerd, and the swarm stack's test runs it in
 *  the stack.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "autoscaler.h"
#include "engine.h"
#include "testproc.h"
#include "zc_time.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ZC_BIN_DIR
#define ZC_BIN_DIR "build/bin"
#endif
#ifndef ZC_SOURCE_DIR
#define ZC_SOURCE_DIR "."
#endif

//  The format the sidecar answers, as its author gave it
static const char *s_example =
    "{\"services\":[{\"service\":\"validator\",\"desired\":3,\"recommended\":2,\"current\":1,\"busy\":1,"
    "\"backlog_jobs\":40,\"target_jobs\":4,\"oldest_seconds\":1.5,\"min\":1,\"max\":6,"
    "\"window_s\":300}]}";

//  A file's bytes, NUL-terminated (the caller frees)
static char *
s_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    char *data = malloc (1 << 20);
    assert_non_null (data);
    *size = fread (data, 1, (1 << 20) - 1, file);
    data [*size] = 0;
    fclose (file);
    return data;
}

//  The Spec of a GET /services answer as the engine wrote it: the bytes
//  from "Spec": to the matching brace (the vector's strings hold no braces
//  outside Spec's own that would fool this count; its template has
//  balanced {{ }})
static char *
s_spec_text (const char *json)
{
    const char *start = strstr (json, "\"Spec\":{");
    assert_non_null (start);
    start += 7;
    int depth = 0;
    bool in_string = false;
    const char *p = start;
    for (; *p; p++) {
        if (in_string) {
            if (*p == '\\')
                p++;
            else
            if (*p == '"')
                in_string = false;
        }
        else
        if (*p == '"')
            in_string = true;
        else
        if (*p == '{')
            depth++;
        else
        if (*p == '}' && --depth == 0)
            break;
    }
    assert_int_equal (*p, '}');
    return strndup (start, (size_t) (p - start + 1));
}

//  Usage: the sidecar's answer in, one entry out and how it is logged; a
//  Swarm service in, the body of the update that scales it out
static void
test_usage (void **state)
{
    (void) state;
    autoscaler_signal_t signal;
    char err [256];
    assert_int_equal (autoscaler_parse_signal (s_example, strlen (s_example), &signal,
                                               err, sizeof err), 0);
    const autoscaler_entry_t *entry = autoscaler_signal_find (&signal, "validator");
    assert_non_null (entry);
    assert_true (entry->valid);
    assert_int_equal (entry->desired, 3);
    assert_int_equal (entry->current, 1);
    assert_int_equal (entry->busy, 1);
    assert_int_equal (entry->backlog_jobs, 40);
    assert_int_equal (entry->target_jobs, 4);
    assert_true (entry->oldest_seconds == 1.5);
    assert_int_equal (entry->min, 1);
    assert_int_equal (entry->max, 6);
    assert_int_equal (entry->window_s, 300);
    assert_null (autoscaler_signal_find (&signal, "miner"));
    char line [300];
    autoscaler_describe (entry, line, sizeof line);
    assert_string_equal (line, "desired 3 (recommended now 2, current 1, busy 1, backlog 40 jobs, oldest 1.5 s, "
                               "target 4/replica, bounds 1..6, window 300 s)");

    const char *service = "{\"ID\":\"abc123\",\"Version\":{\"Index\":11},\"Spec\":{\"Name\":"
                          "\"zchain_validator\",\"Mode\":{\"Replicated\":{\"Replicas\":1}}}}";
    engine_service_t parsed;
    assert_int_equal (engine_service_parse (service, strlen (service), &parsed, err, sizeof err), 0);
    assert_string_equal (parsed.id, "abc123");
    assert_string_equal (parsed.name, "zchain_validator");
    assert_string_equal (parsed.version, "11");
    assert_true (parsed.replicated);
    assert_int_equal (parsed.replicas, 1);
    char *body = engine_update_body (parsed.json, parsed.json_size, 3, err, sizeof err);
    assert_string_equal (body, "{\"Name\":\"zchain_validator\",\"Mode\":{\"Replicated\":"
                               "{\"Replicas\":3}}}");
    free (body);
    engine_service_clear (&parsed);
    engine_service_clear (&parsed);     //  twice is harmless
}

//  What the answer may leave out, and what makes an entry or the whole
//  answer unusable
static void
test_signal_checks (void **state)
{
    (void) state;
    autoscaler_signal_t signal;
    char err [256];
    //  only service, desired, min and max are needed; the rest shows as ?
    const char *bare = "{\"services\":[{\"service\":\"validator\",\"desired\":2,\"min\":1,"
                       "\"max\":4,\"future_field\":[1,2]}],\"also\":\"ignored\"}";
    assert_int_equal (autoscaler_parse_signal (bare, strlen (bare), &signal, err, sizeof err), 0);
    const autoscaler_entry_t *entry = autoscaler_signal_find (&signal, "validator");
    assert_true (entry && entry->valid);
    assert_int_equal (entry->current, -1);
    assert_true (isnan (entry->oldest_seconds));
    char line [300];
    autoscaler_describe (entry, line, sizeof line);
    assert_string_equal (line, "desired 2 (recommended now ?, current ?, busy ?, backlog ? jobs, oldest ? s, "
                               "target ?/replica, bounds 1..4, window ? s)");

    //  what the sidecar on main renders (services/metrics/autoscale.c):
    //  more members, counts printed as doubles, and whether it has a signal
    const char *sidecar =
        "{\"services\":[{\"service\":\"validator\",\"desired\":3,\"recommended\":3,"
        "\"current\":1,\"busy\":1,\"backlog_jobs\":40,\"queued_jobs\":38,\"in_flight_jobs\":2,"
        "\"target_jobs\":4,\"oldest_seconds\":1.500,\"min\":1,\"max\":8,\"window_s\":300,"
        "\"signal\":true,\"dispatchers\":2}]}\n";
    assert_int_equal (autoscaler_parse_signal (sidecar, strlen (sidecar), &signal, err,
                                               sizeof err), 0);
    entry = autoscaler_signal_find (&signal, "validator");
    assert_true (entry && entry->valid && !entry->no_signal);
    assert_int_equal (entry->max, 8);
    const char *silent =
        "{\"services\":[{\"service\":\"validator\",\"desired\":1,\"current\":1,\"busy\":0,"
        "\"backlog_jobs\":0,\"target_jobs\":4.5,\"min\":1,\"max\":8,\"signal\":false}]}";
    assert_int_equal (autoscaler_parse_signal (silent, strlen (silent), &signal, err, sizeof err), 0);
    entry = autoscaler_signal_find (&signal, "validator");
    assert_true (entry && entry->valid);
    assert_true (entry->no_signal);
    //  a figure only shown may be fractional (rounded); a count that decides may not
    assert_int_equal (entry->target_jobs, 5);

    //  entries wrong in themselves: kept, not valid, with the reason
    struct { const char *entry; const char *why; } bad [] = {
        { "{\"service\":\"validator\",\"min\":1,\"max\":4}", "no desired" },
        { "{\"service\":\"validator\",\"desired\":2,\"max\":4}", "no min" },
        { "{\"service\":\"validator\",\"desired\":\"2\",\"min\":1,\"max\":4}", "desired is not a count" },
        { "{\"service\":\"validator\",\"desired\":-1,\"min\":1,\"max\":4}", "desired is not a count" },
        { "{\"service\":\"validator\",\"desired\":2.5,\"min\":1,\"max\":4}", "desired is not a count" },
        { "{\"service\":\"validator\",\"desired\":1e30,\"min\":1,\"max\":4}", "desired is not a count" },
        { "{\"service\":\"validator\",\"desired\":2,\"min\":1,\"max\":1001}", "max over 1000" },
        { "{\"service\":\"validator\",\"desired\":2,\"min\":1,\"max\":4,\"backlog_jobs\":1e12}",
          NULL },
        { "{\"service\":\"validator\",\"desired\":2,\"min\":1,\"max\":4,\"busy\":null}", "busy is not a count" },
        { "{\"service\":\"validator\",\"desired\":2,\"min\":5,\"max\":4}", "min 5 above max 4" },
        { "{\"service\":\"validator\",\"desired\":2,\"min\":1,\"max\":4,\"current\":1.5}",
          "current is not a count" },
        { "{\"service\":\"validator\",\"desired\":2,\"min\":1,\"max\":4,\"signal\":0}",
          "signal is not true or false" },
        { "{\"service\":\"validator\",\"desired\":2,\"min\":1,\"max\":4,\"oldest_seconds\":-1}",
          "oldest_seconds is not a duration" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char json [400];
        snprintf (json, sizeof json, "{\"services\":[%s]}", bad [i].entry);
        assert_int_equal (autoscaler_parse_signal (json, strlen (json), &signal, err, sizeof err), 0);
        entry = autoscaler_signal_find (&signal, "validator");
        assert_non_null (entry);
        //  NULL: a large count where large counts are fine
        assert_int_equal (entry->valid, bad [i].why == NULL);
        if (bad [i].why)
            assert_string_equal (entry->why, bad [i].why);
    }
    //  a service listed twice: neither wish is believed
    const char *twice = "{\"services\":[{\"service\":\"validator\",\"desired\":2,\"min\":1,"
                        "\"max\":4},{\"service\":\"validator\",\"desired\":3,\"min\":1,\"max\":4}]}";
    assert_int_equal (autoscaler_parse_signal (twice, strlen (twice), &signal, err, sizeof err), 0);
    assert_false (signal.entry [0].valid);
    assert_false (signal.entry [1].valid);
    assert_string_equal (signal.entry [0].why, "listed twice");
    //  an entry without a name can be found by none
    const char *nameless = "{\"services\":[{\"desired\":2,\"min\":1,\"max\":4},7]}";
    assert_int_equal (autoscaler_parse_signal (nameless, strlen (nameless), &signal, err,
                                               sizeof err), 0);
    assert_int_equal (signal.count, 2);
    assert_false (signal.entry [1].valid);
    assert_null (autoscaler_signal_find (&signal, ""));

    //  answers that are not usable at all
    const char *unusable [] = {
        "", "not json", "[]", "{}", "{\"services\":{}}", "{\"services\":null}", "null", "3",
        "{\"services\":[", "{\"services\":[]}garbage",
    };
    for (size_t i = 0; i < sizeof unusable / sizeof unusable [0]; i++)
        assert_int_equal (autoscaler_parse_signal (unusable [i], strlen (unusable [i]), &signal,
                                                   err, sizeof err), -1);
    //  an empty list parses: every service is then missing from it
    assert_int_equal (autoscaler_parse_signal ("{\"services\":[]}", 15, &signal, err, sizeof err), 0);
    assert_int_equal (signal.count, 0);

    //  more services than one answer may list
    char *many = malloc (100000);
    size_t n = (size_t) sprintf (many, "{\"services\":[");
    for (int i = 0; i <= AUTOSCALER_MAX_ENTRIES; i++)
        n += (size_t) sprintf (many + n, "%s{\"service\":\"s%d\",\"desired\":1,\"min\":1,\"max\":1}",
                               i ? "," : "", i);
    sprintf (many + n, "]}");
    assert_int_equal (autoscaler_parse_signal (many, strlen (many), &signal, err, sizeof err), -1);
    assert_non_null (strstr (err, "more than"));
    free (many);

    //  every truncation of the example: refused or parsed, never more
    for (size_t len = 0; len < strlen (s_example); len++)
        assert_int_equal (autoscaler_parse_signal (s_example, len, &signal, err, sizeof err), -1);
}

//  --service: NAME=SWARM_SERVICE, comma-separated
static void
test_map (void **state)
{
    (void) state;
    autoscaler_map_t map [4];
    char err [256];
    assert_int_equal (autoscaler_parse_map ("validator=zchain_validator", map, 4, err, sizeof err), 1);
    assert_string_equal (map [0].name, "validator");
    assert_string_equal (map [0].swarm, "zchain_validator");
    assert_int_equal (autoscaler_parse_map ("validator=zchain_validator, miner=zc.Miner-2", map, 4,
                                            err, sizeof err), 2);
    assert_string_equal (map [1].name, "miner");
    assert_string_equal (map [1].swarm, "zc.Miner-2");
    const char *bad [] = {
        "", "validator", "=zchain_validator", "validator=", "Validator=x", "validator=x/y",
        "validator=x?y", "validator=_x", "validator=x y", "validator=a,validator=b",
        "validator=a,miner=a", "a=1,b=2,c=3,d=4,e=5", "validator=a,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        assert_int_equal (autoscaler_parse_map (bad [i], map, 4, err, sizeof err), -1);
}

//  The update body from a real engine's answer: its Spec byte for byte,
//  but for the replica count
static void
test_update_body (void **state)
{
    (void) state;
    size_t size;
    char *json = s_slurp (ZC_SOURCE_DIR "/tests/vectors/docker-service-v1.41.json", &size);
    char err [256];
    engine_service_t service;
    assert_int_equal (engine_service_parse (json, size, &service, err, sizeof err), 0);
    assert_string_equal (service.name, "zc_rich");
    assert_string_equal (service.id, "liwd5r7svryyba0kynvhdn13z");
    assert_string_equal (service.version, "53");
    assert_int_equal (service.replicas, 2);

    char *spec = s_spec_text (json);
    char *body = engine_update_body (json, size, 5, err, sizeof err);
    assert_non_null (body);
    //  the same bytes but the one number: replace it back and compare
    char *mark = strstr (body, "\"Replicated\":{\"Replicas\":5}");
    assert_non_null (mark);
    assert_null (strstr (mark + 1, "\"Replicated\":"));
    mark [strlen ("\"Replicated\":{\"Replicas\":")] = '2';
    assert_string_equal (body, spec);
    //  what a parse and print again would have broken
    assert_non_null (strstr (body, "\"StopGracePeriod\":1209600000000000,"));
    assert_non_null (strstr (body, "a \\\"quoted\\\" label, \xc3\xbcn\xc3\xaf" "code & <tags>"));
    free (body);

    //  the same count is a valid body too (the caller does not send it)
    body = engine_update_body (json, size, 2, err, sizeof err);
    assert_string_equal (body, spec);
    free (body);
    free (spec);
    engine_service_clear (&service);

    //  every truncation: refused, never read past
    for (size_t len = 0; len < size; len += 7) {
        body = engine_update_body (json, len, 3, err, sizeof err);
        assert_null (body);
        assert_int_equal (engine_service_parse (json, len, &service, err, sizeof err), -1);
    }
    free (json);
}

//  Shapes of Spec the body must handle, and those it must refuse
static void
test_update_shapes (void **state)
{
    (void) state;
    char err [256];
    struct { const char *json; const char *body; } good [] = {
        //  PreviousSpec first and an Endpoint.Spec: only the top-level Spec counts
        { "{\"PreviousSpec\":{\"Mode\":{\"Replicated\":{\"Replicas\":9}}},\"Spec\":{\"Mode\":"
          "{\"Replicated\":{\"Replicas\":1}}},\"Endpoint\":{\"Spec\":{}}}",
          "{\"Mode\":{\"Replicated\":{\"Replicas\":4}}}" },
        //  Replicas absent (a nil count in Go): added, first
        { "{\"Spec\":{\"Mode\":{\"Replicated\":{}}}}",
          "{\"Mode\":{\"Replicated\":{\"Replicas\":4}}}" },
        { "{\"Spec\":{\"Mode\":{\"Replicated\":{\"Other\":true}}}}",
          "{\"Mode\":{\"Replicated\":{\"Replicas\":4,\"Other\":true}}}" },
        //  white space where the engine might put it, kept as it was
        { " { \"Spec\" : { \"A\" : [ 1 , { \"B\" : \"}\\\"\" } ] ,\n \"Mode\" : { \"Replicated\" "
          ": { \"Replicas\" : 1 } } } } ",
          "{ \"A\" : [ 1 , { \"B\" : \"}\\\"\" } ] ,\n \"Mode\" : { \"Replicated\" : { \"Replicas\" "
          ": 4 } } }" },
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        char *body = engine_update_body (good [i].json, strlen (good [i].json), 4, err, sizeof err);
        assert_non_null (body);
        assert_string_equal (body, good [i].body);
        free (body);
    }
    const char *bad [] = {
        "{\"Spec\":{\"Mode\":{\"Global\":{}}}}",                     //  not replicated
        "{\"Spec\":{\"Mode\":{\"ReplicatedJob\":{}}}}",
        "{\"Spec\":{}}", "{\"Spec\":[]}", "{}", "[]", "", "{\"Spec\":",
        "{\"Spec\":{\"Mode\":{\"Replicated\":[]}}}",
        //  where the scan and a parser could disagree: refused, not guessed
        ("{\"\\u0053pec\":{\"X\":1,\"Mode\":{\"Replicated\":{\"Replicas\":1}}},\"Spec\":"
         "{\"Mode\":{\"Replicated\":{\"Replicas\":1}}}}"),
        "{\"Spec\":{\"Mode\":{\"Replicated\":{\"Replicas\":1}},\"Mode\":{\"Global\":{}}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        assert_null (engine_update_body (bad [i], strlen (bad [i]), 4, err, sizeof err));
    //  deep nesting: refused or handled, never a crash
    size_t depth = 5000;
    char *deep = malloc (depth * 2 + 64);
    size_t n = (size_t) sprintf (deep, "{\"Spec\":{\"X\":");
    for (size_t i = 0; i < depth; i++)
        deep [n++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep [n++] = ']';
    sprintf (deep + n, ",\"Mode\":{\"Replicated\":{\"Replicas\":1}}}}");
    free (engine_update_body (deep, strlen (deep), 4, err, sizeof err));
    free (deep);

    //  a global service parses, as not replicated
    engine_service_t service;
    const char *global = "{\"ID\":\"x1\",\"Version\":{\"Index\":3},\"Spec\":{\"Name\":\"g\","
                         "\"Mode\":{\"Global\":{}}}}";
    assert_int_equal (engine_service_parse (global, strlen (global), &service, err, sizeof err), 0);
    assert_false (service.replicated);
    engine_service_clear (&service);
    const char *no_version = "{\"ID\":\"x1\",\"Spec\":{\"Name\":\"g\"}}";
    assert_int_equal (engine_service_parse (no_version, strlen (no_version), &service, err,
                                            sizeof err), -1);
    const char *bad_id = "{\"ID\":\"../x\",\"Version\":{\"Index\":3},\"Spec\":{\"Name\":\"g\"}}";
    assert_int_equal (engine_service_parse (bad_id, strlen (bad_id), &service, err, sizeof err), -1);
}

//  GET /info: only a manager will do
static void
test_info (void **state)
{
    (void) state;
    char err [256], node [80], server [64];
    const char *manager = "{\"ServerVersion\":\"20.10.24\",\"Swarm\":{\"NodeID\":\"n1\","
                          "\"LocalNodeState\":\"active\",\"ControlAvailable\":true}}";
    assert_int_equal (engine_info_parse (manager, strlen (manager), node, sizeof node, server,
                                         sizeof server, err, sizeof err), 0);
    assert_string_equal (node, "n1");
    assert_string_equal (server, "20.10.24");
    const char *worker = "{\"Swarm\":{\"NodeID\":\"n2\",\"LocalNodeState\":\"active\","
                         "\"ControlAvailable\":false}}";
    assert_int_equal (engine_info_parse (worker, strlen (worker), NULL, 0, NULL, 0, err,
                                         sizeof err), -1);
    assert_non_null (strstr (err, "not a swarm manager (Swarm.LocalNodeState active"));
    const char *alone = "{\"Swarm\":{\"NodeID\":\"\",\"LocalNodeState\":\"inactive\","
                        "\"ControlAvailable\":false}}";
    assert_int_equal (engine_info_parse (alone, strlen (alone), NULL, 0, NULL, 0, err,
                                         sizeof err), -1);
    assert_non_null (strstr (err, "inactive"));
    const char *odd [] = { "{}", "[]", "", "{\"Swarm\":{\"ControlAvailable\":\"true\"}}",
                           "{\"Swarm\":{\"ControlAvailable\":1}}" };
    for (size_t i = 0; i < sizeof odd / sizeof odd [0]; i++)
        assert_int_equal (engine_info_parse (odd [i], strlen (odd [i]), NULL, 0, NULL, 0, err,
                                             sizeof err), -1);
}

//  -- The real program ----------------------------------------------------

static char s_dir [64];

static void
s_path (char *out, size_t size, const char *name)
{
    snprintf (out, size, "%s/%s", s_dir, name);
}

//  Start zchain-autoscaler with args (NULL-terminated), its stdout and
//  stderr into DIR/log, as uid when uid >= 0 (a test run as root needs
//  another user to be refused). The pid.
static pid_t
s_start (int uid, const char *const *args)
{
    char program [512], log [128];
    snprintf (program, sizeof program, "%s/zchain-autoscaler", ZC_BIN_DIR);
    s_path (log, sizeof log, "log");
    unlink (log);
    const char *argv [16] = { "zchain-autoscaler" };
    int argc = 1;
    while (args && args [argc - 1] && argc < 15) {
        argv [argc] = args [argc - 1];
        argc++;
    }
    argv [argc] = NULL;
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
        }
        if (uid >= 0 && (setgroups (0, NULL) || setgid ((gid_t) uid) || setuid ((uid_t) uid)))
            _exit (126);
        //  nothing of the test's environment may point it elsewhere
        unsetenv ("ZC_AUTOSCALER_ENGINE");
        unsetenv ("ZC_AUTOSCALER_METRICS");
        execv (program, (char *const *) argv);
        _exit (127);
    }
    return pid;
}

//  What the program printed
static void
s_output (char *out, size_t size)
{
    char log [128];
    s_path (log, sizeof log, "log");
    FILE *file = fopen (log, "r");
    size_t n = file ? fread (out, 1, size - 1, file) : 0;
    out [n] = 0;
    if (file)
        fclose (file);
}

static int
s_lines (const char *text)
{
    int lines = 0;
    for (; *text; text++)
        lines += *text == '\n';
    return lines;
}

//  Run it against engine and expect a refusal: status 1 within timeout_s,
//  one line naming the engine path and saying what
static void
s_expect_refusal (int uid, const char *engine, const char *what, int timeout_s)
{
    const char *args [] = { "--engine", engine, "--metrics", "http://127.0.0.1:1", NULL };
    pid_t pid = s_start (uid, args);
    int status = testproc_wait_exit (pid, timeout_s);
    char out [4096];
    s_output (out, sizeof out);
    if (status == 126 || status == 127) {
        //  the other user could not run the build's program (a closed
        //  directory on its path): that part cannot be checked here
        print_message ("skipped: uid %d cannot run %s (status %d)\n", uid, ZC_BIN_DIR, status);
        return;
    }
    if (status != 1 || s_lines (out) != 1 || !strstr (out, engine) || !strstr (out, what))
        print_error ("expected one line naming %s and saying '%s', status 1; got status %d:\n%s",
                     engine, what, status, out);
    assert_int_equal (status, 1);
    assert_int_equal (s_lines (out), 1);
    assert_non_null (strstr (out, "zchain-autoscaler: "));
    assert_non_null (strstr (out, engine));
    assert_non_null (strstr (out, what));
}

//  A unix socket at path that listens (and, with an answer, writes it to
//  the first connection and closes); the listening fd
typedef struct {
    int fd;
    const char *answer;
    size_t repeat;                      //  the answer this many times
} s_listener_t;

static void *
s_answer (void *arg)
{
    s_listener_t *listener = arg;
    int conn = accept (listener->fd, NULL, NULL);
    if (conn >= 0) {
        char request [4096];
        ssize_t got = recv (conn, request, sizeof request, 0);
        (void) got;
        for (size_t i = 0; i < listener->repeat; i++)
            if (send (conn, listener->answer, strlen (listener->answer), MSG_NOSIGNAL) < 0)
                break;
        close (conn);
    }
    return NULL;
}

static int
s_listen (const char *path)
{
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf (addr.sun_path, sizeof addr.sun_path, "%s", path);
    unlink (path);
    assert_int_equal (bind (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (listen (fd, 8), 0);
    return fd;
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/zc-autoscaler-XXXXXX");
    assert_non_null (mkdtemp (s_dir));
    //  open to the unprivileged user of the permission test
    chmod (s_dir, 0755);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    const char *names [] = { "log", "none.sock", "dead.sock", "closed.sock", "silent.sock",
                             "garbage.sock", "big.sock", "file" };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++) {
        char path [128];
        s_path (path, sizeof path, names [i]);
        unlink (path);
    }
    rmdir (s_dir);
    return 0;
}

//  --help: status 0 and every option with its variable
static void
test_help (void **state)
{
    (void) state;
    const char *args [] = { "--help", NULL };
    pid_t pid = s_start (-1, args);
    assert_int_equal (testproc_wait_exit (pid, 20), 0);
    char out [8192];
    s_output (out, sizeof out);
    const char *expect [] = {
        "usage: zchain-autoscaler", "--metrics", "ZC_AUTOSCALER_METRICS", "http://127.0.0.1:7790",
        "--engine", "ZC_AUTOSCALER_ENGINE", "/var/run/docker.sock", "--service",
        "ZC_AUTOSCALER_SERVICE", "validator=zchain_validator", "--interval-ms",
        "ZC_AUTOSCALER_INTERVAL_MS", "5000", "--dry-run", "ZC_AUTOSCALER_DRY_RUN", "--log-level",
        "ZC_LOG_LEVEL", "--help",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect [0]; i++)
        if (!strstr (out, expect [i]))
            fail_msg ("--help does not show %s:\n%s", expect [i], out);
    //  bad options: status 2 and one line
    const char *bad [] [3] = {
        { "--service", "validator", NULL }, { "--metrics", "ftp://x", NULL },
        { "--interval-ms", "5", NULL }, { "--engine", "relative.sock", NULL },
        { "--log-level", "loud", NULL }, { "--no-such-option", NULL, NULL },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        pid = s_start (-1, bad [i]);
        assert_int_equal (testproc_wait_exit (pid, 20), 2);
        s_output (out, sizeof out);
        assert_int_equal (s_lines (out), 1);
    }
}

//  No socket at the path, or something else there
static void
test_refuses_missing_socket (void **state)
{
    (void) state;
    char path [128];
    s_path (path, sizeof path, "none.sock");
    s_expect_refusal (-1, path, "no engine socket at", 20);
    s_path (path, sizeof path, "none/deeper.sock");
    s_expect_refusal (-1, path, "no engine socket at", 20);
    s_path (path, sizeof path, "file");
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fclose (file);
    s_expect_refusal (-1, path, "is not a socket", 20);
}

//  A socket that nobody listens on (left by a dockerd that died)
static void
test_refuses_dead_socket (void **state)
{
    (void) state;
    char path [128];
    s_path (path, sizeof path, "dead.sock");
    close (s_listen (path));
    s_expect_refusal (-1, path, "nobody listens on the engine socket", 20);
}

//  A socket that listens but may not be written by the user running it
static void
test_refuses_without_permission (void **state)
{
    (void) state;
    char path [128];
    s_path (path, sizeof path, "closed.sock");
    int fd = s_listen (path);
    //  root passes permission checks: run it as nobody against a socket
    //  only root may write; anyone else is refused a socket with no mode bits
    bool root = geteuid () == 0;
    chmod (path, root ? 0600 : 0);
    s_expect_refusal (root ? 65534 : -1, path, "permission denied on the engine socket", 20);
    close (fd);
}

//  Something that is not a Docker engine, or that answers too much
static void
test_refuses_other_servers (void **state)
{
    (void) state;
    char path [128];
    s_path (path, sizeof path, "garbage.sock");
    s_listener_t listener = { s_listen (path), "hello\n", 1 };
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_answer, &listener), 0);
    s_expect_refusal (-1, path, "did not answer GET /_ping", 20);
    pthread_join (thread, NULL);
    close (listener.fd);

    s_listener_t other = { s_listen (path), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                                            "Connection: close\r\n\r\n", 1 };
    assert_int_equal (pthread_create (&thread, NULL, s_answer, &other), 0);
    s_expect_refusal (-1, path, "does not answer like a Docker engine (GET /_ping: HTTP 404)", 20);
    pthread_join (thread, NULL);
    close (other.fd);

    //  5 MB of answer without a length: cut at the cap
    s_path (path, sizeof path, "big.sock");
    static char chunk [65537];
    memset (chunk, 'x', sizeof chunk - 1);
    s_listener_t big = { s_listen (path), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 1 };
    //  the status line first, then the flood
    int fd = big.fd;
    pid_t pid = s_start (-1, (const char *[]) { "--engine", path, NULL });
    int conn = accept (fd, NULL, NULL);
    assert_true (conn >= 0);
    char request [4096];
    assert_true (recv (conn, request, sizeof request, 0) > 0);
    assert_true (send (conn, big.answer, strlen (big.answer), MSG_NOSIGNAL) > 0);
    for (int i = 0; i < 80; i++)
        if (send (conn, chunk, sizeof chunk - 1, MSG_NOSIGNAL) < 0)
            break;
    close (conn);
    close (fd);
    assert_int_equal (testproc_wait_exit (pid, 20), 1);
    char out [4096];
    s_output (out, sizeof out);
    assert_int_equal (s_lines (out), 1);
    assert_non_null (strstr (out, "answer over 4194304 bytes"));
}

//  An engine that never answers: the call has a deadline, and SIGTERM ends
//  the wait at once
static void
test_silent_engine (void **state)
{
    (void) state;
    char path [128];
    s_path (path, sizeof path, "silent.sock");
    int fd = s_listen (path);
    //  connected (the backlog takes it) and never answered
    int64_t start = zc_mono_ms ();
    s_expect_refusal (-1, path, "did not answer GET /_ping: no answer within 10.0 s", 30);
    assert_true (zc_mono_ms () - start >= 9000);

    pid_t pid = s_start (-1, (const char *[]) { "--engine", path, NULL });
    usleep (500 * 1000);
    start = zc_mono_ms ();
    kill (pid, SIGTERM);
    int status = testproc_wait_exit (pid, 10);
    int64_t took = zc_mono_ms () - start;
    char out [4096];
    s_output (out, sizeof out);
    //  a stop is no failure: status 0 and no error
    assert_int_equal (status, 0);
    assert_null (strstr (out, "zchain-autoscaler: "));
    if (took > 2500)
        fail_msg ("SIGTERM took %d ms to end it", (int) took);
    close (fd);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_signal_checks),
        cmocka_unit_test (test_map),
        cmocka_unit_test (test_update_body),
        cmocka_unit_test (test_update_shapes),
        cmocka_unit_test (test_info),
        cmocka_unit_test (test_help),
        cmocka_unit_test (test_refuses_missing_socket),
        cmocka_unit_test (test_refuses_dead_socket),
        cmocka_unit_test (test_refuses_without_permission),
        cmocka_unit_test (test_refuses_other_servers),
        cmocka_unit_test (test_silent_engine),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
