# vtools: V2Ray-compatible tunnelling tools on one library.
# `make` builds bin/ and libshared/libshared.a; `make check` runs every test.

CC	?= cc
PKGS	 = libevent libevent_pthreads libevent_openssl openssl inih json-c \
	   libnghttp2
BUILD	?= build
OPT	?= -O2 -g
WARN	 = -Wall -Wextra -Wshadow -Wpointer-arith -Wmissing-prototypes \
	   -Wstrict-prototypes -Wno-unused-parameter
CFLAGS	+= -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Ilibshared -MMD -MP
PKGCF	 = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS	 = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
PREFIX	?= /usr/local
VERSION	 = 0.1.0

TOOLS	 = vserver vclient vportal vbridge
LIB_SRC	 = $(sort $(wildcard libshared/*/*.c))
LIB_OBJ	 = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB	 = $(BUILD)/libshared.a
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELP_SRC = $(sort $(wildcard tests/helpers/*.c))
HELP_BIN = $(HELP_SRC:tests/helpers/%.c=$(BUILD)/helpers/%)
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all deps tools unit helpers check asan asan-tools fuzz demo bench install clean

all: deps-ok tools

# Install what is missing (once); cheap when everything is there.
deps:
	@sh tests/deps.sh install
deps-ok:
	@sh tests/deps.sh ensure

tools: $(TOOLS:%=bin/%) libshared/libshared.a

libshared/libshared.a: $(LIB)
	@cp $(LIB) $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKGCF) -DVTOOLS_VERSION='"$(VERSION)"' -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/%: $(BUILD)/%/main.o $(LIB)
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(PKGLIBS)

$(BUILD)/bin/%: $(BUILD)/%/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(PKGLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKGCF) -DSRCDIR='"$(CURDIR)"' -o $@ $< $(LIB) \
	    $(PKGLIBS) $$(pkg-config --libs cmocka)

$(BUILD)/helpers/%: tests/helpers/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKGCF) -o $@ $< $(LIB) $(PKGLIBS)

unit: deps-ok $(UNIT_BIN)
helpers: deps-ok $(HELP_BIN)

# Unit tests also run under AddressSanitizer + UBSan, built apart.
ASAN_OPT = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
asan:
	$(MAKE) BUILD=build-asan OPT="$(ASAN_OPT) -fno-sanitize-recover=undefined" unit

# The tools under ASan+UBSan, for end-to-end runs (build-asan-tools/bin).
asan-tools:
	$(MAKE) BUILD=build-asan-tools OPT="$(ASAN_OPT)" $(TOOLS:%=build-asan-tools/bin/%)

fuzz: deps-ok $(LIB)
	@sh tests/fuzz/build.sh

# Every fuzz target in turn from its committed corpus, FUZZ_TIME s each
# (default 600), FUZZ_TARGETS to choose; see docs/fuzzing.md.
.PHONY: fuzz-long
fuzz-long: deps-ok
	@sh tests/fuzz/long.sh

check: deps-ok
	@sh tests/run.sh

demo: deps-ok tools helpers
	@sh tests/demo.sh

bench: deps-ok tools helpers
	@sh tests/bench.sh

# The soak of tests/interop/80-soak.sh (60 s in `make check`) for 10 minutes.
.PHONY: soak
soak: deps-ok tools helpers
	@SOAK_SECONDS=600 timeout 900 sh tests/interop/80-soak.sh

# PREFIX (default /usr/local) is where things go, DESTDIR a staging root
# for packagers. Man pages and units name PREFIX, so sed fills it in.
install: tools
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/vtools/conf/seeds \
	    $(DESTDIR)$(PREFIX)/share/doc/vtools \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 $(TOOLS:%=bin/%) $(DESTDIR)$(PREFIX)/bin/
	for f in $(TOOLS:%=man/%.1); do \
		sed 's|@PREFIX@|$(PREFIX)|g' $$f \
		    >$(DESTDIR)$(PREFIX)/share/man/man1/$${f#man/} && \
		chmod 644 $(DESTDIR)$(PREFIX)/share/man/man1/$${f#man/} || exit 1; \
	done
	install -m 644 $(wildcard conf/*.json conf/*.ini) \
	    $(DESTDIR)$(PREFIX)/share/vtools/conf/
	install -m 644 $(wildcard conf/seeds/*.json conf/seeds/*.ini) \
	    $(DESTDIR)$(PREFIX)/share/vtools/conf/seeds/
	install -m 644 docs/ini-format.md $(DESTDIR)$(PREFIX)/share/doc/vtools/
	for f in dist/systemd/*.service; do \
		sed 's|@PREFIX@|$(PREFIX)|g' $$f \
		    >$(DESTDIR)$(PREFIX)/lib/systemd/system/$${f##*/} && \
		chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$${f##*/} || \
		exit 1; \
	done

# Removes what install put there, and the directories it leaves empty.
.PHONY: uninstall
uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%) \
	    $(TOOLS:%=$(DESTDIR)$(PREFIX)/share/man/man1/%.1) \
	    $(patsubst conf/%,$(DESTDIR)$(PREFIX)/share/vtools/conf/%, \
		$(wildcard conf/*.json conf/*.ini conf/seeds/*.json \
		conf/seeds/*.ini)) \
	    $(DESTDIR)$(PREFIX)/share/doc/vtools/ini-format.md \
	    $(patsubst dist/systemd/%,$(DESTDIR)$(PREFIX)/lib/systemd/system/%, \
		$(wildcard dist/systemd/*.service))
	-rmdir $(DESTDIR)$(PREFIX)/share/vtools/conf/seeds \
	    $(DESTDIR)$(PREFIX)/share/vtools/conf \
	    $(DESTDIR)$(PREFIX)/share/vtools \
	    $(DESTDIR)$(PREFIX)/share/doc/vtools 2>/dev/null

clean:
	rm -rf build build-asan build-asan-tools build-fuzz bin libshared/libshared.a tests/out

-include $(LIB_OBJ:.o=.d) $(TOOLS:%=$(BUILD)/%/main.d)
