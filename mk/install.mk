# Installation: the library, raft.h, a pkg-config file and a CMake package.
#   make install PREFIX=/some/dir [DESTDIR=/staging]
#   make test-install     install into build/install/prefix, then build C and C++
#                         programs against it with pkg-config and with CMake,
#                         shared and static (c_tests/install/)
# The installed tree:
#   PREFIX/include/raft.h
#   PREFIX/lib/libraft.so.VERSION, libraft.so.SOVERSION -> ..., libraft.so -> ..., libraft.a
#   PREFIX/lib/pkgconfig/raft.pc
#   PREFIX/lib/cmake/raft/raft-config.cmake, raft-config-version.cmake (raft::raft, raft::raft_static)
INSTALL_LIB   = $(DESTDIR)$(PREFIX)/lib
INSTALL_CMAKE = $(INSTALL_LIB)/cmake/raft
INSTALL_SUBST = -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
  -e 's|@SOVERSION@|$(SOVERSION)|g' -e 's|@MAJOR@|$(VERSION_MAJOR)|g' -e 's|@MINOR@|$(VERSION_MINOR)|g' \
  -e 's|@SIZEOF_VOID_P@|$(SIZEOF_VOID_P)|g'
SIZEOF_VOID_P = $(shell echo __SIZEOF_POINTER__ | $(CC) -E -P - 2>/dev/null | tr -d ' \n')
INSTALL_TEST_OUT := build/install
INSTALL_TEST_CMAKE_DEBS := cmake

.PHONY: install test-install deps-install-test

## install the library, raft.h, raft.pc and the CMake package into PREFIX (default /usr/local)
install: build
	install -d $(INSTALL_LIB) $(DESTDIR)$(PREFIX)/include $(INSTALL_LIB)/pkgconfig $(INSTALL_CMAKE)
	install -m 644 $(HEADER) $(DESTDIR)$(PREFIX)/include/raft.h
	install -m 644 $(LIBDIR)/libraft.a $(INSTALL_LIB)/libraft.a
	install -m 755 $(LIBDIR)/libraft.so $(INSTALL_LIB)/libraft.so.$(VERSION)
	ln -sf libraft.so.$(VERSION) $(INSTALL_LIB)/libraft.so.$(SOVERSION)
	ln -sf libraft.so.$(SOVERSION) $(INSTALL_LIB)/libraft.so
	sed $(INSTALL_SUBST) raft.pc.in > $(INSTALL_LIB)/pkgconfig/raft.pc
	sed $(INSTALL_SUBST) cmake/raft-config.cmake.in > $(INSTALL_CMAKE)/raft-config.cmake
	sed $(INSTALL_SUBST) cmake/raft-config-version.cmake.in > $(INSTALL_CMAKE)/raft-config-version.cmake

## install the tools test-install uses (cmake) with apt-get, only if missing
deps-install-test:
	@if command -v cmake >/dev/null 2>&1; then \
	  echo "install test deps: cmake present"; \
	else \
	  echo "install test deps: installing $(INSTALL_TEST_CMAKE_DEBS)"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $(INSTALL_TEST_CMAKE_DEBS); \
	fi

## install into build/install/prefix; build C and C++ programs there with pkg-config and CMake, shared and static
test-install: deps-install-test
	rm -rf $(INSTALL_TEST_OUT)
	$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(INSTALL_TEST_OUT)/prefix >/dev/null
	CC="$(CC)" CXX="$(CXX)" c_tests/install/check.sh $(CURDIR)/$(INSTALL_TEST_OUT)/prefix $(CURDIR)/$(INSTALL_TEST_OUT) $(VERSION) $(SOVERSION)
