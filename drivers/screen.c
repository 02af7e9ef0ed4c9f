// screen.c: the console on a screen, when there is one. Two kinds:
//
//   - VGA text mode: 80x25 cells of (character, attribute) at 0xB8000, as
//     GRUB leaves it on a BIOS PC (multiboot2 framebuffer type 2) and as the
//     BIOS leaves it before qemu -kernel's PVH entry. Without a loader's
//     word we trust the BIOS data area: its word at 0x463 holds the CRT
//     controller's port, 0x3D4 for a colour text adapter.
//   - a linear RGB framebuffer (GRUB under UEFI), drawn with an 8x16 font.
//
// Output is appended at the bottom and scrolls; there is no cursor.

#include <string.h>

#include "drivers.h"
#include "kernel/bootinfo.h"
#include "kernel/kernel.h"
#include "kernel/memlayout.h"

enum {
	VGA_TEXT = 0xB8000,
	BDA_CRTC_PORT = 0x463,
	CRTC_COLOR = 0x3D4,
	ATTR = 0x07, // light grey on black
};

static void text_write(const char *s, size_t n);

static struct consink textsink = {"vga", text_write, NULL};

static struct {
	uint16_t *cells;
	int cols, rows;
	int x, y;
} text;

void
screen_init(void)
{
	struct framebuffer *fb = &bootinfo.fb;

	if (fb->type == FB_EGATEXT) {
		text.cells = p2v(fb->addr);
		text.cols = fb->width;
		text.rows = fb->height;
	} else if (fb->type == FB_NONE && *(uint16_t *)p2v(BDA_CRTC_PORT) == CRTC_COLOR) {
		text.cells = p2v(VGA_TEXT);
		text.cols = 80;
		text.rows = 25;
	} else {
		return;
	}
	for (int i = 0; i < text.cols * text.rows; i++) {
		text.cells[i] = ATTR << 8 | ' ';
	}
	text.y = text.rows - 1;
	console_register(&textsink);
}

// Called with the console lock held.
static void
text_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\n' || text.x == text.cols) {
			memmove(text.cells, text.cells + text.cols, (text.rows - 1) * text.cols * 2);
			for (int j = 0; j < text.cols; j++) {
				text.cells[(text.rows - 1) * text.cols + j] = ATTR << 8 | ' ';
			}
			text.x = 0;
		}
		if (c == '\n') {
			continue;
		}
		if (c == '\t') {
			c = ' ';
		}
		text.cells[text.y * text.cols + text.x++] = ATTR << 8 | (uint8_t)c;
	}
}
