/*
 * Strict JSON (RFC 8259) parser for safetensors headers, and a UTF-8
 * validator. The parser builds a flat tree of st_json_node in document
 * order and decodes string escapes in place. It accepts exactly the JSON
 * grammar: no comments, trailing commas, single quotes, NaN or leading
 * zeros, and no lone surrogate escapes. Nesting depth and value count are
 * capped (ST_JSON_MAX_DEPTH, ST_JSON_MAX_NODES) so that a hostile header
 * can cost neither deep recursion nor unbounded memory.
 *
 * What the values mean to a safetensors file is checked elsewhere
 * (safetensors_parse.c).
 */
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

typedef struct json_parser {
    char *text;
    size_t length;
    size_t pos;
    uint32_t depth;
    uint64_t base_offset;
    const char *label;
    st_json_document *doc;
    emb_error *err;
} json_parser;

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                    */
/* ------------------------------------------------------------------------ */

static bool is_continuation(unsigned char byte)
{
    return (byte & 0xC0) == 0x80;
}

bool emb_st_utf8_valid(const unsigned char *bytes, size_t length,
                       size_t *bad_offset)
{
    size_t i = 0;

    while (i < length) {
        unsigned char lead = bytes[i];
        size_t extra;
        unsigned char low = 0x80, high = 0xBF; /* range of the 2nd byte */

        if (lead < 0x80) {
            i++;
            continue;
        }
        if (lead >= 0xC2 && lead <= 0xDF) {
            extra = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            extra = 2;
            if (lead == 0xE0)
                low = 0xA0;     /* overlong below U+0800 */
            else if (lead == 0xED)
                high = 0x9F;    /* surrogates U+D800..U+DFFF */
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            extra = 3;
            if (lead == 0xF0)
                low = 0x90;     /* overlong below U+10000 */
            else if (lead == 0xF4)
                high = 0x8F;    /* above U+10FFFF */
        } else {
            *bad_offset = i;    /* continuation byte, C0, C1 or F5..FF */
            return false;
        }

        if (length - i <= extra || bytes[i + 1] < low || bytes[i + 1] > high) {
            *bad_offset = i;
            return false;
        }
        for (size_t k = 2; k <= extra; k++) {
            if (!is_continuation(bytes[i + k])) {
                *bad_offset = i;
                return false;
            }
        }
        i += extra + 1;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Parser                                                                   */
/* ------------------------------------------------------------------------ */

const char *emb_st_json_type_name(uint8_t type)
{
    switch (type) {
    case ST_JSON_NULL:
        return "null";
    case ST_JSON_FALSE:
    case ST_JSON_TRUE:
        return "boolean";
    case ST_JSON_NUMBER:
        return "number";
    case ST_JSON_STRING:
        return "string";
    case ST_JSON_ARRAY:
        return "array";
    case ST_JSON_OBJECT:
        return "object";
    default:
        return "unknown value";
    }
}

static emb_status syntax_error(json_parser *p, const char *what)
{
    return emb_fail(p->err, EMB_ERR_FORMAT,
                    "invalid JSON in the safetensors header of %s at file "
                    "byte %llu: %s",
                    p->label, (unsigned long long)(p->base_offset + p->pos),
                    what);
}

/* Appends a node and stores its index in *index. */
static emb_status add_node(json_parser *p, uint8_t type, uint32_t *index)
{
    st_json_document *doc = p->doc;

    if (doc->node_count == doc->node_capacity) {
        uint32_t capacity;
        st_json_node *grown;

        if (doc->node_capacity >= ST_JSON_MAX_NODES)
            return emb_fail(p->err, EMB_ERR_FORMAT,
                            "the safetensors header of %s has more than %u "
                            "JSON values",
                            p->label, (unsigned)ST_JSON_MAX_NODES);
        capacity = doc->node_capacity == 0 ? 64 : doc->node_capacity * 2;
        if (capacity > ST_JSON_MAX_NODES)
            capacity = ST_JSON_MAX_NODES;
        grown = realloc(doc->nodes, (size_t)capacity * sizeof(*grown));
        if (grown == NULL)
            return emb_fail(p->err, EMB_ERR_OUT_OF_MEMORY,
                            "cannot allocate %zu bytes to parse the "
                            "safetensors header of %s",
                            (size_t)capacity * sizeof(*grown), p->label);
        doc->nodes = grown;
        doc->node_capacity = capacity;
    }

    *index = doc->node_count++;
    memset(&doc->nodes[*index], 0, sizeof(doc->nodes[*index]));
    doc->nodes[*index].type = type;
    return EMB_OK;
}

static void skip_whitespace(json_parser *p)
{
    while (p->pos < p->length) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static bool at(const json_parser *p, char c)
{
    return p->pos < p->length && p->text[p->pos] == c;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u" at p->pos + 2 into *unit. */
static emb_status read_hex4(json_parser *p, uint32_t *unit)
{
    uint32_t value = 0;

    if (p->length - p->pos < 6)
        return syntax_error(p, "truncated \\u escape");
    for (size_t k = 2; k < 6; k++) {
        int digit = hex_value(p->text[p->pos + k]);
        if (digit < 0)
            return syntax_error(p, "\\u must be followed by 4 hex digits");
        value = value * 16 + (uint32_t)digit;
    }
    *unit = value;
    return EMB_OK;
}

/* Writes code point cp as UTF-8 at text + *write. */
static void put_utf8(char *text, size_t *write, uint32_t cp)
{
    unsigned char *out = (unsigned char *)text + *write;

    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        *write += 1;
    } else if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        *write += 2;
    } else if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        *write += 3;
    } else {
        out[0] = (unsigned char)(0xF0 | (cp >> 18));
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (cp & 0x3F));
        *write += 4;
    }
}

