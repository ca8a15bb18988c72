/*-------------------------------------------------------------------------
 *
 * userseg.h
 *	  Shared types, GUC variables and PostgreSQL version shims of userseg.
 *
 * Every SQL-surface and input/output file includes this header.  The numeric
 * core (uscore.h) does not: it knows nothing of PostgreSQL.
 *
 *-------------------------------------------------------------------------
 */
#ifndef USERSEG_H
#define USERSEG_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/memutils.h"

#include "uscore.h"

/* common/pg_prng.h (seeded local generators) and MarkGUCPrefixReserved are from 15 */
#if PG_VERSION_NUM < 150000
#error "userseg requires PostgreSQL 15 or later"
#endif

/* GUC variables (userseg.c) */
extern int	userseg_memory_limit_kb;	/* userseg.memory_limit, in kB */
extern bool userseg_progress;		/* userseg.progress */
extern int	userseg_max_workers;	/* userseg.max_workers */

/* userseg.max_workers: the default (CPUs, at most this) and the largest value */
#define US_DEFAULT_MAX_WORKERS 4
#define US_MAX_WORKERS 64

/* userseg.memory_limit in bytes (22023 if a value set before loading was rejected) */
extern uint64 UsMemoryLimitBytes(void);

/* Core context: memory in the current memory context, charged to the budget (datalayer.c) */
extern void UsCoreContextInit(UsCore *core);

#endif							/* USERSEG_H */
