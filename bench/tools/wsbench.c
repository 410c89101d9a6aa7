/*
 * wsbench.c - the two figures of bench/run.sh that ../shared/bench/wsload.c has no mode for:
 *
 *   echo       the wsload echo shape over wss:// (or ws://, to calibrate against wsload): each
 *              connection keeps --depth messages in flight, every echo is checked byte for byte,
 *              msgs/s and round-trip percentiles over the measured window.
 *   broadcast  opens --conns connections, proves every one is served (one echoed message each),
 *              then --rounds times sends "!broadcast BODY" on connection 0 and measures the time
 *              until the last of the N connections has received BODY (checked byte for byte).
 *
 * Single-threaded epoll like wsload, OpenSSL for wss:// (certificates are not verified: the
 * benchmark's servers use a throw-away self-signed one on loopback). Loopback targets only.
 *
 * --json: the payloads are JSON documents of exactly --size bytes, a pool of 64 different ones
 * generated at start (1C-style records: Cyrillic names from a small vocabulary, random numbers
 * and dates), message seq of connection id = pool[(seq * 7 + id * 13) % 64].
 * --deflate: offers permessage-deflate (RFC 7692) with client_no_context_takeover, so each
 * message the client sends is compressed on its own (the pool is compressed once, after the
 * first handshake, with the negotiated window); what the server sends is inflated with the
 * server's context (reset per message if it chose server_no_context_takeover) and checked.
 * Echo results then carry wire_bytes_per_msg: bytes read and written on the sockets (frames
 * and headers) per echoed message, both directions; payload_bytes_per_msg is 2 x --size.
 *
 * push       opens --conns connections, proves every one is served, then POSTs --pushes bodies of
 *            --size bytes one after another over one keep-alive HTTP/1.1 connection to --push-url
 *            (with each --push-header), each to be delivered to every connection; checks that every
 *            connection got every body in order; reports pushes/s (request to response) and
 *            deliveries/s (first request until the last connection has the last body). For the
 *            push endpoint of issue 11; the references have one at POST /push.
 *
 * Build: gcc -O2 -std=c11 -Wall -Wextra -o wsbench wsbench.c -lssl -lcrypto -lz -lm
 * Prints one final line: RESULT mode=... key=value ...; exit 0 ok, 2 error.
 */
#include "wscommon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <zlib.h>

enum { M_ECHO, M_BROADCAST, M_PUSH };
static struct {
    int mode, conns, depth, rounds, conc, server_pid, tls, binary, json, deflate;
    size_t size;
    double seconds, warmup, pause, timeout;
    char host[256], port[16], path[512], url[1024];
    char push_host[256], push_port[16], push_path[512], push_headers[2048]; int pushes;
    struct sockaddr_storage addr;
    socklen_t addrlen;
} cfg = {.mode = M_ECHO, .conns = 1, .depth = 1, .rounds = 5, .conc = 100, .size = 32,
         .seconds = 10, .warmup = 1, .pause = 0.2, .timeout = 30};

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wsbench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

/* ------------------------------------------------------------------------- */
enum { S_IDLE, S_CONNECTING, S_TLS, S_HANDSHAKE, S_OPEN, S_CLOSING, S_DONE };

typedef struct conn {
    int fd, id, state, out_on;
    SSL *ssl;
    uint8_t *rbuf; size_t rlen, rcap;
    uint8_t *wbuf; size_t wlen, woff, wcap;
    uint8_t *mbuf; size_t mlen, mcap; int in_msg, msg_op; /* a fragmented message being assembled */
    char key[32], accept[32];
    int pmd, pmd_srv_nct, pmd_compressed; /* permessage-deflate negotiated; the message being assembled is compressed */
    z_stream inf; int inf_on;
    uint8_t *ibuf; size_t icap;
    uint64_t send_seq, recv_seq, *ts;
    uint64_t got_at; /* broadcast: arrival time in the current round, 0 if not yet */
} conn;

static conn *conns;
static int ep = -1;
static SSL_CTX *ssl_ctx;
static int launched, pending, established, failed, errors;
static uint64_t sent_total, recv_total;
static int measuring, sending;
static hist_t hist;
static uint8_t *pattern;
#define PATVAR 251
#define POOL 64
static uint8_t *pool[POOL];                 /* --json documents */
static uint8_t *zpool[POOL]; static size_t zlen[POOL]; static int zbits; /* compressed (--deflate) */
static uint64_t wire_in, wire_out;

static void fail_conn(conn *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ERROR: connection %d: ", c->id);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    errors++;
}

static void make_pattern(void) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,-_:;?";
    size_t n = cfg.size + PATVAR + 8;
    pattern = malloc(n);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        pattern[i] = cfg.binary ? (uint8_t)(x >> 40) : (uint8_t)A[(x >> 32) % (sizeof A - 1)];
    }
}
static inline int pool_index(int id, uint64_t seq) { return (int)((seq * 7 + (uint64_t)id * 13) % POOL); }
static inline const uint8_t *expected_msg(int id, uint64_t seq) {
    if (cfg.json) return pool[pool_index(id, seq)];
    return pattern + (size_t)((seq * 7 + (uint64_t)id * 13) % PATVAR);
}

