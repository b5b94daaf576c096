/*  engine.c - the Docker Engine API calls of the autoscaler */
#include "engine.h"
#include "fetch.h"
#include "zc_log.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  Below 1.30 an engine asks the registry again on every update (and this
//  workplace's swarms have none to ask); every call used here is older
#define ENGINE_MIN_MINOR 30

struct _engine_t {
    char *path;
    fetch_t *fetch;
    char api [16];                      //  "1.41", what the engine speaks
    char describe [200];
};

engine_t *
engine_new (const char *socket_path, const volatile sig_atomic_t *stop)
{
    assert (socket_path);
    engine_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->path = strdup (socket_path);
    self->fetch = fetch_new (socket_path, ENGINE_TIMEOUT_MS, ENGINE_MAX_BYTES, stop);
    if (!self->path || !self->fetch)
        engine_destroy (&self);
    return self;
}

void
engine_destroy (engine_t **self_p)
{
    assert (self_p);
    engine_t *self = *self_p;
    if (self) {
        fetch_destroy (&self->fetch);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

const char *
engine_describe (engine_t *self)
{
    assert (self);
    return self->describe;
}

//  Copy at most max bytes of text into dst for a log line: what a server
//  says is shown, but never as control characters or a second line
static void
s_printable (char *dst, size_t dst_size, const char *text, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; text && text [i] && i < max && n + 1 < dst_size; i++) {
        unsigned char c = (unsigned char) text [i];
        dst [n++] = c >= 0x20 && c < 0x7f ? (char) c : '?';
    }
    dst [n] = 0;
}

//  The reason an engine gave for an error status: its JSON "message", or
//  the start of whatever it sent
static void
s_reason (const fetch_reply_t *reply, char *out, size_t out_size)
{
    cJSON *root = fetch_json (reply->body, reply->size);
    const cJSON *message = cJSON_GetObjectItemCaseSensitive (root, "message");
    if (cJSON_IsString (message))
        s_printable (out, out_size, message->valuestring, 300);
    else
        s_printable (out, out_size, reply->body, 120);
    cJSON_Delete (root);
}

//  "1.41" -> minor 41; -1 for anything else
static int
s_api_minor (const char *api)
{
    if (strncmp (api, "1.", 2) != 0)
        return -1;
    int minor = 0;
    const char *p = api + 2;
    if (!*p || strlen (p) > 3)
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        minor = minor * 10 + (*p - '0');
    }
    return minor;
}

