/*  fetch.c - bounded HTTP requests with libcurl */
#include "fetch.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

//  Headers are short; a server that sends more than this is not one we know
#define FETCH_MAX_HEADER_BYTES (16 * 1024)

struct _fetch_t {
    CURL *curl;
    char *unix_path;
    int64_t timeout_ms;
    size_t max_bytes;
    const volatile sig_atomic_t *stop;
    char *body;                         //  the last answer, NUL-terminated
    size_t size;
    size_t capacity;
    bool too_big;                       //  the answer passed max_bytes
    char headers [FETCH_MAX_HEADER_BYTES + 1];
    size_t headers_size;
    long os_errno;
    char curl_err [CURL_ERROR_SIZE];
};

static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    fetch_t *self = arg;
    size_t bytes = size * count;
    if (bytes > self->max_bytes - self->size) {
        self->too_big = true;
        return 0;                       //  libcurl ends the transfer with a write error
    }
    if (self->size + bytes + 1 > self->capacity) {
        size_t capacity = self->capacity ? self->capacity : 16384;
        while (capacity < self->size + bytes + 1)
            capacity *= 2;
        if (capacity > self->max_bytes + 1)
            capacity = self->max_bytes + 1;
        char *grown = realloc (self->body, capacity);
        if (!grown)
            return 0;
        self->body = grown;
        self->capacity = capacity;
    }
    memcpy (self->body + self->size, data, bytes);
    self->size += bytes;
    self->body [self->size] = 0;
    return bytes;
}

static size_t
s_on_header (char *data, size_t size, size_t count, void *arg)
{
    fetch_t *self = arg;
    size_t bytes = size * count;
    //  a status line starts the headers of each response (a 100 Continue
    //  has its own): keep only the last response's
    if (bytes >= 5 && memcmp (data, "HTTP/", 5) == 0)
        self->headers_size = 0;
    if (bytes > FETCH_MAX_HEADER_BYTES - self->headers_size) {
        self->too_big = true;
        return 0;
    }
    memcpy (self->headers + self->headers_size, data, bytes);
    self->headers_size += bytes;
    self->headers [self->headers_size] = 0;
    return bytes;
}

//  libcurl calls this often while data moves and about once a second while
//  it waits, which bounds how long a stop waits for a slow server
static int
s_on_progress (void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
               curl_off_t ulnow)
{
    (void) dltotal; (void) dlnow; (void) ultotal; (void) ulnow;
    fetch_t *self = arg;
    return self->stop && *self->stop ? 1 : 0;
}

fetch_t *
fetch_new (const char *unix_path, int64_t timeout_ms, size_t max_bytes,
           const volatile sig_atomic_t *stop)
{
    assert (timeout_ms > 0);
    assert (max_bytes > 0);
    fetch_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->curl = curl_easy_init ();
    self->unix_path = unix_path ? strdup (unix_path) : NULL;
    if (!self->curl || (unix_path && !self->unix_path)) {
        fetch_destroy (&self);
        return NULL;
    }
    self->timeout_ms = timeout_ms;
    self->max_bytes = max_bytes;
    self->stop = stop;
    return self;
}

void
fetch_destroy (fetch_t **self_p)
{
    assert (self_p);
    fetch_t *self = *self_p;
    if (self) {
        if (self->curl)
            curl_easy_cleanup (self->curl);
        free (self->unix_path);
        free (self->body);
        free (self);
        *self_p = NULL;
    }
}

