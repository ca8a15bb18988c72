# userseg: PGXS build.  The control file is the one source of the version.
EXTENSION = userseg
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = userseg
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(wildcard sql/$(EXTENSION)--*--*.sql)
DOCS = $(wildcard docs/*.md)
EXTRA_CLEAN = sql/$(EXTENSION)--$(EXTVERSION).sql

# pg_regress: inputs in test/sql, expected outputs in the top-level expected/
# (test/expected is a link to it).  Never name a test like a file in sql/.
TESTS = $(sort $(wildcard test/sql/*.sql))
REGRESS = $(patsubst test/sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --inputdir=test --load-extension=$(EXTENSION)

# PostgreSQL's headers as system headers: -Wextra then speaks of our code only
PG_CPPFLAGS += -isystem $(shell $(PG_CONFIG) --includedir-server)
SHLIB_LINK += -lm

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The full install script is sql/userseg.sql; the versioned name is a copy.
sql/$(EXTENSION)--$(EXTVERSION).sql: sql/$(EXTENSION).sql $(EXTENSION).control
	cp $< $@
