/*-------------------------------------------------------------------------
 *
 * parallel_core.c
 *	  Worker threads for the numeric core's loops over rows.
 *
 * Design.  A loop over n items (rows, or blocks of a triangle of pairs) is cut into
 * fixed chunks of pf->chunk items; a callback computes one chunk into a zeroed
 * partial result, and the partial results are combined in chunk order, one chunk at
 * a time.  The chunking is the caller's, never the number of workers': a reduction
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
 *	- Only the backend's thread checks interrupts.  It runs chunks itself, as the
 *	  max_workers - 1 workers it starts do, and between its chunks (within them too:
 *	  UsParallelStopping asks on its thread) and while it waits (at most
 *	  US_PARALLEL_POLL_MS at a time) it asks core->pending whether an interrupt is
 *	  pending, which handles nothing and cannot raise an error.  If one is, it sets
 *	  the stop flag that the callbacks poll (UsParallelStopping, every
 *	  US_CHECK_EVERY rows), joins every worker, and only then calls UsCheck, which
 *	  may raise the error: no thread is left running when the backend unwinds.  If
 *	  UsCheck returns (an interrupt that is not an error), the chunks cut short run
 *	  again from their start and the loop goes on; so a callback that returns early
 *	  must not have changed what it reads.  Workers also finish or cut short their
 *	  chunk and claim no other once stopped, so a loop of short chunks that never
 *	  polls stops within one chunk.
 *	- Partial results are combined in chunk order by whichever thread finishes the
 *	  next chunk in order (one thread at a time, outside the mutex), so no thread
 *	  wakes another for each chunk: the combine callbacks are the core's own
 *	  arithmetic and may run on any thread, like the chunk callbacks.  Threads claim
 *	  chunks in increasing order and wait for a free partial buffer (16 per thread
 *	  for partial results of up to 16 kB, 2 for larger ones), so memory does not
 *	  grow with the number of chunks.
 *	- Threads are started for each loop and joined at its end: starting one takes
 *	  microseconds, a loop over rows milliseconds, and no thread outlives the call.
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

/*
 * Partial-result buffers per thread: one being filled and the others waiting to be
 * combined.  Small partial results get more, so that a thread that is descheduled
 * in the middle of a chunk (a shared machine) holds the others up only when they
 * are that many chunks ahead; large ones (the silhouette's n x k sums) get two.
 */
#define US_PARALLEL_SLOTS_SMALL 16
#define US_PARALLEL_SLOTS_LARGE 2
#define US_PARALLEL_SMALL_PARTIAL (16 * 1024)

static int
SlotsPerThread(size_t partial_bytes)
{
	return partial_bytes <= US_PARALLEL_SMALL_PARTIAL ?
		US_PARALLEL_SLOTS_SMALL : US_PARALLEL_SLOTS_LARGE;
}

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
	pthread_t	backend;		/* the thread that called UsParallelRun */
	pthread_mutex_t mu;
	pthread_cond_t work_cv;		/* a slot became free, or stop */
	pthread_cond_t done_cv;		/* every chunk is combined, or a worker left */
#endif
	unsigned char *state;		/* nchunks chunk states */
	int		   *slot_of;		/* nchunks: the slot of a running or done chunk */
	int64_t		next;			/* no chunk below this one is CHUNK_TODO */
	int64_t		combined;		/* chunks below this one are combined */
	bool		combining;		/* a thread is combining (outside the mutex) */
	int			nslots;
	unsigned char *slots;		/* nslots partial results, 64-byte aligned */
	void	   *slots_block;	/* the allocation slots lie in */
	int		   *free_slots;		/* stack of free slot numbers */
	int			nfree;
	int			slot_waiters;	/* workers waiting on work_cv */
	bool		backend_waiting;	/* the backend's thread waits on done_cv */
	bool		backend_polls;	/* its chunk callbacks ask for interrupts (read
								 * and written on the backend's thread only) */
	unsigned char *scratch;		/* per-thread scratch, 64-byte aligned */
	void	   *scratch_block;	/* the allocation scratch lies in */
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
 * The first 64-byte boundary in a block allocated with 64 bytes to spare: each
 * thread's partial results and scratch then start on a cache line of their own (their
 * strides are multiples of 64), so two threads never write into one line (false
 * sharing, which made two threads slower than one on short chunks)
 */
