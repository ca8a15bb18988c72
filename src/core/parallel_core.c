/*-------------------------------------------------------------------------
 *
 * parallel_core.c
 *	  Worker threads for the numeric core's loops over rows.
 *
 * Design.  A loop over n items (rows, or blocks of a triangle of pairs) is cut into
 * fixed chunks of pf->chunk items; a callback computes one chunk into a zeroed
 * partial result, and the backend's thread combines the partial results in chunk
 * order.  The chunking is the caller's, never the number of workers': a reduction
 * adds the same numbers in the same order whether one thread or eight ran the
 * chunks, so results are identical to the last bit for every setting of
 * userseg.max_workers (labels, inertia, silhouettes).
 *
 * Mechanism: POSIX threads confined to the numeric core, rather than PostgreSQL's
 * parallel workers.  The core's loops work on a matrix that is already in the
 * backend's memory; a parallel context would copy it into dynamic shared memory
 * (as much again as the matrix, outside the budget's memory context), start
 * processes that each attach to it and need max_worker_processes slots shared with
 * parallel query, and would have to be set up from the data layer for each loop
 * of an iteration (K-Means runs dozens).  A thread reads the matrix where it is and
 * starts in microseconds.  The price is the discipline that keeps threads safe in
 * a PostgreSQL backend, which this file enforces:
 *	- Workers never call PostgreSQL: they run only the callbacks of the core, which
 *	  include no PostgreSQL header (the layer rule of src/README.md).
 *	- Workers run with every signal blocked (pthread_sigmask around pthread_create,
 *	  the mask is inherited), so the backend's signal handlers (cancel,
 *	  statement_timeout, die) run on the backend's thread only.
 *	- Workers allocate nothing: partial results and per-worker scratch space are
 *	  allocated through the core's allocator on the backend's thread before any
 *	  thread starts, so the memory budget covers every worker's buffers.  Only the
 *	  threads' stacks (US_PARALLEL_STACK each) come from the C library.
 *	- Only the backend's thread checks interrupts.  While workers run, it waits on a
 *	  condition variable at most US_PARALLEL_POLL_MS at a time and asks
 *	  core->pending whether an interrupt is pending, which handles nothing and cannot
 *	  raise an error.  If one is, it sets the stop flag that the callbacks poll
 *	  (UsParallelStopping, every US_CHECK_EVERY rows), joins every worker, and only
 *	  then calls UsCheck, which may raise the error: no thread is left running when
 *	  the backend unwinds.  If UsCheck returns (an interrupt that is not an error),
 *	  the chunks cut short run again from their start and the loop goes on; so a
 *	  callback that returns early must not have changed what it reads.  Workers
 *	  also finish or cut short their chunk and claim no other once stopped, so a
 *	  loop of short chunks that never polls stops within one chunk.
 *	- Partial results are combined on the backend's thread, in chunk order, as soon
 *	  as the next chunk in order is done; workers claim chunks in increasing order
 *	  and wait for a free partial buffer (2 per worker), so memory does not grow
 *	  with the number of chunks.
 * With one worker (userseg.max_workers = 1, or a single chunk) the backend's
 * thread runs the chunks itself, in order, and UsParallelStopping is UsCheck: no
 * thread is started.  When a thread cannot be started the others (or the backend
 * alone) do the work: the results are the same.
 *
 * A caller that cannot use threads (a platform without pthreads) gets the inline
 * path: US_PARALLEL_THREADS is 0 there.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <string.h>

#include "uscore.h"

#if defined(__unix__) || defined(__APPLE__)
#define US_PARALLEL_THREADS 1
#include <pthread.h>
#include <signal.h>
#include <time.h>
#else
#define US_PARALLEL_THREADS 0
#endif

/* Partial-result buffers per worker: one being filled, one waiting to be combined */
#define US_PARALLEL_SLOTS_PER_WORKER 2

/* Chunk states */
#define CHUNK_TODO 0
#define CHUNK_RUNNING 1
#define CHUNK_DONE 2
#define CHUNK_COMBINED 3

