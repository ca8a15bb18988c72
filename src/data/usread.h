/*-------------------------------------------------------------------------
 *
 * usread.h
 *	  Between the two halves of a relation read: relation.c resolves and checks
 *	  what is asked for (features, id column, label column, privileges, locks) and
 *	  readrows.c scans the rows once and encodes them.  Only for src/data/.
 *
 *-------------------------------------------------------------------------
 */
#ifndef USREAD_H
#define USREAD_H

#include "usdata.h"

/*
 * Read the rows of rel (features, id column and label column resolved, lock held)
 * under the active snapshot, inside SPI; fill n, nrows, nskipped, nulls, d, cols,
 * imputed, x and the row identities (want_tids), allocated in cxt
 */
extern void UsScanRelation(UsRelData *rel, const UsReadOptions *opts, bool want_tids,
						   MemoryContext cxt);

/* 0A000 when the table has an INSTEAD rule on UPDATE (labels.c) */
extern void UsCheckLabelRules(Oid relid);

#endif							/* USREAD_H */
