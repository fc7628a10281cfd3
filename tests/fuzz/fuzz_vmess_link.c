/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vmess_link.c: quick_vmess_link_decode() over arbitrary text; what
 * it accepts must encode and decode again to the same link.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/quick.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quick_link	 a, b;
	char			*s, out[QUICK_LINK_MAX];
	const char		*why = NULL;
	int			 n;

	if (size > 2 * QUICK_LINK_MAX)
		return 0;
	/*
	 * Half the inputs get the prefix, so the fuzzer reaches the base64
	 * and JSON without having to find "vmess://" first.
	 */
	if ((s = malloc(size + 9)) == NULL)
		return 0;
	if (size > 0 && (data[0] & 1)) {
		memcpy(s, "vmess://", 8);
		memcpy(s + 8, data + 1, size - 1);
		s[size + 7] = '\0';
	} else {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	if (quick_vmess_link_decode(s, &a, &why) == 0) {
		n = quick_vmess_link_encode(&a, out, sizeof(out));
		if (n <= 8 || (size_t)n != strlen(out))
			abort();
		if (quick_vmess_link_decode(out, &b, &why) != 0 ||
		    memcmp(&a, &b, sizeof(a)) != 0)
			abort();
	} else if (why == NULL || *why == '\0')
		abort();
	free(s);
	return 0;
}