struct UsParallel
{
	const UsCore *core;
	const UsParallelFor *pf;
	int64_t		nchunks;
	bool		threaded;
	int			stop;				/* set by the backend's thread, polled by workers */
#if US_PARALLEL_THREADS
	pthread_mutex_t mu;
	pthread_cond_t work_cv;		/* a slot became free, or stop */
	pthread_cond_t done_cv;		/* a chunk is done, or a worker left */
#endif
	unsigned char *state;		/* nchunks chunk states */
	int		   *slot_of;		/* nchunks: the slot of a running or done chunk */
	int64_t		next;			/* no chunk below this one is CHUNK_TODO */
	int			nslots;
	unsigned char *slots;		/* nslots partial results */
	int		   *free_slots;		/* stack of free slot numbers */
	int			nfree;
	unsigned char *scratch;		/* per-thread scratch */
	size_t		partial_stride;
	size_t		scratch_stride;
	int			running;		/* workers that have not left */
};

typedef struct UsParallelWorker
{
	struct UsParallel *par;
	int			id;
} UsParallelWorker;

static size_t
AlignUp(size_t x)
{
	return (x + 63) / 64 * 64;
}

/*
 * Whether a chunk callback should return now.  Call it every US_CHECK_EVERY rows or
 * so: on a worker it reads the stop flag; on the backend's thread (one worker) it is
 * the interrupt check, which may not return.
 */
bool
UsParallelStopping(const UsParallel *par)
{
	if (!par->threaded)
	{
		UsCheck(par->core);
		return false;
	}
	return __atomic_load_n(&par->stop, __ATOMIC_RELAXED) != 0;
}

/*
 * Threads a loop of nchunks chunks would use: core->workers (0 counts as 1), at most
 * one per chunk
 */
int
UsParallelWorkers(const UsCore *core, int64_t nchunks)
{
	int			w = core->workers > 1 ? core->workers : 1;

	if (!US_PARALLEL_THREADS || core->pending == NULL)
		return 1;
	if (nchunks < w)
		w = nchunks < 1 ? 1 : (int) nchunks;
	return w;
}

/* Bytes UsParallelRun allocates for pf (to check a budget first) */
size_t
UsParallelBytes(const UsCore *core, const UsParallelFor *pf)
{
	int64_t		nchunks = pf->n <= 0 ? 0 : (pf->n + pf->chunk - 1) / pf->chunk;
	int			w = UsParallelWorkers(core, nchunks);
	int			nslots = w > 1 ? w * US_PARALLEL_SLOTS_PER_WORKER : 1;

	return (size_t) nslots * (AlignUp(pf->partial_bytes) + sizeof(int)) +
		(size_t) w * AlignUp(pf->scratch_bytes) +
		(size_t) nchunks * (1 + sizeof(int));
}

static bool
RunChunk(struct UsParallel *par, int64_t c, int slot, int thread)
{
	const UsParallelFor *pf = par->pf;
	int64_t		begin = c * pf->chunk;
	int64_t		end = begin + pf->chunk < pf->n ? begin + pf->chunk : pf->n;
	void	   *partial = par->slots + (size_t) slot * par->partial_stride;
	void	   *scratch = par->scratch + (size_t) thread * par->scratch_stride;

	if (pf->partial_bytes > 0)
		memset(partial, 0, pf->partial_bytes);
	return pf->run(pf->arg, c, begin, end, pf->partial_bytes > 0 ? partial : NULL,
				   pf->scratch_bytes > 0 ? scratch : NULL, par);
}

static void
CombineChunk(struct UsParallel *par, int64_t c, int slot)
{
	const UsParallelFor *pf = par->pf;
	int64_t		begin = c * pf->chunk;
	int64_t		end = begin + pf->chunk < pf->n ? begin + pf->chunk : pf->n;

	if (pf->combine)
		pf->combine(pf->arg, c, begin, end,
					pf->partial_bytes > 0 ?
					par->slots + (size_t) slot * par->partial_stride : NULL);
}

#if US_PARALLEL_THREADS