/* 64 JSON documents of exactly cfg.size bytes: an array of records as 1C code would send them. */
static void make_json_pool(void) {
    static const char *names[] = {"Молоко 3,2%", "Хлеб ржаной", "Сыр Российский", "Кофе зерновой 1 кг", "Чай чёрный",
                                  "Бумага А4", "Картридж HP 85A", "Стол офисный", "Кресло рабочее", "Монитор 27\""};
    static const char *stores[] = {"Основной склад", "Склад № 2", "Магазин на Ленина", "Розница (Москва)"};
    uint64_t x = 0xC0FFEE1234567ull;
    for (int k = 0; k < POOL; k++) {
        uint8_t *b = malloc(cfg.size + 512);
        size_t n = (size_t)sprintf((char *)b, "{\"Документ\":\"РеализацияТоваровУслуг\",\"Номер\":\"ТД-%06d\",\"Строки\":[", k * 7919 % 1000000);
        int row = 0;
        for (;;) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            char rec[512];
            int rl = snprintf(rec, sizeof rec,
                              "%s{\"НомерСтроки\":%d,\"Номенклатура\":\"%s\",\"Склад\":\"%s\",\"Количество\":%u,"
                              "\"Цена\":%u.%02u,\"СтавкаНДС\":\"НДС20\",\"Дата\":\"2026-%02u-%02uT%02u:%02u:00\"}",
                              row ? "," : "", row + 1, names[(x >> 8) % 10], stores[(x >> 16) % 4], (unsigned)((x >> 20) % 500 + 1),
                              (unsigned)((x >> 30) % 100000), (unsigned)((x >> 50) % 100), (unsigned)((x >> 3) % 12 + 1),
                              (unsigned)((x >> 12) % 28 + 1), (unsigned)((x >> 24) % 24), (unsigned)((x >> 40) % 60));
            if (n + (size_t)rl + 16 > cfg.size) break;
            memcpy(b + n, rec, (size_t)rl);
            n += (size_t)rl;
            row++;
        }
        /* close the array and pad with a comment field to exactly cfg.size bytes */
        const char *tail = "],\"_\":\"";
        memcpy(b + n, tail, strlen(tail)); n += strlen(tail);
        while (n + 2 < cfg.size) b[n++] = ' ';
        b[n++] = '"'; b[n++] = '}';
        if (n != cfg.size) die("--json needs --size >= 200");
        pool[k] = b;
    }
}

static void compress_pool(int bits) {
    zbits = bits;
    for (int k = 0; k < POOL; k++) {
        z_stream z = {0};
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("deflateInit2");
        size_t cap = deflateBound(&z, cfg.size) + 16;
        zpool[k] = malloc(cap);
        z.next_in = cfg.json ? pool[k] : pattern + k % PATVAR;
        z.avail_in = (uInt)cfg.size;
        z.next_out = zpool[k];
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_SYNC_FLUSH) != Z_OK) die("deflate");
        size_t n = cap - z.avail_out;
        if (n < 4 || memcmp(zpool[k] + n - 4, "\0\0\xff\xff", 4)) die("deflate: no sync flush tail");
        zlen[k] = n - 4; /* RFC 7692 7.2.1: the tail 00 00 ff ff is removed */
        deflateEnd(&z);
    }
}

static void set_out(conn *c, int on) {
    if (c->out_on == on || c->fd < 0) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    c->out_on = on;
}

static void reserve(uint8_t **b, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t n = *cap ? *cap : 512;
    while (n < need) n *= 2;
    *b = realloc(*b, n);
    if (!*b) die("out of memory");
    *cap = n;
}

static void append_frame_rsv(conn *c, int op, const uint8_t *p, size_t n, int rsv1) {
    if (c->woff && c->woff == c->wlen) c->woff = c->wlen = 0;
    reserve(&c->wbuf, &c->wcap, c->wlen + n + 14);
    uint8_t *h = c->wbuf + c->wlen;
    size_t hl;
    h[0] = (uint8_t)(0x80 | (rsv1 ? 0x40 : 0) | op);
    if (n < 126) { h[1] = (uint8_t)(0x80 | n); hl = 2; }
    else if (n < 65536) { h[1] = 0x80 | 126; h[2] = (uint8_t)(n >> 8); h[3] = (uint8_t)n; hl = 4; }
    else { h[1] = 0x80 | 127; for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i)); hl = 10; }
    uint32_t mask = (uint32_t)(rng_next() >> 32);
    uint8_t m[4];
    memcpy(m, &mask, 4);
    memcpy(h + hl, m, 4);
    hl += 4;
    for (size_t i = 0; i < n; i++) h[hl + i] = p[i] ^ m[i & 3];
    c->wlen += hl + n;
}
static void append_frame(conn *c, int op, const uint8_t *p, size_t n) { append_frame_rsv(c, op, p, n, 0); }

static void close_fd(conn *c) {
    if (c->inf_on) { inflateEnd(&c->inf); c->inf_on = 0; }
    if (c->ssl) { SSL_free(c->ssl); c->ssl = NULL; }
    if (c->fd >= 0) { epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); close(c->fd); c->fd = -1; }
}

/* >0 bytes, 0 EOF, -1 try later, -2 error */
static ssize_t io_read(conn *c, uint8_t *b, size_t n) {
    if (!c->ssl) {
        ssize_t r = recv(c->fd, b, n, 0);
        if (r > 0) wire_in += (uint64_t)r;
        if (r >= 0) return r;
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : -2;
    }
    int r = SSL_read(c->ssl, b, (int)(n > 1 << 30 ? 1 << 30 : n));
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) return -1;
    if (e == SSL_ERROR_WANT_WRITE) { set_out(c, 1); return -1; }
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    return -2;
}

/* 0 ok (maybe pending, EPOLLOUT armed), -1 error */
static int flush_conn(conn *c) {
    while (c->woff < c->wlen) {
        size_t n = c->wlen - c->woff;
        if (!c->ssl) {
            ssize_t r = send(c->fd, c->wbuf + c->woff, n, MSG_NOSIGNAL);
            if (r > 0) { c->woff += (size_t)r; wire_out += (uint64_t)r; continue; }
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { set_out(c, 1); return 0; }
            return -1;
        }
        int r = SSL_write(c->ssl, c->wbuf + c->woff, (int)(n > 1 << 30 ? 1 << 30 : n));
        if (r > 0) { c->woff += (size_t)r; continue; }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) { set_out(c, 1); return 0; }
        return -1;
    }
    c->woff = c->wlen = 0;
    if (c->out_on && c->state != S_CONNECTING && c->state != S_TLS) set_out(c, 0);
    return 0;
}

