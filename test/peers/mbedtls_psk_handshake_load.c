/*
 * A load client for DTLS 1.2 PSK handshakes on mbedTLS (an implementation independent of the server's),
 * for benchmarks: --concurrency handshakes in flight from one process, non-blocking, one poll() loop. Each
 * handshake is complete (cookie exchange, RFC 6347 section 4.2.1; TLS_PSK_WITH_AES_128_CCM_8, RFC 6655;
 * Finished both ways), from a new socket (so a new source port) with the identity and key of the next
 * device of the fleet, round robin over --devices, then close_notify; nothing else is sent.
 *
 * The fleet's credentials are those of bench/fleet/FleetCredentials.ts: the identity is PREFIX + index and
 * the key the first 16 bytes of HMAC-SHA256(SEED, "lwm2m:" + identity), so no file of keys is shared.
 * --sources K spreads the sockets over the loopback addresses 127.0.0.1 to 127.0.0.K: a server limits the
 * handshakes in progress per source address, as a server facing many devices sees many addresses.
 *
 *   mbedtls-psk-handshake-load --server HOST PORT --devices N --prefix P --psk-seed S --concurrency C
 *                              --seconds T [--sources K]
 *
 * Writes {"phase":"handshaking"} and {"phase":"done"} lines to stderr as it starts and ends, and its
 * report on stdout as JSON, as bench/fleet/FleetBenchmarkProcesses.ts reads it (PskHandshakeReport).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>

#define MAX_CONCURRENCY 1024
#define KEY_LENGTH 16
#define MAX_IDENTITY 128

/* One handshake in flight: its socket, its TLS context and configuration (the PSK is per configuration). */
struct slot {
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config config;
    int fd;
    int active;
    double started_ms;
    /* The retransmission timer mbedTLS asks for (mbedtls_ssl_set_timer_cb); 0 when cancelled. */
    double intermediate_at_ms;
    double final_at_ms;
};

struct options {
    const char *host;
    int port;
    long devices;
    const char *prefix;
    const char *seed;
    int concurrency;
    double seconds;
    int sources;
};

static const int suites[] = { MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0 };
static struct slot slots[MAX_CONCURRENCY];
static struct options options = { NULL, 0, 1000, "fleet-", "lwm2m-hub-fleet", 16, 10, 1 };
static struct sockaddr_in server_address;
static mbedtls_ctr_drbg_context drbg;
static long next_device;
static long done_count;
static long failed_count;
static char first_failure[256];
static double *latencies;
static size_t latencies_capacity;

static double now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec * 1000.0 + (double) now.tv_nsec / 1e6;
}

static double epoch_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double) now.tv_sec * 1000.0 + (double) now.tv_nsec / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: mbedtls-psk-handshake-load --server HOST PORT --devices N --prefix P --psk-seed S --concurrency C --seconds T [--sources K]\n");
    exit(2);
}

static void parse_options(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (strcmp(name, "--server") == 0 && i + 2 < argc) {
            options.host = argv[++i];
            options.port = atoi(argv[++i]);
        } else if (i + 1 >= argc) {
            usage();
        } else if (strcmp(name, "--devices") == 0) {
            options.devices = atol(argv[++i]);
        } else if (strcmp(name, "--prefix") == 0) {
            options.prefix = argv[++i];
        } else if (strcmp(name, "--psk-seed") == 0) {
            options.seed = argv[++i];
        } else if (strcmp(name, "--concurrency") == 0) {
            options.concurrency = atoi(argv[++i]);
        } else if (strcmp(name, "--seconds") == 0) {
            options.seconds = atof(argv[++i]);
        } else if (strcmp(name, "--sources") == 0) {
            options.sources = atoi(argv[++i]);
        } else {
            usage();
        }
    }
    if (options.host == NULL || options.port <= 0 || options.devices <= 0 || options.concurrency <= 0 || options.concurrency > MAX_CONCURRENCY ||
        options.seconds <= 0 || options.sources <= 0 || options.sources > 254) {
        usage();
    }
    memset(&server_address, 0, sizeof server_address);
    server_address.sin_family = AF_INET;
    server_address.sin_port = htons((uint16_t) options.port);
    if (inet_pton(AF_INET, options.host, &server_address.sin_addr) != 1) {
        fprintf(stderr, "--server: %s is not an IPv4 address\n", options.host);
        exit(2);
    }
}

