/*-------------------------------------------------------------------------
 *
 * usreport.h
 *	  What the report functions share (report.c, segments.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef USREPORT_H
#define USREPORT_H

#include "usdata.h"

/*
 * A profile: the report's rows with the moments of every encoded column per cluster
 * (row c of stats for clusters[c], row k for every labelled row)
 */
typedef struct UsProfile
{
	UsReportData *rd;
	UsGroupStats stats;
} UsProfile;

/*
 * Read the source and compute the moments; 22003 naming the column whose mean or
 * standard deviation overflows float8
 */
extern UsProfile *ReportProfile(Oid relid, const char *label_column, ArrayType *features);

/* Index of figures of cluster c (k for overall) and encoded column j */
#define ReportCell(p, c, j) ((Size) (c) * (p)->stats.d + (j))

/* Sample standard deviation of cell, or NaN for fewer than two values */
extern double ReportStddev(const UsProfile *p, Size cell);

/* z of cluster c in column j: (mean - overall mean) / overall sd, or NaN without spread */
extern double ReportZ(const UsProfile *p, int c, int j);

/* Labelled rows of cluster c (k: all) with no category in one-hot feature f */
extern int64 ReportNullCategory(const UsProfile *p, int c, int f);

/* 22004 naming the argument when it is NULL */
static inline void
ReportArgNotNull(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

#endif							/* USREPORT_H */
