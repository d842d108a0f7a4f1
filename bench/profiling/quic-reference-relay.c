// Reference UDP relay for the bench check: one client <-> one backend, epoll, recvmmsg/sendmmsg of up to BATCH.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#define MAXB 64
static char bufs[MAXB][2048];
int main(int argc, char **argv) {
  int lport = atoi(argv[1]), bport = atoi(argv[2]), batch = atoi(argv[3]);
  int l = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), b = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons(lport)}, ba = la, client;
  ba.sin_port = htons(bport);
  inet_pton(AF_INET, "127.0.0.1", &la.sin_addr); inet_pton(AF_INET, "127.0.0.1", &ba.sin_addr);
  if (bind(l, (void *)&la, sizeof la) || connect(b, (void *)&ba, sizeof ba)) { perror("bind/connect"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = l}; epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  ev.data.fd = b; epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev);
  struct mmsghdr m[MAXB]; struct iovec io[MAXB]; struct sockaddr_in from[MAXB];
  int have_client = 0;
  for (;;) {
    struct epoll_event evs[2];
    int n = epoll_wait(ep, evs, 2, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      for (;;) {
        memset(m, 0, sizeof m);
        for (int k = 0; k < batch; k++) {
          io[k].iov_base = bufs[k]; io[k].iov_len = 2048;
          m[k].msg_hdr.msg_iov = &io[k]; m[k].msg_hdr.msg_iovlen = 1;
          if (fd == l) { m[k].msg_hdr.msg_name = &from[k]; m[k].msg_hdr.msg_namelen = sizeof from[k]; }
        }
        int got = batch == 1 ? (int)(m[0].msg_len = recvmsg(fd, &m[0].msg_hdr, 0), m[0].msg_len == (unsigned)-1 ? -1 : 1)
                             : recvmmsg(fd, m, batch, 0, NULL);
        if (got <= 0) break;
        for (int k = 0; k < got; k++) {
          io[k].iov_len = m[k].msg_len;
          if (fd == l) { client = from[k]; have_client = 1; m[k].msg_hdr.msg_name = NULL; m[k].msg_hdr.msg_namelen = 0; }
          else { m[k].msg_hdr.msg_name = &client; m[k].msg_hdr.msg_namelen = sizeof client; }
        }
        if (fd == b && !have_client) continue;
        int out = fd == l ? b : l;
        if (batch == 1) sendmsg(out, &m[0].msg_hdr, 0); else sendmmsg(out, m, got, 0);
      }
    }
  }
}
