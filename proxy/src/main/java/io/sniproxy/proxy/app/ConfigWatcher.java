package io.sniproxy.proxy.app;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sniproxy.config.ConfigException;
import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.proxy.runtime.Snapshot;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * Reloads the config file when its content changes (polled by content hash, which also catches
 * Kubernetes' ConfigMap symlink swaps that file-watch APIs miss) and on SIGHUP. Reading and
 * parsing run on a worker thread; a rejected file is logged with every error and the running
 * config stays in force.
 */
@ApplicationScoped
public class ConfigWatcher {

    private static final Logger LOG = Logger.getLogger("sniproxy.reload");
    static final String POLL_MILLIS = "sniproxy.reload.poll-millis";

    private final Vertx vertx;
    private final ProxyLifecycle lifecycle;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile byte[] lastDigest;
    private long timerId = -1;

    ConfigWatcher(Vertx vertx, ProxyLifecycle lifecycle) {
        this.vertx = vertx;
        this.lifecycle = lifecycle;
    }

    void onStart(@Observes StartupEvent event) {
        Optional<Path> file = ConfigLocation.file();
        if (file.isEmpty()) {
            return;
        }
        lastDigest = digest(file.get());
        // Read at startup, not in a static initialiser: a native image initialises classes at build time.
        long pollMillis = ConfigProvider.getConfig().getOptionalValue(POLL_MILLIS, Long.class).orElse(1000L);
        timerId = vertx.setPeriodic(pollMillis, id -> check(file.get(), false));
        installSighup(file.get(), pollMillis);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    /** Re-reads now (also used by tests and SIGHUP). */
    public void reloadNow() {
        ConfigLocation.file().ifPresent(f -> check(f, true));
    }

    private void check(Path file, boolean force) {
        if (!busy.compareAndSet(false, true)) {
            return;
        }
        vertx.executeBlocking(() -> {
            byte[] d = digest(file);
            if (d == null || (!force && Arrays.equals(d, lastDigest))) {
                return null;
            }
            lastDigest = d;
            ProxyConfig config;
            try {
                config = ConfigReader.read(file);
            } catch (ConfigException e) {
                LOG.errorf("config change rejected, the running config stays in force:%n%s", e.getMessage());
                return null;
            }
            if (lifecycle.startupProblem() != null) {
                lifecycle.start(config); // a corrected file after a bad start: binds, blocking, here
                return null;
            }
            // Built here, on the worker: the snapshot lists interface addresses and reads RLIMIT_NOFILE.
            return lifecycle.server().prepare(config);
        }, false).onComplete(ar -> {
            busy.set(false);
            if (ar.succeeded() && ar.result() != null) {
                apply(ar.result());
            }
        });
    }

    /** Swaps the prepared snapshot in; only the (non-blocking) listener changes run on the event loop. */
    private void apply(Snapshot next) {
        ProxyConfig config = next.config();
        lifecycle.server().apply(next)
                .onSuccess(v -> LOG.infof("config reloaded: %d listener(s), %d route(s)", config.listeners().size(),
                        config.routes().size()))
                .onFailure(e -> LOG.errorf("config reloaded, but: %s", e.getMessage()));
    }

    private void installSighup(Path file, long pollMillis) {
        try {
            sun.misc.SignalHandler previous = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
                LOG.info("SIGHUP: reloading " + file);
                check(file, true);
            });
            // A process that inherits SIGHUP as ignored (nohup, some supervisors) keeps it ignored:
            // the JVM does not install the handler and says so only through this return value.
            if (previous == sun.misc.SignalHandler.SIG_IGN) {
                LOG.warnf("SIGHUP is ignored by this process (inherited from its parent, e.g. nohup): kill -HUP "
                        + "will not reload %s. The file is still polled every %d ms. Start it through bin/sniproxy "
                        + "(it resets SIGHUP) or without nohup.", file, pollMillis);
            }
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warnf("SIGHUP not available (%s): kill -HUP will not reload %s; the file is still polled every %d ms",
                    e.getMessage(), file, pollMillis);
        }
    }

    private static byte[] digest(Path file) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return null; // mid-swap or deleted: keep the running config
        } catch (IOException e) {
            LOG.warnf("cannot read %s: %s", file, e.getMessage());
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
