/*  testnode.c - integration test node */
#include "testnode.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "gateway.pb-c.h"
#include "storage.pb-c.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ZC_BIN_DIR
#define ZC_BIN_DIR "build/bin"
#endif

int
testnode_ports (void)
{
    //  10000 .. 32759: 569 blocks
    return 10000 + (int) (getpid () % 569) * TESTNODE_PORTS;
}

testnode_t *
testnode_start (const char *dir, const char *extra_args)
{
    testnode_t *self = calloc (1, sizeof *self);
    if (dir)
        snprintf (self->dir, sizeof self->dir, "%s", dir);
    else {
        snprintf (self->dir, sizeof self->dir, "/tmp/zc-node-XXXXXX");
        if (!mkdtemp (self->dir)) {
            free (self);
            return NULL;
        }
    }
    //  ports from the pid (test programs run in parallel) and a count of
    //  the nodes this program started (a node of a failed test may linger)
    static int started = 0;
    int base = testnode_ports () + (started++ % 13) * 3;
    self->http_port = base;
    self->metrics_port = base + 1;
    self->p2p_port = base + 2;
    snprintf (self->args, sizeof self->args, "%s", extra_args ? extra_args : "");
    char cmd [1024], log [256];
    snprintf (log, sizeof log, "%s/up.log", self->dir);
    snprintf (cmd, sizeof cmd, "exec %s/zchain --datadir %s up --http 127.0.0.1:%d --metrics 127.0.0.1:%d "
              "--p2p 127.0.0.1:%d %s", ZC_BIN_DIR, self->dir, self->http_port, self->metrics_port,
              self->p2p_port, self->args);
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
        }
        execl ("/bin/sh", "sh", "-c", cmd, (char *) NULL);
        _exit (127);
    }
    self->up = pid;
    //  the node's sockets are CURVE with the keys zchain up makes on first
    //  start: the test talks to it as the operator
    char endpoint [256], err [700], secret [300];
    snprintf (secret, sizeof secret, "%s/keys/operator.key_secret", self->dir);
    for (int i = 0; i < 300 && access (secret, R_OK) != 0; i++)
        usleep (100000);
    snprintf (endpoint, sizeof endpoint, "%s/keys", self->dir);
    self->keys = zc_keys_load (endpoint, ZC_ROLE_OPERATOR, err, sizeof err);
    if (!self->keys)
        fprintf (stderr, "testnode: %s\n", err);
    snprintf (endpoint, sizeof endpoint, "ipc://%s/run/gateway-api.sock", self->dir);
    self->client = self->keys ? zc_client_new_auth (endpoint, self->keys, ZC_SOCK_GATEWAY_API, err,
                                                    sizeof err)
                              : NULL;
    for (int i = 0; i < 300 && testnode_height (self, NULL) < 0; i++)
        usleep (100000);
    return self;
}

void
testnode_stop (testnode_t **self_p, bool keep_dir)
{
    testnode_t *self = *self_p;
    if (!self)
        return;
    zc_client_destroy (&self->client);
    zc_keys_destroy (&self->keys);
    if (self->up > 0) {
        kill (self->up, SIGTERM);
        waitpid (self->up, NULL, 0);
    }
    //  ZC_TEST_KEEP=1 keeps every node's directory (logs) for a post-mortem
    const char *keep = getenv ("ZC_TEST_KEEP");
    if (keep && *keep == '1') {
        fprintf (stderr, "kept %s\n", self->dir);
        keep_dir = true;
    }
    if (!keep_dir) {
        char cmd [256];
        snprintf (cmd, sizeof cmd, "rm -rf %s", self->dir);
        if (system (cmd) != 0)
            fprintf (stderr, "cannot remove %s\n", self->dir);
    }
    free (self);
    *self_p = NULL;
}

const uint8_t *
testnode_call (testnode_t *self, uint32_t type, const ProtobufCMessage *body, size_t *size_p,
               zc_err_t *reason)
{
    uint32_t got;
    const uint8_t *reply;
    zc_err_t rc = self->client ? zc_client_call (self->client, type, body, 3000, &got, &reply,
                                                 size_p, NULL)
                               : ZC_ERR_UNAVAILABLE;
    if (reason)
        *reason = rc;
    return rc == ZC_OK ? reply : NULL;
}

int64_t
testnode_height (testnode_t *self, uint8_t *tip32)
{
    //  storage's own answer, relayed by the gateway: the chain as it is
    Zc__GetTip req = ZC__GET_TIP__INIT;
    size_t size;
    const uint8_t *body = testnode_call (self, ZC__MSG_TYPE__GET_TIP, &req.base, &size, NULL);
    Zc__TipReply *tip = body ? zc__tip_reply__unpack (NULL, size, body) : NULL;
    if (!tip)
        return -1;
    int64_t h = tip->height;
    bool have_tip = tip->hash.len == 32;
    if (tip32 && have_tip)
        memcpy (tip32, tip->hash.data, 32);
    zc__tip_reply__free_unpacked (tip, NULL);
    return have_tip ? h : -1;
}

bool
testnode_wait_height (testnode_t *self, int64_t height, int timeout_s)
{
    int64_t deadline = zc_mono_ms () + (int64_t) timeout_s * 1000;
    while (zc_mono_ms () < deadline) {
        if (testnode_height (self, NULL) >= height)
            return true;
        usleep (100000);
    }
    return false;
}

