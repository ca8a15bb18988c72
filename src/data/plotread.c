/*-------------------------------------------------------------------------
 *
 * plotread.c
 *	  The rows of the plots that draw what another SQL function computes (the k
 *	  sweep, the comparison, the segment sentences of the report).
 *
 * Those plots call the extension's own function through SPI, with the caller's
 * arguments bound as parameters (never spliced into the query text) and the
 * function schema-qualified with the extension's schema, so that a search_path
 * cannot substitute another function.  The rows come back as text (each type's
 * output function: float8 prints the shortest text that reads back to the same
 * double), copied into the caller's memory.  Errors of the called function are the
 * caller's errors, with their SQLSTATEs.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/snapmgr.h"

UsQueryRows *
UsQueryText(const char *sql, int nargs, Oid *types, Datum *values)
{
	UsQueryRows *q = palloc0(sizeof(UsQueryRows));
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext oldcxt;
	int			rc;

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	PushActiveSnapshot(GetTransactionSnapshot());
	rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed (%s), please report a bug",
			 SPI_result_code_string(rc));

	oldcxt = MemoryContextSwitchTo(callercxt);
	q->n = (int64) SPI_processed;
	q->ncols = SPI_tuptable->tupdesc->natts;
	q->cells = UsAllocChecked(sizeof(char *) * Max((Size) q->n * q->ncols, 1), "the rows");
	for (int64 r = 0; r < q->n; r++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int c = 0; c < q->ncols; c++)
			q->cells[r * q->ncols + c] = SPI_getvalue(SPI_tuptable->vals[r],
													  SPI_tuptable->tupdesc, c + 1);
	}
	MemoryContextSwitchTo(oldcxt);
	PopActiveSnapshot();
	SPI_finish();
	return q;
}
