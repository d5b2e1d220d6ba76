/* The command line shared by the independent DTLS-PSK peers, and their overall deadline. */
#ifndef PEER_ARGUMENTS_H
#define PEER_ARGUMENTS_H

#include <stddef.h>

#define PEER_MAX_KEY_LENGTH 64

/* Exit codes: 0 only when the server answered the Register with 2.01 Created. */
enum peer_exit {
    PEER_REGISTERED = 0,
    PEER_OTHER_RESPONSE = 1,
    PEER_USAGE = 2,
    PEER_DTLS_FAILED = 3,
    PEER_TIMED_OUT = 4
};

struct peer_arguments {
    const char *host;
    const char *port;
    const char *identity;
    unsigned char key[PEER_MAX_KEY_LENGTH];
    size_t key_length;
    const char *endpoint;
    const char *lifetime;
};

/* Fills `arguments` from argv or prints the usage and exits with PEER_USAGE. */
void peer_parse_arguments(int argc, char **argv, struct peer_arguments *arguments);

/* As peer_parse_arguments for a peer with a certificate instead of a PSK: HOST PORT ENDPOINT [LIFETIME_SECONDS]. */
void peer_parse_certificate_arguments(int argc, char **argv, struct peer_arguments *arguments);

/* Ends the process with PEER_TIMED_OUT after `seconds`, whatever the library is waiting for. */
void peer_start_deadline(unsigned int seconds);

#endif