static void launch(conn *c) {
    c->fd = socket(cfg.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = S_CONNECTING;
    launched++; pending++;
    if (connect(c->fd, (struct sockaddr *)&cfg.addr, cfg.addrlen) < 0 && errno != EINPROGRESS) {
        fail_conn(c, "connect: %s", strerror(errno));
        close_fd(c); c->state = S_DONE; failed++; pending--;
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    c->out_on = 1;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl ADD: %s", strerror(errno));
}

static void launch_more(void) {
    while (launched < cfg.conns && pending < cfg.conc) launch(&conns[launched]);
}

static void start_ws_handshake(conn *c) {
    c->state = S_HANDSHAKE;
    ws_new_key(c->key, c->accept);
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                     cfg.path, cfg.host, cfg.port, c->key,
                     cfg.deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; client_max_window_bits\r\n" : "");
    reserve(&c->wbuf, &c->wcap, c->wlen + (size_t)n);
    memcpy(c->wbuf + c->wlen, req, (size_t)n);
    c->wlen += (size_t)n;
}

static void conn_broken(conn *c, const char *why) {
    if (c->state == S_CONNECTING || c->state == S_TLS || c->state == S_HANDSHAKE) {
        fail_conn(c, "could not connect: %s", why);
        failed++; pending--;
    } else if (c->state == S_OPEN) {
        fail_conn(c, "connection lost: %s", why);
    }
    close_fd(c);
    c->state = S_DONE;
    launch_more();
}

static int tls_step(conn *c) {
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        set_out(c, 1);
        start_ws_handshake(c);
        return flush_conn(c);
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) { set_out(c, 0); return 0; }
    if (e == SSL_ERROR_WANT_WRITE) { set_out(c, 1); return 0; }
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    fail_conn(c, "TLS handshake: %s", buf);
    return -1;
}

/* 1 done, 0 need more, -1 failed */
static int process_handshake(conn *c) {
    uint8_t *end = NULL;
    for (size_t i = 3; i < c->rlen; i++)
        if (c->rbuf[i] == '\n' && c->rbuf[i - 1] == '\r' && c->rbuf[i - 2] == '\n' && c->rbuf[i - 3] == '\r') { end = c->rbuf + i + 1; break; }
    if (!end) return c->rlen > 16384 ? -1 : 0;
    size_t hl = (size_t)(end - c->rbuf);
    char *h = malloc(hl + 1);
    memcpy(h, c->rbuf, hl);
    h[hl] = 0;
    int ok = !strncmp(h, "HTTP/1.1 101", 12);
    char *x = strcasestr(h, "\r\nSec-WebSocket-Extensions:");
    if (x) {
        char *e = strstr(x + 2, "\r\n");
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(e ? e - x - 2 : 0), x + 2);
        if (!cfg.deflate || !strstr(line, "permessage-deflate")) { fail_conn(c, "extension never offered: %s", line); ok = 0; }
        else {
            c->pmd = 1;
            c->pmd_srv_nct = strstr(line, "server_no_context_takeover") != NULL;
            int sbits = 15, cbits = 15;
            char *q = strstr(line, "server_max_window_bits=");
            if (q) sbits = atoi(q + 23);
            q = strstr(line, "client_max_window_bits=");
            if (q) cbits = atoi(q + 23);
            if (!zbits) compress_pool(cbits < 9 ? 9 : cbits);
            if (inflateInit2(&c->inf, -(sbits < 9 ? 9 : sbits)) != Z_OK) die("inflateInit2");
            c->inf_on = 1;
        }
    }
    char *a = strcasestr(h, "\r\nSec-WebSocket-Accept:");
    if (ok && a) {
        a += 23;
        while (*a == ' ' || *a == '\t') a++;
        ok = !strncmp(a, c->accept, strlen(c->accept));
    } else ok = 0;
    if (!ok) fail_conn(c, "bad upgrade response: %.60s", h);
    free(h);
    if (!ok) return -1;
    memmove(c->rbuf, c->rbuf + hl, c->rlen - hl);
    c->rlen -= hl;
    return 1;
}

/* --- what each mode does with a whole message --- */
static uint8_t *bc_body; static size_t bc_len; static int bc_got; static uint64_t bc_t0;

static void send_echo_msg(conn *c, uint64_t t) {
    if (c->pmd) {
        int k = cfg.json ? pool_index(c->id, c->send_seq) : (int)((c->send_seq * 7 + (uint64_t)c->id * 13) % PATVAR) % POOL;
        if (!cfg.json) die("--deflate needs --json");
        append_frame_rsv(c, cfg.binary ? 2 : 1, zpool[k], zlen[k], 1);
    } else
        append_frame(c, cfg.binary ? 2 : 1, expected_msg(c->id, c->send_seq), cfg.size);
    c->ts[c->send_seq % (uint64_t)cfg.depth] = t;
    c->send_seq++;
    sent_total++;
}

