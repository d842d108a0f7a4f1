package io.sniproxy.proxy.tcp;

import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.nio.channels.NotYetConnectedException;

/**
 * Sends a socket's FIN (shuts its output) once everything written to it has been flushed. On epoll
 * the socket itself is shut: Netty's {@code shutdownOutput} builds a
 * {@code ChannelOutputShutdownException} with a full stack trace on every call (to fail writes
 * queued after it, and here none can be: the side that would write them has sent its FIN) and
 * reads {@code SO_LINGER} once more (a {@code getsockopt}). That was 3 % of the proxy's CPU per
 * new connection (async-profiler, bench/profiling/). The socket records the shutdown in its own
 * state, so the channel's {@code isOutputShutdown()} reports it as before. NIO keeps Netty's way.
 */
final class HalfClose {

    private HalfClose() {
    }

    static void shutdownOutput(DuplexChannel channel) {
        if (channel instanceof EpollSocketChannel epoll && epoll.eventLoop().inEventLoop()) {
            try {
                ((Socket) epoll.fd()).shutdown(false, true);
            } catch (IOException | NotYetConnectedException e) {
                // The socket is closed or reset already (a reset peer makes shutdown(2) fail with
                // ENOTCONN, which Netty throws unchecked): its reset or close reaches the channel's
                // handler as an event, as it did when Netty's (unobserved) shutdown future failed.
            }
            return;
        }
        channel.shutdownOutput();
    }
}
