// What this machine charges for the things a proxy does most: a syscall, and waking a thread that
// sleeps in the kernel, on the same CPU and on the other one. Printed as "name value" lines for
// bench/run.sh's meta.env. Two threads ping-pong one byte over two pipes, pinned: the round trip is
// two wake-ups and two switches. On a VM the cross-CPU figure can be ten times the same-CPU one
// (an idle virtual CPU halts and has to be woken by the host), which is what the loopback
// workloads pay whenever client, proxy and backend sit on different CPUs.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { SYSCALLS = 1000000, ROUND_TRIPS = 20000 };

static int ping[2], pong[2];
static int peer_cpu, peer_pinned;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

static void *peer(void *unused) {
    (void) unused;
    char b;
    peer_pinned = pin(peer_cpu) == 0;
    for (int i = 0; peer_pinned && i < ROUND_TRIPS; i++) {
        if (read(ping[0], &b, 1) != 1 || write(pong[1], &b, 1) != 1) break;
    }
    close(pong[1]); // an early end reaches the other side as EOF, never as a read that waits forever
    return NULL;
}

/** Microseconds per round trip to a thread pinned to {@code cpu}; negative when it could not be measured. */
static double round_trip_us(int cpu) {
    char b = 'x';
    pthread_t t;
    int done = 0;
    peer_cpu = cpu;
    if (pipe(ping)) return -1;
    if (pipe(pong)) { close(ping[0]); close(ping[1]); return -1; }
    if (pthread_create(&t, NULL, peer, NULL)) {
        close(ping[0]); close(ping[1]); close(pong[0]); close(pong[1]);
        return -1;
    }
    double start = now();
    while (done < ROUND_TRIPS && write(ping[1], &b, 1) == 1 && read(pong[0], &b, 1) == 1) done++;
    double us = (now() - start) * 1e6 / ROUND_TRIPS;
    close(ping[1]); // a peer still in read() sees EOF and ends
    pthread_join(t, NULL);
    close(ping[0]); close(pong[0]);
    return peer_pinned && done == ROUND_TRIPS ? us : -1;
}

int main(void) {
    double start = now();
    for (int i = 0; i < SYSCALLS; i++) syscall(SYS_getppid);
    printf("syscall_us %.3f\n", (now() - start) * 1e6 / SYSCALLS);
    // The first two CPUs this process may use (a container's cpuset need not hold CPUs 0 and 1).
    cpu_set_t allowed;
    int cpus[2], found = 0;
    if (sched_getaffinity(0, sizeof allowed, &allowed)) return 0;
    for (int c = 0; c < CPU_SETSIZE && found < 2; c++) {
        if (CPU_ISSET(c, &allowed)) cpus[found++] = c;
    }
    if (found == 0 || pin(cpus[0])) return 0;
    double same = round_trip_us(cpus[0]);
    if (same >= 0) printf("wakeup_round_trip_same_cpu_us %.2f\n", same);
    double cross = found == 2 ? round_trip_us(cpus[1]) : -1;
    if (cross >= 0) printf("wakeup_round_trip_cross_cpu_us %.2f\n", cross);
    return 0;
}
