// echo: reads lines from the console (the serial port) and writes each
// back, until a line "quit" or the end of input: Ctrl-D at the start of a
// line, as on a terminal (docs/machine.md, section 11). Shows console
// input, typed or piped:
//
//	make run APP=echo
//	printf 'hello\n' | make run APP=echo
#include <stdio.h>
#include <string.h>

int
main(void)
{
	char line[256];

	printf("echo: type lines; \"quit\" or Ctrl-D ends\n");
	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "quit") == 0) {
			break;
		}
		printf("echo: %s\n", line);
	}
	return 0;
}