static int on_message(conn *c, int op, const uint8_t *p, size_t n, uint64_t t) {
    if (cfg.mode == M_ECHO) {
        if (c->recv_seq >= c->send_seq) { fail_conn(c, "a message that was never sent"); return -1; }
        if (op != (cfg.binary ? 2 : 1)) { fail_conn(c, "echo came back as opcode %d", op); return -1; }
        if (n != cfg.size || memcmp(p, expected_msg(c->id, c->recv_seq), n) != 0) {
            fail_conn(c, "payload mismatch in message %" PRIu64 " (%zu bytes)", c->recv_seq, n);
            return -1;
        }
        if (measuring) hist_add(&hist, t - c->ts[c->recv_seq % (uint64_t)cfg.depth]);
        c->recv_seq++;
        recv_total++;
        if (sending && c->state == S_OPEN) send_echo_msg(c, t);
        return 0;
    }
    if (cfg.mode == M_PUSH) {
        if (c->recv_seq < c->send_seq) {
            if (op != 1 || n != 5 || memcmp(p, "ready", 5) != 0) { fail_conn(c, "ready echo mismatch"); return -1; }
            c->recv_seq++;
            recv_total++;
            return 0;
        }
        /* push k: "P<k>:" then the pattern, cfg.size bytes */
        uint64_t k = c->recv_seq - c->send_seq;
        char h[32];
        int hl = snprintf(h, sizeof h, "P%" PRIu64 ":", k);
        if (op != 1 || n != cfg.size || memcmp(p, h, (size_t)hl) != 0 || memcmp(p + hl, pattern, n - (size_t)hl) != 0) {
            fail_conn(c, "push %" PRIu64 ": body mismatch or out of order (%zu bytes)", k, n);
            return -1;
        }
        c->recv_seq++;
        recv_total++;
        c->got_at = t;
        return 0;
    }
    /* broadcast: the ready echo, then one body per round */
    if (c->recv_seq < c->send_seq) {
        if (op != 1 || n != 5 || memcmp(p, "ready", 5) != 0) { fail_conn(c, "ready echo mismatch"); return -1; }
        c->recv_seq++;
        recv_total++;
        return 0;
    }
    if (!bc_body || c->got_at) { fail_conn(c, "unexpected message (%zu bytes)", n); return -1; }
    if (op != 1 || n != bc_len || memcmp(p, bc_body, n) != 0) { fail_conn(c, "broadcast body mismatch (%zu bytes)", n); return -1; }
    c->got_at = t;
    bc_got++;
    return 0;
}

static int process_frames(conn *c, uint64_t t) {
    size_t off = 0;
    int rc = 0;
    while (c->state == S_OPEN || c->state == S_CLOSING) {
        size_t avail = c->rlen - off;
        if (avail < 2) break;
        const uint8_t *p = c->rbuf + off;
        int fin = p[0] & 0x80, op = p[0] & 0x0f;
        uint64_t len = p[1] & 0x7f;
        size_t hl = 2;
        int rsv1 = p[0] & 0x40;
        if ((p[0] & 0x30) || (rsv1 && (!c->pmd || op == 0 || op >= 8))) { fail_conn(c, "RSV bits set"); rc = -1; break; }
        if (p[1] & 0x80) { fail_conn(c, "masked server frame"); rc = -1; break; }
        if (len == 126) { if (avail < 4) break; len = (uint64_t)p[2] << 8 | p[3]; hl = 4; }
        else if (len == 127) { if (avail < 10) break; len = 0; for (int i = 0; i < 8; i++) len = len << 8 | p[2 + i]; hl = 10; }
        if (len > (1u << 30)) { fail_conn(c, "frame too large"); rc = -1; break; }
        if (avail < hl + len) { reserve(&c->rbuf, &c->rcap, hl + (size_t)len + 4096); break; }
        const uint8_t *pl = p + hl;
        size_t n = (size_t)len;
        off += hl + n;
        if (op == 1 || op == 2 || op == 0) {
            if (op && c->in_msg) { fail_conn(c, "data frame inside a fragmented message"); rc = -1; break; }
            if (!op && !c->in_msg) { fail_conn(c, "continuation without a message"); rc = -1; break; }
            if (fin && !c->in_msg && !rsv1) { if (on_message(c, op, pl, n, t) < 0) { rc = -1; break; } continue; }
            if (op) { c->in_msg = 1; c->msg_op = op; c->mlen = 0; c->pmd_compressed = rsv1 != 0; }
            reserve(&c->mbuf, &c->mcap, c->mlen + n + 4);
            memcpy(c->mbuf + c->mlen, pl, n);
            c->mlen += n;
            if (fin) {
                c->in_msg = 0;
                const uint8_t *msg = c->mbuf;
                size_t mn = c->mlen;
                if (c->pmd_compressed) {
                    memcpy(c->mbuf + c->mlen, "\0\0\xff\xff", 4);
                    reserve(&c->ibuf, &c->icap, cfg.size + 1024);
                    c->inf.next_in = c->mbuf; c->inf.avail_in = (uInt)(c->mlen + 4);
                    size_t out = 0;
                    for (;;) {
                        c->inf.next_out = c->ibuf + out; c->inf.avail_out = (uInt)(c->icap - out);
                        int zr = inflate(&c->inf, Z_SYNC_FLUSH);
                        out = c->icap - c->inf.avail_out;
                        if (zr != Z_OK && zr != Z_BUF_ERROR) { fail_conn(c, "inflate: %d", zr); rc = -1; break; }
                        if (c->inf.avail_in == 0 && c->inf.avail_out > 0) break;
                        if (c->inf.avail_out == 0) reserve(&c->ibuf, &c->icap, c->icap * 2);
                        else if (zr == Z_BUF_ERROR) { fail_conn(c, "inflate stalled"); rc = -1; break; }
                    }
                    if (rc < 0) break;
                    if (c->pmd_srv_nct) inflateReset(&c->inf);
                    msg = c->ibuf; mn = out;
                }
                if (on_message(c, c->msg_op, msg, mn, t) < 0) { rc = -1; break; }
            }
        } else if (op == 9) {
            append_frame(c, 0xA, pl, n);
        } else if (op == 0xA) {
        } else if (op == 8) {
            if (c->state == S_CLOSING) { c->state = S_DONE; break; }
            fail_conn(c, "server closed the connection (code %d)", n >= 2 ? pl[0] << 8 | pl[1] : 1005);
            rc = -1;
            break;
        } else { fail_conn(c, "reserved opcode %d", op); rc = -1; break; }
    }
    if (off) { memmove(c->rbuf, c->rbuf + off, c->rlen - off); c->rlen -= off; }
    return rc;
}

