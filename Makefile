# hcconnect — build, test, demo and install.
#
#   make demo     release build (./bin/hcconnect), start a demo database (or reuse the running
#                 one) and run hcconnect against it
#   make test     start a throwaway PostgreSQL and run every test but the long fault suites
#   make test-faults  the long fault, concurrency and hostile-input suites (*FaultTests)
#   make bench    benchmark hcconnect against plain SQL run by psql; writes docs/benchmarks.md
#                 (BENCH_ARGS=--quick: a smaller run of a few minutes, no report;
#                 BENCH_ARGS=--scale: the read cases at 0.2M, 2M and 20M archived entries,
#                 about 20 minutes and 20 GB of disk, its own section of the report)
#   make build    debug build
#   make release  optimised build
#   make install  install the binary, the man page and the bash and zsh completions under
#                 PREFIX (default /usr/local; DESTDIR for staging)

SWIFT  ?= swift
BENCH_ARGS ?=
PREFIX ?= /usr/local
BINDIR  = $(DESTDIR)$(PREFIX)/bin
MANDIR  = $(DESTDIR)$(PREFIX)/share/man/man1
BASHCOMPDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(DESTDIR)$(PREFIX)/share/zsh/site-functions

.PHONY: all deps build release test test-faults bench demo demo-stop install uninstall clean

all: build

# Installs the Debian packages the build needs when they are missing (apt-get as root;
# otherwise it prints the command to run).
deps:
	@bash Tests/Scripts/deps.sh

build: deps
	$(SWIFT) build

# Linked for a quick start: the Swift runtime and the C++ runtime it needs are linked in
# (Tests/Scripts/release.sh says how and why).
release: deps
	@SWIFT=$(SWIFT) bash Tests/Scripts/release.sh >/dev/null

# Suites whose names end in FaultTests (kills, restarts, fuzzing) run apart, in test-faults.
test: deps
	@bash Tests/Scripts/test.sh --skip FaultTests

test-faults: deps
	@bash Tests/Scripts/test.sh --filter FaultTests

# bench.sh checks the dependencies itself, after checking BENCH_ARGS.
bench:
	@SWIFT=$(SWIFT) bash Tests/Scripts/bench.sh $(BENCH_ARGS)

demo: deps
	@bash Tests/Scripts/demo.sh

demo-stop:
	@bash Tests/Scripts/pg.sh stop .build/pg-demo

install: release
	install -d $(BINDIR) $(MANDIR) $(BASHCOMPDIR) $(ZSHCOMPDIR)
	install -m 755 "$$(SWIFT=$(SWIFT) bash Tests/Scripts/release.sh 2>/dev/null)" $(BINDIR)/hcconnect
	install -m 644 docs/hcconnect.1 $(MANDIR)/hcconnect.1
	$(BINDIR)/hcconnect completion bash > $(BASHCOMPDIR)/hcconnect
	$(BINDIR)/hcconnect completion zsh > $(ZSHCOMPDIR)/_hcconnect

uninstall:
	rm -f $(BINDIR)/hcconnect $(MANDIR)/hcconnect.1 $(BASHCOMPDIR)/hcconnect $(ZSHCOMPDIR)/_hcconnect

clean:
	-@bash Tests/Scripts/pg.sh stop .build/pg-test
	-@bash Tests/Scripts/pg.sh stop .build/pg-demo
	-@bash Tests/Scripts/pg.sh stop .build/pg-bench
	rm -rf .build