static unsigned char *
AlignPtr(void *block)
{
	uintptr_t	p = (uintptr_t) block;

	return (unsigned char *) ((p + 63) & ~(uintptr_t) 63);
}

/*
 * Whether a chunk callback should return now.  Call it every US_CHECK_EVERY rows or
 * so: on a worker it reads the stop flag; on the backend's thread it also asks
 * whether an interrupt is pending (the chunk is then cut short and the interrupt
 * handled between chunks); with one worker it is the interrupt check, which may not
 * return.
 */
bool
UsParallelStopping(const UsParallel *par)
{
	if (!par->threaded)
	{
		UsCheck(par->core);
		return false;
	}
	if (__atomic_load_n(&par->stop, __ATOMIC_RELAXED) != 0)
		return true;
#if US_PARALLEL_THREADS
	if (pthread_equal(pthread_self(), par->backend) && par->backend_polls)
		return par->core->pending(par->core->arg);
#endif
	return false;
}

/*
 * Threads a loop of nchunks chunks would use, the backend's own included:
 * core->workers (0 counts as 1), at most one per chunk
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
	int			nslots = w > 1 ? w * SlotsPerThread(pf->partial_bytes) : 1;

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

/*
 * With par->mu held: combine every done chunk that is next in order, on this
 * thread, unless another thread is combining (it will see the chunks marked done
 * before it looks again under the mutex).  The combine callbacks run outside the
 * mutex, one thread at a time, in chunk order.
 */
static void
CombineReady(struct UsParallel *par)
{
	if (par->combining)
		return;
	par->combining = true;
	while (par->combined < par->nchunks && par->state[par->combined] == CHUNK_DONE)
	{
		int64_t		c = par->combined;
		int			slot = par->slot_of[c];

		pthread_mutex_unlock(&par->mu);
		CombineChunk(par, c, slot);
		pthread_mutex_lock(&par->mu);
		par->state[c] = CHUNK_COMBINED;
		par->free_slots[par->nfree++] = slot;
		par->combined++;
		if (par->slot_waiters > 0)
			pthread_cond_signal(&par->work_cv);
	}
	par->combining = false;
	if (par->combined >= par->nchunks && par->backend_waiting)
		pthread_cond_signal(&par->done_cv);
}

/*
 * With par->mu held: claim the lowest chunk still to do and a free slot for it.
 * Returns the chunk, -1 when every chunk is claimed, -2 when no slot is free.
 */
static int64_t
ClaimChunk(struct UsParallel *par, int *slot)
{
	while (par->next < par->nchunks && par->state[par->next] != CHUNK_TODO)
		par->next++;
	if (par->next >= par->nchunks)
		return -1;
	if (par->nfree == 0)
		return -2;
	*slot = par->free_slots[--par->nfree];
	par->state[par->next] = CHUNK_RUNNING;
	par->slot_of[par->next] = *slot;
	return par->next++;
}

/* With par->mu held: record chunk c as done, or as to do again if cut short */
static void
FinishChunk(struct UsParallel *par, int64_t c, int slot, bool complete)
{
	if (!complete)
	{
		par->state[c] = CHUNK_TODO;
		par->free_slots[par->nfree++] = slot;
		if (c < par->next)
			par->next = c;
		return;
	}
	par->state[c] = CHUNK_DONE;
	CombineReady(par);
}

static void *
WorkerMain(void *varg)
{
	UsParallelWorker *me = varg;
	struct UsParallel *par = me->par;

	pthread_mutex_lock(&par->mu);
	for (;;)
	{
		int64_t		c;
		int			slot = 0;
		bool		complete;

		if (__atomic_load_n(&par->stop, __ATOMIC_RELAXED))
			break;
		c = ClaimChunk(par, &slot);
		if (c == -1)
			break;
		if (c == -2)
		{
			par->slot_waiters++;
			pthread_cond_wait(&par->work_cv, &par->mu);
			par->slot_waiters--;
			continue;
		}
		pthread_mutex_unlock(&par->mu);

		complete = RunChunk(par, c, slot, me->id);

		pthread_mutex_lock(&par->mu);
		FinishChunk(par, c, slot, complete);
		if (!complete)
			break;
	}
	par->running--;
	if (par->backend_waiting)
		pthread_cond_signal(&par->done_cv);
	pthread_mutex_unlock(&par->mu);
	return NULL;
}

