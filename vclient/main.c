/* SPDX-License-Identifier: MIT */
/* vclient: see `vclient -h` and README.md. All protocol code is in libshared. */
#include "core/engine.h"

int
main(int argc, char **argv)
{
	return app_main(&tool_vclient, argc, argv);
}