int
engine_connect (engine_t *self, char *err, size_t err_size)
{
    assert (self);
    const char *path = self->path;
    //  stat first: a missing socket and a closed directory are the usual
    //  mistakes (no -v /var/run/docker.sock, or not run on a manager), and
    //  curl reports both as "could not connect"
    struct stat st;
    if (stat (path, &st)) {
        if (errno == ENOENT || errno == ENOTDIR)
            snprintf (err, err_size, "no engine socket at %s (is Docker running here, "
                      "and its socket mounted?)", path);
        else
        if (errno == EACCES)
            snprintf (err, err_size, "permission denied on the engine socket %s: a directory "
                      "on its path is closed to uid %d", path, (int) geteuid ());
        else
            snprintf (err, err_size, "cannot reach the engine socket %s: %s", path,
                      strerror (errno));
        return -1;
    }
    if (!S_ISSOCK (st.st_mode)) {
        snprintf (err, err_size, "%s is not a socket (--engine is the Docker engine's unix "
                  "socket)", path);
        return -1;
    }
    fetch_reply_t reply;
    char why [256];
    if (fetch_request (self->fetch, "GET", "http://docker/_ping", NULL, &reply,
                       why, sizeof why)) {
        int os_errno = fetch_os_errno (self->fetch);
        if (os_errno == ECONNREFUSED)
            snprintf (err, err_size, "nobody listens on the engine socket %s (is dockerd "
                      "running?)", path);
        else
        if (os_errno == EACCES || os_errno == EPERM)
            snprintf (err, err_size, "permission denied on the engine socket %s: uid %d may "
                      "not write it (run as root or in its group, gid %d)", path,
                      (int) geteuid (), (int) st.st_gid);
        else
        if (os_errno == ENOENT)
            snprintf (err, err_size, "no engine socket at %s (it went away)", path);
        else
            snprintf (err, err_size, "the engine at %s did not answer GET /_ping: %s", path, why);
        return -1;
    }
    if (reply.status != 200) {
        snprintf (err, err_size, "%s does not answer like a Docker engine (GET /_ping: HTTP %ld)",
                  path, reply.status);
        return -1;
    }
    char api [32];
    if (!fetch_header (self->fetch, "API-Version", api, sizeof api)) {
        snprintf (err, err_size, "%s does not answer like a Docker engine (GET /_ping gave no "
                  "API-Version)", path);
        return -1;
    }
    int minor = s_api_minor (api);
    if (minor < ENGINE_MIN_MINOR) {
        char shown [32];
        s_printable (shown, sizeof shown, api, 16);
        snprintf (err, err_size, "the engine at %s speaks API %s; this needs 1.%d or newer "
                  "(Docker 17.06 and later)", path, shown, ENGINE_MIN_MINOR);
        return -1;
    }
    snprintf (self->api, sizeof self->api, "1.%d", minor);

    char url [128];
    snprintf (url, sizeof url, "http://docker/v%s/info", self->api);
    if (fetch_request (self->fetch, "GET", url, NULL, &reply, why, sizeof why)) {
        snprintf (err, err_size, "the engine at %s did not answer GET /info: %s", path, why);
        return -1;
    }
    if (reply.status != 200) {
        char reason [320];
        s_reason (&reply, reason, sizeof reason);
        snprintf (err, err_size, "the engine at %s refused GET /info: HTTP %ld: %s", path,
                  reply.status, reason);
        return -1;
    }
    char node [80], server [64];
    if (engine_info_parse (reply.body, reply.size, node, sizeof node, server, sizeof server,
                           why, sizeof why)) {
        snprintf (err, err_size, "the engine at %s %s", path, why);
        return -1;
    }
    snprintf (self->describe, sizeof self->describe, "Docker %s, API %s, swarm manager %s",
              server, self->api, node);
    return 0;
}

int
engine_info_parse (const char *json, size_t size, char *node_id, size_t node_id_size,
                   char *server, size_t server_size, char *err, size_t err_size)
{
    assert (json);
    cJSON *root = fetch_json (json, size);
    if (!cJSON_IsObject (root)) {
        snprintf (err, err_size, "answered GET /info with something that is not JSON");
        cJSON_Delete (root);
        return -1;
    }
    const cJSON *swarm = cJSON_GetObjectItemCaseSensitive (root, "Swarm");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive (swarm, "LocalNodeState");
    const cJSON *control = cJSON_GetObjectItemCaseSensitive (swarm, "ControlAvailable");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive (swarm, "NodeID");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive (root, "ServerVersion");
    int rc = 0;
    if (!cJSON_IsObject (swarm)) {
        snprintf (err, err_size, "says nothing of a swarm in GET /info");
        rc = -1;
    }
    else
    if (!cJSON_IsTrue (control)) {
        char shown [40];
        s_printable (shown, sizeof shown, cJSON_IsString (state) ? state->valuestring : "?", 32);
        snprintf (err, err_size, "is not a swarm manager (Swarm.LocalNodeState %s, "
                  "ControlAvailable false): run the autoscaler on a manager", shown);
        rc = -1;
    }
    if (rc == 0 && node_id)
        s_printable (node_id, node_id_size, cJSON_IsString (id) ? id->valuestring : "?", 64);
    if (rc == 0 && server)
        s_printable (server, server_size, cJSON_IsString (version) ? version->valuestring : "?",
                     48);
    cJSON_Delete (root);
    return rc;
}

//  -- Services --------------------------------------------------------------

//  A name that is safe in a URL path as it is: what Docker allows in a
//  service name ([a-zA-Z0-9][a-zA-Z0-9_.-]*), and hex IDs
static bool
s_name_ok (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > 63 || name [0] == '.' || name [0] == '-' || name [0] == '_')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        ||    c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

