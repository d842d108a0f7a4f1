// Reference relay for the QUIC workload: the least a user-space UDP hop can do. One client (the
// latest sender on the listening port) and one connected backend socket, level-triggered epoll,
// up to BATCH datagrams per recvmmsg and sendmmsg, no session state, no allocation. Its CPU per
// datagram is the kernel's loopback UDP path; what a real proxy costs above that is its own.
//   udp_relay LISTEN_PORT BACKEND_PORT [BATCH (1-64, default 16)]    (127.0.0.1 both)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define MAX_BATCH 64
#define MAX_PAYLOAD 2048

static char bufs[MAX_BATCH][MAX_PAYLOAD];

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  return a;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s LISTEN_PORT BACKEND_PORT [BATCH]\n", argv[0]);
    return 2;
  }
  int batch = argc > 3 ? atoi(argv[3]) : 16;
  if (batch < 1 || batch > MAX_BATCH) batch = 16;
  struct sockaddr_in la = loopback(atoi(argv[1])), ba = loopback(atoi(argv[2])), client;
  int l = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), b = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int rcvbuf = 1 << 20; // as the proxy's QUIC sockets
  setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  setsockopt(b, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(l, (struct sockaddr *)&la, sizeof la) || connect(b, (struct sockaddr *)&ba, sizeof ba)) {
    perror("udp_relay: bind/connect");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  ev.data.fd = b;
  epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev);
  struct mmsghdr m[MAX_BATCH];
  struct iovec io[MAX_BATCH];
  struct sockaddr_in from[MAX_BATCH];
  int have_client = 0;
  for (;;) {
    struct epoll_event ready[2];
    int n = epoll_wait(ep, ready, 2, -1);
    for (int i = 0; i < n; i++) {
      int fd = ready[i].data.fd, out = fd == l ? b : l;
      for (;;) { // until the socket is drained
        memset(m, 0, sizeof m);
        for (int k = 0; k < batch; k++) {
          io[k] = (struct iovec){.iov_base = bufs[k], .iov_len = MAX_PAYLOAD};
          m[k].msg_hdr.msg_iov = &io[k];
          m[k].msg_hdr.msg_iovlen = 1;
          if (fd == l) {
            m[k].msg_hdr.msg_name = &from[k];
            m[k].msg_hdr.msg_namelen = sizeof from[k];
          }
        }
        int got = recvmmsg(fd, m, batch, 0, NULL);
        if (got <= 0) break;
        for (int k = 0; k < got; k++) {
          io[k].iov_len = m[k].msg_len;
          if (fd == l) { // to the connected backend socket: no address
            client = from[k];
            have_client = 1;
            m[k].msg_hdr.msg_name = NULL;
            m[k].msg_hdr.msg_namelen = 0;
          } else {
            m[k].msg_hdr.msg_name = &client;
            m[k].msg_hdr.msg_namelen = sizeof client;
          }
        }
        if (fd == b && !have_client) continue;
        sendmmsg(out, m, got, 0);
      }
    }
  }
}
