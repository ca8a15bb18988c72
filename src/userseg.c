/*-------------------------------------------------------------------------
 *
 * userseg.c
 *	  Module entry point: module magic and GUCs.
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