//  A JSON number that is a whole count we can hold exactly
static bool
s_is_count (const cJSON *item)
{
    return cJSON_IsNumber (item) && item->valuedouble >= 0
        && item->valuedouble <= 9007199254740992.0 && floor (item->valuedouble) == item->valuedouble;
}

void
engine_service_clear (engine_service_t *service)
{
    assert (service);
    free (service->json);
    memset (service, 0, sizeof *service);
}

int
engine_service_parse (const char *json, size_t size, engine_service_t *service,
                      char *err, size_t err_size)
{
    assert (json && service);
    memset (service, 0, sizeof *service);
    cJSON *root = fetch_json (json, size);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive (root, "ID");
    const cJSON *index = cJSON_GetObjectItemCaseSensitive (
        cJSON_GetObjectItemCaseSensitive (root, "Version"), "Index");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive (root, "Spec");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive (spec, "Name");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive (spec, "Mode");
    const cJSON *replicated = cJSON_GetObjectItemCaseSensitive (mode, "Replicated");
    const cJSON *replicas = cJSON_GetObjectItemCaseSensitive (replicated, "Replicas");
    int rc = -1;
    if (!cJSON_IsObject (root))
        snprintf (err, err_size, "the service is not a JSON object");
    else
    if (!cJSON_IsString (id) || !s_name_ok (id->valuestring))
        snprintf (err, err_size, "the service has no ID");
    else
    if (!s_is_count (index))
        snprintf (err, err_size, "the service has no Version.Index");
    else
    if (!cJSON_IsObject (spec) || !cJSON_IsString (name))
        snprintf (err, err_size, "the service has no Spec.Name");
    else
    if (replicated && !cJSON_IsObject (replicated))
        snprintf (err, err_size, "the service's Spec.Mode.Replicated is not an object");
    else
    if (replicas && !s_is_count (replicas))
        snprintf (err, err_size, "the service's Spec.Mode.Replicated.Replicas is not a count");
    else {
        service->json = malloc (size + 1);
        if (!service->json)
            snprintf (err, err_size, "out of memory");
        else {
            memcpy (service->json, json, size);
            service->json [size] = 0;
            service->json_size = size;
            snprintf (service->id, sizeof service->id, "%s", id->valuestring);
            s_printable (service->name, sizeof service->name, name->valuestring, 64);
            snprintf (service->version, sizeof service->version, "%.0f", index->valuedouble);
            service->replicated = replicated != NULL;
            service->replicas = replicas ? (int64_t) replicas->valuedouble : 0;
            rc = 0;
        }
    }
    cJSON_Delete (root);
    return rc;
}

int
engine_service_read (engine_t *self, const char *name, engine_service_t *service,
                     char *err, size_t err_size)
{
    assert (self && name && service);
    memset (service, 0, sizeof *service);
    if (!s_name_ok (name)) {
        snprintf (err, err_size, "'%s' is not a service name", name);
        return -1;
    }
    char url [160], why [256];
    snprintf (url, sizeof url, "http://docker/v%s/services/%s", self->api, name);
    fetch_reply_t reply;
    if (fetch_request (self->fetch, "GET", url, NULL, &reply, why, sizeof why)) {
        snprintf (err, err_size, "GET /services/%s: %s", name, why);
        return -1;
    }
    if (reply.status == 404) {
        snprintf (err, err_size, "no service %s in this swarm", name);
        return -1;
    }
    if (reply.status != 200) {
        char reason [320];
        s_reason (&reply, reason, sizeof reason);
        snprintf (err, err_size, "GET /services/%s: HTTP %ld: %s", name, reply.status, reason);
        return -1;
    }
    if (engine_service_parse (reply.body, reply.size, service, why, sizeof why)) {
        snprintf (err, err_size, "GET /services/%s: %s", name, why);
        return -1;
    }
    //  the engine also takes an ID prefix for a name: make sure the service
    //  it found is the one named, not one whose ID happens to start so
    if (strcmp (service->name, name) != 0 && strcmp (service->id, name) != 0) {
        snprintf (err, err_size, "GET /services/%s answered service %s", name, service->name);
        engine_service_clear (service);
        return -1;
    }
    return 0;
}

