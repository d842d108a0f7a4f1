package io.sniproxy.proxy.health;

import io.sniproxy.proxy.app.ProxyLifecycle;
import io.sniproxy.proxy.metrics.FileDescriptors;
import io.sniproxy.proxy.runtime.ProxyServer;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready means: listeners bound with a valid config, not draining, and open file descriptors below
 * {@value FileDescriptors#HIGH_WATER_PERCENT}% of the limit (past it, new connections would start failing).
 */
@Readiness
@ApplicationScoped
public class ProxyReadiness implements HealthCheck {

    private final ProxyLifecycle lifecycle;

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
        if (problem != null) {
            return b.down().withData("reason", problem).build();
        }
        return b.up().build();
    }
}
