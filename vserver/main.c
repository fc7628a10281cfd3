/* SPDX-License-Identifier: MIT */
/* vserver: see `vserver -h` and README.md. All protocol code is in libshared. */
#include "core/engine.h"

int
main(int argc, char **argv)
{
	return app_main(&tool_vserver, argc, argv);
}
