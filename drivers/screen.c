// screen.c: the console on a screen, when there is one. Two kinds:
//
//   - VGA text mode: cells of (character, attribute), 80x25 at 0xB8000, as
//     GRUB leaves it on a BIOS PC (multiboot2 framebuffer type 2) and as the
//     BIOS leaves it before qemu -kernel's PVH entry. Without a loader's
//     word we trust the BIOS data area: its word at 0x463 holds the CRT
//     controller's port, 0x3D4 for a colour text adapter.
//   - a linear RGB framebuffer (GRUB under UEFI), 24 or 32 bits a pixel,
//     drawn with an 8x16 PSF font that scripts/setup takes from Debian's
//     console-setup-linux package and drivers/font.asm links in.
//
// Both are a grid of character cells; text is appended at the bottom row,
// which scrolls up on a newline. There is no cursor.
//
// VGA text memory is not RAM to QEMU: every byte read or written there is
// a call into its VGA model. Copying 24 rows up on each newline cost
// 0.45 ms a line under TCG, and clearing the screen with 25 scrolls 11 ms
// of the boot (docs/boot.md, "Measured"). So text mode scrolls the way
// the hardware offers: the CRTC's start address (registers 0x0C and 0x0D,
// in cells) says which cell is the top left one, and a scroll moves it on
// by a row and blanks the new bottom row, 80 cells. The 32 KiB window at
// 0xB8000 holds TEXT_CELLS cells; when the next row would run past its
// end, the visible rows are copied back to its start once (every ~180
// lines). The framebuffer is RAM and scrolls by copying.

#include <string.h>

#include "drivers.h"
#include "kernel/bootinfo.h"
#include "kernel/kernel.h"
#include "kernel/memlayout.h"
#include "kernel/x86.h"

enum {
	VGA_TEXT = 0xB8000,
	BDA_CRTC_PORT = 0x463,
	CRTC_COLOR = 0x3D4, // index register; data at +1
	CRTC_CURSOR_START = 0x0A,
	CRTC_START_HIGH = 0x0C,  // the cell shown top left, bits 15-8
	CRTC_START_LOW = 0x0D,   // and bits 7-0
	TEXT_CELLS = 0x8000 / 2, // the 32 KiB window at 0xB8000, 2 bytes a cell
	CURSOR_OFF = 0x20,
	ATTR = 0x07, // light grey on black

	PSF1_MAGIC = 0x0436,    // little-endian bytes 0x36 0x04
	PSF1_MODE512 = 0x01,    // 512 glyphs, not 256
	PSF1_MODEHASTAB = 0x02, // a Unicode table follows the glyphs
	PSF1_SEPARATOR = 0xFFFF,
	GLYPHW = 8,
	GREY = 0xAA,
};

extern const uint8_t consolefont[], consolefont_end[]; // font.asm

static void screen_write(const char *s, size_t n);
static void text_putcell(int x, int y, char c);
static void text_scroll(void);
static void text_clear(void);
static void text_settop(int t);
static bool fb_init(struct framebuffer *fb);
static void fb_putcell(int x, int y, char c);
static void fb_scroll(void);

static struct consink screensink = {"screen", screen_write, NULL};

// The cell grid and its backend. Owned by the console lock after init.
static struct {
	int cols, rows;
	int x; // next column on the bottom row
	void (*putcell)(int x, int y, char c);
	void (*scroll)(void); // move every row up one, blank the bottom one
} scr;

static uint16_t *cells; // VGA text memory
static int top;         // the cell shown top left: the CRTC's start address
static bool hwscroll;   // cells is the VGA's window: scroll with the start address

// The framebuffer and the font.
static struct {
	uint8_t *base;
	uint32_t pitch, bytespp;
	uint32_t fg; // the pixel value of the text colour
	const uint8_t *glyphs;
	int glyphh;
	uint16_t ascii[128]; // glyph index of each ASCII character
} fbs;

void
screen_init(void)
{
	struct framebuffer *fb = &bootinfo.fb;

	if (fb->type == FB_EGATEXT ||
	    (fb->type == FB_NONE && *(uint16_t *)p2v(BDA_CRTC_PORT) == CRTC_COLOR)) {
		uint64_t addr = fb->type == FB_EGATEXT ? fb->addr : VGA_TEXT;
		cells = p2v(addr);
		scr.cols = fb->type == FB_EGATEXT ? (int)fb->width : 80;
		scr.rows = fb->type == FB_EGATEXT ? (int)fb->height : 25;
		scr.putcell = text_putcell;
		scr.scroll = text_scroll;
		// The start address is the colour CRTC's; a text screen elsewhere
		// (or one too big for two screens in the window) scrolls by copying.
		hwscroll = addr == VGA_TEXT && 2 * scr.rows * scr.cols <= TEXT_CELLS;
		// Hide the blinking hardware cursor: CRTC cursor-start register,
		// bit 5 "cursor off".
		outb(CRTC_COLOR, CRTC_CURSOR_START);
		outb(CRTC_COLOR + 1, CURSOR_OFF);
		text_clear();
	} else if (fb->type != FB_RGB || !fb_init(fb)) {
		return;
	} else {
		for (int y = 0; y < scr.rows; y++) {
			scr.scroll();
		}
	}
	console_register(&screensink);
}

