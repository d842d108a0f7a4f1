package io.sniproxy.proxy.health;

import io.sniproxy.proxy.app.ProxyLifecycle;
import io.sniproxy.proxy.metrics.FileDescriptors;
import io.sniproxy.proxy.runtime.ProxyServer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

/**
 * Ready means: listeners bound with a valid config, not draining, and open file descriptors below
 * {@value FileDescriptors#HIGH_WATER_PERCENT}% of the limit (past it, new connections would start failing).
 * A change is logged once, when a probe first sees it (SmallRye's own per-probe INFO line is
 * silenced in application.properties: under a kubelet it came twice a second).
 */
@Readiness
@ApplicationScoped
public class ProxyReadiness implements HealthCheck {

    private static final Logger LOG = Logger.getLogger("sniproxy.readiness");
    private static final String UP = "";

    private final ProxyLifecycle lifecycle;
    /** The last state a probe reported: {@link #UP} or the reason it was down; null before the first probe. */
    private final AtomicReference<String> last = new AtomicReference<>();

    ProxyReadiness(ProxyLifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("sniproxy");
        long open = FileDescriptors.open();
        long max = FileDescriptors.max();
        b.withData("openFds", open).withData("maxFds", max);
        ProxyServer server;
        String problem;
        try {
            server = lifecycle.server();
            problem = lifecycle.startupProblem();
        } catch (IllegalStateException containerGone) {
            // A probe that arrives while Quarkus shuts down finds the CDI container already gone.
            return b.down().withData("reason", "shutting down").build();
        }
        if (problem == null && server != null && server.draining()) {
            problem = "draining";
        }
        if (problem == null && FileDescriptors.aboveHighWater(open, max)) {
            problem = "open file descriptors above " + FileDescriptors.HIGH_WATER_PERCENT + "% of the limit";
        }
        if (server != null) {
            b.withData("openConnections", server.openConnections());
            if (server.snapshot() != null) {
                b.withData("configGeneration", server.snapshot().generation());
            }
        }
        changed(problem == null ? UP : problem);
        if (problem != null) {
            return b.down().withData("reason", problem).build();
        }
        return b.up().build();
    }

    private void changed(String now) {
        String before = last.getAndSet(now);
        if (Objects.equals(before, now) || (before == null && now.equals(UP))) {
            return; // no change, or ready from the first probe on: nothing worth a line
        }
        if (now.equals(UP)) {
            LOG.info("readiness UP");
        } else if (before == null) {
            LOG.infof("readiness DOWN: %s", now); // the first probe, e.g. still starting
        } else {
            LOG.warnf("readiness DOWN: %s", now);
        }
    }
}
