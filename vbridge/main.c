/* SPDX-License-Identifier: MIT */
/* vbridge: see `vbridge -h` and README.md. All protocol code is in libshared. */
#include "core/engine.h"

int
main(int argc, char **argv)
{
	return app_main(&tool_vbridge, argc, argv);
}