int
testnode_cli (testnode_t *self, char *out, size_t out_size, const char *format, ...)
{
    char args [2048], cmd [2400];
    va_list ap;
    va_start (ap, format);
    vsnprintf (args, sizeof args, format, ap);
    va_end (ap);
    snprintf (cmd, sizeof cmd, "%s/zchain --datadir %s %s 2>>%s/cli.err", ZC_BIN_DIR, self->dir, args,
              self->dir);
    FILE *p = popen (cmd, "r");
    if (!p)
        return -1;
    size_t n = out ? fread (out, 1, out_size - 1, p) : 0;
    if (out)
        out [n] = 0;
    else {
        char sink [4096];
        while (fread (sink, 1, sizeof sink, p) > 0)
            ;
    }
    int status = pclose (p);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

int
testnode_http (testnode_t *self, int port, const char *method, const char *path,
               const char *body, char *out, size_t out_size)
{
    (void) self;
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr)) {
        close (fd);
        return -1;
    }
    size_t body_len = body ? strlen (body) : 0;
    char head [512];
    int n = snprintf (head, sizeof head, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n",
                      method, path, body_len);
    if (write (fd, head, (size_t) n) != n) {
        close (fd);
        return -1;
    }
    size_t sent = 0;
    while (sent < body_len) {
        ssize_t w = write (fd, body + sent, body_len - sent);
        if (w <= 0)
            break;
        sent += (size_t) w;
    }
    char *buf = malloc (1 << 20);
    size_t got = 0;
    ssize_t r;
    while (buf && got < (1 << 20) - 1 && (r = read (fd, buf + got, (1 << 20) - 1 - got)) > 0)
        got += (size_t) r;
    close (fd);
    if (!buf)
        return -1;
    buf [got] = 0;
    int status = 0;
    sscanf (buf, "HTTP/%*s %d", &status);
    char *start = strstr (buf, "\r\n\r\n");
    if (out)
        snprintf (out, out_size, "%s", start ? start + 4 : "");
    free (buf);
    return status;
}

pid_t
testnode_pid (testnode_t *self, const char *name)
{
    DIR *proc = opendir ("/proc");
    struct dirent *e;
    pid_t found = 0;
    char want [256];
    snprintf (want, sizeof want, "%s/run/", self->dir);
    while (proc && (e = readdir (proc)) && !found) {
        pid_t pid = (pid_t) atoi (e->d_name);
        if (pid <= 0)
            continue;
        char path [64], cmdline [4096];
        snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
        FILE *f = fopen (path, "r");
        if (!f)
            continue;
        size_t n = fread (cmdline, 1, sizeof cmdline - 1, f);
        fclose (f);
        cmdline [n] = 0;
        //  arguments are NUL-separated: "--instance" then the name
        bool ours = false, named = false;
        for (size_t i = 0; i < n; i += strlen (cmdline + i) + 1) {
            if (strstr (cmdline + i, want))
                ours = true;
            if (!strcmp (cmdline + i, "--instance") && i + 11 < n && !strcmp (cmdline + i + 11, name))
                named = true;
        }
        if (ours && named)
            found = pid;
    }
    if (proc)
        closedir (proc);
    return found;
}

//  The first series that matches name (its label too), or all summed
static double
s_metric_scan (testnode_t *self, const char *name, bool sum)
{
    //  "metric" or "metric{label=\"value\"}": the series' labels (service
    //  and instance come first) must contain the one asked for
    char base [128], label [128] = "";
    snprintf (base, sizeof base, "%s", name);
    char *brace = strchr (base, '{');
    if (brace) {
        snprintf (label, sizeof label, "%s", brace + 1);
        label [strcspn (label, "}")] = 0;
        *brace = 0;
    }
    size_t base_len = strlen (base);
    size_t room = 4 << 20;              //  a node's series with their help lines
    char *text = malloc (room);
    double value = -1;
    if (text && testnode_http (self, self->metrics_port, "GET", "/metrics", NULL, text, room) == 200) {
        for (char *line = text; line && *line && (sum || value < 0);
             line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL) {
            if (strncmp (line, base, base_len) != 0 || (line [base_len] != '{' && line [base_len] != ' '))
                continue;
            char *end = strchr (line, '\n');
            size_t len = end ? (size_t) (end - line) : strlen (line);
            char series [1024];
            snprintf (series, sizeof series, "%.*s", (int) (len < sizeof series ? len : sizeof series - 1), line);
            if (*label && !strstr (series, label))
                continue;
            const char *space = strrchr (series, ' ');
            if (space)
                value = (value < 0 ? 0 : value) + atof (space + 1);
        }
    }
    free (text);
    return value;
}

double
testnode_metric (testnode_t *self, const char *name)
{
    return s_metric_scan (self, name, false);
}

double
testnode_metric_sum (testnode_t *self, const char *name)
{
    return s_metric_scan (self, name, true);
}

long
testnode_rss_kb (testnode_t *self, const char *name)
{
    pid_t pid = testnode_pid (self, name);
    if (pid <= 0)
        return -1;
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    long kb = -1;
    while (file && fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            kb = atol (line + 6);
    if (file)
        fclose (file);
    return kb;
}
