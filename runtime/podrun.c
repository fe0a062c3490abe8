/* placeholder main until the CLI lands */
#include <stdio.h>
int main(void) { puts("podrun " PODKIT_VERSION); return 0; }
