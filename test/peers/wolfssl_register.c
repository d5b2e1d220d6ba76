/*
 * An LwM2M device's first steps on wolfSSL with the library's default configuration: a DTLS PSK handshake
 * (RFC 6347, RFC 4279), then a CoAP Register. Only the PSK is set; the version range and cipher suites are
 * what wolfSSL's DTLS client method offers by default.
 */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "coap_register.h"
#include "peer_arguments.h"

#define DEADLINE_SECONDS 20

static struct peer_arguments arguments;

/* RFC 4279 section 2: the client names its identity and uses the key shared for it. */
static unsigned int psk_for_server(WOLFSSL *ssl, const char *hint, char *identity, unsigned int identity_capacity, unsigned char *key, unsigned int key_capacity)
{
    (void) ssl;
    (void) hint;
    size_t identity_length = strlen(arguments.identity);
    if (identity_length + 1 > identity_capacity || arguments.key_length > key_capacity) return 0;
    memcpy(identity, arguments.identity, identity_length + 1);
    memcpy(key, arguments.key, arguments.key_length);
    return (unsigned int) arguments.key_length;
}

static void report_error(const char *step, WOLFSSL *ssl, int ret)
{
    char text[WOLFSSL_MAX_ERROR_SZ];
    int code = wolfSSL_get_error(ssl, ret);
    fprintf(stderr, "%s failed: %d %s\n", step, code, wolfSSL_ERR_error_string((unsigned long) code, text));
}

static int connect_udp(const char *host, const char *port)
{
    struct addrinfo hints = { 0 };
    struct addrinfo *found;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    int status = getaddrinfo(host, port, &hints, &found);
    if (status != 0) {
        fprintf(stderr, "cannot resolve %s:%s: %s\n", host, port, gai_strerror(status));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *candidate = found; candidate != NULL && fd < 0; candidate = candidate->ai_next) {
        fd = socket(candidate->ai_family, candidate->ai_socktype, candidate->ai_protocol);
        if (fd >= 0 && connect(fd, candidate->ai_addr, candidate->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0) perror("connect");
    return fd;
}

static int register_device(WOLFSSL *ssl)
{
    unsigned char message[COAP_MAX_MESSAGE];
    size_t length = coap_register_request(&arguments, message, sizeof message);
    if (length == 0) {
        fprintf(stderr, "the Register request does not fit one datagram\n");
        return PEER_USAGE;
    }
    int ret = wolfSSL_write(ssl, message, (int) length);
    if (ret <= 0) {
        report_error("wolfSSL_write", ssl, ret);
        return PEER_DTLS_FAILED;
    }
    for (;;) {
        ret = wolfSSL_read(ssl, message, sizeof message);
        if (ret <= 0) {
            report_error("wolfSSL_read", ssl, ret);
            return PEER_DTLS_FAILED;
        }
        struct coap_reply reply;
        if (coap_read_reply(message, (size_t) ret, &reply) == COAP_REPLY_PENDING) continue;
        if (reply.ack_length > 0) wolfSSL_write(ssl, reply.ack, (int) reply.ack_length);
        return coap_report(&reply);
    }
}

int main(int argc, char **argv)
{
    peer_parse_arguments(argc, argv, &arguments);
    peer_start_deadline(DEADLINE_SECONDS);

    int fd = connect_udp(arguments.host, arguments.port);
    if (fd < 0) return PEER_DTLS_FAILED;
    wolfSSL_Init();
    int result = PEER_DTLS_FAILED;
    WOLFSSL *ssl = NULL;
    WOLFSSL_CTX *context = wolfSSL_CTX_new(wolfDTLS_client_method());
    if (context == NULL) {
        fprintf(stderr, "wolfSSL_CTX_new failed\n");
        goto done;
    }
    wolfSSL_CTX_set_psk_client_callback(context, psk_for_server);
    ssl = wolfSSL_new(context);
    if (ssl == NULL || wolfSSL_set_fd(ssl, fd) != WOLFSSL_SUCCESS) {
        fprintf(stderr, "wolfSSL_new failed\n");
        goto done;
    }
    int ret = wolfSSL_connect(ssl);
    if (ret != WOLFSSL_SUCCESS) {
        report_error("DTLS handshake", ssl, ret);
        goto done;
    }
    printf("handshake %s %s\n", wolfSSL_get_version(ssl), wolfSSL_get_cipher(ssl));
    result = register_device(ssl);
    wolfSSL_shutdown(ssl);

done:
    wolfSSL_free(ssl);
    wolfSSL_CTX_free(context);
    wolfSSL_Cleanup();
    close(fd);
    return result;
}
