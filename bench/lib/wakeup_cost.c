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
static int peer_cpu;

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
    pin(peer_cpu);
    for (int i = 0; i < ROUND_TRIPS; i++) {
        if (read(ping[0], &b, 1) != 1 || write(pong[1], &b, 1) != 1) break;
    }
    return NULL;
}

static double round_trip_us(int other) {
    char b = 'x';
    pthread_t t;
    peer_cpu = other;
    if (pipe(ping) || pipe(pong) || pthread_create(&t, NULL, peer, NULL)) return -1;
    double start = now();
    for (int i = 0; i < ROUND_TRIPS; i++) {
        if (write(ping[1], &b, 1) != 1 || read(pong[0], &b, 1) != 1) break;
    }
    double us = (now() - start) * 1e6 / ROUND_TRIPS;
    pthread_join(t, NULL);
    close(ping[0]); close(ping[1]); close(pong[0]); close(pong[1]);
    return us;
}

int main(void) {
    double start = now();
    for (int i = 0; i < SYSCALLS; i++) syscall(SYS_getppid);
    printf("syscall_us %.3f\n", (now() - start) * 1e6 / SYSCALLS);
    if (pin(0)) return 0;
    printf("wakeup_round_trip_same_cpu_us %.2f\n", round_trip_us(0));
    if (sysconf(_SC_NPROCESSORS_ONLN) > 1) printf("wakeup_round_trip_cross_cpu_us %.2f\n", round_trip_us(1));
    return 0;
}
