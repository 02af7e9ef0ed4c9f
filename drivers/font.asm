; font.asm: the console font for framebuffer screens, linked into the image.
;
;   extern const uint8_t consolefont[], consolefont_end[];   // drivers/screen.c
;
; FONT is the path of a PSF1 file, which scripts/setup extracts from
; Debian's console-setup-linux package (Uni2-VGA16: 8x16 VGA glyphs) and the
; Makefile passes in; it is never committed.

section .rodata
global consolefont, consolefont_end
consolefont:
	incbin FONT
consolefont_end:
