# hcconnect — build, test, demo and install.
#
#   make demo     release build (./bin/hcconnect), start a demo database (or reuse the running
#                 one) and run hcconnect against it
#   make unit     the unit lane: the tests that need no database and start no process, in
#                 seconds, with no server
#   make test     start a throwaway PostgreSQL and run every lane but the slow and fault suites
#                 (unit, database, process)
#   make test-slow    the suites tagged .slow: server restarts, signals and kills on thousands
#                 of slowed-down rows, logs of 220,000 entries
#   make test-faults  the long fault, concurrency and hostile-input suites (*FaultTests,
#                 tagged .fault)
#                 Every suite carries one lane tag (.unit, .database, .process) and may add
#                 .slow or .fault; docs/development.md (Tests) describes them. CI runs unit,
#                 test, test-slow and test-faults, which together hold every suite.
#                 TEST_ARGS narrows any of them: make test TEST_ARGS='--filter Show'
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
TEST_ARGS ?=
PREFIX ?= /usr/local
BINDIR  = $(DESTDIR)$(PREFIX)/bin
MANDIR  = $(DESTDIR)$(PREFIX)/share/man/man1
BASHCOMPDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(DESTDIR)$(PREFIX)/share/zsh/site-functions

.PHONY: all deps build release unit test test-slow test-faults bench demo demo-stop install uninstall clean

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

# The lanes are chosen by the suites' tags (Tests/Scripts/lanes.sh); TEST_ARGS goes to
# `swift test` after them.
unit: deps
	@bash Tests/Scripts/test.sh --lane unit $(TEST_ARGS)

test: deps
	@bash Tests/Scripts/test.sh --lane test $(TEST_ARGS)

test-slow: deps
	@bash Tests/Scripts/test.sh --lane slow $(TEST_ARGS)

# Alone, not beside the slow suites: the fault suites restart servers and kill processes on
# a loaded 2-core machine, and their results (docs/reliability.md) were measured so.
test-faults: deps
	@bash Tests/Scripts/test.sh --lane faults $(TEST_ARGS)

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
