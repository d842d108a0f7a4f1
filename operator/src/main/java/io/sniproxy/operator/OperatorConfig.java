package io.sniproxy.operator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The operator's own settings ({@code sniproxy.operator.*}, or env {@code SNIPROXY_OPERATOR_*}). */
@ConfigMapping(prefix = "sniproxy.operator")
public interface OperatorConfig {

    /** The proxy image used when a SniProxy names none; the build sets it to this version's image. */
    String proxyImage();

    /** Address the rendered listeners bind in the pods. */
    @WithDefault("0.0.0.0")
    String listenHost();

    /** Suffix of Service DNS names that service backends are rendered to. */
    @WithDefault("cluster.local")
    String clusterDomain();

    Watchdog watchdog();

    LeaderElection leaderElection();

    interface LeaderElection {
        /** Name of the Lease the replicas compete for. */
        @WithDefault(OperatorLeaderElection.LEASE)
        String leaseName();

        /** Namespace of the Lease: the operator's own (install.yaml passes it); else the client's namespace. */
        java.util.Optional<String> namespace();

        /** How long a leader's Lease holds without renewal: the longest a takeover waits. */
        @WithDefault("15s")
        Duration leaseDuration();

        @WithDefault("10s")
        Duration renewDeadline();

        @WithDefault("2s")
        Duration retryPeriod();
    }

    interface Watchdog {
        /** Time between scrapes of every ready proxy pod; 0 turns the scheduled watchdog off. */
        @WithDefault("30s")
        Duration interval();

        /** Bound on one scrape (connect + response). */
        @WithDefault("3s")
        Duration scrapeTimeout();

        /** Pods scraped at once: a large fleet's pass takes pods/parallelism scrape times, not pods. */
        @WithDefault("8")
        int scrapeParallelism();
    }
}