//  The options every request gets, set again each time so that nothing a
//  previous request set (a POST body) leaks into the next
static void
s_setup (fetch_t *self, const char *url)
{
    CURL *curl = self->curl;
    curl_easy_reset (curl);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    //  no SIGALRM for timeouts: the process's signals stay its own
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS,
                      (long) (self->timeout_ms < 3000 ? self->timeout_ms : 3000));
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http");
#else
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS, (long) CURLPROTO_HTTP);
#endif
    curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
    //  refused before a byte of the body when the server says its length
    curl_easy_setopt (curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) self->max_bytes);
    if (self->unix_path)
        curl_easy_setopt (curl, CURLOPT_UNIX_SOCKET_PATH, self->unix_path);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, self);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, self);
    curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, s_on_progress);
    curl_easy_setopt (curl, CURLOPT_XFERINFODATA, self);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, self->curl_err);
    curl_easy_setopt (curl, CURLOPT_USERAGENT, "zchain-autoscaler");
}

int
fetch_request (fetch_t *self, const char *method, const char *url, const char *body,
               fetch_reply_t *reply, char *err, size_t err_size)
{
    assert (self);
    assert (method && url && reply);
    memset (reply, 0, sizeof *reply);
    self->size = 0;
    if (self->body)
        self->body [0] = 0;
    self->headers_size = 0;
    self->headers [0] = 0;
    self->too_big = false;
    self->os_errno = 0;
    self->curl_err [0] = 0;

    s_setup (self, url);
    struct curl_slist *headers = NULL;
    if (strcmp (method, "POST") == 0) {
        assert (body);
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen (body));
        headers = curl_slist_append (headers, "Content-Type: application/json");
        //  no 100-continue round trip: the engine takes the body at once
        headers = curl_slist_append (headers, "Expect:");
        if (!headers) {
            snprintf (err, err_size, "out of memory");
            return -1;
        }
        curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, headers);
    }
    else {
        assert (strcmp (method, "GET") == 0);
        curl_easy_setopt (self->curl, CURLOPT_HTTPGET, 1L);
    }
    CURLcode rc = curl_easy_perform (self->curl);
    curl_slist_free_all (headers);
    curl_easy_getinfo (self->curl, CURLINFO_OS_ERRNO, &self->os_errno);
    if (rc != CURLE_OK) {
        if (self->too_big || rc == CURLE_FILESIZE_EXCEEDED)
            snprintf (err, err_size, "answer over %zu bytes", self->max_bytes);
        else
        if (rc == CURLE_ABORTED_BY_CALLBACK)
            snprintf (err, err_size, "stopped");
        else
        if (rc == CURLE_OPERATION_TIMEDOUT)
            snprintf (err, err_size, "no answer within %.1f s", (double) self->timeout_ms / 1000);
        else
            snprintf (err, err_size, "%s", self->curl_err [0] ? self->curl_err
                                                            : curl_easy_strerror (rc));
        return -1;
    }
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &reply->status);
    reply->body = self->body ? self->body : "";
    reply->size = self->size;
    return 0;
}

int
fetch_os_errno (fetch_t *self)
{
    assert (self);
    return (int) self->os_errno;
}

bool
fetch_header (fetch_t *self, const char *name, char *value, size_t value_size)
{
    assert (self);
    assert (name && value && value_size > 0);
    size_t name_len = strlen (name);
    const char *line = self->headers;
    while (*line) {
        const char *eol = strchr (line, '\n');
        size_t len = eol ? (size_t) (eol - line) : strlen (line);
        if (len > name_len && line [name_len] == ':' && strncasecmp (line, name, name_len) == 0) {
            const char *v = line + name_len + 1;
            const char *v_end = line + len;
            while (v < v_end && (*v == ' ' || *v == '\t'))
                v++;
            while (v_end > v && (v_end [-1] == '\r' || v_end [-1] == ' ' || v_end [-1] == '\t'))
                v_end--;
            snprintf (value, value_size, "%.*s", (int) (v_end - v), v);
            return true;
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    return false;
}

struct cJSON *
fetch_json (const char *text, size_t size)
{
    assert (text || size == 0);
    if (!text)
        return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts (text, size, &end, false);
    if (!root)
        return NULL;
    for (const char *p = end; p < text + size; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete (root);
            return NULL;
        }
    return root;
}