static int send_datagram(void *context, const unsigned char *data, size_t length)
{
    struct slot *slot = context;
    ssize_t sent = send(slot->fd, data, length, 0);
    if (sent >= 0) return (int) sent;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int receive_datagram(void *context, unsigned char *data, size_t length)
{
    struct slot *slot = context;
    ssize_t received = recv(slot->fd, data, length, 0);
    if (received >= 0) return (int) received;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

static void set_timer(void *context, uint32_t intermediate_ms, uint32_t final_ms)
{
    struct slot *slot = context;
    double now = now_ms();
    slot->intermediate_at_ms = final_ms == 0 ? 0 : now + intermediate_ms;
    slot->final_at_ms = final_ms == 0 ? 0 : now + final_ms;
}

/* mbedtls_ssl_get_timer_t: -1 cancelled, 0 none passed, 1 the intermediate delay passed, 2 the final one. */
static int get_timer(void *context)
{
    struct slot *slot = context;
    if (slot->final_at_ms == 0) return -1;
    double now = now_ms();
    if (now >= slot->final_at_ms) return 2;
    return now >= slot->intermediate_at_ms ? 1 : 0;
}

/* The fleet's key for `identity`: HMAC-SHA256(seed, "lwm2m:" + identity) cut to 16 bytes (FleetCredentials.ts). */
static int fleet_key(const char *identity, unsigned char key[KEY_LENGTH])
{
    char label[MAX_IDENTITY + 8];
    int length = snprintf(label, sizeof label, "lwm2m:%s", identity);
    unsigned char digest[32];
    int ret = mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *) options.seed, strlen(options.seed),
                              (const unsigned char *) label, (size_t) length, digest);
    memcpy(key, digest, KEY_LENGTH);
    return ret;
}

static void record_failure(const char *step, int code)
{
    failed_count++;
    if (first_failure[0] != '\0') return;
    char text[160];
    mbedtls_strerror(code, text, sizeof text);
    snprintf(first_failure, sizeof first_failure, "%s: -0x%04x %s", step, (unsigned int) -code, text);
}

static void record_latency(double milliseconds)
{
    if ((size_t) done_count == latencies_capacity) {
        latencies_capacity = latencies_capacity == 0 ? 65536 : latencies_capacity * 2;
        latencies = realloc(latencies, latencies_capacity * sizeof *latencies);
        if (latencies == NULL) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    latencies[done_count++] = milliseconds;
}

/* Opens a new socket from this slot's source address and starts the next device's handshake on it. */
static int begin(struct slot *slot, int index)
{
    char identity[MAX_IDENTITY];
    snprintf(identity, sizeof identity, "%s%ld", options.prefix, next_device++ % options.devices);
    unsigned char key[KEY_LENGTH];
    int ret = fleet_key(identity, key);
    if (ret == 0) ret = mbedtls_ssl_conf_psk(&slot->config, key, KEY_LENGTH, (const unsigned char *) identity, strlen(identity));
    if (ret == 0) ret = mbedtls_ssl_session_reset(&slot->ssl);
    if (ret != 0) {
        record_failure("configuring the next handshake", ret);
        return ret;
    }
    slot->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in source = { .sin_family = AF_INET, .sin_port = 0 };
    source.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t) (index % options.sources));
    if (slot->fd < 0 || bind(slot->fd, (struct sockaddr *) &source, sizeof source) != 0 ||
        connect(slot->fd, (struct sockaddr *) &server_address, sizeof server_address) != 0) {
        perror("socket");
        exit(1);
    }
    slot->active = 1;
    slot->started_ms = now_ms();
    slot->intermediate_at_ms = 0;
    slot->final_at_ms = 0;
    return 0;
}

static void finish(struct slot *slot)
{
    close(slot->fd);
    slot->fd = -1;
    slot->active = 0;
}

