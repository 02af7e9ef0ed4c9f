// drivers.h: device drivers the kernel starts at boot.
#pragma once

#include <stdbool.h>

// serial.c
void serial_init(void);
bool serial_present(void);
void serial_enableinput(void);

// screen.c
void screen_init(void);
