package io.sniproxy.proxy.tcp;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * Read interest given to a socket before it is registered with its event loop: on epoll, Netty then
 * adds the socket with {@code EPOLLIN} in its {@code EPOLL_CTL_ADD}, and the read the channel starts
 * when it becomes active (an accepted client at once, a backend when its connect completes) finds
 * the flag set: one {@code epoll_ctl(EPOLL_CTL_MOD)} per socket fewer. An unregistered epoll channel
 * records the flag without a syscall; edge-triggered epoll reports data already queued when the
 * socket is added. NIO needs a selection key for the same, so its channels keep Netty's way.
 */
final class EarlyRead {

    private EarlyRead() {
    }

    /** @return {@code channel}, reading from its registration on when it is an epoll socket */
    static <C extends Channel> C arm(C channel) {
        if (channel instanceof EpollSocketChannel && !channel.isRegistered()) {
            channel.unsafe().beginRead();
        }
        return channel;
    }
}