static void *
WorkerMain(void *varg)
{
	UsParallelWorker *me = varg;
	struct UsParallel *par = me->par;

	pthread_mutex_lock(&par->mu);
	for (;;)
	{
		int64_t		c;
		int			slot;
		bool		complete;

		if (__atomic_load_n(&par->stop, __ATOMIC_RELAXED))
			break;
		while (par->next < par->nchunks && par->state[par->next] != CHUNK_TODO)
			par->next++;
		if (par->next >= par->nchunks)
			break;
		if (par->nfree == 0)
		{
			pthread_cond_wait(&par->work_cv, &par->mu);
			continue;
		}
		c = par->next++;
		slot = par->free_slots[--par->nfree];
		par->state[c] = CHUNK_RUNNING;
		par->slot_of[c] = slot;
		pthread_mutex_unlock(&par->mu);

		complete = RunChunk(par, c, slot, me->id);

		pthread_mutex_lock(&par->mu);
		/* a chunk cut short runs again from its start */
		if (!complete)
		{
			par->state[c] = CHUNK_TODO;
			par->free_slots[par->nfree++] = slot;
			if (c < par->next)
				par->next = c;
			break;
		}
		par->state[c] = CHUNK_DONE;
		pthread_cond_signal(&par->done_cv);
	}
	par->running--;
	pthread_cond_signal(&par->done_cv);
	pthread_mutex_unlock(&par->mu);
	return NULL;
}

