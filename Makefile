# knat: build the module and the CLI, run the tests.
#   make                 knat.ko (against KDIR) and tools/knat/knat
#   make check [T=x] [KASAN=1|KCSAN=1] [KNAT_SOAK=s]   the whole test suite in qemu (README)
#   make check-harness   proves make check fails when it must
#   make demo            knat's main job on the stock kernel in qemu
#   make bench           knat vs nftables masquerade vs plain forwarding
#   make lint            checkpatch --strict, sparse, W=1
#   make install / uninstall

DEBIAN_KDIR := $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)),$(RUNNING_KDIR),$(DEBIAN_KDIR))
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all module cli clean check check-harness lint install uninstall demo bench

all: module cli

module:
	@test -n "$(KDIR)" || { echo "no kernel build tree: install linux-headers-amd64 or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

cli:
	$(MAKE) -C tools/knat

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/knat clean
	rm -rf .build

check:
	tests/vm/check.sh

check-harness:
	tests/harness/run.sh

demo:
	tests/vm/demo.sh

bench:
	tests/vm/bench.sh

lint:
	tests/lint.sh

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra modules_install
	$(MAKE) -C tools/knat install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

uninstall:
	rm -f /lib/modules/$(shell uname -r)/extra/knat.ko
	-depmod -a
	$(MAKE) -C tools/knat uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
