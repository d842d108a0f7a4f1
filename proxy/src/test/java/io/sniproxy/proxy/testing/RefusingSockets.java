package io.sniproxy.proxy.testing;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import io.sniproxy.proxy.runtime.Transport;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Backend socket factories that fail the way the OS fails at its fd limit, while switched on:
 * exactly what Netty's factory throws when {@code socket(2)} returns EMFILE (TCP) or ENOBUFS (UDP),
 * with the kernel's own error text. Switched off, the real sockets are made again.
 */
public final class RefusingSockets {

    private static final int EMFILE = 24;
    private static final int ENOBUFS = 105;

    static {
        Epoll.ensureAvailability(); // Errors' kernel texts come from the native library
    }

    private final AtomicBoolean refusing = new AtomicBoolean(true);
    private final AtomicInteger refused = new AtomicInteger();

    public UnaryOperator<Transport> transport() {
        return t -> t.withBackendSockets(failing(t.backendSockets(), "newSocketStream", EMFILE),
                failing(t.backendDatagrams(), "newSocketDgram", ENOBUFS));
    }

    /** What a call that needs a new fd throws at the limit: {@code <call>(..) failed: Too many open files}. */
    public static IOException emfile(String call) {
        return Errors.newIOException(call, -EMFILE);
    }

    public void refusing(boolean on) {
        refusing.set(on);
    }

    /** How many sockets were refused. */
    public int refused() {
        return refused.get();
    }

    private <C extends Channel> ChannelFactory<C> failing(ChannelFactory<? extends C> real, String call, int errno) {
        return () -> {
            if (refusing.get()) {
                refused.incrementAndGet();
                throw new ChannelException("Unable to create Channel from class " + real,
                        Errors.newIOException(call, -errno));
            }
            return real.newChannel();
        };
    }
}