int
engine_service_scale (engine_t *self, const engine_service_t *service, int64_t replicas,
                      char *err, size_t err_size)
{
    assert (self && service && service->json);
    assert (replicas >= 0);
    char why [256];
    char *body = engine_update_body (service->json, service->json_size, replicas,
                                     why, sizeof why);
    if (!body) {
        snprintf (err, err_size, "%s: %s", service->name, why);
        return -1;
    }
    char url [200];
    snprintf (url, sizeof url, "http://docker/v%s/services/%s/update?version=%s",
              self->api, service->id, service->version);
    fetch_reply_t reply;
    int rc = fetch_request (self->fetch, "POST", url, body, &reply, why, sizeof why);
    free (body);
    if (rc) {
        snprintf (err, err_size, "POST /services/%s/update: %s", service->name, why);
        return -1;
    }
    if (reply.status != 200) {
        char reason [320];
        s_reason (&reply, reason, sizeof reason);
        //  swarmkit's word for "changed since you read it": the version
        //  was not the current one
        if (strstr (reason, "out of sequence"))
            return 1;
        snprintf (err, err_size, "POST /services/%s/update: HTTP %ld: %s", service->name,
                  reply.status, reason);
        return -1;
    }
    cJSON *root = fetch_json (reply.body, reply.size);
    const cJSON *warnings = cJSON_GetObjectItemCaseSensitive (root, "Warnings");
    const cJSON *warning;
    int shown = 0;
    cJSON_ArrayForEach (warning, warnings) {
        if (cJSON_IsString (warning) && shown++ < 5) {
            char text [320];
            s_printable (text, sizeof text, warning->valuestring, 300);
            zc_warn ("%s: the engine warns: %s", service->name, text);
        }
    }
    cJSON_Delete (root);
    return 0;
}

//  -- Echoing a Spec --------------------------------------------------------
//  A scan of JSON text that finds where values start and end, so the
//  update can be the engine's own bytes with one number changed. The text
//  has parsed with cJSON before it is scanned; the scan still checks every
//  bound and depth, as the text is the engine's.

#define S_MAX_DEPTH 200

