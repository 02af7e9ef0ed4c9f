// quote.h: how hood shows what a user typed, in an error or an echo, the
// same in the kernel (the boot command line, kernel/cmdline.c) and in the
// runtime (its knobs, runtime/runtime1.c): printable ASCII as it is;
// backslash, tab, newline and carriage return as \\ \t \n \r; every other
// byte as \xNN. An error quotes at most QuoteMax bytes of a word, then
// "..." and the word's length, so it never shows a fragment as if it were
// all the user typed:
//
//	"lots"
//	"aaaa...aaaa..." (4000 bytes)
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum {
	QuoteMax = 64,                // bytes of a word an error quotes
	QuoteLen = 4 * QuoteMax + 40, // room for quote_word's result
};

// Escape n bytes of s into dst, NUL-terminated, as many as fit in dstlen
// (an escape is never cut); returns how many of the n bytes went in.
static inline size_t
quote_escape(char *dst, size_t dstlen, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0, i;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		char e[5];
		size_t elen = 2;
		e[0] = '\\';
		if (c == '\\') {
			e[1] = '\\';
		} else if (c == '\t' || c == '\n' || c == '\r') {
			e[1] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
		} else if (c < 0x20 || c >= 0x7f) {
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 15];
			elen = 4;
		} else {
			e[0] = c;
			elen = 1;
		}
		if (used + elen >= dstlen) {
			break; // keep the NUL's byte
		}
		memcpy(dst + used, e, elen);
		used += elen;
	}
	dst[used] = '\0';
	return i;
}

// An error's quotation of the n bytes of s, with its quotes, into dst of
// at least QuoteLen bytes. Returns dst.
static inline const char *
quote_word(char *dst, size_t dstlen, const char *s, size_t n)
{
	dst[0] = '"';
	size_t took = quote_escape(dst + 1, dstlen - 32, s, n < QuoteMax ? n : QuoteMax);
	size_t used = strlen(dst);
	if (took < n) {
		snprintf(dst + used, dstlen - used, "...\" (%zu bytes)", n);
	} else {
		snprintf(dst + used, dstlen - used, "\"");
	}
	return dst;
}
