/*-------------------------------------------------------------------------
 *
 * uscore.h
 *	  The numeric core of userseg: pure C over contiguous double matrices.
 *
 * Nothing here includes PostgreSQL headers.  A matrix is n rows by d columns,
 * row-major, in one contiguous block of doubles: element (i, j) is x[i * d + j].
 * The core gets memory and interrupt checks from its caller through UsCore, so it
 * can also be driven by a standalone program or a sanitizer build.
 *
 * Allocation through UsCore never returns NULL: the caller's allocator raises its
 * own error (palloc in a backend, abort() in a standalone program).  Memory
 * allocated through it is released by the caller (a backend deletes the memory
 * context of the run), so core functions may leave it unfreed on their error paths.
 *
 *-------------------------------------------------------------------------
 */
#ifndef USCORE_H
#define USCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct UsCore
{
	void	   *(*alloc) (void *arg, size_t size);	/* zeroed memory, never NULL */
	void		(*release) (void *arg, void *ptr);	/* may be a no-op */
	void		(*check) (void *arg);	/* interrupt check; may not return */
	void		(*progress) (void *arg, const char *msg);	/* verbose progress; may be NULL */
	void	   *arg;
} UsCore;

/* Check interrupts every this many rows (or pairs of rows / n) inside long loops */
#define US_CHECK_EVERY 4096

static inline void *
UsAlloc(const UsCore *core, size_t size)
{
	return core->alloc(core->arg, size);
}

static inline void
UsFree(const UsCore *core, void *ptr)
{
	if (ptr && core->release)
		core->release(core->arg, ptr);
}

static inline void
UsCheck(const UsCore *core)
{
	if (core->check)
		core->check(core->arg);
}

/*
 * A matrix view.  x is n * d doubles, row-major.
 */
typedef struct UsMatrix
{
	int64_t		n;
	int			d;
	double	   *x;
} UsMatrix;

/* ---- scale_core.c: scalers with scikit-learn's semantics ---- */
typedef enum UsScaleMethod
{
	US_SCALE_NONE = 0,
	US_SCALE_ZSCORE = 1,		/* StandardScaler: mean, population stddev */
	US_SCALE_MINMAX = 2,		/* MinMaxScaler to [0, 1] */
	US_SCALE_ROBUST = 3			/* RobustScaler: median, IQR (25th to 75th) */
} UsScaleMethod;

/* ---- metrics_core.c: scores of a clustering (see that file) ---- */

/* ---- kmeans_core.c: K-Means (see that file) ---- */

#endif							/* USCORE_H */
