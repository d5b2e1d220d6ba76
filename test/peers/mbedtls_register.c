/*
 * An LwM2M device's first steps on mbedTLS with the library's default configuration: a DTLS 1.2 PSK
 * handshake (RFC 6347, RFC 4279), then a CoAP Register. Nothing about the handshake is set here beyond the
 * PSK, so what is tested is what an embedded mbedTLS client sends out of the box.
 *
 * --certificate CERT_PEM KEY_PEM CA_PEM SERVER_NAME takes a certificate and its key instead of a PSK (the
 * LwM2M certificate mode, RFC 7925 section 4.4): mbedTLS then offers its ECDHE_ECDSA suites, answers the
 * server's CertificateRequest, and verifies the server's certificate against CA_PEM and SERVER_NAME.
 *
 * --lowest-min-version lowers the minimum version to the lowest value mbedtls_ssl_conf_min_version takes
 * (major 3, minor 0), as a client that accepts whatever the server offers sets it. mbedTLS then writes
 * {254, 0} as the record version of its first ClientHello and drops any reply whose record echoes it.
 *
 * --resume (PSK mode) registers, keeps the session with mbedtls_ssl_get_session, sends close_notify,
 * then connects again from a new socket, offers the saved session with mbedtls_ssl_set_session and
 * registers again. It prints "resumed yes" when the server answered with the saved session's ID (an
 * abbreviated handshake, RFC 5246 section 7.3) and "resumed no" when it gave a new one (a full handshake).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/timing.h>
#include <mbedtls/x509_crt.h>

#include "coap_register.h"
#include "peer_arguments.h"

#define DEADLINE_SECONDS 20

static void report_error(const char *step, int code)
{
    char text[160];
    mbedtls_strerror(code, text, sizeof text);
    fprintf(stderr, "%s failed: -0x%04x %s\n", step, (unsigned int) -code, text);
}

static int handshake(mbedtls_ssl_context *ssl)
{
    int ret;
    do ret = mbedtls_ssl_handshake(ssl);
    while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    return ret;
}

static int register_device(mbedtls_ssl_context *ssl, const struct peer_arguments *arguments)
{
    unsigned char message[COAP_MAX_MESSAGE];
    size_t length = coap_register_request(arguments, message, sizeof message);
    if (length == 0) {
        fprintf(stderr, "the Register request does not fit one datagram\n");
        return PEER_USAGE;
    }
    int ret = mbedtls_ssl_write(ssl, message, length);
    if (ret < 0) {
        report_error("mbedtls_ssl_write", ret);
        return PEER_DTLS_FAILED;
    }
    for (;;) {
        ret = mbedtls_ssl_read(ssl, message, sizeof message);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
        if (ret <= 0) {
            report_error("mbedtls_ssl_read", ret);
            return PEER_DTLS_FAILED;
        }
        struct coap_reply reply;
        if (coap_read_reply(message, (size_t) ret, &reply) == COAP_REPLY_PENDING) continue;
        if (reply.ack_length > 0) mbedtls_ssl_write(ssl, reply.ack, reply.ack_length);
        return coap_report(&reply);
    }
}

/* The files of --certificate; all NULL in PSK mode. */
struct certificate_files {
    const char *certificate;
    const char *key;
    const char *authority;
    const char *server_name;
};

/* Loads the device's certificate and key and the CA, and sets them on `config` and `ssl`. */
static int use_certificate(const struct certificate_files *files, mbedtls_ssl_config *config, mbedtls_x509_crt *own, mbedtls_x509_crt *authority,
                           mbedtls_pk_context *key)
{
    int ret = mbedtls_x509_crt_parse_file(own, files->certificate);
    if (ret == 0) ret = mbedtls_x509_crt_parse_file(authority, files->authority);
    if (ret == 0) ret = mbedtls_pk_parse_keyfile(key, files->key, NULL);
    if (ret == 0) ret = mbedtls_ssl_conf_own_cert(config, own, key);
    if (ret != 0) {
        report_error("certificate files", ret);
        return ret;
    }
    mbedtls_ssl_conf_ca_chain(config, authority, NULL);
    return 0;
}

/* Takes a leading flag off the command line, returning whether it was there. */
static int take_flag(int *argc, char ***argv, const char *flag)
{
    if (*argc <= 1 || strcmp((*argv)[1], flag) != 0) return 0;
    (*argv)[1] = (*argv)[0];
    (*argc)--;
    (*argv)++;
    return 1;
}

/*
 * The second connection of --resume: a new socket (so a new source port, as a device that slept), the
 * saved session offered, the handshake and a second Register.
 */