static void handle_read(conn *c, uint64_t t) {
    for (;;) {
        reserve(&c->rbuf, &c->rcap, c->rlen + 16384);
        ssize_t r = io_read(c, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (r == -1) break;
        if (r == 0 || r == -2) {
            if (c->state == S_CLOSING) { c->state = S_DONE; close_fd(c); return; }
            conn_broken(c, r == 0 ? "EOF" : "read error");
            return;
        }
        c->rlen += (size_t)r;
        if (c->state == S_HANDSHAKE) {
            int h = process_handshake(c);
            if (h == 0) continue;
            if (h < 0) { conn_broken(c, "handshake"); return; }
            c->state = S_OPEN;
            established++; pending--;
            launch_more();
        }
        if (process_frames(c, t) < 0) { close_fd(c); c->state = S_DONE; return; }
        if (c->state == S_DONE) { close_fd(c); return; }
    }
    if (c->wlen > c->woff && flush_conn(c) < 0) conn_broken(c, "write error");
}

static void handle_event(conn *c, uint32_t evs) {
    if (c->fd < 0) return;
    uint64_t t = now_ns();
    if (c->state == S_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) { conn_broken(c, strerror(err)); return; }
        if (cfg.tls) {
            c->ssl = SSL_new(ssl_ctx);
            SSL_set_fd(c->ssl, c->fd);
            SSL_set_tlsext_host_name(c->ssl, cfg.host);
            SSL_set_connect_state(c->ssl);
            c->state = S_TLS;
            if (tls_step(c) < 0) conn_broken(c, "TLS");
            return;
        }
        start_ws_handshake(c);
        if (flush_conn(c) < 0) conn_broken(c, "write error");
        return;
    }
    if (c->state == S_TLS) {
        if (tls_step(c) < 0) conn_broken(c, "TLS");
        return;
    }
    if (evs & (EPOLLIN | EPOLLERR | EPOLLHUP)) handle_read(c, t);
    if (c->fd >= 0 && (evs & EPOLLOUT) && flush_conn(c) < 0) conn_broken(c, "write error");
}

static void poll_once(int ms) {
    struct epoll_event evs[512];
    int n = epoll_wait(ep, evs, 512, ms);
    if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) handle_event(evs[i].data.ptr, evs[i].events);
}

static void parse_url(const char *url) {
    snprintf(cfg.url, sizeof cfg.url, "%s", url);
    const char *p;
    if (!strncmp(url, "ws://", 5)) { p = url + 5; cfg.tls = 0; }
    else if (!strncmp(url, "wss://", 6)) { p = url + 6; cfg.tls = 1; }
    else die("url must start with ws:// or wss://");
    const char *hs = p, *he;
    if (*p == '[') { he = strchr(p, ']'); if (!he) die("bad IPv6 literal"); hs = p + 1; p = he + 1; }
    else { while (*p && *p != ':' && *p != '/') p++; he = p; }
    if ((size_t)(he - hs) >= sizeof cfg.host) die("host too long");
    memcpy(cfg.host, hs, (size_t)(he - hs));
    cfg.host[he - hs] = 0;
    strcpy(cfg.port, cfg.tls ? "443" : "80");
    if (*p == ':') {
        p++;
        size_t k = 0;
        while (*p && *p != '/' && k < sizeof cfg.port - 1) cfg.port[k++] = *p++;
        cfg.port[k] = 0;
    }
    snprintf(cfg.path, sizeof cfg.path, "%s", *p ? p : "/");
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int e = getaddrinfo(cfg.host, cfg.port, &hints, &res);
    if (e) die("cannot resolve %s: %s", cfg.host, gai_strerror(e));
    memcpy(&cfg.addr, res->ai_addr, res->ai_addrlen);
    cfg.addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    int loop = cfg.addr.ss_family == AF_INET
                   ? (ntohl(((struct sockaddr_in *)&cfg.addr)->sin_addr.s_addr) >> 24) == 127
                   : IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&cfg.addr)->sin6_addr);
    if (!loop) die("refusing non-loopback target %s", cfg.host);
}

/* one blocking HTTP/1.1 POST on a keep-alive socket; returns the status, -1 on error */
static int push_fd = -1;
static int http_post(const uint8_t *body, size_t n) {
    if (push_fd < 0) {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
        if (getaddrinfo(cfg.push_host, cfg.push_port, &hints, &res)) return -1;
        push_fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(push_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(push_fd, res->ai_addr, res->ai_addrlen) < 0) { freeaddrinfo(res); close(push_fd); push_fd = -1; return -1; }
        freeaddrinfo(res);
    }
    char head[4096];
    int hl = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: text/plain; charset=utf-8\r\n%s"
                      "Content-Length: %zu\r\n\r\n", cfg.push_path, cfg.push_host, cfg.push_port, cfg.push_headers, n);
    if (send(push_fd, head, (size_t)hl, MSG_NOSIGNAL) != hl || send(push_fd, body, n, MSG_NOSIGNAL) != (ssize_t)n) return -1;
    /* the response: headers, then Content-Length bytes (or none) */
    static char buf[65536];
    size_t got = 0;
    char *end = NULL;
    while (!end) {
        ssize_t r = recv(push_fd, buf + got, sizeof buf - 1 - got, 0);
        if (r <= 0) return -1;
        got += (size_t)r;
        buf[got] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    int status = atoi(buf + 9);
    char *cl = strcasestr(buf, "\r\nContent-Length:");
    size_t want = cl ? (size_t)atol(cl + 17) : 0, have = got - (size_t)(end + 4 - buf);
    while (have < want) {
        ssize_t r = recv(push_fd, buf, sizeof buf, 0);
        if (r <= 0) return -1;
        have += (size_t)r;
    }
    return status;
}

