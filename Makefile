# userseg: PGXS build.  The control file is the one source of the version.
EXTENSION = userseg
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = userseg
# Three layers, one folder each (src/README.md): the numeric core, the data layer and
# the SQL surface; basenames are unique across folders (error LOCATION names only them)
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/core/*.c src/data/*.c src/surface/*.c)))

DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(wildcard sql/$(EXTENSION)--*--*.sql)
DOCS = $(wildcard docs/*.md)
EXTRA_CLEAN = sql/$(EXTENSION)--$(EXTVERSION).sql $(patsubst %.o,%.bc,$(OBJS))

# pg_regress: inputs in test/sql, expected outputs in the top-level expected/
# (test/expected is a link to it).  Never name a test like a file in sql/.
TESTS = $(sort $(wildcard test/sql/*.sql))
REGRESS = $(patsubst test/sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --inputdir=test --load-extension=$(EXTENSION)

PG_CPPFLAGS += -I$(srcdir)/src -I$(srcdir)/src/core -I$(srcdir)/src/data -I$(srcdir)/src/surface
# PostgreSQL's headers as system headers: -Wextra then speaks of our code only
PG_CPPFLAGS += -isystem $(shell $(PG_CONFIG) --includedir-server)
SHLIB_LINK += -lm
# worker threads of the numeric core (src/core/parallel_core.c)
SHLIB_LINK += -pthread
# PCA factors with LAPACK (src/core/pca_core.c); OpenBLAS is kept to one thread there
SHLIB_LINK += $(shell pkg-config --libs lapack)
# Spectral clustering finds eigenvectors with ARPACK (src/core/spectral_core.c)
SHLIB_LINK += $(shell pkg-config --libs arpack)

# header dependencies (.deps/): a changed header rebuilds the objects that include it
override autodepend = yes

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PostgreSQL 15 or later (common/pg_prng.h, MarkGUCPrefixReserved)
PG_MAJOR := $(shell $(PG_CONFIG) --version | sed 's/^PostgreSQL \([0-9]*\).*/\1/')
ifeq ($(shell test "$(PG_MAJOR)" -ge 15 2>/dev/null && echo ok),)
$(error userseg requires PostgreSQL 15 or later; $(PG_CONFIG) is PostgreSQL $(PG_MAJOR))
endif

# The full install script is sql/userseg.sql; the versioned name is a copy.
sql/$(EXTENSION)--$(EXTVERSION).sql: sql/$(EXTENSION).sql $(EXTENSION).control
	cp $< $@
