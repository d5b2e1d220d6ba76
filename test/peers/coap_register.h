/*
 * The LwM2M Register request (LwM2M Transport 1.1 section 6.2.1: POST /rd?ep=..&lt=..&lwm2m=1.1&b=U) as
 * one confirmable CoAP message (RFC 7252 section 3), and the reading of its answer. The DTLS is the
 * libraries'; this only turns bytes into a request and a reply into a line of output.
 */
#ifndef COAP_REGISTER_H
#define COAP_REGISTER_H

#include <stddef.h>

#include "peer_arguments.h"

#define COAP_MAX_MESSAGE 1152
#define COAP_MAX_LOCATION 256

/* Writes the request into `out`; returns its length, or 0 when it does not fit. */
size_t coap_register_request(const struct peer_arguments *arguments, unsigned char *out, size_t capacity);

enum coap_reply_kind {
    COAP_REPLY_FINAL,   /* the response to our request: `code` and `location` are set */
    COAP_REPLY_PENDING  /* an empty ACK (a separate response follows) or an unrelated message */
};

struct coap_reply {
    unsigned char code;
    char location[COAP_MAX_LOCATION];
    /* A confirmable (separate) response must be acknowledged: the empty ACK to send, when ack_length > 0. */
    unsigned char ack[4];
    size_t ack_length;
};

enum coap_reply_kind coap_read_reply(const unsigned char *message, size_t length, struct coap_reply *reply);

/* Prints the response code and Location-Path; returns PEER_REGISTERED on 2.01, PEER_OTHER_RESPONSE otherwise. */
int coap_report(const struct coap_reply *reply);

#endif
