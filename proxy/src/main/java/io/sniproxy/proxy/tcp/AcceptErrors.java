package io.sniproxy.proxy.tcp;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.sniproxy.proxy.fd.FdExhaustion;
import io.sniproxy.proxy.metrics.ProxyMetrics.ListenerMeters;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Accept errors of a TCP listener's server sockets (EMFILE, ENFILE, ENOBUFS, ...) handled where
 * they happen: counted in {@code sniproxy_accept_errors_total{listener,reason}}, logged at most
 * once per {@link #LOG_INTERVAL_NANOS} with the count since the last line, and answered by pausing
 * that socket's accepting for {@link #PAUSE_MILLIS}. The pause matters: the connection the kernel
 * could not hand over stays in the backlog, so a level-triggered epoll would report it again at
 * once and the event loop would spin. The client waits in the backlog and is accepted when an fd
 * is free again. Nothing reaches the pipeline's tail; the listener is never closed for this.
 *
 * <p>One instance per listener, shared by its sockets (one per event loop with SO_REUSEPORT).
 */
@ChannelHandler.Sharable
final class AcceptErrors extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(AcceptErrors.class);
    static final long PAUSE_MILLIS = 200;
    static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String listener;
    private final ListenerMeters meters;
    private final AtomicLong sinceLastLine = new AtomicLong();
    private final AtomicLong nextLineNanos = new AtomicLong(System.nanoTime());

    AcceptErrors(String listener, ListenerMeters meters) {
        this.listener = listener;
        this.meters = meters;
        for (String reason : FdExhaustion.LABELS) {
            meters.acceptErrors(reason, 0);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        meters.acceptErrors(FdExhaustion.label(cause), 1);
        long count = sinceLastLine.incrementAndGet();
        long now = System.nanoTime();
        long next = nextLineNanos.get();
        if (now - next >= 0 && nextLineNanos.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
            sinceLastLine.addAndGet(-count);
            LOG.warnf("listener %s: accept failed %d time(s) since the last report: %s (accepting pauses %d ms "
                    + "each time; raise the fd limit or lower limits.maxConnections)", listener, count,
                    cause.getMessage(), PAUSE_MILLIS);
        }
        if (ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            ctx.channel().eventLoop().schedule(() -> {
                if (ctx.channel().isOpen()) {
                    ctx.channel().config().setAutoRead(true);
                }
            }, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
