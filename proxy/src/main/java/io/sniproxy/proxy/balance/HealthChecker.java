package io.sniproxy.proxy.balance;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Active health of one backend: a TCP connect every {@code interval}, given {@code timeout} to
 * succeed, then closed at once (nothing is sent: any server accepts that). Runs on one event loop
 * and never blocks it (the name resolves through the asynchronous resolver); one probe at a time,
 * the next scheduled when the last is done. Every probe socket is closed on every path, and
 * {@link #stop} closes one in flight.
 */
public final class HealthChecker {

    private final BackendState state;
    private final String host;
    private final int port;
    private final long intervalNanos;
    private final int timeoutMillis;
    private final int rise;
    private final int fall;
    private final EventLoop loop;
    private final ChannelFactory<? extends SocketChannel> sockets;
    private final Function<String, Future<InetAddress>> resolver;
    private volatile boolean stopped;
    private ScheduledFuture<?> next; // on loop
    private Channel inFlight;        // on loop

    public HealthChecker(BackendState state, String host, int port, Duration interval, Duration timeout, int rise,
            int fall, EventLoop loop, ChannelFactory<? extends SocketChannel> sockets, Function<String, Future<InetAddress>> resolver) {
        this.state = state;
        this.host = host;
        this.port = port;
        this.intervalNanos = Math.max(1, interval.toNanos());
        this.timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        this.rise = Math.max(1, rise);
        this.fall = Math.max(1, fall);
        this.loop = loop;
        this.sockets = sockets;
        this.resolver = resolver;
    }

    /** Starts probing after a random part of one interval, so checks of many backends do not fire together. */
    public void start() {
        state.activelyChecked(true);
        loop.execute(() -> schedule(ThreadLocalRandom.current().nextLong(Math.min(intervalNanos,
                TimeUnit.MILLISECONDS.toNanos(250)) + 1)));
    }

    public void stop() {
        stopped = true;
        state.activelyChecked(false);
        loop.execute(() -> {
            if (next != null) {
                next.cancel(false);
                next = null;
            }
            if (inFlight != null) {
                inFlight.close();
                inFlight = null;
            }
        });
    }

    private void schedule(long delayNanos) {
        if (!stopped) {
            next = loop.schedule(this::probe, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void probe() {
        next = null;
        if (stopped) {
            return;
        }
        resolver.apply(host).onComplete(ar -> loop.execute(() -> {
            if (stopped) {
                return;
            }
            if (ar.failed()) {
                done(false);
                return;
            }
            ChannelFuture f = new Bootstrap()
                    .group(loop)
                    .channelFactory(sockets)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(new InetSocketAddress(ar.result(), port));
            if (!f.channel().isRegistered()) {
                done(false); // the OS refused a socket (EMFILE...): nothing was kept, nothing to close
                return;
            }
            inFlight = f.channel();
            f.addListener((ChannelFutureListener) c -> {
                c.channel().close();
                if (inFlight == c.channel()) {
                    inFlight = null;
                }
                if (!stopped) {
                    done(c.isSuccess());
                }
            });
        }));
    }

    private void done(boolean ok) {
        state.probed(ok, rise, fall, System.nanoTime());
        schedule(intervalNanos);
    }
}