// Called with the console lock held.
static void
screen_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' || scr.x == scr.cols) {
			scr.scroll();
			scr.x = 0;
		}
		if (s[i] != '\n') {
			scr.putcell(scr.x++, scr.rows - 1, s[i]);
		}
	}
}

static void
text_putcell(int x, int y, char c)
{
	cells[top + y * scr.cols + x] = ATTR << 8 | (uint8_t)(c == '\t' ? ' ' : c);
}

// Show the screen from cell top on: the CRTC's start address.
static void
text_settop(int t)
{
	top = t;
	outb(CRTC_COLOR, CRTC_START_HIGH);
	outb(CRTC_COLOR + 1, (uint8_t)(top >> 8));
	outb(CRTC_COLOR, CRTC_START_LOW);
	outb(CRTC_COLOR + 1, (uint8_t)top);
}

// Blank the screen, each cell written once, shown from the window's start.
static void
text_clear(void)
{
	if (hwscroll) {
		text_settop(0);
	}
	for (int y = 0; y < scr.rows; y++) {
		for (int x = 0; x < scr.cols; x++) {
			text_putcell(x, y, ' ');
		}
	}
}

// Every row up one, the bottom one blank. With hwscroll, the rows stay
// where they are and the start address moves a row on (see the top).
static void
text_scroll(void)
{
	size_t rowcells = scr.cols;
	if (!hwscroll) {
		memmove(cells, cells + rowcells, (scr.rows - 1) * rowcells * sizeof cells[0]);
	} else if (top + (scr.rows + 1) * rowcells <= TEXT_CELLS) {
		text_settop(top + rowcells);
	} else {
		// Past the window's end: the rows that stay go back to its start.
		// Here top > TEXT_CELLS - (rows + 1) * cols >= (rows - 1) * cols
		// (hwscroll's condition), so the two ranges do not overlap.
		memcpy(cells, cells + top + rowcells, (scr.rows - 1) * rowcells * sizeof cells[0]);
		text_settop(0);
	}
	for (int x = 0; x < scr.cols; x++) {
		text_putcell(x, scr.rows - 1, ' ');
	}
}

// Check the font (PSF version 1: a 4-byte header, then 256 or 512 glyphs
// of 8 x charsize bits, then optionally a table of UCS-2 code points for
// each glyph, each list ended by 0xFFFF) and the framebuffer's format.
static bool
fb_init(struct framebuffer *fb)
{
	const uint8_t *f = consolefont;
	size_t size = consolefont_end - consolefont;

	if (fb->bpp != 24 && fb->bpp != 32) {
		kprintf("screen: %u-bit framebuffer not supported; serial console only\n", fb->bpp);
		return false;
	}
	if (size < 4 || (f[0] | f[1] << 8) != PSF1_MAGIC) {
		kprintf("screen: the linked-in font is not a PSF1 font; serial console only\n");
		return false;
	}
	int nglyphs = f[2] & PSF1_MODE512 ? 512 : 256;
	fbs.glyphh = f[3];
	fbs.glyphs = f + 4;
	if (4 + (size_t)nglyphs * fbs.glyphh > size) {
		kprintf("screen: the font is truncated; serial console only\n");
		return false;
	}
	for (int c = 0; c < 128; c++) {
		fbs.ascii[c] = c;
	}
	if (f[2] & PSF1_MODEHASTAB) {
		const uint8_t *p = fbs.glyphs + nglyphs * fbs.glyphh;
		for (int g = 0; g < nglyphs && p + 2 <= consolefont_end; p += 2) {
			uint16_t u = p[0] | p[1] << 8;
			if (u == PSF1_SEPARATOR) {
				g++;
			} else if (u < 128) {
				fbs.ascii[u] = g;
			}
		}
	}
	fbs.base = p2v(fb->addr);
	fbs.pitch = fb->pitch;
	fbs.bytespp = fb->bpp / 8;
	fbs.fg = GREY << fb->redpos | GREY << fb->greenpos | GREY << fb->bluepos;
	scr.cols = fb->width / GLYPHW;
	scr.rows = fb->height / fbs.glyphh;
	scr.putcell = fb_putcell;
	scr.scroll = fb_scroll;
	return scr.cols > 0 && scr.rows > 0;
}

static void
fb_putcell(int x, int y, char c)
{
	const uint8_t *glyph = fbs.glyphs + fbs.ascii[(uint8_t)c & 0x7F] * fbs.glyphh;
	for (int row = 0; row < fbs.glyphh; row++) {
		uint8_t *line = fbs.base + (y * fbs.glyphh + row) * fbs.pitch + x * GLYPHW * fbs.bytespp;
		for (int col = 0; col < GLYPHW; col++) {
			uint32_t px = glyph[row] & (0x80 >> col) ? fbs.fg : 0;
			memcpy(line + col * fbs.bytespp, &px, fbs.bytespp);
		}
	}
}

static void
fb_scroll(void)
{
	size_t rowbytes = (size_t)fbs.glyphh * fbs.pitch;
	memmove(fbs.base, fbs.base + rowbytes, (scr.rows - 1) * rowbytes);
	memset(fbs.base + (scr.rows - 1) * rowbytes, 0, rowbytes);
}