/* Decodes a \u escape (with its low surrogate, if any) at p->pos, writing
 * UTF-8 at *write. Every escape is at least as long as its UTF-8 form, so
 * writing never overtakes reading. */
static emb_status decode_unicode_escape(json_parser *p, size_t *write)
{
    uint32_t unit, low;
    emb_status status = read_hex4(p, &unit);

    if (status != EMB_OK)
        return status;
    if (unit >= 0xDC00 && unit <= 0xDFFF)
        return syntax_error(p, "lone low surrogate in \\u escape");
    if (unit < 0xD800 || unit > 0xDBFF) {
        p->pos += 6;
        put_utf8(p->text, write, unit);
        return EMB_OK;
    }

    /* A high surrogate must be followed by an escaped low surrogate. */
    if (p->length - p->pos < 12 || p->text[p->pos + 6] != '\\' ||
        p->text[p->pos + 7] != 'u')
        return syntax_error(p, "high surrogate in \\u escape is not "
                               "followed by a low surrogate");
    p->pos += 6;
    status = read_hex4(p, &low);
    if (status != EMB_OK)
        return status;
    if (low < 0xDC00 || low > 0xDFFF)
        return syntax_error(p, "high surrogate in \\u escape is not "
                               "followed by a low surrogate");
    p->pos += 6;
    put_utf8(p->text, write, 0x10000 + ((unit - 0xD800) << 10) +
                                 (low - 0xDC00));
    return EMB_OK;
}

static emb_status parse_string(json_parser *p)
{
    size_t start = p->pos + 1;
    size_t write = start;
    uint32_t index;
    emb_status status = add_node(p, ST_JSON_STRING, &index);

    if (status != EMB_OK)
        return status;
    p->pos = start;

    for (;;) {
        unsigned char c;

        if (p->pos >= p->length)
            return syntax_error(p, "unterminated string");
        c = (unsigned char)p->text[p->pos];
        if (c == '"')
            break;
        if (c < 0x20)
            return syntax_error(p, "unescaped control character in a "
                                   "string");
        if (c != '\\') {
            p->text[write++] = (char)c;
            p->pos++;
            continue;
        }

        if (p->pos + 1 >= p->length)
            return syntax_error(p, "unterminated escape");
        switch (p->text[p->pos + 1]) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u':
            status = decode_unicode_escape(p, &write);
            if (status != EMB_OK)
                return status;
            continue;
        default:
            return syntax_error(p, "unknown escape sequence");
        }
        p->text[write++] = (char)c;
        p->pos += 2;
    }

    /* The decoded string ends at or before the closing quote, so its
     * terminating NUL overwrites nothing still to be parsed. */
    p->text[write] = '\0';
    p->doc->nodes[index].as.string.offset = (uint32_t)start;
    p->doc->nodes[index].as.string.length = (uint32_t)(write - start);
    p->doc->nodes[index].end = p->doc->node_count;
    p->pos++;
    return EMB_OK;
}

static emb_status parse_number(json_parser *p)
{
    uint64_t magnitude = 0;
    uint8_t flags = 0;
    uint32_t index;
    emb_status status;

    if (at(p, '-')) {
        flags |= ST_NUMBER_NEGATIVE;
        p->pos++;
    }
    if (p->pos >= p->length || !is_digit(p->text[p->pos]))
        return syntax_error(p, "invalid number");

    if (p->text[p->pos] == '0') {
        p->pos++;
        if (p->pos < p->length && is_digit(p->text[p->pos]))
            return syntax_error(p, "numbers must not have leading zeros");
    } else {
        while (p->pos < p->length && is_digit(p->text[p->pos])) {
            uint64_t digit = (uint64_t)(p->text[p->pos] - '0');
            if (magnitude > (UINT64_MAX - digit) / 10)
                flags |= ST_NUMBER_TOO_LARGE;
            else
                magnitude = magnitude * 10 + digit;
            p->pos++;
        }
    }

    if (at(p, '.')) {
        flags |= ST_NUMBER_FRACTION;
        p->pos++;
        if (p->pos >= p->length || !is_digit(p->text[p->pos]))
            return syntax_error(p, "a digit must follow the decimal point");
        while (p->pos < p->length && is_digit(p->text[p->pos]))
            p->pos++;
    }
    if (at(p, 'e') || at(p, 'E')) {
        flags |= ST_NUMBER_FRACTION;
        p->pos++;
        if (at(p, '+') || at(p, '-'))
            p->pos++;
        if (p->pos >= p->length || !is_digit(p->text[p->pos]))
            return syntax_error(p, "a digit must follow the exponent mark");
        while (p->pos < p->length && is_digit(p->text[p->pos]))
            p->pos++;
    }

    status = add_node(p, ST_JSON_NUMBER, &index);
    if (status != EMB_OK)
        return status;
    p->doc->nodes[index].number_flags = flags;
    p->doc->nodes[index].as.magnitude = magnitude;
    p->doc->nodes[index].end = p->doc->node_count;
    return EMB_OK;
}