/* Drives a slot's handshake as far as it goes without waiting; on its end, starts the next one if time is left. */
static void step(struct slot *slot, int index, double deadline_ms)
{
    while (slot->active) {
        int ret = mbedtls_ssl_handshake(&slot->ssl);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return;
        if (ret == 0) {
            record_latency(now_ms() - slot->started_ms);
            mbedtls_ssl_close_notify(&slot->ssl);
        } else {
            record_failure("handshake", ret);
        }
        finish(slot);
        if (now_ms() < deadline_ms) begin(slot, index);
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile, as bench/fleet/LatencySample.ts. */
static double percentile(double share)
{
    if (done_count == 0) return 0;
    long rank = (long) ((share * (double) done_count) + 0.999999999) - 1;
    if (rank < 0) rank = 0;
    if (rank >= done_count) rank = done_count - 1;
    return latencies[rank];
}

static double cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double) usage.ru_utime.tv_sec + (double) usage.ru_utime.tv_usec / 1e6 + (double) usage.ru_stime.tv_sec + (double) usage.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    parse_options(argc, argv);
    mbedtls_entropy_context entropy;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    int ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0);
    if (ret != 0) {
        record_failure("mbedtls_ctr_drbg_seed", ret);
        fprintf(stderr, "%s\n", first_failure);
        return 1;
    }
    for (int i = 0; i < options.concurrency; i++) {
        struct slot *slot = &slots[i];
        mbedtls_ssl_init(&slot->ssl);
        mbedtls_ssl_config_init(&slot->config);
        ret = mbedtls_ssl_config_defaults(&slot->config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT);
        if (ret == 0) {
            mbedtls_ssl_conf_rng(&slot->config, mbedtls_ctr_drbg_random, &drbg);
            mbedtls_ssl_conf_ciphersuites(&slot->config, suites);
            /* RFC 6347 section 4.2.4.1: 1 s initial retransmission timer, doubling; give up after about 15 s. */
            mbedtls_ssl_conf_handshake_timeout(&slot->config, 1000, 8000);
            ret = mbedtls_ssl_setup(&slot->ssl, &slot->config);
        }
        if (ret != 0) {
            record_failure("mbedtls_ssl_setup", ret);
            fprintf(stderr, "%s\n", first_failure);
            return 1;
        }
        slot->fd = -1;
        mbedtls_ssl_set_bio(&slot->ssl, slot, send_datagram, receive_datagram, NULL);
        mbedtls_ssl_set_timer_cb(&slot->ssl, slot, set_timer, get_timer);
    }

    double cpu_before = cpu_seconds();
    fprintf(stderr, "{\"phase\":\"handshaking\",\"at\":%.0f}\n", epoch_ms());
    fflush(stderr);
    double started = now_ms();
    double deadline = started + options.seconds * 1000.0;
    for (int i = 0; i < options.concurrency; i++) {
        if (begin(&slots[i], i) == 0) step(&slots[i], i, deadline);
    }
    struct pollfd fds[MAX_CONCURRENCY];
    int owners[MAX_CONCURRENCY];
    for (;;) {
        int count = 0;
        double next_timer = now_ms() + 100;
        for (int i = 0; i < options.concurrency; i++) {
            if (!slots[i].active) continue;
            fds[count] = (struct pollfd) { .fd = slots[i].fd, .events = POLLIN };
            owners[count++] = i;
            if (slots[i].final_at_ms != 0 && slots[i].final_at_ms < next_timer) next_timer = slots[i].final_at_ms;
        }
        if (count == 0) break;
        double wait = next_timer - now_ms();
        int ready = poll(fds, (nfds_t) count, wait <= 0 ? 0 : (int) wait + 1);
        if (ready < 0 && errno != EINTR) {
            perror("poll");
            return 1;
        }
        double now = now_ms();
        for (int k = 0; k < count; k++) {
            struct slot *slot = &slots[owners[k]];
            int timed_out = slot->final_at_ms != 0 && now >= slot->final_at_ms;
            if ((fds[k].revents & (POLLIN | POLLERR)) != 0 || timed_out) step(slot, owners[k], deadline);
        }
    }
    double elapsed = (now_ms() - started) / 1000.0;
    fprintf(stderr, "{\"phase\":\"done\",\"at\":%.0f}\n", epoch_ms());
    fflush(stderr);
    double cpu = cpu_seconds() - cpu_before;

    qsort(latencies, (size_t) done_count, sizeof *latencies, compare_doubles);
    printf("{\"done\":%ld,\"failed\":%ld,\"seconds\":%.2f,\"perSecond\":%.0f,", done_count, failed_count, elapsed, (double) done_count / elapsed);
    printf("\"latencyMs\":{\"count\":%ld,\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,\"max\":%.2f},", done_count, percentile(0.5), percentile(0.9),
           percentile(0.99), done_count > 0 ? latencies[done_count - 1] : 0.0);
    if (first_failure[0] != '\0') {
        printf("\"firstFailure\":\"");
        for (const char *c = first_failure; *c != '\0'; c++) {
            if (*c == '"' || *c == '\\') putchar('\\');
            if ((unsigned char) *c >= 0x20) putchar(*c);
        }
        printf("\",");
    }
    printf("\"clientCpuSeconds\":%.2f}\n", cpu);

    for (int i = 0; i < options.concurrency; i++) {
        mbedtls_ssl_free(&slots[i].ssl);
        mbedtls_ssl_config_free(&slots[i].config);
    }
    free(latencies);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return 0;
}
