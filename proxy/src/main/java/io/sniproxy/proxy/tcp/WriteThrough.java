package io.sniproxy.proxy.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.unix.Socket;
import java.io.IOException;

/**
 * One read handed straight to the other side's socket when nothing is queued ahead of it: a single
 * {@code send}, as Netty's own flush would make, without the trip through the pipeline, the outbound
 * buffer's entry and its accounting (bench, keep-alive: CPU per request 0.90-0.91 of the build
 * without it in 3 of 4 rounds, bench/levers.tsv). Whatever the socket does not take, and every case this
 * does not handle (another transport, a heap buffer, bytes already queued, an error), goes through
 * the channel as before, in order: the channel's own write then reports an error the usual way.
 */
final class WriteThrough {

    private WriteThrough() {
    }

    /**
     * @return true when the socket took all of {@code in} (released); false when the rest (all of it,
     *         or what the socket did not take: {@code in} is advanced past the bytes sent) is the caller's
     *         to write through the channel
     */
    static boolean send(ByteBuf in, Channel to) {
        if (!(to instanceof AbstractEpollStreamChannel epoll) || !in.hasMemoryAddress() || !to.isActive()) {
            return false;
        }
        // Both sockets of a connection live on one event loop (docs/architecture.md): a send from any
        // other thread could overtake the channel's own flush, so it is left to the channel.
        if (!to.eventLoop().inEventLoop() || !nothingQueued(to)) {
            return false;
        }
        int sent;
        try {
            sent = ((Socket) epoll.fd()).sendAddress(in.memoryAddress(), in.readerIndex(), in.writerIndex());
        } catch (IOException e) {
            return false; // a reset or a shut output: the channel's write meets it again and reports it
        }
        if (sent == in.readableBytes()) {
            in.release();
            return true;
        }
        in.skipBytes(sent);
        return false;
    }

    /** True when {@code to} holds no bytes waiting for its socket (what was written is in the kernel). */
    static boolean nothingQueued(Channel to) {
        ChannelOutboundBuffer queued = to.unsafe().outboundBuffer();
        return queued != null && queued.isEmpty() && queued.totalPendingWriteBytes() == 0;
    }
}