static void usage(void) {
    fprintf(stderr,
            "usage: wsbench --mode echo|broadcast --url ws[s]://127.0.0.1:PORT/ [options]\n"
            "  echo:      --conns N --depth P --size S [--binary] --seconds T --warmup W [--json] [--deflate]\n"
            "  broadcast: --conns N --rounds R --size S [--pause SECONDS between rounds]\n"
            "  push:      --conns N --pushes K --size S --push-url http://127.0.0.1:PORT/PATH [--push-header 'Name: value']...\n"
            "  common:    --concurrency K (100)  --server-pid PID (CPU time)  --timeout S (30)\n");
    exit(2);
}

static void close_all(void) {
    uint64_t deadline = now_ns() + 3000000000ull;
    for (int i = 0; i < cfg.conns; i++) {
        conn *c = &conns[i];
        if (c->state != S_OPEN) continue;
        uint8_t cp[2] = {0x03, 0xE8};
        append_frame(c, 8, cp, 2);
        c->state = S_CLOSING;
        if (flush_conn(c) < 0) { close_fd(c); c->state = S_DONE; }
    }
    for (;;) {
        int open = 0;
        for (int i = 0; i < cfg.conns; i++) open += conns[i].state == S_CLOSING;
        if (!open || now_ns() > deadline) break;
        poll_once(50);
    }
    for (int i = 0; i < cfg.conns; i++) close_fd(&conns[i]);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    rng_seed();
    const char *url = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (usage(), ""))
        if (!strcmp(a, "--mode")) {
            const char *m = NEXT();
            if (!strcmp(m, "echo")) cfg.mode = M_ECHO;
            else if (!strcmp(m, "broadcast")) cfg.mode = M_BROADCAST;
            else if (!strcmp(m, "push")) cfg.mode = M_PUSH;
            else usage();
        } else if (!strcmp(a, "--url")) url = NEXT();
        else if (!strcmp(a, "--conns")) cfg.conns = atoi(NEXT());
        else if (!strcmp(a, "--depth")) cfg.depth = atoi(NEXT());
        else if (!strcmp(a, "--size")) cfg.size = (size_t)strtoull(NEXT(), NULL, 10);
        else if (!strcmp(a, "--binary")) cfg.binary = 1;
        else if (!strcmp(a, "--json")) cfg.json = 1;
        else if (!strcmp(a, "--deflate")) cfg.deflate = 1;
        else if (!strcmp(a, "--seconds")) cfg.seconds = atof(NEXT());
        else if (!strcmp(a, "--warmup")) cfg.warmup = atof(NEXT());
        else if (!strcmp(a, "--rounds")) cfg.rounds = atoi(NEXT());
        else if (!strcmp(a, "--pause")) cfg.pause = atof(NEXT());
        else if (!strcmp(a, "--timeout")) cfg.timeout = atof(NEXT());
        else if (!strcmp(a, "--concurrency")) cfg.conc = atoi(NEXT());
        else if (!strcmp(a, "--server-pid")) cfg.server_pid = atoi(NEXT());
        else if (!strcmp(a, "--pushes")) cfg.pushes = atoi(NEXT());
        else if (!strcmp(a, "--push-header")) {
            size_t l = strlen(cfg.push_headers);
            snprintf(cfg.push_headers + l, sizeof cfg.push_headers - l, "%s\r\n", NEXT());
        } else if (!strcmp(a, "--push-url")) {
            const char *u = NEXT(), *q;
            if (strncmp(u, "http://", 7)) usage();
            u += 7;
            q = u; while (*q && *q != ':' && *q != '/') q++;
            snprintf(cfg.push_host, sizeof cfg.push_host, "%.*s", (int)(q - u), u);
            strcpy(cfg.push_port, "80");
            if (*q == ':') { const char *e = ++q; while (*e && *e != '/') e++; snprintf(cfg.push_port, sizeof cfg.push_port, "%.*s", (int)(e - q), q); q = e; }
            snprintf(cfg.push_path, sizeof cfg.push_path, "%s", *q ? q : "/");
        }
        else usage();
    }
    if (!url || cfg.conns < 1 || cfg.depth < 1 || cfg.rounds < 1 || cfg.size < 1) usage();
    parse_url(url);
    if (cfg.mode == M_BROADCAST || cfg.mode == M_PUSH) cfg.binary = 0;
    if (cfg.mode == M_PUSH && (!cfg.push_host[0] || cfg.pushes < 1 || cfg.size < 16)) usage();

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)cfg.conns + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (cfg.tls) {
        ssl_ctx = SSL_CTX_new(TLS_client_method());
        if (!ssl_ctx) die("SSL_CTX_new failed");
        SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    make_pattern();
    if (cfg.json) make_json_pool();
    if (cfg.deflate && !cfg.json) die("--deflate needs --json");
    conns = calloc((size_t)cfg.conns, sizeof(conn));
    for (int i = 0; i < cfg.conns; i++) {
        conns[i].fd = -1; conns[i].id = i;
        if (cfg.mode == M_ECHO) conns[i].ts = calloc((size_t)cfg.depth, sizeof(uint64_t));
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    double l1 = load1();

    uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(cfg.timeout * 1e9);
    launch_more();
    while ((launched < cfg.conns || pending > 0) && !errors && now_ns() < deadline) poll_once(100);
    double connect_s = (now_ns() - t0) / 1e9;
    fprintf(stderr, "wsbench: %d/%d connections established in %.3f s\n", established, cfg.conns, connect_s);
    if (established != cfg.conns) { fprintf(stderr, "ERROR: %d connections failed\n", cfg.conns - established); errors++; }
    const char *cipher = "none";

    if (!errors && cfg.mode == M_ECHO) {
        if (conns[0].ssl) cipher = SSL_get_cipher_name(conns[0].ssl);
        uint64_t t = now_ns(), t_meas = t + (uint64_t)(cfg.warmup * 1e9), t_end = t_meas + (uint64_t)(cfg.seconds * 1e9);
        sending = 1;
        for (int i = 0; i < cfg.conns; i++) {
            for (int k = 0; k < cfg.depth; k++) send_echo_msg(&conns[i], t);
            if (flush_conn(&conns[i]) < 0) conn_broken(&conns[i], "write error");
        }
        uint64_t recv0 = 0, tm0 = 0, tm1 = 0, win0 = 0, win1 = 0;
        double cpu0 = 0, cpu1 = 0, scpu0 = 0, scpu1 = 0, sys0 = 0, sys1 = 0, irq0 = 0, irq1 = 0;
        while (!errors) {
            t = now_ns();
            if (!measuring && !tm0 && t >= t_meas) {
                measuring = 1; tm0 = t; recv0 = recv_total; memset(&hist, 0, sizeof hist);
                win0 = wire_in + wire_out;
                cpu0 = self_cpu_s();
                sys0 = sys_busy_s(); irq0 = sys_irq_s;
                if (cfg.server_pid) scpu0 = read_cpu_s(cfg.server_pid);
            }
            if (measuring && t >= t_end) {
                measuring = 0; sending = 0; tm1 = t;
                win1 = wire_in + wire_out;
                cpu1 = self_cpu_s();
                sys1 = sys_busy_s(); irq1 = sys_irq_s;
                if (cfg.server_pid) scpu1 = read_cpu_s(cfg.server_pid);
                break;
            }
            poll_once(10);
        }
        uint64_t msgs = recv_total - recv0;
        uint64_t drain_deadline = now_ns() + 10000000000ull;
        while (!errors && recv_total < sent_total && now_ns() < drain_deadline) poll_once(10);
        if (!errors && recv_total < sent_total) { fprintf(stderr, "ERROR: %" PRIu64 " echoes missing\n", sent_total - recv_total); errors++; }
        close_all();
        double win = tm1 > tm0 ? (tm1 - tm0) / 1e9 : 0;
        double mps = win > 0 ? msgs / win : 0;
        printf("RESULT mode=echo url=%s tls=%d cipher=%s conns=%d depth=%d size=%zu binary=%d seconds=%.3f load1=%.2f "
               "established=%d msgs=%" PRIu64 " msgs_per_s=%.0f mb_per_s=%.2f p50_us=%.1f p90_us=%.1f p99_us=%.1f "
               "p999_us=%.1f max_us=%.1f client_cpu_pct=%.1f",
               cfg.url, cfg.tls, cipher, cfg.conns, cfg.depth, cfg.size, cfg.binary, win, l1, established, msgs, mps,
               mps * (double)cfg.size / 1e6, hist_pct(&hist, .5) / 1e3, hist_pct(&hist, .9) / 1e3,
               hist_pct(&hist, .99) / 1e3, hist_pct(&hist, .999) / 1e3, hist.max / 1e3,
               win > 0 ? 100.0 * (cpu1 - cpu0) / win : 0);
        if (cfg.server_pid && win > 0)
            printf(" server_cpu_pct=%.1f other_cpu_pct=%.1f", 100.0 * (scpu1 - scpu0) / win,
                   100.0 * ((sys1 - sys0) - (scpu1 - scpu0) - (cpu1 - cpu0)) / win);
        if (win > 0) printf(" softirq_cpu_pct=%.1f machine_cpu_pct=%.1f", 100.0 * (irq1 - irq0) / win, 100.0 * (sys1 - sys0) / win);
        printf(" json=%d deflate=%d negotiated=%d", cfg.json, cfg.deflate, conns[0].pmd);
        if (!cfg.tls && msgs) printf(" wire_bytes_per_msg=%.1f payload_bytes_per_msg=%zu", (double)(win1 - win0) / (double)msgs, 2 * cfg.size);
        printf(" errors=%d\n", errors);
        return errors ? 2 : 0;
    }

    if (cfg.mode == M_PUSH) {
        uint64_t t_first = 0, t_last_resp = 0;
        int done = 0, bad_status = 0;
        double scpu0 = 0, scpu1 = 0;
        if (!errors) {
            for (int i = 0; i < cfg.conns; i++) {
                append_frame(&conns[i], 1, (const uint8_t *)"ready", 5);
                conns[i].send_seq++;
                sent_total++;
                if (flush_conn(&conns[i]) < 0) conn_broken(&conns[i], "write error");
            }
            deadline = now_ns() + (uint64_t)(cfg.timeout * 1e9);
            while (!errors && recv_total < (uint64_t)cfg.conns && now_ns() < deadline) poll_once(100);
            if (!errors && recv_total < (uint64_t)cfg.conns) { fprintf(stderr, "ERROR: ready echoes missing\n"); errors++; }
        }
        uint8_t *body = malloc(cfg.size + 32);
        if (cfg.server_pid) scpu0 = read_cpu_s(cfg.server_pid);
        t_first = now_ns();
        for (int k = 0; k < cfg.pushes && !errors; k++) {
            int hl = snprintf((char *)body, 32, "P%d:", k);
            memcpy(body + hl, pattern, cfg.size - (size_t)hl);
            int st = http_post(body, cfg.size);
            if (st < 200 || st > 299) { fprintf(stderr, "ERROR: push %d: HTTP status %d\n", k, st); bad_status++; errors++; break; }
            done++;
            poll_once(0); /* read what has arrived meanwhile */
        }
        t_last_resp = now_ns();
        uint64_t want = (uint64_t)cfg.conns * (1 + (uint64_t)done);
        deadline = now_ns() + (uint64_t)(cfg.timeout * 1e9);
        while (!errors && recv_total < want && now_ns() < deadline) poll_once(50);
        if (!errors && recv_total < want) { fprintf(stderr, "ERROR: %" PRIu64 " deliveries missing\n", want - recv_total); errors++; }
        uint64_t t_all = 0;
        for (int i = 0; i < cfg.conns; i++) if (conns[i].got_at > t_all) t_all = conns[i].got_at;
        if (cfg.server_pid) scpu1 = read_cpu_s(cfg.server_pid);
        close_all();
        if (push_fd >= 0) close(push_fd);
        double push_s = (t_last_resp - t_first) / 1e9, all_s = t_all > t_first ? (t_all - t_first) / 1e9 : 0;
        printf("RESULT mode=push url=%s conns=%d size=%zu pushes=%d load1=%.2f established=%d pushes_per_s=%.0f "
               "deliveries_per_s=%.0f push_ms=%.3f all_delivered_ms=%.3f bad_status=%d",
               cfg.url, cfg.conns, cfg.size, done, l1, established, push_s > 0 ? done / push_s : 0,
               all_s > 0 ? (double)cfg.conns * done / all_s : 0, push_s * 1e3, all_s * 1e3, bad_status);
        if (cfg.server_pid) printf(" server_cpu_s=%.3f", scpu1 - scpu0);
        printf(" errors=%d\n", errors);
        return errors ? 2 : 0;
    }

    /* broadcast */
    uint64_t *last = calloc((size_t)cfg.rounds, sizeof(uint64_t)), *first = calloc((size_t)cfg.rounds, sizeof(uint64_t)),
             *mid = calloc((size_t)cfg.rounds, sizeof(uint64_t)), *arr = calloc((size_t)cfg.conns, sizeof(uint64_t));
    int done_rounds = 0;
    double scpu0 = 0, scpu1 = 0;
    if (!errors) {
        /* every connection is served: one echoed message each */
        for (int i = 0; i < cfg.conns; i++) {
            append_frame(&conns[i], 1, (const uint8_t *)"ready", 5);
            conns[i].send_seq++;
            sent_total++;
            if (flush_conn(&conns[i]) < 0) conn_broken(&conns[i], "write error");
        }
        deadline = now_ns() + (uint64_t)(cfg.timeout * 1e9);
        while (!errors && recv_total < (uint64_t)cfg.conns && now_ns() < deadline) poll_once(100);
        if (!errors && recv_total < (uint64_t)cfg.conns) { fprintf(stderr, "ERROR: ready echoes missing\n"); errors++; }
        if (cfg.server_pid) scpu0 = read_cpu_s(cfg.server_pid);
        bc_body = malloc(cfg.size + 16);
        uint8_t *cmd = malloc(cfg.size + 32);
        for (int r = 0; r < cfg.rounds && !errors; r++) {
            uint64_t pause_end = now_ns() + (uint64_t)(cfg.pause * 1e9);
            while (now_ns() < pause_end && !errors) poll_once(10);
            /* body: "R<round>:" then the pattern, cfg.size bytes in all */
            int hl = snprintf((char *)bc_body, 16, "R%d:", r);
            bc_len = cfg.size > (size_t)hl ? cfg.size : (size_t)hl;
            memcpy(bc_body + hl, pattern + r, bc_len - (size_t)hl);
            memcpy(cmd, "!broadcast ", 11);
            memcpy(cmd + 11, bc_body, bc_len);
            bc_got = 0;
            for (int i = 0; i < cfg.conns; i++) conns[i].got_at = 0;
            bc_t0 = now_ns();
            append_frame(&conns[0], 1, cmd, bc_len + 11);
            if (flush_conn(&conns[0]) < 0) conn_broken(&conns[0], "write error");
            deadline = bc_t0 + (uint64_t)(cfg.timeout * 1e9);
            while (!errors && bc_got < cfg.conns && now_ns() < deadline) poll_once(100);
            if (errors) break;
            if (bc_got < cfg.conns) { fprintf(stderr, "ERROR: round %d: %d of %d received the broadcast\n", r, bc_got, cfg.conns); errors++; break; }
            for (int i = 0; i < cfg.conns; i++) arr[i] = conns[i].got_at - bc_t0;
            qsort(arr, (size_t)cfg.conns, sizeof(uint64_t), cmp_u64);
            first[r] = arr[0]; mid[r] = arr[cfg.conns / 2]; last[r] = arr[cfg.conns - 1];
            fprintf(stderr, "wsbench: round %d: first %.3f ms, median %.3f ms, last %.3f ms\n", r, first[r] / 1e6, mid[r] / 1e6, last[r] / 1e6);
            done_rounds++;
        }
        bc_body = NULL;
        if (cfg.server_pid) scpu1 = read_cpu_s(cfg.server_pid);
    }
    close_all();
    printf("RESULT mode=broadcast url=%s conns=%d size=%zu rounds=%d load1=%.2f established=%d connect_s=%.3f", cfg.url,
           cfg.conns, cfg.size, done_rounds, l1, established, connect_s);
    if (done_rounds) {
        uint64_t f = last[0]; /* the first round's, before sorting */
        qsort(last, (size_t)done_rounds, sizeof(uint64_t), cmp_u64);
        qsort(first, (size_t)done_rounds, sizeof(uint64_t), cmp_u64);
        qsort(mid, (size_t)done_rounds, sizeof(uint64_t), cmp_u64);
        printf(" last_ms=%.3f last_min_ms=%.3f last_max_ms=%.3f median_ms=%.3f first_ms=%.3f first_round_last_ms=%.3f",
               last[done_rounds / 2] / 1e6, last[0] / 1e6, last[done_rounds - 1] / 1e6, mid[done_rounds / 2] / 1e6,
               first[done_rounds / 2] / 1e6, (double)f / 1e6);
        if (cfg.server_pid) printf(" server_cpu_s=%.3f", scpu1 - scpu0);
    }
    printf(" errors=%d\n", errors);
    return errors ? 2 : 0;
}