/* Start up to nthreads workers with every signal blocked; returns how many started */
static int
StartWorkers(struct UsParallel *par, pthread_t *tids, UsParallelWorker *args, int nthreads)
{
	sigset_t	all;
	sigset_t	old;
	pthread_attr_t attr;
	int			started = 0;

	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return 0;
	if (pthread_attr_init(&attr) != 0)
	{
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return 0;
	}
	(void) pthread_attr_setstacksize(&attr, US_PARALLEL_STACK);
	__atomic_store_n(&par->stop, 0, __ATOMIC_RELAXED);
	for (int t = 0; t < nthreads; t++)
	{
		args[started].par = par;
		args[started].id = started;
		pthread_mutex_lock(&par->mu);
		par->running++;
		pthread_mutex_unlock(&par->mu);
		if (pthread_create(&tids[started], &attr, WorkerMain, &args[started]) != 0)
		{
			pthread_mutex_lock(&par->mu);
			par->running--;
			pthread_mutex_unlock(&par->mu);
			break;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}

/* Tell every worker to stop after its chunk, and wait for them all */
static void
JoinWorkers(struct UsParallel *par, pthread_t *tids, int started)
{
	pthread_mutex_lock(&par->mu);
	__atomic_store_n(&par->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&par->work_cv);
	pthread_mutex_unlock(&par->mu);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}

/*
 * The backend's side of a threaded run: combine chunks in order while workers run,
 * poll for interrupts, stop and join the workers before UsCheck.  Returns false if
 * no thread could be started (the caller then runs the chunks itself).
 */
static bool
RunThreaded(struct UsParallel *par, int nthreads, pthread_t *tids, UsParallelWorker *args)
{
	const UsCore *core = par->core;
	int64_t		combined = 0;
	int			started = StartWorkers(par, tids, args, nthreads);

	if (started == 0)
		return false;
	pthread_mutex_lock(&par->mu);
	for (;;)
	{
		bool		interrupt;

		/* combine every chunk that is done, in order */
		while (combined < par->nchunks && par->state[combined] == CHUNK_DONE)
		{
			int			slot = par->slot_of[combined];

			pthread_mutex_unlock(&par->mu);
			CombineChunk(par, combined, slot);
			pthread_mutex_lock(&par->mu);
			par->state[combined] = CHUNK_COMBINED;
			par->free_slots[par->nfree++] = slot;
			pthread_cond_signal(&par->work_cv);
			combined++;
		}
		if (combined >= par->nchunks)
			break;
		if (par->running == 0)
		{
			/* no worker is left (none could be restarted): finish on this thread */
			pthread_mutex_unlock(&par->mu);
			for (int t = 0; t < started; t++)
				pthread_join(tids[t], NULL);
			par->threaded = false;
			for (; combined < par->nchunks; combined++)
			{
				if (par->state[combined] != CHUNK_DONE)
				{
					int			slot = par->free_slots[--par->nfree];

					(void) RunChunk(par, combined, slot, 0);
					par->slot_of[combined] = slot;
				}
				CombineChunk(par, combined, par->slot_of[combined]);
				par->free_slots[par->nfree++] = par->slot_of[combined];
				par->state[combined] = CHUNK_COMBINED;
				UsCheck(core);
			}
			return true;
		}
		{
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += US_PARALLEL_POLL_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L)
			{
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			(void) pthread_cond_timedwait(&par->done_cv, &par->mu, &ts);
		}
		pthread_mutex_unlock(&par->mu);
		interrupt = core->pending(core->arg);
		if (interrupt)
		{
			JoinWorkers(par, tids, started);
			started = 0;
			/* may raise the error: no other thread runs now */
			UsCheck(core);
			started = StartWorkers(par, tids, args, nthreads);
		}
		pthread_mutex_lock(&par->mu);
	}
	pthread_mutex_unlock(&par->mu);
	JoinWorkers(par, tids, started);
	return true;
}
#endif

/*
 * Run pf: every chunk's callback (on worker threads when core->workers > 1), and the
 * combine callback of each chunk on the calling thread, in chunk order.  Allocates
 * UsParallelBytes through core and frees it before returning.
 */
void
UsParallelRun(const UsCore *core, const UsParallelFor *pf)
{
	struct UsParallel par;
	int64_t		nchunks;
	int			w;

	if (pf->n <= 0)
		return;
	nchunks = (pf->n + pf->chunk - 1) / pf->chunk;
	w = UsParallelWorkers(core, nchunks);
	memset(&par, 0, sizeof(par));
	par.core = core;
	par.pf = pf;
	par.nchunks = nchunks;
	par.partial_stride = AlignUp(pf->partial_bytes);
	par.scratch_stride = AlignUp(pf->scratch_bytes);
	par.nslots = w > 1 ? w * US_PARALLEL_SLOTS_PER_WORKER : 1;
	par.slots = UsAlloc(core, par.partial_stride * par.nslots + 64);
	par.scratch = UsAlloc(core, par.scratch_stride * w + 64);

#if US_PARALLEL_THREADS
	if (w > 1)
	{
		pthread_t  *tids = UsAlloc(core, sizeof(pthread_t) * w);
		UsParallelWorker *args = UsAlloc(core, sizeof(UsParallelWorker) * w);
		bool		ok;

		par.state = UsAlloc(core, (size_t) nchunks);
		par.slot_of = UsAlloc(core, sizeof(int) * (size_t) nchunks);
		par.free_slots = UsAlloc(core, sizeof(int) * par.nslots);
		for (int s = 0; s < par.nslots; s++)
			par.free_slots[par.nfree++] = s;
		par.threaded = true;
		pthread_mutex_init(&par.mu, NULL);
		pthread_cond_init(&par.work_cv, NULL);
		pthread_cond_init(&par.done_cv, NULL);
		ok = RunThreaded(&par, w, tids, args);
		pthread_cond_destroy(&par.work_cv);
		pthread_cond_destroy(&par.done_cv);
		pthread_mutex_destroy(&par.mu);
		UsFree(core, tids);
		UsFree(core, args);
		UsFree(core, par.state);
		UsFree(core, par.slot_of);
		UsFree(core, par.free_slots);
		if (ok)
		{
			UsFree(core, par.slots);
			UsFree(core, par.scratch);
			return;
		}
		par.threaded = false;
	}
#endif
	/* one worker: this thread, chunk after chunk, each combined at once */
	par.threaded = false;
	for (int64_t c = 0; c < nchunks; c++)
	{
		(void) RunChunk(&par, c, 0, 0);	/* never cut short on this thread */
		CombineChunk(&par, c, 0);
		UsCheck(core);
	}
	UsFree(core, par.slots);
	UsFree(core, par.scratch);
}
