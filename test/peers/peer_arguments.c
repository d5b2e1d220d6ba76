#define _POSIX_C_SOURCE 200809L
#include "peer_arguments.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int hex_value(char digit)
{
    if (digit >= '0' && digit <= '9') return digit - '0';
    if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
    if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
    return -1;
}

static int parse_hex_key(const char *hex, struct peer_arguments *arguments)
{
    size_t length = strlen(hex);
    if (length == 0 || length % 2 != 0 || length / 2 > PEER_MAX_KEY_LENGTH) return -1;
    for (size_t i = 0; i < length / 2; i++) {
        int high = hex_value(hex[2 * i]);
        int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) return -1;
        arguments->key[i] = (unsigned char) (high * 16 + low);
    }
    arguments->key_length = length / 2;
    return 0;
}

void peer_parse_arguments(int argc, char **argv, struct peer_arguments *arguments)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT PSK_IDENTITY PSK_KEY_HEX ENDPOINT [LIFETIME_SECONDS]\n", argv[0]);
        exit(PEER_USAGE);
    }
    arguments->host = argv[1];
    arguments->port = argv[2];
    arguments->identity = argv[3];
    if (parse_hex_key(argv[4], arguments) != 0) {
        fprintf(stderr, "PSK_KEY_HEX must be 1 to %d bytes as an even number of hex digits\n", PEER_MAX_KEY_LENGTH);
        exit(PEER_USAGE);
    }
    arguments->endpoint = argv[5];
    arguments->lifetime = argc == 7 ? argv[6] : "300";
}

void peer_parse_certificate_arguments(int argc, char **argv, struct peer_arguments *arguments)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s --certificate CERT_PEM KEY_PEM CA_PEM SERVER_NAME HOST PORT ENDPOINT [LIFETIME_SECONDS]\n", argv[0]);
        exit(PEER_USAGE);
    }
    arguments->host = argv[1];
    arguments->port = argv[2];
    arguments->identity = NULL;
    arguments->key_length = 0;
    arguments->endpoint = argv[3];
    arguments->lifetime = argc == 5 ? argv[4] : "300";
}

static void deadline_passed(int signal_number)
{
    static const char message[] = "timed out\n";
    (void) signal_number;
    /* Only async-signal-safe calls here. */
    if (write(STDERR_FILENO, message, sizeof message - 1) < 0) _exit(PEER_TIMED_OUT);
    _exit(PEER_TIMED_OUT);
}

void peer_start_deadline(unsigned int seconds)
{
    signal(SIGALRM, deadline_passed);
    alarm(seconds);
}
