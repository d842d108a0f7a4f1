package io.sniproxy.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Singleton;

/**
 * Leader election over a {@code coordination.k8s.io} Lease, so the operator can run as several
 * replicas: one reconciles (and runs the fd watchdog, which reads the controllers' caches), the
 * others wait and take over within the lease duration when it is gone. The SDK turns it on in the
 * prod profile only ({@code quarkus.operator-sdk.activate-leader-election-for-profiles}).
 */
@Singleton
public class OperatorLeaderElection extends LeaderElectionConfiguration {

    public static final String LEASE = "sniproxy-operator";

    public OperatorLeaderElection(OperatorConfig config) {
        super(config.leaderElection().leaseName(), config.leaderElection().namespace().orElse(null), config.leaderElection().leaseDuration(),
                config.leaderElection().renewDeadline(), config.leaderElection().retryPeriod());
    }
}
