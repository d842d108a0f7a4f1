package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import io.sniproxy.proxy.metrics.ProxyMetrics;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Accept errors on a listener socket, as state transitions on an {@link EmbeddedChannel} (no sockets, frozen time). */
class AcceptErrorsTest {

    static {
        Epoll.ensureAvailability(); // Errors' kernel texts come from the native library
    }

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final EmbeddedChannel listener = new EmbeddedChannel();

    AcceptErrorsTest() {
        listener.freezeTime();
        listener.pipeline().addLast(new AcceptErrors("tls", new ProxyMetrics(registry).listener("tls")));
    }

    @Test
    void emfileIsCountedPausesAcceptingForABoundAndNeverReachesThePipelineTail() {
        assertThat(errors("emfile")).isZero(); // every reason exported from the start
        assertThat(errors("other")).isZero();

        listener.pipeline().fireExceptionCaught(Errors.newIOException("accept", -24)); // EMFILE
        listener.checkException(); // rethrows anything that reached the tail: nothing did

        assertThat(errors("emfile")).isEqualTo(1);
        assertThat(listener.config().isAutoRead()).as("accepting paused: no spin on the pending connection").isFalse();
        assertThat(listener.isOpen()).as("the listener is never closed for it").isTrue();

        listener.advanceTimeBy(AcceptErrors.PAUSE_MILLIS - 1, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertThat(listener.config().isAutoRead()).isFalse();
        listener.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertThat(listener.config().isAutoRead()).as("accepting again after the pause").isTrue();
    }

    @Test
    void eachErrnoHasItsOwnReasonAndAnErrorDuringThePauseIsCountedWithoutASecondTimer() {
        listener.pipeline().fireExceptionCaught(Errors.newIOException("accept", -23)); // ENFILE
        listener.pipeline().fireExceptionCaught(Errors.newIOException("accept", -105)); // ENOBUFS
        listener.pipeline().fireExceptionCaught(new IllegalStateException("something else"));
        listener.checkException();
        assertThat(errors("enfile")).isEqualTo(1);
        assertThat(errors("enobufs")).isEqualTo(1);
        assertThat(errors("other")).isEqualTo(1);

        listener.advanceTimeBy(AcceptErrors.PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        assertThat(listener.runScheduledPendingTasks()).as("no timer left").isEqualTo(-1);
        assertThat(listener.config().isAutoRead()).isTrue();
    }

    private double errors(String reason) {
        Counter c = registry.find("sniproxy.accept.errors").tags("listener", "tls", "reason", reason).counter();
        return c == null ? -1 : c.count();
    }
}