static emb_status parse_literal(json_parser *p, const char *word,
                                uint8_t type)
{
    size_t length = strlen(word);
    uint32_t index;
    emb_status status;

    if (p->length - p->pos < length ||
        memcmp(p->text + p->pos, word, length) != 0)
        return syntax_error(p, "invalid literal (expected true, false or "
                               "null)");
    p->pos += length;
    status = add_node(p, type, &index);
    if (status == EMB_OK)
        p->doc->nodes[index].end = p->doc->node_count;
    return status;
}

static emb_status parse_value(json_parser *p);

/* Parses an array or object; p->pos is at its opening bracket. */
static emb_status parse_container(json_parser *p, bool is_object)
{
    char close = is_object ? '}' : ']';
    uint32_t index, count = 0;
    emb_status status;

    if (p->depth >= ST_JSON_MAX_DEPTH)
        return syntax_error(p, "arrays and objects are nested too deeply");
    status = add_node(p, is_object ? ST_JSON_OBJECT : ST_JSON_ARRAY, &index);
    if (status != EMB_OK)
        return status;
    p->depth++;
    p->pos++;
    skip_whitespace(p);

    if (at(p, close)) {
        p->pos++;
    } else {
        for (;;) {
            if (is_object) {
                if (!at(p, '"'))
                    return syntax_error(p, "expected a string key");
                status = parse_string(p);
                if (status != EMB_OK)
                    return status;
                skip_whitespace(p);
                if (!at(p, ':'))
                    return syntax_error(p, "expected ':' after a key");
                p->pos++;
            }
            status = parse_value(p);
            if (status != EMB_OK)
                return status;
            count++;

            skip_whitespace(p);
            if (at(p, close)) {
                p->pos++;
                break;
            }
            if (!at(p, ','))
                return syntax_error(p, is_object ? "expected ',' or '}'"
                                                 : "expected ',' or ']'");
            p->pos++;
            skip_whitespace(p);
        }
    }

    p->depth--;
    p->doc->nodes[index].as.count = count;
    p->doc->nodes[index].end = p->doc->node_count;
    return EMB_OK;
}

static emb_status parse_value(json_parser *p)
{
    skip_whitespace(p);
    if (p->pos >= p->length)
        return syntax_error(p, "expected a value, found the end of the "
                               "header");

    switch (p->text[p->pos]) {
    case '{':
        return parse_container(p, true);
    case '[':
        return parse_container(p, false);
    case '"':
        return parse_string(p);
    case 't':
        return parse_literal(p, "true", ST_JSON_TRUE);
    case 'f':
        return parse_literal(p, "false", ST_JSON_FALSE);
    case 'n':
        return parse_literal(p, "null", ST_JSON_NULL);
    default:
        if (p->text[p->pos] == '-' || is_digit(p->text[p->pos]))
            return parse_number(p);
        return syntax_error(p, "expected a value");
    }
}

emb_status emb_st_json_parse(char *text, size_t length, uint64_t base_offset,
                             const char *label, st_json_document *doc,
                             emb_error *err)
{
    json_parser p = {text, length, 0, 0, base_offset, label, doc, err};
    emb_status status;

    memset(doc, 0, sizeof(*doc));
    doc->text = text;
    /* Node fields hold text offsets as uint32_t. */
    if (length > UINT32_MAX - 1)
        return emb_fail(err, EMB_ERR_FORMAT,
                        "the safetensors header of %s is longer than %u "
                        "bytes",
                        label, (unsigned)(UINT32_MAX - 1));

    status = parse_value(&p);
    if (status == EMB_OK) {
        skip_whitespace(&p);
        if (p.pos != p.length)
            status = syntax_error(&p, "unexpected data after the JSON "
                                      "value");
    }
    if (status != EMB_OK)
        emb_st_json_free(doc);
    return status;
}

void emb_st_json_free(st_json_document *doc)
{
    free(doc->nodes);
    memset(doc, 0, sizeof(*doc));
}
