// nsenter.c joins existing namespaces before the Go runtime starts: a
// multithreaded process cannot setns(2) into a user or mount namespace, and
// the Go runtime starts threads before main. See doc.go for the contract.

#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

// Join order: user first (it grants CAP_SYS_ADMIN over the namespaces it
// owns), pid last (it only applies to children, hence the fork).
static const struct {
	const char *kind;
	int type;
} kinds[] = {
	{"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},      {"net", CLONE_NEWNET},
	{"uts", CLONE_NEWUTS},   {"ipc", CLONE_NEWIPC},     {"cgroup", CLONE_NEWCGROUP},
	{"pid", CLONE_NEWPID},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static pid_t child;

static void die(const char *step, int err)
{
	fprintf(stderr, "hutch: nsenter: %s: %s\n", step, strerror(err));
	_exit(125);
}

// parse fills fds[] (indexed like kinds[]) from "user=3,mnt=4".
static void parse(char *spec, int fds[NKINDS])
{
	char *save = NULL;
	for (char *tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end = NULL;
		if (!eq)
			die("parse _HUTCH_NSENTER", EINVAL);
		*eq = '\0';
		long fd = strtol(eq + 1, &end, 10);
		if (*end != '\0' || end == eq + 1 || fd < 0 || fd > 1 << 20)
			die("parse _HUTCH_NSENTER", EINVAL);
		size_t i = 0;
		while (i < NKINDS && strcmp(kinds[i].kind, tok) != 0)
			i++;
		if (i == NKINDS || fds[i] >= 0)
			die("parse _HUTCH_NSENTER", EINVAL);
		fds[i] = (int)fd;
	}
}

// same_userns reports whether fd is the user namespace we are already in:
// setns(2) refuses to re-enter it with EINVAL, and there is nothing to do.
static int same_userns(int fd)
{
	struct stat a, b;
	if (fstat(fd, &a) < 0)
		die("fstat user namespace", errno);
	if (stat("/proc/self/ns/user", &b) < 0)
		die("stat /proc/self/ns/user", errno);
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void join(int fds[NKINDS])
{
	int joined_user = 0;
	for (size_t i = 0; i < NKINDS; i++) {
		if (fds[i] < 0)
			continue;
		if (kinds[i].type == CLONE_NEWUSER && same_userns(fds[i])) {
			close(fds[i]);
			continue;
		}
		if (setns(fds[i], kinds[i].type) < 0) {
			char step[32];
			snprintf(step, sizeof(step), "setns %s", kinds[i].kind);
			die(step, errno);
		}
		close(fds[i]);
		joined_user |= kinds[i].type == CLONE_NEWUSER;
	}
	if (!joined_user)
		return;
	// Become root of the namespace we joined. setgroups is denied in a
	// namespace whose gid_map was written without newgidmap: then the
	// supplementary groups stay as they are.
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		die("setgroups", errno);
	if (setresgid(0, 0, 0) < 0)
		die("setresgid", errno);
	if (setresuid(0, 0, 0) < 0)
		die("setresuid", errno);
}

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

// fork_and_wait returns in the child. The parent relays signals, then exits
// like the child did, so that its own parent sees the same wait status.
static void fork_and_wait(void)
{
	sigset_t set, old;
	sigemptyset(&set);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&set, forwarded[i]);
	// Block the relayed signals until the handlers are in place, so none
	// kills the parent (and orphans the child) in between.
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		die("sigprocmask", errno);
	child = fork();
	if (child < 0)
		die("fork", errno);
	if (child == 0) {
		// Do not outlive the waiting parent (best effort: a later
		// change of credentials clears it).
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return;
	}
	// The waiting parent needs no descriptor beyond stdio. Holding others
	// would keep them open past the child's execve: a CLOEXEC sync pipe
	// would then never signal "exec done" to whoever waits for its EOF.
	syscall(SYS_close_range, 3, ~0U, 0);
	struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);

	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid", errno);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	int sig = WTERMSIG(status);
	// Die of the same signal, without a second core dump.
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	kill(getpid(), sig);
	_exit(128 + sig);
}

// take copies an environment variable and removes it, so that neither Go
// nor anything the process starts sees it. Before the Go runtime, unsetenv
// edits the very environment block that Go reads at start-up.
static int take(const char *name, char *buf, size_t len)
{
	const char *v = getenv(name);
	if (!v)
		return 0;
	if (strlen(v) >= len)
		die(name, ENAMETOOLONG);
	strcpy(buf, v);
	unsetenv(name);
	return 1;
}

__attribute__((constructor)) static void hutch_nsenter(void)
{
	static char spec[256], fork_flag[8], cwd[4096];
	int has_spec = take("_HUTCH_NSENTER", spec, sizeof(spec));
	int has_fork = take("_HUTCH_NSENTER_FORK", fork_flag, sizeof(fork_flag));
	int has_cwd = take("_HUTCH_NSENTER_CWD", cwd, sizeof(cwd));

	if (has_spec) {
		int fds[NKINDS];
		for (size_t i = 0; i < NKINDS; i++)
			fds[i] = -1;
		parse(spec, fds);
		join(fds);
	}
	// setns(mnt) moved us to the namespace's root directory.
	if (has_cwd && chdir(cwd) < 0) {
		int err = errno;
		static char step[sizeof(cwd) + 8];
		snprintf(step, sizeof(step), "chdir %s", cwd);
		die(step, err);
	}
	if (has_fork && strcmp(fork_flag, "1") == 0)
		fork_and_wait();
}