/*
 * Start up to nthreads workers (thread numbers 1 to nthreads) with every signal
 * blocked; returns how many started
 */
/*
 * Before starting threads: every signal blocked (the threads inherit the mask) and
 * the attributes with the workers' stack size; false if either fails (start none)
 */
static bool
ThreadsBegin(sigset_t *old, pthread_attr_t *attr)
{
	sigset_t	all;

	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, old) != 0)
		return false;
	if (pthread_attr_init(attr) != 0)
	{
		pthread_sigmask(SIG_SETMASK, old, NULL);
		return false;
	}
	(void) pthread_attr_setstacksize(attr, US_PARALLEL_STACK);
	return true;
}

/* After starting them: the backend's signal mask back */
static void
ThreadsEnd(sigset_t *old, pthread_attr_t *attr)
{
	pthread_attr_destroy(attr);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static int
StartWorkers(struct UsParallel *par, pthread_t *tids, UsParallelWorker *args, int nthreads)
{
	sigset_t	old;
	pthread_attr_t attr;
	int			started = 0;

	__atomic_store_n(&par->stop, 0, __ATOMIC_RELAXED);
	if (nthreads <= 0 || !ThreadsBegin(&old, &attr))
		return 0;
	for (int t = 0; t < nthreads; t++)
	{
		args[started].par = par;
		args[started].id = started + 1;
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
	ThreadsEnd(&old, &attr);
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
 * The backend's side of a threaded run: nthreads - 1 workers are started, and the
 * backend's thread claims and runs chunks as they do (thread number 0), asking
 * between its chunks, and while it waits at most US_PARALLEL_POLL_MS at a time,
 * whether an interrupt is pending.  If one is, it stops and joins the workers
 * before UsCheck.  Whichever thread finishes the next chunk in order combines it, so
 * no thread wakes another for each chunk.  Should no worker start, the backend's
 * thread does every chunk itself.
 */
static void
RunThreaded(struct UsParallel *par, int nthreads, pthread_t *tids, UsParallelWorker *args)
{
	const UsCore *core = par->core;
	int			started = StartWorkers(par, tids, args, nthreads - 1);

	pthread_mutex_lock(&par->mu);
	while (par->combined < par->nchunks)
	{
		int			slot = 0;
		int64_t		c = ClaimChunk(par, &slot);
		bool		interrupt = false;

		if (c >= 0)
		{
			bool		complete;

			pthread_mutex_unlock(&par->mu);
			complete = RunChunk(par, c, slot, 0);
			pthread_mutex_lock(&par->mu);
			FinishChunk(par, c, slot, complete);
			if (complete)
				par->backend_polls = true;
			else
				interrupt = true;	/* cut short: an interrupt was pending */
		}
		else if (par->combined < par->nchunks)
		{
			/* every chunk claimed, or no slot free: wait for the others */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += US_PARALLEL_POLL_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L)
			{
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			par->backend_waiting = true;
			(void) pthread_cond_timedwait(&par->done_cv, &par->mu, &ts);
			par->backend_waiting = false;
		}
		pthread_mutex_unlock(&par->mu);
		if (!interrupt)
			interrupt = core->pending(core->arg);
		if (interrupt)
		{
			JoinWorkers(par, tids, started);
			started = 0;
			/* may raise the error: no other thread runs now */
			UsCheck(core);
			/*
			 * The interrupt was not an error.  The next chunk of this thread runs
			 * whole, so that interrupts arriving faster than chunks finish still
			 * leave the loop progressing.
			 */
			par->backend_polls = false;
			started = StartWorkers(par, tids, args, nthreads - 1);
		}
		pthread_mutex_lock(&par->mu);
	}
	pthread_mutex_unlock(&par->mu);
	JoinWorkers(par, tids, started);
}
#endif

/*
 * Run pf: every chunk's callback (on this thread and core->workers - 1 worker threads
 * when core->workers > 1), and the combine callback of each chunk, in chunk order.  Allocates
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
	par.nslots = w > 1 ? w * SlotsPerThread(pf->partial_bytes) : 1;
	par.slots_block = UsAlloc(core, par.partial_stride * par.nslots + 64);
	par.slots = AlignPtr(par.slots_block);
	par.scratch_block = UsAlloc(core, par.scratch_stride * w + 64);
	par.scratch = AlignPtr(par.scratch_block);

#if US_PARALLEL_THREADS
	if (w > 1)
	{
		pthread_t  *tids = UsAlloc(core, sizeof(pthread_t) * w);
		UsParallelWorker *args = UsAlloc(core, sizeof(UsParallelWorker) * w);

		par.state = UsAlloc(core, (size_t) nchunks);
		par.slot_of = UsAlloc(core, sizeof(int) * (size_t) nchunks);
		par.free_slots = UsAlloc(core, sizeof(int) * par.nslots);
		for (int s = 0; s < par.nslots; s++)
			par.free_slots[par.nfree++] = s;
		par.threaded = true;
		par.backend = pthread_self();
		par.backend_polls = true;
		pthread_mutex_init(&par.mu, NULL);
		pthread_cond_init(&par.work_cv, NULL);
		pthread_cond_init(&par.done_cv, NULL);
		RunThreaded(&par, w, tids, args);
		pthread_cond_destroy(&par.work_cv);
		pthread_cond_destroy(&par.done_cv);
		pthread_mutex_destroy(&par.mu);
		UsFree(core, tids);
		UsFree(core, args);
		UsFree(core, par.state);
		UsFree(core, par.slot_of);
		UsFree(core, par.free_slots);
		UsFree(core, par.slots_block);
		UsFree(core, par.scratch_block);
		return;
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
	UsFree(core, par.slots_block);
	UsFree(core, par.scratch_block);
}

/*
 * ---- A team of threads for many short loops ----
 *
 * Some loops are too short to start threads for: a merge of agglomerative clustering
 * updates one column of the distance matrix, tens of microseconds of work, and there
 * are n - 1 merges.  A team's threads are started once and take part in every loop
 * (UsTeamRun) until UsTeamStop: between loops they spin for US_TEAM_SPIN polls, then
 * sleep on a condition variable.  The rules of the file hold: the threads run with
 * every signal blocked, allocate nothing (the team is allocated through the core
 * before they start) and call nothing of the UsCore; the backend's thread runs parts
 * itself, so the loop completes when no thread could start or when none is
 * scheduled.  The caller stops the team before UsCheck (which may raise an error and
 * unwind): UsTeamCheck does both.
 *
 * A loop is published under the mutex once every thread has left the one before
 * (active is 0): a thread joins a loop under the mutex too, reading its task there,
 * and claims parts with an atomic counter until none is left, so no thread can claim
 * a part of a loop it did not join.
 */
#define US_TEAM_SPIN 20000

struct UsTeam
{
	const UsCore *core;
	int			nthreads;		/* threads started, the backend's not counted */
#if US_PARALLEL_THREADS
	pthread_t  *tids;
	pthread_mutex_t mu;
	pthread_cond_t cv;
#endif
	uint64_t	gen;			/* loops published (atomic) */
	int			quit;			/* atomic */
	int			sleeping;		/* threads waiting on cv, under mu */
	int			active;			/* threads in the current loop (atomic; joins under mu) */
	void		(*task) (void *arg, int64_t part);
	void	   *arg;
	int64_t		parts;
	int64_t		next;			/* the next part to claim (atomic) */
	int64_t		done;			/* parts finished (atomic) */
};

static inline void
TeamRelax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Claim and run parts of the loop of the given task until none is left */
static void
TeamParts(UsTeam *team, void (*task) (void *, int64_t), void *arg, int64_t parts)
{
	for (;;)
	{
		int64_t		p = __atomic_fetch_add(&team->next, 1, __ATOMIC_ACQ_REL);

		if (p >= parts)
			break;
		task(arg, p);
		__atomic_fetch_add(&team->done, 1, __ATOMIC_RELEASE);
	}
}

#if US_PARALLEL_THREADS
static void *
TeamMain(void *varg)
{
	UsTeam	   *team = varg;
	uint64_t	seen = 0;

	for (;;)
	{
		void		(*task) (void *, int64_t);
		void	   *arg;
		int64_t		parts;
		int			spins = 0;

		while (__atomic_load_n(&team->gen, __ATOMIC_ACQUIRE) == seen &&
			   !__atomic_load_n(&team->quit, __ATOMIC_ACQUIRE))
		{
			if (++spins < US_TEAM_SPIN)
			{
				TeamRelax();
				continue;
			}
			pthread_mutex_lock(&team->mu);
			team->sleeping++;
			while (__atomic_load_n(&team->gen, __ATOMIC_ACQUIRE) == seen &&
				   !__atomic_load_n(&team->quit, __ATOMIC_ACQUIRE))
				pthread_cond_wait(&team->cv, &team->mu);
			team->sleeping--;
			pthread_mutex_unlock(&team->mu);
			spins = 0;
		}
		pthread_mutex_lock(&team->mu);
		if (__atomic_load_n(&team->quit, __ATOMIC_ACQUIRE))
		{
			pthread_mutex_unlock(&team->mu);
			return NULL;
		}
		seen = team->gen;
		task = team->task;
		arg = team->arg;
		parts = team->parts;
		__atomic_fetch_add(&team->active, 1, __ATOMIC_ACQ_REL);
		pthread_mutex_unlock(&team->mu);
		TeamParts(team, task, arg, parts);
		__atomic_fetch_sub(&team->active, 1, __ATOMIC_RELEASE);
	}
}
#endif

UsTeam *
UsTeamStart(const UsCore *core)
{
	UsTeam	   *team;
	int			want = UsParallelWorkers(core, INT64_MAX) - 1;

	if (want <= 0)
		return NULL;
#if US_PARALLEL_THREADS
	team = UsAlloc(core, sizeof(UsTeam));
	team->core = core;
	team->tids = UsAlloc(core, sizeof(pthread_t) * (size_t) want);
	if (pthread_mutex_init(&team->mu, NULL) != 0)
	{
		UsFree(core, team->tids);
		UsFree(core, team);
		return NULL;
	}
	if (pthread_cond_init(&team->cv, NULL) != 0)
	{
		pthread_mutex_destroy(&team->mu);
		UsFree(core, team->tids);
		UsFree(core, team);
		return NULL;
	}
	{
		sigset_t	old;
		pthread_attr_t attr;

		if (ThreadsBegin(&old, &attr))
		{
			for (int t = 0; t < want; t++)
			{
				if (pthread_create(&team->tids[team->nthreads], &attr, TeamMain, team) != 0)
					break;
				team->nthreads++;
			}
			ThreadsEnd(&old, &attr);
		}
	}
	return team;
#else
	(void) team;
	return NULL;
#endif
}

void
UsTeamRun(UsTeam *team, void (*task) (void *arg, int64_t part), void *arg, int64_t parts)
{
	if (team == NULL || team->nthreads == 0 || parts <= 1)
	{
		for (int64_t p = 0; p < parts; p++)
			task(arg, p);
		return;
	}
#if US_PARALLEL_THREADS
	for (;;)
	{
		while (__atomic_load_n(&team->active, __ATOMIC_ACQUIRE) != 0)
			TeamRelax();
		pthread_mutex_lock(&team->mu);
		if (__atomic_load_n(&team->active, __ATOMIC_ACQUIRE) == 0)
			break;
		pthread_mutex_unlock(&team->mu);
	}
	team->task = task;
	team->arg = arg;
	team->parts = parts;
	__atomic_store_n(&team->next, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&team->done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&team->gen, team->gen + 1, __ATOMIC_RELEASE);
	if (team->sleeping > 0)
		pthread_cond_broadcast(&team->cv);
	pthread_mutex_unlock(&team->mu);
	TeamParts(team, task, arg, parts);
	while (__atomic_load_n(&team->done, __ATOMIC_ACQUIRE) < parts)
		TeamRelax();
#endif
}

void
UsTeamStop(UsTeam *team)
{
	if (team == NULL)
		return;
#if US_PARALLEL_THREADS
	pthread_mutex_lock(&team->mu);
	__atomic_store_n(&team->quit, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&team->cv);
	pthread_mutex_unlock(&team->mu);
	for (int t = 0; t < team->nthreads; t++)
		pthread_join(team->tids[t], NULL);
	pthread_cond_destroy(&team->cv);
	pthread_mutex_destroy(&team->mu);
	UsFree(team->core, team->tids);
	UsFree(team->core, team);
#endif
}

/*
 * While the team runs, UsCheck is called only once it is stopped: with nothing
 * pending there is nothing to check, and an interrupt that arrives after the question
 * is seen at the next one.  So no error can unwind past running threads.
 */
void
UsTeamCheck(UsTeam **team, const UsCore *core)
{
	if (*team)
	{
		if (!core->pending || !core->pending(core->arg))
			return;
		UsTeamStop(*team);
		*team = NULL;
	}
	UsCheck(core);
}
