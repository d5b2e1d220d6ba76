#define _POSIX_C_SOURCE 200809L
#include "coap_register.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* RFC 7252 section 12: message types, codes and option numbers used here. */
#define COAP_VERSION 1
#define COAP_CONFIRMABLE 0
#define COAP_ACKNOWLEDGEMENT 2
#define COAP_POST 0x02
#define COAP_CREATED 0x41
#define OPTION_LOCATION_PATH 8
#define OPTION_URI_PATH 11
#define OPTION_CONTENT_FORMAT 12
#define OPTION_URI_QUERY 15
#define CONTENT_FORMAT_LINK_FORMAT 40
#define PAYLOAD_MARKER 0xff

static const unsigned char token[4] = { 'L', 'w', 'M', '2' };
static unsigned int message_id;

struct writer {
    unsigned char *out;
    size_t capacity;
    size_t length;
    int overflow;
};

static void put(struct writer *writer, const void *bytes, size_t count)
{
    if (writer->overflow || writer->length + count > writer->capacity) {
        writer->overflow = 1;
        return;
    }
    memcpy(writer->out + writer->length, bytes, count);
    writer->length += count;
}

static void put_byte(struct writer *writer, unsigned int byte)
{
    unsigned char value = (unsigned char) byte;
    put(writer, &value, 1);
}

/* RFC 7252 section 3.1: 4-bit delta and length nibbles, extended by one (13) or two (14) bytes. */
static unsigned int nibble(size_t value)
{
    return value < 13 ? (unsigned int) value : value < 269 ? 13u : 14u;
}

static void put_extension(struct writer *writer, size_t value)
{
    if (value >= 269) {
        put_byte(writer, (value - 269) >> 8);
        put_byte(writer, (value - 269) & 0xff);
    } else if (value >= 13) {
        put_byte(writer, value - 13);
    }
}

static void put_option(struct writer *writer, unsigned int *previous, unsigned int number, const void *value, size_t length)
{
    size_t delta = number - *previous;
    *previous = number;
    put_byte(writer, nibble(delta) << 4 | nibble(length));
    put_extension(writer, delta);
    put_extension(writer, length);
    put(writer, value, length);
}

static void put_query(struct writer *writer, unsigned int *previous, const char *name, const char *value)
{
    char query[300];
    int length = snprintf(query, sizeof query, "%s=%s", name, value);
    if (length < 0 || (size_t) length >= sizeof query) {
        writer->overflow = 1;
        return;
    }
    put_option(writer, previous, OPTION_URI_QUERY, query, (size_t) length);
}

size_t coap_register_request(const struct peer_arguments *arguments, unsigned char *out, size_t capacity)
{
    static const char payload[] = "</1/0>,</3/0>";
    const unsigned char content_format = CONTENT_FORMAT_LINK_FORMAT;
    struct writer writer = { out, capacity, 0, 0 };
    unsigned int previous = 0;

    message_id = (unsigned int) getpid() & 0xffff;
    put_byte(&writer, COAP_VERSION << 6 | COAP_CONFIRMABLE << 4 | sizeof token);
    put_byte(&writer, COAP_POST);
    put_byte(&writer, message_id >> 8);
    put_byte(&writer, message_id & 0xff);
    put(&writer, token, sizeof token);
    put_option(&writer, &previous, OPTION_URI_PATH, "rd", 2);
    put_option(&writer, &previous, OPTION_CONTENT_FORMAT, &content_format, 1);
    put_query(&writer, &previous, "ep", arguments->endpoint);
    put_query(&writer, &previous, "lt", arguments->lifetime);
    put_query(&writer, &previous, "lwm2m", "1.1");
    put_query(&writer, &previous, "b", "U");
    put_byte(&writer, PAYLOAD_MARKER);
    put(&writer, payload, sizeof payload - 1);
    return writer.overflow ? 0 : writer.length;
}

/* Reads an extended delta or length (RFC 7252 section 3.1); -1 for the reserved value 15 or a short message. */
static long read_extension(unsigned int nibble_value, const unsigned char *message, size_t length, size_t *at)
{
    if (nibble_value < 13) return nibble_value;
    if (nibble_value == 13 && *at + 1 <= length) return 13 + message[(*at)++];
    if (nibble_value == 14 && *at + 2 <= length) {
        long value = 269 + (message[*at] << 8 | message[*at + 1]);
        *at += 2;
        return value;
    }
    return -1;
}

static void append_location_segment(struct coap_reply *reply, const unsigned char *segment, size_t length)
{
    size_t used = strlen(reply->location);
    if (used + 1 + length >= sizeof reply->location) return;
    reply->location[used] = '/';
    memcpy(reply->location + used + 1, segment, length);
    reply->location[used + 1 + length] = '\0';
}

enum coap_reply_kind coap_read_reply(const unsigned char *message, size_t length, struct coap_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    if (length < 4 || message[0] >> 6 != COAP_VERSION) return COAP_REPLY_PENDING;
    unsigned int type = message[0] >> 4 & 3;
    size_t token_length = message[0] & 0x0f;
    unsigned int id = (unsigned int) (message[2] << 8 | message[3]);
    if (message[1] == 0) return COAP_REPLY_PENDING; /* empty ACK: a separate response follows (section 5.2.2) */
    if (token_length != sizeof token || length < 4 + token_length || memcmp(message + 4, token, sizeof token) != 0) return COAP_REPLY_PENDING;
    if (type == COAP_ACKNOWLEDGEMENT && id != message_id) return COAP_REPLY_PENDING;
    reply->code = message[1];
    if (type == COAP_CONFIRMABLE) {
        reply->ack[0] = COAP_VERSION << 6 | COAP_ACKNOWLEDGEMENT << 4;
        reply->ack[1] = 0;
        reply->ack[2] = message[2];
        reply->ack[3] = message[3];
        reply->ack_length = 4;
    }
    size_t at = 4 + token_length;
    unsigned int number = 0;
    while (at < length && message[at] != PAYLOAD_MARKER) {
        unsigned int header = message[at++];
        long delta = read_extension(header >> 4, message, length, &at);
        long option_length = read_extension(header & 0x0f, message, length, &at);
        if (delta < 0 || option_length < 0 || at + (size_t) option_length > length) break;
        number += (unsigned int) delta;
        if (number == OPTION_LOCATION_PATH) append_location_segment(reply, message + at, (size_t) option_length);
        at += (size_t) option_length;
    }
    return COAP_REPLY_FINAL;
}

int coap_report(const struct coap_reply *reply)
{
    printf("response %u.%02u\n", reply->code >> 5, reply->code & 0x1f);
    printf("location-path %s\n", reply->location[0] != '\0' ? reply->location : "(none)");
    fflush(stdout);
    return reply->code == COAP_CREATED ? PEER_REGISTERED : PEER_OTHER_RESPONSE;
}
