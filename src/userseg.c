/*-------------------------------------------------------------------------
 *
 * userseg.c
 *	  Module entry point: module magic and GUCs.
 *
 *-------------------------------------------------------------------------
 */
#include "userseg.h"

#include <limits.h>
#include <unistd.h>

#include "miscadmin.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

int			userseg_memory_limit_kb = 1024 * 1024;	/* 1GB */
bool		userseg_progress = false;
int			userseg_max_workers = 1;

/*
 * A value of userseg.memory_limit set before the library was loaded (SET in the session,
 * or the configuration file) is checked only when _PG_init defines the setting; an invalid
 * one is then dropped with a WARNING and the default would apply.  Rather than run with a
 * budget the user did not ask for, operations refuse to run (UsMemoryLimitBytes) until a
 * valid value is set.
 */
static char *memory_limit_rejected = NULL;

void		_PG_init(void);

/*
 * Default of userseg.max_workers: the CPUs online, at most US_DEFAULT_MAX_WORKERS
 * (a backend is one of many sessions; more threads than that are a deliberate SET)
 */
static int
UsDefaultMaxWorkers(void)
{
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		return 1;
	return cpus < US_DEFAULT_MAX_WORKERS ? (int) cpus : US_DEFAULT_MAX_WORKERS;
}

static void
MemoryLimitAssign(int newval, void *extra)
{
	memory_limit_rejected = NULL;
}

/*
 * Register GUCs
 */
void
_PG_init(void)
{
	const char *before = GetConfigOption("userseg.memory_limit", true, false);
	char	   *placeholder = before ? MemoryContextStrdup(TopMemoryContext, before) : NULL;
	int			parsed;

	DefineCustomIntVariable("userseg.memory_limit",
							"Sets the most memory one userseg operation may use for its data.",
							"Checked before the feature matrix and other large arrays are allocated.",
							&userseg_memory_limit_kb,
							1024 * 1024, 64, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, MemoryLimitAssign, NULL);
	if (placeholder != NULL &&
		!(parse_int(placeholder, &parsed, GUC_UNIT_KB, NULL) &&
		  parsed >= 64 && parsed <= MAX_KILOBYTES))
		memory_limit_rejected = placeholder;
	DefineCustomBoolVariable("userseg.progress",
							 "Reports the progress of long runs as NOTICE messages.",
							 NULL,
							 &userseg_progress,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("userseg.max_workers",
							"Sets the most threads one userseg operation computes with.",
							"The default is the number of CPUs, at most 4; 1 computes on the backend's own thread.",
							&userseg_max_workers,
							UsDefaultMaxWorkers(), 1, US_MAX_WORKERS,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("userseg");
}

/*
 * userseg.memory_limit in bytes; 22023 while a value set before the library was loaded
 * was rejected (see memory_limit_rejected)
 */
uint64
UsMemoryLimitBytes(void)
{
	if (memory_limit_rejected != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"userseg.memory_limit\": \"%s\"",
						memory_limit_rejected),
				 errdetail("The value was set before userseg was loaded and could not be checked then; the memory budget of userseg operations is unknown."),
				 errhint("Set userseg.memory_limit to a size of at least 64kB, for example SET userseg.memory_limit = '1GB'.")));
	return (uint64) userseg_memory_limit_kb * 1024;
}