static int resume_and_register(mbedtls_ssl_context *ssl, mbedtls_net_context *connection, const mbedtls_ssl_session *saved,
                               const struct peer_arguments *arguments)
{
    mbedtls_net_free(connection);
    mbedtls_net_init(connection);
    int ret = mbedtls_net_connect(connection, arguments->host, arguments->port, MBEDTLS_NET_PROTO_UDP);
    if (ret == 0) ret = mbedtls_ssl_session_reset(ssl);
    if (ret == 0) ret = mbedtls_ssl_set_session(ssl, saved);
    if (ret != 0) {
        report_error("reconnecting with the saved session", ret);
        return PEER_DTLS_FAILED;
    }
    mbedtls_ssl_set_bio(ssl, connection, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
    ret = handshake(ssl);
    if (ret != 0) {
        report_error("DTLS handshake (resuming)", ret);
        return PEER_DTLS_FAILED;
    }
    mbedtls_ssl_session now;
    mbedtls_ssl_session_init(&now);
    ret = mbedtls_ssl_get_session(ssl, &now);
    int resumed = ret == 0 && saved->id_len > 0 && now.id_len == saved->id_len && memcmp(now.id, saved->id, saved->id_len) == 0;
    mbedtls_ssl_session_free(&now);
    printf("resumed %s\n", resumed ? "yes" : "no");
    int result = register_device(ssl, arguments);
    mbedtls_ssl_close_notify(ssl);
    return result;
}

int main(int argc, char **argv)
{
    int lowest_min_version = take_flag(&argc, &argv, "--lowest-min-version");
    int resume = take_flag(&argc, &argv, "--resume");
    struct certificate_files files = { NULL, NULL, NULL, NULL };
    struct peer_arguments arguments;
    if (argc > 5 && strcmp(argv[1], "--certificate") == 0) {
        files = (struct certificate_files) { argv[2], argv[3], argv[4], argv[5] };
        argv[5] = argv[0];
        argc -= 5;
        argv += 5;
        peer_parse_certificate_arguments(argc, argv, &arguments);
    } else {
        peer_parse_arguments(argc, argv, &arguments);
    }
    peer_start_deadline(DEADLINE_SECONDS);

    mbedtls_net_context connection;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config config;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_timing_delay_context timer;
    mbedtls_x509_crt own_certificate;
    mbedtls_x509_crt authority;
    mbedtls_pk_context key;
    mbedtls_ssl_session saved;
    mbedtls_ssl_session_init(&saved);
    mbedtls_x509_crt_init(&own_certificate);
    mbedtls_x509_crt_init(&authority);
    mbedtls_pk_init(&key);
    mbedtls_net_init(&connection);
    mbedtls_ssl_init(&ssl);
    mbedtls_ssl_config_init(&config);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);

    int result = PEER_DTLS_FAILED;
    int ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0);
    if (ret != 0) {
        report_error("mbedtls_ctr_drbg_seed", ret);
        goto done;
    }
    ret = mbedtls_net_connect(&connection, arguments.host, arguments.port, MBEDTLS_NET_PROTO_UDP);
    if (ret != 0) {
        report_error("mbedtls_net_connect", ret);
        goto done;
    }
    ret = mbedtls_ssl_config_defaults(&config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret == 0 && files.certificate == NULL) {
        ret = mbedtls_ssl_conf_psk(&config, arguments.key, arguments.key_length, (const unsigned char *) arguments.identity, strlen(arguments.identity));
    }
    if (ret != 0) {
        report_error("configuration", ret);
        goto done;
    }
    if (files.certificate != NULL && use_certificate(&files, &config, &own_certificate, &authority, &key) != 0) goto done;
    mbedtls_ssl_conf_rng(&config, mbedtls_ctr_drbg_random, &drbg);
    if (lowest_min_version) mbedtls_ssl_conf_min_version(&config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_0);
    ret = mbedtls_ssl_setup(&ssl, &config);
    if (ret == 0 && files.server_name != NULL) ret = mbedtls_ssl_set_hostname(&ssl, files.server_name);
    if (ret != 0) {
        report_error("mbedtls_ssl_setup", ret);
        goto done;
    }
    mbedtls_ssl_set_bio(&ssl, &connection, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
    mbedtls_ssl_set_timer_cb(&ssl, &timer, mbedtls_timing_set_delay, mbedtls_timing_get_delay);

    ret = handshake(&ssl);
    if (ret != 0) {
        report_error("DTLS handshake", ret);
        goto done;
    }
    printf("handshake %s\n", mbedtls_ssl_get_ciphersuite(&ssl));
    if (resume && (ret = mbedtls_ssl_get_session(&ssl, &saved)) != 0) {
        report_error("mbedtls_ssl_get_session", ret);
        goto done;
    }
    result = register_device(&ssl, &arguments);
    mbedtls_ssl_close_notify(&ssl);
    if (resume && result == PEER_REGISTERED) result = resume_and_register(&ssl, &connection, &saved, &arguments);

done:
    mbedtls_ssl_session_free(&saved);
    mbedtls_x509_crt_free(&own_certificate);
    mbedtls_x509_crt_free(&authority);
    mbedtls_pk_free(&key);
    mbedtls_net_free(&connection);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&config);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return result;
}
