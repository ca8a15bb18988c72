/*-------------------------------------------------------------------------
 *
 * userseg.c
 *	  Module entry point: module magic, GUCs and the core context glue.
 *
 *-------------------------------------------------------------------------
 */
#include "userseg.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

int			userseg_memory_limit_kb = 1024 * 1024;	/* 1GB */
bool		userseg_progress = false;

void		_PG_init(void);

/*
 * Register GUCs
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("userseg.memory_limit",
							"Sets the most memory one userseg operation may use for its data.",
							"Checked before the feature matrix and other large arrays are allocated.",
							&userseg_memory_limit_kb,
							1024 * 1024, 64, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("userseg.progress",
							 "Reports the progress of long runs as NOTICE messages.",
							 NULL,
							 &userseg_progress,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("userseg");
}

static void *
CoreAlloc(void *arg, size_t size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void
CoreRelease(void *arg, void *ptr)
{
	pfree(ptr);
}

static void
CoreCheck(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static void
CoreProgress(void *arg, const char *msg)
{
	if (userseg_progress)
		ereport(NOTICE, (errmsg_internal("%s", msg)));
}

/*
 * Initialize a core context that allocates in the current memory context
 */
void
UsCoreContextInit(UsCore *core)
{
	core->alloc = CoreAlloc;
	core->release = CoreRelease;
	core->check = CoreCheck;
	core->progress = CoreProgress;
	core->arg = NULL;
}
