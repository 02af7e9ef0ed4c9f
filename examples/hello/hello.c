// hello: the smallest hood application. main runs once the machine is up;
// its return value is the machine's exit status.

#include <stdio.h>

int
main(void)
{
	printf("hello, world\n");
	return 0;
}
