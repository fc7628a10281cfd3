#!/bin/sh
# build.sh: build every libFuzzer target in tests/fuzz with clang, linking
# the library sources compiled with the same sanitizers.
cd "$(dirname "$0")/../.." || exit 1
OUT=build-fuzz
mkdir -p $OUT
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined -Ilibshared $(pkg-config --cflags libevent libevent_openssl openssl inih json-c libnghttp2)"
LIBS="$(pkg-config --libs libevent libevent_openssl openssl inih json-c libnghttp2) -lm"
objs=""
for src in libshared/*/*.c; do
	o=$OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	mkdir -p $OUT/obj
	if [ ! -f "$o" ] || [ "$src" -nt "$o" ]; then
		clang $CFLAGS -c "$src" -o "$o" || exit 1
	fi
	objs="$objs $o"
done
for t in tests/fuzz/fuzz_*.c; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .c)
	clang $CFLAGS -fsanitize=fuzzer "$t" $objs $LIBS -o $OUT/$n || exit 1
done