static const char *
s_ws (const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

//  Past the string at p (its opening quote), or NULL
static const char *
s_skip_string (const char *p, const char *end)
{
    assert (p < end && *p == '"');
    for (p++; p < end; p++) {
        if (*p == '\\') {
            if (++p == end)
                return NULL;
        }
        else
        if (*p == '"')
            return p + 1;
    }
    return NULL;
}

static const char *
s_skip_value (const char *p, const char *end, int depth);

//  Past the object or array at p, or NULL
static const char *
s_skip_container (const char *p, const char *end, int depth)
{
    char close = *p == '{' ? '}' : ']';
    bool object = *p == '{';
    p = s_ws (p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    while (p < end) {
        if (object) {
            if (*p != '"' || !(p = s_skip_string (p, end)))
                return NULL;
            p = s_ws (p, end);
            if (p == end || *p != ':')
                return NULL;
            p = s_ws (p + 1, end);
        }
        if (!(p = s_skip_value (p, end, depth + 1)))
            return NULL;
        p = s_ws (p, end);
        if (p < end && *p == close)
            return p + 1;
        if (p == end || *p != ',')
            return NULL;
        p = s_ws (p + 1, end);
    }
    return NULL;
}

//  Past the value at p, or NULL
static const char *
s_skip_value (const char *p, const char *end, int depth)
{
    if (p >= end || depth > S_MAX_DEPTH)
        return NULL;
    if (*p == '{' || *p == '[')
        return s_skip_container (p, end, depth);
    if (*p == '"')
        return s_skip_string (p, end);
    const char *start = p;
    while (p < end && (strchr ("+-.eE", *p) || (*p >= '0' && *p <= '9')
                   ||  (*p >= 'a' && *p <= 'z')))
        p++;
    return p > start ? p : NULL;
}

//  The value of key in the object at obj (its '{'), as [*start, *stop);
//  false when the object has no such key. Keys are compared as written:
//  the engine (Go's encoder) never escapes the letters of a key.
static bool
s_member (const char *obj, const char *end, const char *key,
          const char **start, const char **stop)
{
    if (obj >= end || *obj != '{')
        return false;
    size_t key_len = strlen (key);
    const char *p = s_ws (obj + 1, end);
    if (p < end && *p == '}')
        return false;
    while (p < end && *p == '"') {
        const char *k = p + 1;
        if (!(p = s_skip_string (p, end)))
            return false;
        bool match = (size_t) (p - 1 - k) == key_len && memcmp (k, key, key_len) == 0;
        p = s_ws (p, end);
        if (p == end || *p != ':')
            return false;
        p = s_ws (p + 1, end);
        const char *value = p;
        if (!(p = s_skip_value (p, end, 1)))
            return false;
        if (match) {
            *start = value;
            *stop = p;
            return true;
        }
        p = s_ws (p, end);
        if (p == end || *p != ',')
            return false;
        p = s_ws (p + 1, end);
    }
    return false;
}

//  True when body, parsed, is json's Spec with Replicas set to replicas:
//  the check that the scan above and cJSON read the same document (they
//  would not for a key written with escapes, or a key given twice)
static bool
s_is_echo (const char *json, size_t size, const char *body, int64_t replicas)
{
    cJSON *root = fetch_json (json, size);
    cJSON *want = cJSON_Duplicate (cJSON_GetObjectItemCaseSensitive (root, "Spec"), 1);
    cJSON *got = fetch_json (body, strlen (body));
    cJSON *replicated = cJSON_GetObjectItemCaseSensitive (
        cJSON_GetObjectItemCaseSensitive (want, "Mode"), "Replicated");
    bool same = false;
    if (cJSON_IsObject (replicated) && got) {
        cJSON *number = cJSON_CreateNumber ((double) replicas);
        if (number) {
            if (cJSON_HasObjectItem (replicated, "Replicas"))
                cJSON_ReplaceItemInObjectCaseSensitive (replicated, "Replicas", number);
            else
                cJSON_AddItemToObject (replicated, "Replicas", number);
            //  AddItem appends where the echo puts Replicas first: members
            //  are compared by name, not by order
            same = cJSON_Compare (want, got, 1);
        }
    }
    cJSON_Delete (got);
    cJSON_Delete (want);
    cJSON_Delete (root);
    return same;
}

char *
engine_update_body (const char *json, size_t size, int64_t replicas, char *err, size_t err_size)
{
    assert (json);
    assert (replicas >= 0);
    const char *end = json + size;
    const char *root = s_ws (json, end);
    const char *spec, *spec_end, *mode, *mode_end, *repl, *repl_end, *num, *num_end;
    if (!s_member (root, end, "Spec", &spec, &spec_end) || *spec != '{') {
        snprintf (err, err_size, "the service has no Spec");
        return NULL;
    }
    if (!s_member (spec, spec_end, "Mode", &mode, &mode_end) || *mode != '{'
    ||  !s_member (mode, mode_end, "Replicated", &repl, &repl_end) || *repl != '{') {
        snprintf (err, err_size, "not a replicated service (Spec.Mode has no Replicated)");
        return NULL;
    }
    char number [40];
    //  inserted when absent (Go leaves out a nil *uint64), first in the
    //  object, with a comma when others follow
    bool found = s_member (repl, repl_end, "Replicas", &num, &num_end);
    if (found)
        snprintf (number, sizeof number, "%" PRId64, replicas);
    else {
        num = num_end = repl + 1;
        bool empty = *s_ws (repl + 1, repl_end) == '}';
        snprintf (number, sizeof number, "\"Replicas\":%" PRId64 "%s", replicas, empty ? "" : ",");
    }
    size_t head = (size_t) (num - spec);
    size_t tail = (size_t) (spec_end - num_end);
    size_t len = strlen (number);
    char *body = malloc (head + len + tail + 1);
    if (!body) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    memcpy (body, spec, head);
    memcpy (body + head, number, len);
    memcpy (body + head + len, num_end, tail);
    body [head + len + tail] = 0;
    if (!s_is_echo (json, size, body, replicas)) {
        snprintf (err, err_size, "the service's Spec could not be echoed exactly "
                  "(a key written with escapes, or given twice?)");
        free (body);
        return NULL;
    }
    return body;
}
